"""Preprocessing shared by training, evaluation and the parity reference.

The Rust side (crate/src/skin/preprocess.rs) implements the same arithmetic; keep them in step.

    photo (RGB, any size, orientation already applied)
      -> the whole photo area-resized (squashed) to SIZE x SIZE (each output pixel is the
         coverage-weighted mean of the input pixels under its footprint; anti-aliased for any
         downscale, no library resampler so both languages compute the same numbers). The whole
         photo, not a centre crop: a clinical close-up's lesion is not always in the middle.
      -> x = (v / 255 - mean[c]) / std[c], CHW float32 (Lite0: mean 127/255, std 128/255)
"""
import functools

import numpy as np


@functools.lru_cache(maxsize=64)
def area_weights(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) matrix: row j averages the input cells covered by [j*r, (j+1)*r)."""
    r = n_in / n_out
    w = np.zeros((n_out, n_in), dtype=np.float64)
    for j in range(n_out):
        lo, hi = j * r, (j + 1) * r
        i0, i1 = int(np.floor(lo)), min(int(np.ceil(hi)), n_in)
        for i in range(i0, i1):
            w[j, i] = (min(hi, i + 1) - max(lo, i)) / r
    return w


def area_resize(rgb: np.ndarray, out_w: int, out_h: int) -> np.ndarray:
    """HWC uint8/float -> HWC float64, resized by area averaging."""
    h, w = rgb.shape[:2]
    wy, wx = area_weights(h, out_h), area_weights(w, out_w)
    c = rgb.shape[2]
    rows = (wy @ rgb.reshape(h, w * c).astype(np.float64)).reshape(out_h, w, c)  # vertical pass
    cols = rows.transpose(0, 2, 1).reshape(out_h * c, w) @ wx.T  # horizontal pass
    return cols.reshape(out_h, c, out_w).transpose(0, 2, 1)


def to_input(rgb: np.ndarray, size: int, mean, std) -> np.ndarray:
    """The exact inference preprocessing: HWC uint8 RGB -> CHW float32 normalised."""
    sq = area_resize(rgb, size, size) / 255.0
    x = (sq - np.asarray(mean)) / np.asarray(std)
    return x.transpose(2, 0, 1).astype(np.float32)
