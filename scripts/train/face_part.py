#!/usr/bin/env python3
"""Fit the face-part probe (crate/src/face/face_part.rs): "does this photo show part of a face?"
from YuNet's own head features, for the facial close-ups YuNet proposes no box for.

    python scripts/train/face_part.py --workdir /work/facepart [--evaluate]

Needs numpy and scikit-learn (no torch). What it does:
1. Lists the photos of each group and split:
   - clinical photos of ../shared/data/clinical, labelled by models/face/clinical_faces.csv
     (face: none / partial / full / full_masked; eyes: how many are in the photo), split as
     the classifier splits them (models/skin/clinical_split.csv: train and exclude fit the
     probe, val chooses C and the threshold, test is only for --evaluate);
   - portraits of ../shared/faces/lfw, split as calibrate.negatives splits them;
   - dermoscopic HAM10000 photos (models/skin/split.csv), a subset of each split.
2. Runs `cargo run --release -p hifu --example face_features` over each list (cached in the
   work folder): the features exactly as the detector pools them.
3. Fits a standardised logistic regression (balanced classes) with photos that show a face
   (clinical partial/full/masked, LFW) as positives and photos without one (clinical none,
   HAM10000) as negatives; C is the one with the best validation AUROC.
4. Places the threshold where it still flags TARGET_EYES of the close-ups with an eye in them
   (the photos a reviewer must see), over the out-of-fold probabilities of the training photos
   (5 folds grouped by clinical folder and LFW person) and the validation probabilities: the
   validation split alone holds too few such photos to place it.
5. Writes models/face/face_part.json (standardisation folded into the weights) with how it was
   fitted; --evaluate prints the test figures and stores them in the same file.
"""
import argparse
import csv
import json
import subprocess
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold
from sklearn.preprocessing import StandardScaler

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
OUT = ROOT / "models/face/face_part.json"
FEATURES = 3 * 2 * 64
# Share of the validation photos with an eye in them that the threshold must flag.
TARGET_EYES = 0.80
# HAM10000 photos per split (dermoscopic negatives; they are many and alike).
HAM_PER_SPLIT = {"train": 1500, "val": 400, "test": 400}
CS = [0.003, 0.01, 0.03, 0.1, 0.3]


def clinical_groups():
    """{split: [(path, face, eyes)]}, split as the classifier's (exclude fits with train)."""
    faces = {r["path"]: r for r in csv.DictReader(open(ROOT / "models/face/clinical_faces.csv"))}
    out = {"train": [], "val": [], "test": []}
    for r in csv.DictReader(open(ROOT / "models/skin/clinical_split.csv")):
        key = r["path"].removeprefix("clinical/")
        label = faces.get(key)
        if label is None:
            raise SystemExit(f"{key} is in clinical_split.csv but not in clinical_faces.csv")
        split = "train" if r["split"] == "exclude" else r["split"]
        out[split].append((SHARED / "data" / r["path"], label["face"], int(label["eyes"] or 0)))
    return out


def lfw_split():
    """The LFW portraits of each part, as calibrate.negatives splits them (so its test part
    stays unseen by every model)."""
    lfw = sorted((SHARED / "faces/lfw").glob("*.jpg"))
    return {"test": lfw[0::5], "val": lfw[1::5], "train": [p for i, p in enumerate(lfw) if i % 5 >= 2]}


