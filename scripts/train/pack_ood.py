#!/usr/bin/env python3
"""Stores models/skin/skin.safetensors' OOD projection as int8 per row, in place, leaving every
other tensor byte for byte as it is. calibrate.py exports it this way since 2026-12-07
(`pack_projection`); this converts an export made before, with numpy alone (no torch needed),
rounding exactly as crate/src/nn/quant.rs and calibrate.int8_round_trip do.

    python scripts/train/pack_ood.py
"""
import json
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file, save_file

MODEL = Path(__file__).resolve().parents[2] / "models/skin/skin.safetensors"
NAME = "ood.projection"


def int8_per_row(w: np.ndarray):
    """(codes u8 = q + 128, scales f32): q = round half away from zero of w / (max |w| / 127)."""
    flat = w.astype(np.float32).reshape(w.shape[0], -1)
    scale = (np.abs(flat).max(1) / np.float32(127.0)).astype(np.float32)
    safe = np.where(scale > 0, scale, np.float32(1.0)).astype(np.float32)
    q = flat / safe[:, None]
    q = np.sign(q) * np.floor(np.abs(q) + np.float32(0.5))
    q = np.where(scale[:, None] > 0, np.clip(q, -127, 127), 0)
    return (q + 128).astype(np.uint8).reshape(w.shape), scale


def main():
    tensors = load_file(MODEL)
    if NAME not in tensors:
        print("already packed")
        return
    with open(MODEL, "rb") as fh:
        header_len = int.from_bytes(fh.read(8), "little")
        metadata = json.loads(fh.read(header_len)).get("__metadata__", {})
    metadata["weights"] = ("convolutions and ood.projection int8 per output channel "
                           "(NAME.q u8 = q + 128, NAME.scale f32)")
    w = tensors.pop(NAME)
    codes, scale = int8_per_row(w)
    back = (codes.astype(np.float32) - 128) * scale[:, None]
    worst = float((np.abs(back - w).max(1) / np.where(scale > 0, scale, 1)).max())
    assert worst <= 0.5 + 1e-4, f"rounding error {worst} steps"
    tensors[f"{NAME}.q"], tensors[f"{NAME}.scale"] = codes, scale
    save_file(tensors, MODEL, metadata=metadata)
    print(f"{MODEL}: {MODEL.stat().st_size} bytes; worst rounding {worst:.3f} of a step")


if __name__ == "__main__":
    main()
