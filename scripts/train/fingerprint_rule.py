#!/usr/bin/env python3
"""Chooses the fingerprint check's rule (crate/src/fingerprint/rule.rs, `RidgeRule`) on half 0 of
the photos and reports it on half 1, which chooses nothing (models/fingerprint/README.md).

Inputs are what `crate/examples/fingerprint_eval.rs` writes for (1) the clinical photos of
../shared and (2) the synthetic composites of `fingerprint_composites.py`, and the hand-made
labels `models/fingerprint/labels.csv` (hand, finger, palm and sole photos: `ridges` yes, no or
unclear). A photo's half is `sha256("fingerprint-split:" + its path under data/clinical)` mod 2 (as an
integer: its last byte's parity);
a composite goes with the photo it was made on.

Usage: fingerprint_rule.py REAL.jsonl REAL_BLOCKS/ COMPOSITES.jsonl COMPOSITE_BLOCKS/ \
         COMPOSITE_INDEX.jsonl LABELS.csv [--loose]
(--loose prints the photos a deliberately loose rule flags, for labelling; nothing is chosen.)
"""
import csv
import hashlib
import itertools
import json
import sys

import numpy as np
from scipy import ndimage

FIELDS = 10  # cycles, direction, prominence, concentration, contrast, R, G, B, white share, agreement
EIGHT = np.ones((3, 3), dtype=bool)


def key(path):
    marker = "data/clinical/"
    return path[path.index(marker) + len(marker):] if marker in path else path


def half(path):
    return hashlib.sha256(("fingerprint-split:" + key(path)).encode()).digest()[-1] % 2


def load(jsonl, blocks_dir):
    photos = []
    for line in open(jsonl):
        row = json.loads(line)
        data = np.fromfile(f"{blocks_dir}/{row['n']}.f32", dtype="<f4").reshape(-1, FIELDS)
        grids, offset = [], 0
        for g in row["grids"]:
            count = g["rows"] * g["columns"]
            grids.append((data[offset:offset + count].reshape(g["rows"], g["columns"], FIELDS), g["area"]))
            offset += count
        photos.append({"path": row["path"], "grids": grids, "ms": row["ms"]})
    return photos


def skin(b):
    r, g, bl = b[..., 5], b[..., 6], b[..., 7]
    return (r > 60) & (r > bl) & (r >= 0.95 * g) & (r - bl > 10)


def candidates(photo):
    """The photo's grids cut to the rows and columns that hold a block passing the loosest rule
    (the same sizes for every rule in GRID, much less to label)."""
    cut = []
    for b, area in photo["grids"]:
        if b.size == 0:
            continue
        mask = passing(b, LOOSEST)
        if mask.sum() >= LOOSEST[-1] and mask.sum() * area >= min(MIN_AREA):
            rows, cols = np.nonzero(mask.any(1))[0], np.nonzero(mask.any(0))[0]
            cut.append((b[rows.min():rows.max() + 1, cols.min():cols.max() + 1], area))
    return cut


def redness(b):
    return (b[..., 5] - b[..., 6]) / np.maximum(b[..., 5:8].sum(-1), 1.0)


def passing(b, rule):
    cycles, prominence, concentration, contrast, max_contrast, min_redness, max_white, agreement = rule[:8]
    return (b[..., 0] >= cycles) & (b[..., 2] >= prominence) & (b[..., 3] >= concentration) \
        & (b[..., 4] >= contrast) & (b[..., 4] <= max_contrast) & (b[..., 8] <= max_white) \
        & skin(b) & (redness(b) >= min_redness) & (b[..., 9] >= agreement)


def largest_patch(photo, rule):
    best = 0.0
    for b, area in photo.get("cut", photo["grids"]):
        if b.size == 0:
            continue
        mask = passing(b, rule)
        if mask.any():
            labels, n = ndimage.label(mask, structure=EIGHT)
            counts = np.bincount(labels.ravel())[1:]
            counts = counts[counts >= rule[-1]]
            if len(counts):
                best = max(best, float(counts.max()) * area)
    return best


