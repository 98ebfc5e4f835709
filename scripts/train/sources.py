"""Every training source, its class mapping and its split, in one table.

Sources (all under ../shared/data; licences in models/skin/README.md):
- HAM10000 (dermoscopic): the lesion-grouped split of models/skin/split.csv (split.py).
- MED-NODE (clinical, melanoma/naevus): one photo per lesion as far as the source says, split
  by file (seeded, stratified): 60 % train+val pool, 40 % test.
- SD-198 and DermNet (clinical): split by *folder*, because two photos of one folder may show
  the same patient: a test folder is never seen in training. Photos of the other folders form
  the train+val pool; 20 % of each pool folder's files are validation (validation only chooses
  thresholds and the best epoch; the numbers reported come from the test folders).

Classes: the seven HAM10000 classes plus `other` (skin conditions that are not one of those
lesion types: inflammatory, infectious, genetic, ...). Folders that show a tumour outside the
seven classes (squamous cell carcinoma, Kaposi sarcoma, cysts, ...) or cannot be mapped soundly
are `exclude`d: not trained on, not tested. The mapping is written to
models/skin/mapping.csv and into the model card.

    python scripts/train/sources.py        # writes models/skin/clinical_split.csv, mapping.csv
"""
import csv
import random
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared/data"
CLASSES = ("akiec", "bcc", "bkl", "df", "mel", "nv", "vasc", "other")
SEED = 20150634  # MED-NODE's doi suffix (10.1016/j.eswa.2015.04.034); any fixed value would do
VAL_SHARE = 0.2
MEDNODE_TEST = 0.4
OTHER_TEST = 0.25

# (source, folder) -> class, for folders of the seven lesion classes. Everything not listed
# here and not in EXCLUDE is `other`.
LESION_FOLDERS = {
    ("mednode", "melanoma"): "mel",
    ("mednode", "naevus"): "nv",
    ("sd198", "Actinic_Keratosis"): "akiec",
    ("sd198", "Basal_Cell_Carcinoma"): "bcc",
    ("sd198", "Dermatofibroma"): "df",
    ("sd198", "Malignant_Melanoma"): "mel",
    ("sd198", "Lentigo_Maligna_Melanoma"): "mel",
    ("sd198", "Nevus_Spilus"): "nv",
    ("sd198", "Angioma"): "vasc",
    ("sd198", "Pyogenic_Granuloma"): "vasc",
    ("dermnet", "Actinic keratosis"): "akiec",
    ("dermnet", "Actinic cheilitis"): "akiec",
    ("dermnet", "Basal cell carcinoma"): "bcc",
    ("dermnet", "Solar lentigo"): "bkl",
    ("dermnet", "Atypical solar lentigo"): "bkl",
    ("dermnet", "Lichenoid keratosis"): "bkl",
    ("dermnet", "Dermatosis papulosa nigra"): "bkl",
    ("dermnet", "Dermatofibroma"): "df",
    ("dermnet", "Melanoma"): "mel",
    ("dermnet", "Melanoma in situ"): "mel",
    ("dermnet", "Amelanotic melanoma"): "mel",
    ("dermnet", "Acral lentiginous melanoma"): "mel",
    ("dermnet", "Nodular melanoma"): "mel",
    ("dermnet", "Metastatic melanoma"): "mel",
    ("dermnet", "Melanocytic naevus"): "nv",
    ("dermnet", "Atypical melanocytic naevus"): "nv",
    ("dermnet", "Congenital melanocytic naevus"): "nv",
    ("dermnet", "Blue nevus"): "nv",
    ("dermnet", "Halo naevus"): "nv",
    ("dermnet", "Meyerson naevus"): "nv",
    ("dermnet", "Cherry angioma"): "vasc",
    ("dermnet", "Pyogenic granuloma"): "vasc",
    ("dermnet", "Venous lake"): "vasc",
}

# Lesion folders held out whole for the test (the rest of each class trains). Chosen so that
# every class with two or more clinical folders is tested on a folder it never saw.
TEST_FOLDERS = {
    ("sd198", "Actinic_Keratosis"),
    ("sd198", "Basal_Cell_Carcinoma"),
    ("dermnet", "Dermatofibroma"),
    ("sd198", "Malignant_Melanoma"),
    ("dermnet", "Acral lentiginous melanoma"),
    ("dermnet", "Atypical melanocytic naevus"),
    ("dermnet", "Halo naevus"),
    ("dermnet", "Congenital melanocytic naevus"),
    ("sd198", "Pyogenic_Granuloma"),
}

