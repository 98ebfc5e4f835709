#!/usr/bin/env python3
"""Network-only latency with onnxruntime (CPU, batch 1, one thread) of YuNet-n at 640×640 and the
skin classifier, on the same deterministic inputs as crate/examples/bench_models.rs.
Prints one JSON line. Run by scripts/bench (bench_models).

    /work/venv-torch/bin/python scripts/lib/bench_models_ort.py [YUNET.onnx] [--runs 30]
"""
import argparse
import json
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

ROOT = Path(__file__).resolve().parents[2]


def pattern(shape, scale):
    n = int(np.prod(shape))
    return (((np.arange(n, dtype=np.int64) * 7919) % 256).astype(np.float32) * scale).reshape(shape)


def median_ms(sess, feeds, runs):
    for _ in range(3):
        sess.run(None, feeds)
    t = []
    for _ in range(runs):
        s = time.perf_counter()
        sess.run(None, feeds)
        t.append((time.perf_counter() - s) * 1e3)
    return round(float(np.median(t)), 3)


def session(path):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("yunet", nargs="?", default=str(ROOT / "../shared/weights/yunet/yunet_n_640_640.onnx"))
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()
    out = {"onnxruntime": ort.__version__, "threads": 1}
    if Path(args.yunet).exists():
        sess = session(args.yunet)
        name = sess.get_inputs()[0].name
        out["yunet_640_ms"] = median_ms(sess, {name: pattern((1, 3, 640, 640), 1.0)}, args.runs)
    skin = ROOT / "models/skin/skin.onnx"
    if skin.exists():
        size = json.loads((ROOT / "models/skin/calibration.json").read_text())["preprocessing"]["size"]
        sess = session(skin)
        name = sess.get_inputs()[0].name
        out[f"skin_{size}_ms"] = median_ms(sess, {name: pattern((1, 3, size, size), 1.0 / 128.0)}, max(args.runs, 100))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
