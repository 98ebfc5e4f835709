#!/usr/bin/env python3
"""Refit the "not a skin photo" gate of the shipped classifier, on the features the crate
itself computes.

    python scripts/train/gate.py --workdir /work/gate-run [--loso] [--evaluate]

Why a refit (measured; models/skin/README.md "Not a skin photo"): of the two scores the first
gate combined, the Mahalanobis distance separated clinical photos from portraits and scenes
barely better than chance and so rejected many held-out MED-NODE photos, while the
discriminator, trained against portraits and scenes only, let a blank page of text, a flat
colour, a gradient and random noise through as "skin". The second gate, fitted on our four
sources as they are, turned away hands and feet on drapes, scalps and faces from a source it
had not seen.

What this script does:
1. Makes synthetic non-photos (flat colours, gradients, noise, stripes and checkers, pages of
   text, screenshots of boxes) in three seeded sets (train / val / test), and crops of the
   scene photos (there are few scenes).
2. Runs `cargo run --release -p hifu --example skin_features` over every photo it needs: the
   training photos of every source (HAM10000 every 2nd, all clinical; each also mirrored), the
   validation photos, the negatives of each part (calibrate.negatives) and the synthetic sets.
3. Fits the logistic discriminator (calibrate.fit_discriminator: each group weighted equally)
   on the training features: the training photos of every source, and three augmented views of
   each (`augmented`: a crop closing in, the photo on a drape-coloured backdrop, a darker or
   differently lit, low-quality copy), because photos from other clinics show more background,
   other skin tones and other cameras than our four sources. The threshold is the 1st
   percentile of the validation negatives: the gate rejects what looks like a portrait, a scene
   or a non-photo and gives everything else the benefit of the doubt. Chosen by leaving each
   source out in turn (`--loso`; train and validation photos only), against a threshold midway
   between skin and negatives and against fits without the views (figures in the model card).
4. The Mahalanobis distance stays as a far guard only: 1.25 times the largest distance of any
   training or validation skin photo (it catches features unlike anything seen, never a
   source's ordinary photos).
5. Writes ood.discriminator.* into models/skin/skin.safetensors and the thresholds into
   calibration.json; with --loso, also the leave-one-source-out figures (each source in turn
   unseen by the fit and the threshold); with --evaluate, prints the held-out figures (test splits, test
   negatives, the synthetic test set, and the tattoo photos of ../shared/data/tattoo, a source
   never used for any choice) and writes them to models/skin/gate_metrics.json.
"""
import argparse
import csv
import io
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
AUGMENTED_KINDS = ("crop", "backdrop", "tone")
# Drape colours seen behind clinical photos (blue, green, white, black, pale blue).
DRAPES = [(40, 80, 160), (40, 120, 90), (235, 235, 235), (20, 20, 20), (120, 160, 200)]


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


def augment(im: Image.Image, kind: str, rng) -> Image.Image:
    """One augmented view of a skin photo (see the module docstring, step 3)."""
    w, h = im.size
    if kind == "crop":  # closer in: 45-80 % of each side, anywhere in the photo
        s = rng.uniform(0.45, 0.8)
        cw, ch = int(w * s), int(h * s)
        x, y = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
        return im.crop((x, y, x + cw, y + ch))
    if kind == "backdrop":  # further out: the photo fills 50-85 % of the width of a drape
        s = rng.uniform(0.5, 0.85)
        cw, ch = int(w / s), max(h, int(h / s * rng.uniform(0.8, 1.25)))
        base = np.array(rng.integers(0, 256, 3), float)
        if rng.random() < 0.5:
            base = np.array(DRAPES[int(rng.integers(len(DRAPES)))], float) * rng.uniform(0.7, 1.15)
        shade = np.linspace(0, 1, ch)[:, None, None] * rng.normal(0, 20, 3)[None, None, :]
        canvas = base + shade + rng.normal(0, 6, (ch, cw, 3))
        canvas = Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(1.5))
        canvas.paste(im, (int(rng.integers(0, cw - w + 1)), int(rng.integers(0, ch - h + 1))))
        return canvas
    if kind == "tone":  # darker skin or under-exposure, another white balance, a poorer camera
        a = np.asarray(im).astype(np.float64) / 255
        a = a ** rng.uniform(1.0, 1.8) * rng.uniform(0.55, 1.0) * rng.uniform(0.85, 1.15, 3)
        out = Image.fromarray(np.clip(a * 255, 0, 255).astype(np.uint8))
        if rng.random() < 0.5:
            f = rng.uniform(0.25, 0.6)
            out = out.resize((max(8, int(w * f)), max(8, int(h * f))), Image.BILINEAR).resize((w, h), Image.BILINEAR)
        buf = io.BytesIO()
        out.save(buf, "JPEG", quality=int(rng.integers(25, 80)))
        return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    raise ValueError(kind)