GRID = {
    "min_cycles": [2.5],
    "min_prominence": [6.0, 10.0],
    "min_concentration": [0.65, 0.8],
    "min_contrast": [0.005],
    "max_contrast": [0.08],
    "min_redness": [0.03, 0.05, 0.08],
    "max_white_share": [0.15],
    "min_agreement": [0.0, 0.35, 0.5],
    "min_blocks": [4, 6, 9],
}
LOOSEST = (2.5, 6.0, 0.65, 0.005, 10.0, 0.03, 1.0, 0.0, 4)
MIN_AREA = [4, 6, 8, 10, 12, 16, 20, 24, 32, 48, 64]
# Room under the goals (other hand photos ≤ 5 %; any photo's flag costs a reviewer's look).
MAX_HAND_FLAGS = 0.03
MAX_OTHER_FLAGS = 0.01


def main():
    real = load(sys.argv[1], sys.argv[2])
    synth = load(sys.argv[3], sys.argv[4])
    host = {json.loads(l)["path"]: json.loads(l)["host"] for l in open(sys.argv[5])}
    labels = {row["path"]: row["ridges"] for row in csv.DictReader(open(sys.argv[6]))}
    groups = {}
    for p in real:
        label = labels.get(key(p["path"]))
        kind = {"yes": "real_ridges", "no": "hand_no_ridges", None: "other_clinical"}.get(label)
        if kind:
            groups.setdefault(kind, []).append((p, half(p["path"])))
    for p in synth:
        groups.setdefault("synthetic_ridges", []).append((p, half(host[p["path"]])))
    positives = ["synthetic_ridges", "real_ridges"]

    if "--loose" in sys.argv:
        loose = LOOSEST
        for kind in ("hand_no_ridges", "real_ridges"):
            for p, _ in groups.get(kind, []):
                print(kind, largest_patch(p, loose), key(p["path"]))
        return

    rules = list(itertools.product(*GRID.values()))
    for items in groups.values():
        for p, _ in items:
            p["cut"] = candidates(p)
    sizes = {kind: np.array([[largest_patch(p, r) for r in rules] for p, _ in items]) for kind, items in groups.items()}
    halves = {kind: np.array([h for _, h in items]) for kind, items in groups.items()}

    def rates(kind, h, r, k):
        s = sizes[kind][halves[kind] == h][:, r]
        return (s >= k).mean() if len(s) else float("nan"), int((s >= k).sum()), len(s)

    best = None
    for r, rule in enumerate(rules):
        for k in MIN_AREA:
            hand = rates("hand_no_ridges", 0, r, k)[0]
            other = rates("other_clinical", 0, r, k)[0]
            if hand > MAX_HAND_FLAGS or other > MAX_OTHER_FLAGS:
                continue
            found = sum(rates(kind, 0, r, k)[1] for kind in positives)
            total = sum(rates(kind, 0, r, k)[2] for kind in positives)
            score = (found / total, -hand - other)
            if best is None or score > best[0]:
                best = (score, r, k)
    if best is None:
        sys.exit("no rule keeps the false flags under the limits on half 0")
    _, r, k = best
    chosen = dict(zip(GRID, rules[r]))
    chosen["min_area"] = k
    report = {"rule": chosen}
    for h in (0, 1):
        report[f"half{h}"] = {
            kind: dict(zip(("rate", "flagged", "photos"), rates(kind, h, r, k))) for kind in sorted(groups)
        }
    report["ms_per_photo_median"] = float(np.median([p["ms"] for p in real]))
    print(json.dumps(report, indent=1))
    for h in (1,):
        for kind in ("hand_no_ridges", "other_clinical", "real_ridges"):
            for (p, hh), s in zip(groups[kind], sizes[kind][:, r]):
                flagged = s >= k
                if hh == h and (flagged != (kind == "real_ridges")):
                    print(f"half {h} {kind} {'flagged' if flagged else 'missed'} ({s} blocks): {key(p['path'])}", file=sys.stderr)


if __name__ == "__main__":
    main()
