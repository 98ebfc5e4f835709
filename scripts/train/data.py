"""Loads every photo of sources.all_rows() once into memory, in the two forms training needs.

- frames: the whole photo area-resized (squashed) to FRAME x FRAME, uint8, NCHW. Augmentation
  samples a rotated/zoomed/shifted SIZE x SIZE view of it.
- evals (validation and test rows only): the exact inference preprocessing of prep.to_input
  (the whole photo area-resized to SIZE x SIZE) before normalisation, as uint8-exact float32
  0..1, NCHW: the numbers computed on them are what the crate computes.
Cached as .npy under the work dir (keyed by the sizes), so calibrate/evaluate start in seconds.
"""
import json
from pathlib import Path

import numpy as np
from PIL import Image
from threadpoolctl import threadpool_limits

import prep
import sources

CLASSES = sources.CLASSES
FRAME = 256


def load_rgb(path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def build(size: int, cache_dir, frame=FRAME):
    """(rows, frames, evals, eval_index, labels, split, source) for every taking-part photo;
    evals[eval_index[i]] is row i's eval input (-1 for training rows)."""
    rows = sources.all_rows()
    cache = Path(cache_dir) / f"data_{frame}_{size}"
    key = [r["path"] for r in rows]
    if (cache / "rows.json").exists() and json.loads((cache / "rows.json").read_text()) == key:
        frames = np.load(cache / "frames.npy")
        evals = np.load(cache / "evals.npy")
    else:
        frames = np.empty((len(rows), 3, frame, frame), np.uint8)
        n_eval = sum(r["split"] != "train" for r in rows)
        evals = np.empty((n_eval, 3, size, size), np.float32)
        k = 0
        for i, r in enumerate(rows):
            with threadpool_limits(1):  # small matmuls: BLAS threads only contend
                rgb = load_rgb(sources.DATA / r["path"])
                frames[i] = np.clip(np.rint(prep.area_resize(rgb, frame, frame)), 0, 255).astype(np.uint8).transpose(2, 0, 1)
                if r["split"] != "train":
                    evals[k] = (prep.area_resize(rgb, size, size) / 255.0).transpose(2, 0, 1)
                    k += 1
            if i % 2000 == 0:
                print(f"  loaded {i}/{len(rows)}", flush=True)
        cache.mkdir(parents=True, exist_ok=True)
        np.save(cache / "frames.npy", frames)
        np.save(cache / "evals.npy", evals)
        (cache / "rows.json").write_text(json.dumps(key))
    eval_index = np.full(len(rows), -1, np.int64)
    eval_rows = [i for i, r in enumerate(rows) if r["split"] != "train"]
    eval_index[eval_rows] = np.arange(len(eval_rows))
    labels = np.array([CLASSES.index(r["dx"]) for r in rows], np.int64)
    split = np.array([r["split"] for r in rows])
    source = np.array([r["source"] for r in rows])
    return rows, frames, evals, eval_index, labels, split, source


def eval_images(paths, size):
    """Eval inputs (0..1 float32 NCHW) for photos outside the table (faces, scenes)."""
    out = np.empty((len(paths), 3, size, size), np.float32)
    for i, p in enumerate(paths):
        with threadpool_limits(1):
            out[i] = (prep.area_resize(load_rgb(p), size, size) / 255.0).transpose(2, 0, 1)
    return out
