#!/usr/bin/env python3
"""Produces tests/parity/yunet/reference.safetensors: the raw output maps of the reference
YuNet-n (onnxruntime on the upstream ONNX export) for a few photos, which
crate/tests/face_parity.rs compares against hifu's candle implementation.

Input preparation (mirrored exactly by the Rust test, no resampling so both sides see the
same numbers): decode the JPEG to RGB (8-bit) with hifu's own decoder (the `decode_rgb`
example: PIL's libjpeg-turbo differs from the `image` crate by ±1 in places), keep every
`step`-th pixel in both directions, zero-pad bottom/right to multiples of 32, reorder to BGR,
float32 0-255, NCHW. The sum of each input tensor is stored too, so an input mismatch shows up
as such and not as a model difference.

Usage (from the repository root):
  python3 -m venv /tmp/venv-yunet && /tmp/venv-yunet/bin/pip install -r tests/parity/yunet/requirements.txt
  /tmp/venv-yunet/bin/python tests/parity/yunet/make_reference.py [SHARED_DIR]
SHARED_DIR defaults to ../shared (photos under faces/, the model under weights/yunet/).
"""
import json
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
from safetensors.numpy import save_file

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from decode_rgb import decode  # noqa: E402

# (name, path under SHARED_DIR, step): keep in sync with PHOTOS in crate/tests/face_parity.rs.
PHOTOS = [
    ("pascal", "faces/images/2007_007763.jpg", 2),
    ("meeting", "faces/images/11_Meeting_Meeting_11_Meeting_Meeting_11_176.jpg", 2),
    ("lfw", "faces/lfw/Aaron_Guiel_0001.jpg", 1),
]
OUTPUTS = ["cls", "obj", "bbox", "kps"]
STRIDES = [8, 16, 32]


def prepare(path: Path, step: int) -> np.ndarray:
    rgb = decode(path, step)
    h, w, _ = rgb.shape
    ph, pw = -(-h // 32) * 32, -(-w // 32) * 32
    padded = np.zeros((ph, pw, 3), dtype=np.float32)
    padded[:h, :w] = rgb[:, :, ::-1]
    return padded.transpose(2, 0, 1)[None].copy()


def main() -> None:
    shared = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared")
    model = shared / "weights/yunet/yunet_n_dynamic.onnx"
    session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    names = [f"{o}_{s}" for o in OUTPUTS for s in STRIDES]
    tensors, meta = {}, {}
    for key, rel, step in PHOTOS:
        x = prepare(shared / rel, step)
        maps = session.run(names, {"input": x})
        for name, value in zip(names, maps):
            tensors[f"{key}.{name}"] = np.ascontiguousarray(value[0], dtype=np.float32)
        meta[key] = json.dumps(
            {"path": rel, "step": step, "shape": list(x.shape), "input_sum": float(x.sum(dtype=np.float64))}
        )
    meta["producer"] = "tests/parity/yunet/make_reference.py, onnxruntime " + ort.__version__
    out = Path(__file__).with_name("reference.safetensors")
    save_file(tensors, str(out), metadata=meta)
    print(f"wrote {out} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