# Tumours and tumour-like lesions outside the seven classes, diagrams, and folders whose
# photos could be a lesion class as well as not (cutaneous horn: AK, SCC or SK underneath).
EXCLUDE = {
    ("sd198", "Cutaneous_Horn"), ("sd198", "Keloid"),
    *(("dermnet", t) for t in (
        "Squamous cell carcinoma", "Anogenital squamous cell carcinoma", "Oral squamous cell carcinoma",
        "Kaposi sarcoma", "Merkel cell carcinoma", "Sebaceous carcinoma", "Atypical fibroxanthoma",
        "Eccrine porocarcinoma", "Extramammary Paget disease of skin", "Marjolin ulcer", "Mycosis fungoides",
        "Sézary syndrome", "Leukaemia cutis", "Plasmacytoma", "Intravascular lymphoma",
        "Vulval intraepithelial neoplasia", "Penile epithelial neoplasia", "Anal cancer and anal canal cancer",
        "Multiple self-healing squamous epitheliomas of Ferguson-Smith", "Cutaneous horn", "Keloid scar",
        "Ocular melanoma", "Melanonychia", "Melanotic macule", "Glomus tumour", "Capillary vascular malformation",
        "Lymphatic malformation", "Angioma serpiginosum", "Naevus flammeus simplex",
        "Naevus of Ota, naevus of Ito and naevus of Hori", "Epidermal naevus", "Nevus comedonicus",
        "Naevus anaemicus", "Naevus depigmentosus", "Xanthoma", "Pilar cyst", "Epidermoid cyst", "Milium",
        "Colloid milium", "Sebaceous hyperplasia", "Angiofibroma", "Neurofibromatosis", "Tuberous sclerosis",
        "Pilomatricoma", "Digital myxoid pseudocyst", "Steatocystoma multiplex", "Mastocytoma", "Osteoma cutis",
        "Onychopapilloma", "Subungual exostosis", "Reed syndrome", "Birt-Hogg-Dubé syndrome", "Myxoma syndrome",
        "Calcinosis cutis", "Maculopapular cutaneous mastocytosis", "Noonan syndrome with multiple lentigines",
        "Pearly penile papules", "Cutaneous amyloidosis", "Macular amyloidosis", "Multicentric reticulohistiocytosis",
    )),
}


def folder_class(source: str, folder: str) -> str:
    if (source, folder) in EXCLUDE:
        return "exclude"
    return LESION_FOLDERS.get((source, folder), "other")


def file_key(name: str):
    """Files in the order the source numbered them (DermNet and SD-198 names are ids)."""
    stem = name.rsplit(".", 1)[0]
    digits = "".join(ch for ch in stem if ch.isdigit())
    return (int(digits) if digits else -1, name)


def clinical_rows():
    """[{path, source, folder, dx, split}] for every clinical photo (dx may be `exclude`)."""
    rng = random.Random(SEED)
    rows = []
    folders = []
    for source in ("mednode", "sd198", "dermnet"):
        for d in sorted((DATA / "clinical" / source).iterdir()):
            if d.is_dir():
                files = sorted((f.name for f in d.iterdir() if f.suffix.lower() == ".jpg"), key=file_key)
                folders.append((source, d.name, files))
    # `other` folders: a seeded quarter (by folder, in a fixed order) is the test.
    others = [(s, f, files) for s, f, files in folders if folder_class(s, f) == "other"]
    order = list(range(len(others)))
    rng.shuffle(order)
    total = sum(len(files) for _, _, files in others)
    test_other, taken = set(), 0
    for i in order:
        if taken >= OTHER_TEST * total:
            break
        s, f, files = others[i]
        test_other.add((s, f))
        taken += len(files)
    for source, folder, files in folders:
        dx = folder_class(source, folder)
        if dx == "exclude":
            splits = ["exclude"] * len(files)
        elif source == "mednode":
            idx = list(range(len(files)))
            rng.shuffle(idx)
            n_test = round(MEDNODE_TEST * len(files))
            n_val = round(VAL_SHARE * (len(files) - n_test))
            splits = [""] * len(files)
            for rank, i in enumerate(idx):
                splits[i] = "test" if rank < n_test else "val" if rank < n_test + n_val else "train"
        elif (source, folder) in TEST_FOLDERS or (source, folder) in test_other:
            splits = ["test"] * len(files)
        else:
            idx = list(range(len(files)))
            rng.shuffle(idx)
            n_val = int(VAL_SHARE * len(files)) if len(files) >= 5 else 0
            splits = ["train"] * len(files)
            for i in idx[:n_val]:
                splits[i] = "val"
        for name, split in zip(files, splits):
            rows.append({"path": f"clinical/{source}/{folder}/{name}", "source": source, "folder": folder,
                         "dx": dx, "split": split})
    return rows