def augmented(paths, kind: str, source: str, out: Path):
    """Seeded augmented views of `paths` as files (the crate computes their features)."""
    folder = out / kind / source
    folder.mkdir(parents=True, exist_ok=True)
    made = [folder / f"{i:05d}.png" for i in range(len(paths))]
    if not all(q.exists() for q in made):
        rng = np.random.default_rng([AUGMENTED_KINDS.index(kind), sum(source.encode())])
        for p, q in zip(paths, made):
            with Image.open(p) as im:
                augment(im.convert("RGB"), kind, rng).save(q)
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


def fit_gate(pos: dict, neg_train: dict, val_skin: dict, val_neg: dict):
    """The discriminator fitted on `pos` ({(source, kind): features}) against `neg_train`, and
    its threshold from the validation negatives; returns (w, b, threshold, edges) with w, b as
    torch tensors (score = w . f + b, higher = less like a skin photo)."""
    groups = [(("dermoscopic" if s == "ham10000" else "clinical") if k == "photo" else f"augmented_{k}", f)
              for (s, k), f in pos.items()]
    w, b = calibrate.fit_discriminator(np.concatenate([f for _, f in groups]),
                                       np.array([g for g, f in groups for _ in range(len(f))]), neg_train)
    w64, b64 = w.numpy().astype(np.float64), float(b[0])
    val_scores = {s: f.astype(np.float64) @ w64 + b64 for s, f in val_skin.items()}
    neg_scores = np.concatenate([f.astype(np.float64) @ w64 + b64 for f in val_neg.values()])
    skin_edge = max(float(np.quantile(v, SKIN_QUANTILE)) for v in val_scores.values())
    threshold = float(np.quantile(neg_scores, NEGATIVE_QUANTILE))
    if threshold <= skin_edge:
        raise SystemExit(f"no gap on validation: skin q{SKIN_QUANTILE} {skin_edge:.3f} >= negatives' "
                         f"q{NEGATIVE_QUANTILE} {threshold:.3f}")
    return w, b, threshold, {"skin_edge_q99": skin_edge, "negatives_edge_q01": threshold}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workdir", default="/work/gate-run")
    ap.add_argument("--loso", action="store_true", help="also fit with each source left out in turn")
    ap.add_argument("--evaluate", action="store_true", help="also report the held-out figures")
    args = ap.parse_args()
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    skin = skin_photos()
    sources_ = sorted({s for s, _ in skin})

    pos = {}
    for s in sources_:
        paths = skin[(s, "train")][::2] if s == "ham10000" else skin[(s, "train")]
        pos[(s, "photo")] = features(paths, work, f"{s}_train", mirror=True)
        for kind in AUGMENTED_KINDS:
            views = augmented(paths[::2] if s == "ham10000" else paths, kind, s, work / "augmented")
            pos[(s, kind)] = features(views, work, f"{s}_train_{kind}", mirror=False)
    neg_paths = calibrate.negatives("train")
    neg_train = {
        "lfw": features(neg_paths["lfw"], work, "lfw_train", mirror=True),
        "scenes": features(scene_crops(neg_paths["scenes"], work / "crops"), work, "scenes_train", mirror=True),
    }
    for kind, paths in synthetic("train", work / "synthetic").items():
        neg_train[kind] = features(paths, work, f"{kind}_train", mirror=False)

    def negatives(part):
        paths = calibrate.negatives(part)
        out = {k: features(v, work, f"{k}_{part}", mirror=False) for k, v in paths.items()}
        out.update({k: features(v, work, f"{k}_{part}", mirror=False)
                    for k, v in synthetic(part, work / "synthetic").items()})
        return out

    val_feats = {s: features(skin[(s, "val")], work, f"{s}_val", mirror=False) for s in sources_}
    val_neg = negatives("val")
    w, b, threshold, edges = fit_gate(pos, neg_train, val_feats, val_neg)
    w64, b64 = w.numpy().astype(np.float64), float(b[0])

    def score(f):
        return f.astype(np.float64) @ w64 + b64

    # The far guard: the largest Mahalanobis distance of any training or validation photo.
    tensors = load_file(MODEL / "skin.safetensors")
    projection, center = calibrate.stored(tensors, "ood.projection").double(), tensors["ood.center"].double()
    means, precision = tensors["ood.class_means"].double(), tensors["ood.precision"].double()

    def mahalanobis(f):
        z = (torch.from_numpy(f).double() - center) @ projection.T
        d = z[:, None, :] - means[None]
        return torch.einsum("nkc,cd,nkd->nk", d, precision, d).min(1).values.numpy()

    seen = np.concatenate([f for (s, k), f in pos.items() if k == "photo"] + list(val_feats.values()))
    far_guard = FAR_GUARD * float(mahalanobis(seen).max())

    def accepted(f):
        return float(((score(f) <= threshold) & (mahalanobis(f) <= far_guard)).mean())

    val = {
        "skin_accepted": {s: accepted(f) for s, f in val_feats.items()},
        "negatives_rejected": {k: 1 - accepted(f) for k, f in val_neg.items()},
        **edges,
    }
    print(json.dumps({"threshold": threshold, "far_guard": far_guard, "val": val}, indent=1))

    tattoo = sorted((SHARED / "data/tattoo/images").rglob("*.jp*g"))
    loso = {}
    if args.loso:
        # Each source in turn as the clinic the gate has never seen: fitted and thresholded
        # without it; its training and validation photos (never the test split) are scored.
        tattoo_f = features(tattoo, work, "tattoo_all", mirror=False)
        for held in sources_:
            lw, lb, lthr, _ = fit_gate({k: f for k, f in pos.items() if k[0] != held}, neg_train,
                                       {s: f for s, f in val_feats.items() if s != held}, val_neg)
            lw64, lb64 = lw.numpy().astype(np.float64), float(lb[0])
            unseen = np.concatenate([pos[(held, "photo")][::2], val_feats[held]])  # [::2]: no mirror
            loso[held] = {"accepted": float((unseen @ lw64 + lb64 <= lthr).mean()), "photos": len(unseen),
                          "tattoo_accepted": float((tattoo_f.astype(np.float64) @ lw64 + lb64 <= lthr).mean())}
        print(json.dumps({"leave_one_source_out": loso}, indent=1))

    tensors["ood.discriminator.weight"] = w.contiguous()
    tensors["ood.discriminator.bias"] = b.contiguous()
    with open(MODEL / "skin.safetensors", "rb") as fh:
        header_len = int.from_bytes(fh.read(8), "little")
        metadata = json.loads(fh.read(header_len)).get("__metadata__", {})
    metadata["gate"] = ("scripts/train/gate.py (discriminator refit on crate features, augmented skin views, "
                        "synthetic non-photos)")
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
        "rule": f"the {NEGATIVE_QUANTILE:.0%} quantile of the validation negatives (above the "
                f"{SKIN_QUANTILE:.0%} quantile of every validation skin source)",
        "positives": "training photos of every source, mirrored, and augmented views of them: "
                     + ", ".join(AUGMENTED_KINDS),
        "negatives": "portraits (LFW), scenes and their crops (../shared/faces), synthetic non-photos "
                     "(flat colours, gradients, noise, patterns, text pages, drawn boxes)",
        "val": val,
        "definition": "w . f + b (logistic regression, skin photos vs portraits, scenes and non-photos)",
        "fit": "scripts/train/gate.py",
    }
    if loso:
        ood["discriminator"]["leave_one_source_out"] = loso
    (MODEL / "calibration.json").write_text(json.dumps(calib, indent=1, ensure_ascii=False) + "\n")

    if args.evaluate:
        test = {s: accepted(features(skin[(s, "test")], work, f"{s}_test", mirror=False)) for s in sources_}
        other = {"tattoo (../shared/data/tattoo, never used for a choice)":
                 accepted(features(tattoo, work, "tattoo_all", mirror=False))}
        rejected = {k: 1 - accepted(f) for k, f in negatives("test").items()}
        report = {"skin_accepted_test": test, "other_skin_accepted": other, "negatives_rejected_test": rejected,
                  "threshold": threshold, "far_guard": far_guard}
        if loso:
            report["leave_one_source_out"] = loso
        print(json.dumps(report, indent=1))
        (MODEL / "gate_metrics.json").write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
