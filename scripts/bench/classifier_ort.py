#!/usr/bin/env python3
"""Classifier latency of the ONNX export with onnxruntime (CPU, batch 1), for comparison with
candle (crate/examples/bench_classifier.rs). Network only: the input is already preprocessed.

    /work/venv-torch/bin/python scripts/bench/classifier_ort.py [--runs 200]
"""
import argparse
import json
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

ROOT = Path(__file__).resolve().parents[2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=200)
    args = ap.parse_args()
    size = json.loads((ROOT / "models/skin/calibration.json").read_text())["preprocessing"]["size"]
    x = np.random.default_rng(0).standard_normal((1, 3, size, size)).astype(np.float32)
    for threads in (1, 2):
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        sess = ort.InferenceSession(str(ROOT / "models/skin/skin.onnx"), opts, providers=["CPUExecutionProvider"])
        for _ in range(5):
            sess.run(None, {"input": x})
        t = []
        for _ in range(args.runs):
            s = time.perf_counter()
            sess.run(None, {"input": x})
            t.append((time.perf_counter() - s) * 1e3)
        print(f"onnxruntime {ort.__version__} CPU, {threads} thread(s), 1x3x{size}x{size}: median {np.median(t):.2f} ms, p90 {np.percentile(t, 90):.2f} ms")


if __name__ == "__main__":
    main()