def ham_rows():
    with open(ROOT / "models/skin/split.csv", newline="") as f:
        return [{"path": f"ham10000/images/{r['image_id']}.jpg", "source": "ham10000", "folder": r["lesion_id"],
                 "dx": r["dx"], "split": r["split"]} for r in csv.DictReader(f)]


def read_clinical_split(path=ROOT / "models/skin/clinical_split.csv"):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def hub_rows(export_dir, diagnosis_map):
    """Rows of a hub export (`hifu hub export --out DIR`): DIR/labels.csv, split by patient at
    the hub. `diagnosis_map` is a CSV with columns `final_diagnosis,class` (the sites' diagnosis
    text → one of CLASSES or `exclude`); a diagnosis it does not list is excluded, and counted."""
    export_dir = Path(export_dir).resolve()
    with open(diagnosis_map, newline="", encoding="utf-8") as f:
        mapping = {r["final_diagnosis"].strip().lower(): r["class"].strip() for r in csv.DictReader(f)}
    bad = set(mapping.values()) - set(CLASSES) - {"exclude"}
    if bad:
        raise SystemExit(f"{diagnosis_map}: unknown classes {sorted(bad)}")
    rows, unmapped = [], Counter()
    with open(export_dir / "labels.csv", newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            dx = mapping.get(r["final_diagnosis"].strip().lower())
            if dx is None:
                unmapped[r["final_diagnosis"]] += 1
                continue
            if dx == "exclude":
                continue
            rows.append({"path": str(export_dir / r["image"]), "source": "hub", "folder": r["patient"],
                         "dx": dx, "split": {"validation": "val"}.get(r["split"], r["split"])})
    if unmapped:
        print(f"hub export: {sum(unmapped.values())} photos with unmapped diagnoses left out: {dict(unmapped.most_common(10))}")
    return rows


def all_rows():
    """HAM10000 and clinical rows that take part (excluded folders left out), plus a hub export
    when HIFU_HUB_EXPORT=DIR and HIFU_HUB_DIAGNOSES=map.csv are set."""
    import os
    rows = ham_rows() + [r for r in read_clinical_split() if r["dx"] != "exclude"]
    if os.environ.get("HIFU_HUB_EXPORT"):
        rows += hub_rows(os.environ["HIFU_HUB_EXPORT"], os.environ["HIFU_HUB_DIAGNOSES"])
    return rows


def main():
    rows = clinical_rows()
    out = ROOT / "models/skin/clinical_split.csv"
    with open(out, "w", newline="") as f:
        w = csv.DictWriter(f, ["path", "source", "folder", "dx", "split"], lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    by_folder = defaultdict(Counter)
    for r in rows:
        by_folder[(r["source"], r["folder"], r["dx"])][r["split"]] += 1
    with open(ROOT / "models/skin/mapping.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["source", "folder", "class", "train", "val", "test"])
        for (s, folder, dx), c in sorted(by_folder.items()):
            w.writerow([s, folder, dx, c["train"], c["val"], c["test"]])
    table = defaultdict(Counter)
    for r in rows + ham_rows():
        table[(r["source"], r["split"])][r["dx"]] += 1
    for (s, split), c in sorted(table.items()):
        print(f"{s:9s} {split:8s} {sum(c.values()):5d}  " + " ".join(f"{k}={c[k]}" for k in CLASSES + ('exclude',) if c[k]))


if __name__ == "__main__":
    main()