def ham_split():
    rows = list(csv.DictReader(open(ROOT / "models/skin/split.csv")))
    out = {}
    for split, n in HAM_PER_SPLIT.items():
        paths = [SHARED / "data/ham10000/images" / f"{r['image_id']}.jpg" for r in rows if r["split"] == split]
        step = max(1, len(paths) // n)
        out[split] = paths[::step][:n]
    return out


def extract(jobs, work: Path):
    """Runs face_features for every (name, paths) without a cache, two at a time."""
    subprocess.run(["cargo", "build", "--quiet", "--release", "-p", "hifu", "--example", "face_features"],
                   cwd=ROOT, check=True)
    exe = ROOT / "target/release/examples/face_features"
    pending = [(n, p) for n, p in jobs if not (work / f"{n}.f32").exists()]
    running = []
    while pending or running:
        while pending and len(running) < 2:
            name, paths = pending.pop(0)
            listing = work / f"{name}.txt"
            listing.write_text("".join(f"{p}\n" for p in paths))
            running.append(subprocess.Popen([exe, listing, work / f"{name}.part"], cwd=ROOT))
            running[-1].name = name
        proc = running.pop(0)
        if proc.wait() != 0:
            raise SystemExit(f"face_features failed on {proc.name}")
        (work / f"{proc.name}.part").rename(work / f"{proc.name}.f32")
    out = {}
    for name, paths in jobs:
        f = np.fromfile(work / f"{name}.f32", dtype="<f4")
        if f.size != len(paths) * FEATURES:
            raise SystemExit(f"{name}.f32: {f.size} values for {len(paths)} photos")
        out[name] = f.reshape(len(paths), FEATURES)
    return out


def load(work: Path):
    clinical, lfw, ham = clinical_groups(), lfw_split(), ham_split()
    jobs = []
    for split in ("train", "val", "test"):
        jobs += [(f"clinical_{split}", [p for p, _, _ in clinical[split]]),
                 (f"lfw_{split}", lfw[split]), (f"ham_{split}", ham[split])]
    feats = extract(jobs, work)
    data = {}
    for split in ("train", "val", "test"):
        groups = [f"{p.parent}" for p, _, _ in clinical[split]]
        groups += [f"lfw:{p.stem.rsplit('_', 1)[0]}" for p in lfw[split]]
        groups += [f"ham:{p}" for p in ham[split]]
        face = np.array([f for _, f, _ in clinical[split]])
        eyes = np.array([e for _, _, e in clinical[split]])
        data[split] = {
            "clinical": feats[f"clinical_{split}"], "face": face, "eyes": eyes,
            "lfw": feats[f"lfw_{split}"], "ham": feats[f"ham_{split}"], "groups": np.array(groups),
        }
    return data


def xy(part):
    x = np.concatenate([part["clinical"], part["lfw"], part["ham"]])
    y = np.concatenate([(part["face"] != "none").astype(int), np.ones(len(part["lfw"]), int),
                        np.zeros(len(part["ham"]), int)])
    return x, y


def eye_visible(part):
    """Rows of xy(part) that are clinical photos with a face and an eye in them."""
    rows = (part["face"] != "none") & (part["eyes"] >= 1)
    return np.concatenate([rows, np.zeros(len(part["lfw"]) + len(part["ham"]), bool)])


def out_of_fold(c, x, y, groups):
    p = np.zeros(len(y))
    for fit, held in GroupKFold(n_splits=5).split(x, y, groups):
        scaler = StandardScaler().fit(x[fit])
        m = LogisticRegression(C=c, class_weight="balanced", max_iter=5000).fit(scaler.transform(x[fit]), y[fit])
        p[held] = probabilities(m, scaler, x[held])
    return p


def report(p, part, threshold):
    """Share flagged per group; p is the probability of every row of xy(part) order."""
    n_c, n_l = len(part["clinical"]), len(part["lfw"])
    pc, pl, ph = p[:n_c], p[n_c:n_c + n_l], p[n_c + n_l:]
    face, eyes = part["face"], part["eyes"]
    groups = {
        "clinical_no_face": pc[face == "none"],
        "clinical_face_eye_visible": pc[(face != "none") & (eyes >= 1)],
        "clinical_face_no_eye": pc[(face != "none") & (eyes == 0)],
        "clinical_partial_eye_visible": pc[(face == "partial") & (eyes >= 1)],
        "lfw_portraits": pl,
        "ham10000_dermoscopic": ph,
    }
    y = np.concatenate([(face != "none").astype(int), np.ones(n_l, int), np.zeros(len(ph), int)])
    out = {"auroc_face_vs_none": round(float(roc_auc_score(y, p)), 4),
           "auroc_clinical_only": round(float(roc_auc_score(y[:n_c], pc)), 4)}
    for k, v in groups.items():
        out[k] = {"n": int(len(v)), "flagged": round(float((v >= threshold).mean()), 4) if len(v) else None}
    return out


def probabilities(model, scaler, x):
    return model.predict_proba(scaler.transform(x))[:, 1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workdir", default="/work/facepart")
    ap.add_argument("--evaluate", action="store_true", help="also report the test figures")
    args = ap.parse_args()
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    data = load(work)
    for part in data.values():
        # A photo the crate could not read has NaN features: the crate gives it no probability.
        part["clinical"] = np.nan_to_num(part["clinical"], nan=0.0)
    x_train, y_train = xy(data["train"])
    x_val, y_val = xy(data["val"])
    scaler = StandardScaler().fit(x_train)
    best = None
    for c in CS:
        m = LogisticRegression(C=c, class_weight="balanced", max_iter=5000).fit(scaler.transform(x_train), y_train)
        auc = roc_auc_score(y_val, probabilities(m, scaler, x_val))
        print(f"C={c}: validation AUROC {auc:.4f}")
        if best is None or auc > best[0]:
            best = (auc, c, m)
    _, c, model = best
    p_val = probabilities(model, scaler, x_val)
    val = data["val"]
    p_oof = out_of_fold(c, x_train, y_train, data["train"]["groups"])
    eye_p = np.sort(np.concatenate([p_oof[eye_visible(data["train"])], p_val[eye_visible(val)]]))
    # The highest threshold that flags TARGET_EYES of them.
    threshold = float(eye_p[int(np.floor((1 - TARGET_EYES) * len(eye_p)))])
    w = model.coef_[0] / scaler.scale_
    b = model.intercept_[0] - float((model.coef_[0] * scaler.mean_ / scaler.scale_).sum())
    result = {
        "weight": [round(float(v), 7) for v in w],
        "bias": round(float(b), 7),
        "threshold": round(threshold, 6),
        "fit": {
            "script": "scripts/train/face_part.py",
            "features": "crate/src/face/face_part.rs pool(): YuNet shared head outputs at the coarse level",
            "model": f"logistic regression, standardised, balanced classes, C={c} (best validation AUROC of {CS})",
            "positives": "clinical photos with any face (models/face/clinical_faces.csv) and LFW portraits",
            "negatives": "clinical photos without a face and HAM10000 dermoscopic photos",
            "split": "clinical: classifier split (train+exclude fit, val chooses, test held out); "
                     "LFW: calibrate.negatives; HAM10000: models/skin/split.csv subsets",
            "threshold_rule": f"highest threshold that flags {TARGET_EYES:.0%} of the clinical face photos with an eye "
                              f"visible (out-of-fold training and validation probabilities, n={len(eye_p)})",
            "train_photos": {"positive": int(y_train.sum()), "negative": int((1 - y_train).sum())},
        },
        "training_out_of_fold": report(p_oof, data["train"], threshold),
        "validation": report(p_val, val, threshold),
    }
    if args.evaluate:
        x_test, _ = xy(data["test"])
        result["test"] = report(probabilities(model, scaler, x_test), data["test"], threshold)
    elif OUT.exists():
        old = json.loads(OUT.read_text())
        if "test" in old:
            result["test_of_previous_fit"] = old["test"]
    # The crate's probability must match sklearn's: check the folded weights on validation.
    z = x_val @ w + b
    assert np.allclose(1 / (1 + np.exp(-z)), p_val, atol=1e-4)
    OUT.write_text(json.dumps(result) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k not in ("weight",)}, indent=1))


if __name__ == "__main__":
    main()
