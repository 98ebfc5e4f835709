#!/usr/bin/env python3
"""Split HAM10000 into train/val/test by lesion, stratified by diagnosis.

Several images can show the same lesion, so the unit of splitting is `lesion_id`: all images
of one lesion land in the same split (otherwise validation/test would contain near-copies of
training images and overstate accuracy). Each lesion has exactly one `dx`; lesions are shuffled
per class with a fixed seed and cut 70/15/15, so every split keeps the class mix.

Standard library only, so the split can be re-derived anywhere:
    python3 scripts/train/split.py [--metadata ../shared/data/ham10000/metadata.csv]
writes models/skin/split.csv (image_id,lesion_id,dx,split), sorted by image_id.
"""
import argparse
import csv
import random
from collections import defaultdict
from pathlib import Path

SEED = 20180161  # HAM10000's doi suffix; any fixed value would do
FRACTIONS = (("train", 0.70), ("val", 0.15), ("test", 0.15))


def main():
    root = Path(__file__).resolve().parents[2]
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--metadata", default=str(root.parent / "shared/data/ham10000/metadata.csv"))
    p.add_argument("--out", default=str(root / "models/skin/split.csv"))
    args = p.parse_args()

    with open(args.metadata, newline="") as f:
        rows = list(csv.DictReader(f))
    lesion_dx = {}
    for r in rows:
        prev = lesion_dx.setdefault(r["lesion_id"], r["dx"])
        if prev != r["dx"]:
            raise SystemExit(f"lesion {r['lesion_id']} has two diagnoses: {prev}, {r['dx']}")

    by_dx = defaultdict(list)
    for lesion, dx in sorted(lesion_dx.items()):
        by_dx[dx].append(lesion)
    rng = random.Random(SEED)
    lesion_split = {}
    for dx in sorted(by_dx):
        lesions = by_dx[dx]
        rng.shuffle(lesions)
        n = len(lesions)
        n_train = round(n * FRACTIONS[0][1])
        n_val = round(n * FRACTIONS[1][1])
        for i, lesion in enumerate(lesions):
            lesion_split[lesion] = "train" if i < n_train else "val" if i < n_train + n_val else "test"

    out = sorted(rows, key=lambda r: r["image_id"])
    with open(args.out, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["image_id", "lesion_id", "dx", "split"])
        for r in out:
            w.writerow([r["image_id"], r["lesion_id"], r["dx"], lesion_split[r["lesion_id"]]])

    counts = defaultdict(lambda: defaultdict(int))
    for r in out:
        counts[lesion_split[r["lesion_id"]]][r["dx"]] += 1
    for name, _ in FRACTIONS:
        c = counts[name]
        print(f"{name:5s} images={sum(c.values()):5d} " + " ".join(f"{k}={c[k]}" for k in sorted(c)))


if __name__ == "__main__":
    main()
