#!/usr/bin/env python3
"""Classifier latency of the ONNX export with onnxruntime (CPU, batch 1), for comparison with
candle (crate/examples/bench_classifier.rs). Network only: the input is already preprocessed.
Prints one JSON line per thread count. Run by scripts/bench (bench_classifier).

    /work/venv-torch/bin/python scripts/lib/bench_classifier_ort.py [--runs 200]
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
        print(json.dumps({"onnxruntime": ort.__version__, "threads": threads, "input": [1, 3, size, size],
                          "median_ms": round(float(np.median(t)), 3), "p90_ms": round(float(np.percentile(t, 90)), 3)}))


if __name__ == "__main__":
    main()
