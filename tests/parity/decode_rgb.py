"""The parity references' photo decoding, shared by make_reference.py in centerface/, ppocr/
and yunet/: hifu's own decoder (`cargo run --example decode_rgb`), so the reference and the
candle port see the same pixels."""

import subprocess
from pathlib import Path

import numpy as np


def decode(path: Path, step: int) -> np.ndarray:
    """The photo at `path`, every `step`-th pixel, as an H×W×3 uint8 RGB array."""
    raw = subprocess.run(
        ["cargo", "run", "-q", "-p", "hifu", "--example", "decode_rgb", "--", str(path), str(step)],
        check=True, capture_output=True,
    ).stdout
    header, pixels = raw.split(b"\n", 1)
    w, h = map(int, header.split())
    return np.frombuffer(pixels, dtype=np.uint8).reshape(h, w, 3)
