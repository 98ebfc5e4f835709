#!/usr/bin/env python3
"""Refit the "not a skin photo" gate of the shipped classifier, on the features the crate
itself computes.

    python scripts/train/gate.py --workdir /work/gate-run [--evaluate]

Why a refit (measured; models/skin/README.md "Not a skin photo"): of the two scores the first
gate combined, the Mahalanobis distance separated clinical photos from portraits and scenes
barely better than chance (validation AUROC .62) and so rejected a quarter of the held-out
MED-NODE photos, while the discriminator, trained against portraits and scenes only, let a
blank page of text, a flat colour, a gradient and random noise through as "skin".

What this script does:
1. Makes synthetic non-photos (flat colours, gradients, noise, stripes and checkers, pages of
   text, screenshots of boxes) in three seeded sets (train / val / test), and crops of the
   scene photos (there are few scenes).
2. Runs `cargo run --release -p hifu --example skin_features` over every photo it needs: the
   training photos of every source (HAM10000 every 2nd, all clinical; each also mirrored), the
   validation photos, the negatives of each part (calibrate.negatives) and the synthetic sets.
3. Fits the logistic discriminator (calibrate.fit_discriminator: each group weighted equally)
   on the training features, and places its threshold on validation in the middle of the gap
   between the two populations: halfway between the 99th percentile of the least accepted skin
   source and the 1st percentile of the negatives. A threshold at the edge of the skin photos
   (the first gate's) leaves no room for photos from other clinics, which sit further out.
4. The Mahalanobis distance stays as a far guard only: 1.25 times the largest distance of any
   training or validation skin photo (it catches features unlike anything seen, never a
   source's ordinary photos).
5. Writes ood.discriminator.* into models/skin/skin.safetensors and the thresholds into
   calibration.json; with --evaluate, prints the held-out figures (test splits, test
   negatives, the synthetic test set, and the tattoo photos of ../shared/data/tattoo, a source
   never used for any choice) and writes them to models/skin/gate_metrics.json.
"""
import argparse
import csv
import json
import subprocess
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from safetensors.torch import load_file, save_file

import calibrate
import sources

ROOT = sources.ROOT
SHARED = ROOT.parent / "shared"
MODEL = ROOT / "models/skin"
SEEDS = {"train": 11, "val": 12, "test": 13}
SYNTHETIC_PER_KIND = {"train": 60, "val": 20, "test": 20}
SKIN_QUANTILE = 0.99
NEGATIVE_QUANTILE = 0.01
FAR_GUARD = 1.25


