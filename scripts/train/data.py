"""Loads HAM10000 once into memory, in the two forms training needs.

- train frames: the whole 200x150 photo area-resized to (4S/3) x S, uint8, NCHW. Augmentation
  samples a rotated/scaled/shifted S x S window from it (so crops can reach the photo's sides).
- eval inputs: the exact inference preprocessing (prep.to_input without the normalisation),
  float32 in [0, 1], NCHW — val/test numbers are computed on what the crate will compute.
Cached as .npy under the work dir (keyed by S), so calibrate/evaluate start in seconds.
"""
import csv
from pathlib import Path

import numpy as np
from PIL import Image
from threadpoolctl import threadpool_limits

import prep

CLASSES = ("akiec", "bcc", "bkl", "df", "mel", "nv", "vasc")
ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = ROOT.parent / "shared/data/ham10000"
SPLIT = ROOT / "models/skin/split.csv"


def read_split(path=SPLIT):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def load_rgb(path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def build(size: int, data_dir=DEFAULT_DATA, cache_dir=None):
    rows = read_split()
    cache = Path(cache_dir) / f"ham_{size}" if cache_dir else None
    if cache and (cache / "eval.npy").exists():
        frames = np.load(cache / "frames.npy", mmap_mode=None)
        evals = np.load(cache / "eval.npy")
    else:
        fw = size * 4 // 3
        frames = np.empty((len(rows), 3, size, fw), np.uint8)
        evals = np.empty((len(rows), 3, size, size), np.float32)
        for i, r in enumerate(rows):
            with threadpool_limits(1):  # tiny matmuls: BLAS threads only contend
                rgb = load_rgb(Path(data_dir) / "images" / f"{r['image_id']}.jpg")
                frame = prep.area_resize(rgb, fw, size)
                square = prep.area_resize(prep.centre_square(rgb), size, size)
            frames[i] = np.clip(np.rint(frame), 0, 255).astype(np.uint8).transpose(2, 0, 1)
            evals[i] = (square / 255.0).transpose(2, 0, 1)
            if i % 2000 == 0:
                print(f"  loaded {i}/{len(rows)}", flush=True)
        if cache:
            cache.mkdir(parents=True, exist_ok=True)
            np.save(cache / "frames.npy", frames)
            np.save(cache / "eval.npy", evals)
    labels = np.array([CLASSES.index(r["dx"]) for r in rows], np.int64)
    split = np.array([r["split"] for r in rows])
    ids = [r["image_id"] for r in rows]
    return frames, evals, labels, split, ids


def channel_stats(frames: np.ndarray, mask: np.ndarray):
    x = frames[mask].astype(np.float64) / 255.0
    return x.mean(axis=(0, 2, 3)).tolist(), x.std(axis=(0, 2, 3)).tolist()
