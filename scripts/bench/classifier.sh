#!/usr/bin/env bash
# Skin classifier latency: candle native vs onnxruntime (Python) on the same weights, batch 1.
# Numbers go to BENCHMARKS.md and models/skin/README.md. Not a test: no thresholds.
#   scripts/bench/classifier.sh [PYTHON]   (PYTHON: an env with scripts/train/requirements.txt)
set -euo pipefail
cd "$(dirname "$0")/../.."
PY="${1:-/work/venv-torch/bin/python}"
echo "machine: $(nproc) cores, $(uname -m); load: $(cut -d' ' -f1-3 /proc/loadavg)"
cargo run -q -p hifu --example bench_classifier
"$PY" scripts/bench/classifier_ort.py