def synthetic(part: str, out: Path):
    """Seeded non-photos of each kind, as PNG files; returns {kind: [paths]}."""
    rng = np.random.default_rng(SEEDS[part])
    fonts = sorted(Path("/usr/share/fonts").rglob("*.tt[fc]"))
    out.mkdir(parents=True, exist_ok=True)
    made = {}

    def size():
        w = int(rng.integers(320, 1280))
        return w, int(w * rng.uniform(0.5, 1.4))

    def colour():
        return tuple(int(c) for c in rng.integers(0, 256, 3))

    def flat():
        w, h = size()
        return Image.new("RGB", (w, h), colour())

    def gradient():
        w, h = size()
        t = np.linspace(0, 1, w)[None, :, None] if rng.random() < .5 else np.linspace(0, 1, h)[:, None, None]
        a, b = np.array(colour(), float), np.array(colour(), float)
        img = a + (b - a) * t
        return Image.fromarray(np.broadcast_to(img, (h, w, 3)).astype(np.uint8))

    def noise():
        w, h = size()
        img = Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
        return img.filter(ImageFilter.GaussianBlur(float(rng.choice([0, 1, 3, 8]))))

    def pattern():
        w, h = size()
        period = int(rng.integers(4, 80))
        yy, xx = np.mgrid[0:h, 0:w]
        mask = ((xx // period + yy // period) % 2 == 0) if rng.random() < .5 else ((xx // period) % 2 == 0)
        img = np.where(mask[..., None], np.array(colour()), np.array(colour()))
        return Image.fromarray(img.astype(np.uint8))

    def text():
        w, h = size()
        img = Image.new("RGB", (w, h), colour() if rng.random() < .3 else (250, 250, 250))
        d = ImageDraw.Draw(img)
        ink = (int(rng.integers(0, 80)),) * 3
        y = int(rng.integers(5, 30))
        while y < h:
            pt = int(rng.integers(10, 36))
            font = ImageFont.truetype(str(fonts[int(rng.integers(len(fonts)))]), pt) if fonts else None
            words = " ".join("".join(chr(int(c)) for c in rng.integers(65, 91, int(rng.integers(2, 10))))
                             for _ in range(int(rng.integers(3, 12))))
            d.text((int(rng.integers(5, 40)), y), f"{words} {int(rng.integers(1e5, 1e7))} 2026-{int(rng.integers(1, 13)):02d}",
                   fill=ink, font=font)
            y += int(pt * rng.uniform(1.3, 2.2))
        return img

    def boxes():
        w, h = size()
        img = Image.new("RGB", (w, h), colour())
        d = ImageDraw.Draw(img)
        for _ in range(int(rng.integers(3, 30))):
            x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
            x1, y1 = x0 + int(rng.integers(10, w // 2)), y0 + int(rng.integers(10, h // 2))
            (d.rectangle if rng.random() < .6 else d.ellipse)((x0, y0, x1, y1), fill=colour())
        return img

    for kind, make in {"flat": flat, "gradient": gradient, "noise": noise, "pattern": pattern,
                       "text": text, "boxes": boxes}.items():
        paths = []
        for i in range(SYNTHETIC_PER_KIND[part]):
            p = out / f"{part}_{kind}_{i:03d}.png"
            if not p.exists():
                make().save(p)
            paths.append(p)
        made[f"synthetic_{kind}"] = paths
    return made


def scene_crops(paths, out: Path):
    """Each scene whole plus four corner crops and a centre crop (calibrate.negative_views)."""
    out.mkdir(parents=True, exist_ok=True)
    made = []
    for p in paths:
        with Image.open(p) as im:
            im = im.convert("RGB")
            w, h = im.size
            for j, (x0, y0, x1, y1) in enumerate([(0, 0, 1, 1)] + calibrate.SCENE_CROPS):
                q = out / f"{p.stem}_{j}.png"
                if not q.exists():
                    im.crop((int(x0 * w), int(y0 * h), int(x1 * w), int(y1 * h))).save(q)
                made.append(q)
    return made


def features(paths, work: Path, name: str, mirror: bool) -> np.ndarray:
    """Pooled features of the crate's network, cached per group."""
    out = work / f"{name}{'_m' if mirror else ''}.f32"
    if not out.exists():
        listing = work / f"{name}.txt"
        listing.write_text("".join(f"{p}\n" for p in paths))
        cmd = ["cargo", "run", "--quiet", "--release", "-p", "hifu", "--example", "skin_features", "--",
               str(listing), str(out)] + (["--mirror"] if mirror else [])
        subprocess.run(cmd, cwd=ROOT, check=True)
    f = np.fromfile(out, dtype="<f4")
    rows = len(paths) * (2 if mirror else 1)
    if rows == 0 or f.size % rows:
        raise SystemExit(f"{out}: {f.size} values for {rows} rows")
    f = f.reshape(rows, -1)
    return f[np.isfinite(f).all(1)]


def skin_photos():
    """{(source, split): [paths]} for every source and split."""
    out = {}
    for r in csv.DictReader(open(MODEL / "split.csv")):
        out.setdefault(("ham10000", r["split"]), []).append(SHARED / "data/ham10000/images" / f"{r['image_id']}.jpg")
    for r in csv.DictReader(open(MODEL / "clinical_split.csv")):
        if r["split"] != "exclude":
            out.setdefault((r["source"], r["split"]), []).append(SHARED / "data" / r["path"])
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workdir", default="/work/gate-run")
    ap.add_argument("--evaluate", action="store_true", help="also report the held-out figures")
    args = ap.parse_args()
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    skin = skin_photos()
    sources_ = sorted({s for s, _ in skin})

    pos_train, pos_kind = [], []
    for s in sources_:
        paths = skin[(s, "train")][::2] if s == "ham10000" else skin[(s, "train")]
        f = features(paths, work, f"{s}_train", mirror=True)
        pos_train.append(f)
        pos_kind += ["dermoscopic" if s == "ham10000" else "clinical"] * len(f)
    neg_paths = calibrate.negatives("train")
    neg_train = {
        "lfw": features(neg_paths["lfw"], work, "lfw_train", mirror=True),
        "scenes": features(scene_crops(neg_paths["scenes"], work / "crops"), work, "scenes_train", mirror=True),
    }
    for kind, paths in synthetic("train", work / "synthetic").items():
        neg_train[kind] = features(paths, work, f"{kind}_train", mirror=False)
    w, b = calibrate.fit_discriminator(np.concatenate(pos_train), np.array(pos_kind), neg_train)
    w64, b64 = w.numpy().astype(np.float64), float(b[0])

    def score(f):
        return f.astype(np.float64) @ w64 + b64

    def negatives(part):
        paths = calibrate.negatives(part)
        out = {k: features(v, work, f"{k}_{part}", mirror=False) for k, v in paths.items()}
        out.update({k: features(v, work, f"{k}_{part}", mirror=False)
                    for k, v in synthetic(part, work / "synthetic").items()})
        return out

    val_feats = {s: features(skin[(s, "val")], work, f"{s}_val", mirror=False) for s in sources_}
    val_skin = {s: score(f) for s, f in val_feats.items()}
    val_neg = negatives("val")
    val_neg_scores = np.concatenate([score(f) for f in val_neg.values()])
    skin_edge = max(float(np.quantile(v, SKIN_QUANTILE)) for v in val_skin.values())
    neg_edge = float(np.quantile(val_neg_scores, NEGATIVE_QUANTILE))
    if neg_edge <= skin_edge:
        raise SystemExit(f"no gap on validation: skin {skin_edge:.3f} >= negatives {neg_edge:.3f}")
    threshold = (skin_edge + neg_edge) / 2

    # The far guard: the largest Mahalanobis distance of any training or validation photo.
    tensors = load_file(MODEL / "skin.safetensors")
    projection, center = tensors["ood.projection"].double(), tensors["ood.center"].double()
    means, precision = tensors["ood.class_means"].double(), tensors["ood.precision"].double()

    def mahalanobis(f):
        z = (torch.from_numpy(f).double() - center) @ projection.T
        d = z[:, None, :] - means[None]
        return torch.einsum("nkc,cd,nkd->nk", d, precision, d).min(1).values.numpy()

    seen = np.concatenate(pos_train + list(val_feats.values()))
    far_guard = FAR_GUARD * float(mahalanobis(seen).max())

    val = {
        "skin_accepted": {s: float((v <= threshold).mean()) for s, v in val_skin.items()},
        "negatives_rejected": {k: float((score(f) > threshold).mean()) for k, f in val_neg.items()},
        "skin_edge_q99": skin_edge, "negatives_edge_q01": neg_edge,
    }
    print(json.dumps({"threshold": threshold, "far_guard": far_guard, "val": val}, indent=1))

    tensors["ood.discriminator.weight"] = w.contiguous()
    tensors["ood.discriminator.bias"] = b.contiguous()
    with open(MODEL / "skin.safetensors", "rb") as fh:
        header_len = int.from_bytes(fh.read(8), "little")
        metadata = json.loads(fh.read(header_len)).get("__metadata__", {})
    metadata["gate"] = "scripts/train/gate.py (discriminator refit on crate features with synthetic non-photos)"
    save_file(tensors, MODEL / "skin.safetensors", metadata=metadata)
    calib = json.loads((MODEL / "calibration.json").read_text())
    ood = calib["ood"]
    ood["max_score"] = far_guard
    ood["role"] = ("far guard: 1.25 x the largest distance of any training or validation skin photo; "
                   "the discriminator decides")
    for stale in ("val_accepted", "val_negatives_rejected", "val_acceptance_target"):  # the first gate's
        ood.pop(stale, None)
    ood["discriminator"] = {
        "max_score": threshold,
        "rule": f"midway between the {SKIN_QUANTILE:.0%} quantile of the least accepted validation skin source "
                f"and the {NEGATIVE_QUANTILE:.0%} quantile of the validation negatives",
        "negatives": "portraits (LFW), scenes and their crops (../shared/faces), synthetic non-photos "
                     "(flat colours, gradients, noise, patterns, text pages, drawn boxes)",
        "val": val,
        "definition": "w . f + b (logistic regression, skin photos vs portraits, scenes and non-photos)",
        "fit": "scripts/train/gate.py",
    }
    (MODEL / "calibration.json").write_text(json.dumps(calib, indent=1, ensure_ascii=False) + "\n")

    if args.evaluate:
        test = {}
        for s in sources_:
            f = features(skin[(s, "test")], work, f"{s}_test", mirror=False)
            test[s] = float(((score(f) <= threshold) & (mahalanobis(f) <= far_guard)).mean())
        tattoo = sorted((SHARED / "data/tattoo/images").rglob("*.jp*g"))
        f = features(tattoo, work, "tattoo_all", mirror=False)
        other = {"tattoo (../shared/data/tattoo, never used for a choice)":
                 float(((score(f) <= threshold) & (mahalanobis(f) <= far_guard)).mean())}
        rejected = {}
        for k, f in negatives("test").items():
            rejected[k] = float(((score(f) > threshold) | (mahalanobis(f) > far_guard)).mean())
        report = {"skin_accepted_test": test, "other_skin_accepted": other, "negatives_rejected_test": rejected,
                  "threshold": threshold, "far_guard": far_guard}
        print(json.dumps(report, indent=1))
        (MODEL / "gate_metrics.json").write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
