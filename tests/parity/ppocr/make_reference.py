#!/usr/bin/env python3
"""Produces tests/parity/ppocr/reference.safetensors: the text probability map of the reference
PP-OCRv4 detector (onnxruntime on `ch_PP-OCRv4_det_infer.onnx` from the PyPI wheel
rapidocr-onnxruntime 1.4.4, unchanged float32 weights) for a few photos, which
crate/tests/text_parity.rs compares against hifu's candle port converted in float32.

Input preparation (mirrored exactly by the Rust test, no resampling): hifu's own JPEG decode
(the `decode_rgb` example), every `step`-th pixel, cropped to the largest multiple of 32 from
the top-left, then as PaddleOCR feeds it: BGR, float32 (v / 255 - mean) / std with ImageNet's
mean and std in RGB order, NCHW. The sum of each input is stored too.

Usage (from the repository root):
  python tests/parity/ppocr/make_reference.py PATH/TO/ch_PP-OCRv4_det_infer.onnx [SHARED_DIR]
"""
import json
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
from safetensors.numpy import save_file

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from decode_rgb import decode  # noqa: E402

# (name, path under SHARED_DIR, step): keep in sync with PHOTOS in crate/tests/text_parity.rs.
PHOTOS = [
    ("dermnet", "data/clinical/dermnet/Acne vulgaris/154.jpg", 1),
    ("mednode", "data/clinical/mednode/melanoma/136733.jpg", 3),
]
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def prepare(path: Path, step: int) -> np.ndarray:
    rgb = decode(path, step)
    h, w, _ = rgb.shape
    rgb = rgb[: h // 32 * 32, : w // 32 * 32]
    bgr = rgb[:, :, ::-1].astype(np.float32)
    x = (bgr / np.float32(255) - MEAN) / STD
    return x.transpose(2, 0, 1)[None].astype(np.float32).copy()


def main() -> None:
    onnx_path = Path(sys.argv[1])
    shared = Path(sys.argv[2] if len(sys.argv) > 2 else "../shared")
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    tensors, meta = {}, {}
    for key, rel, step in PHOTOS:
        x = prepare(shared / rel, step)
        (prob,) = session.run(None, {"x": x})
        tensors[f"{key}.map"] = np.ascontiguousarray(prob[0], dtype=np.float32)
        meta[key] = json.dumps(
            {"path": rel, "step": step, "shape": list(x.shape), "input_sum": float(x.sum(dtype=np.float64))}
        )
    meta["producer"] = "tests/parity/ppocr/make_reference.py, onnxruntime " + ort.__version__
    out = Path(__file__).with_name("reference.safetensors")
    save_file(tensors, str(out), metadata=meta)
    print(f"wrote {out} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
