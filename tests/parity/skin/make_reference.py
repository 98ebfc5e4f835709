#!/usr/bin/env python3
"""Reference outputs for crate/tests/skin_parity.rs, from PyTorch on the exported weights.

    /work/venv-torch/bin/python tests/parity/skin/make_reference.py [--images DIR] [--cargo-arg ARG]...

Writes reference.json beside this script. Fixtures:
- a synthetic photo (formula below, 203x151, so the squash and the area resize are both
  non-trivial) with a sample of its preprocessed input values: identical pixels in both
  languages, so preprocessing and network parity are checked without any decoder;
- the dermoscopic and clinical photos named in fixtures.txt (paths under ../shared/data, not
  committed). JPEG decoders
  differ (zune-jpeg in the crate, libjpeg-turbo in Pillow; ~1e-2 in the logits), so the
  reference runs on the crate's own decoded pixels: this script runs the ignored Rust test
  `dump_decoded_fixtures`, which writes them as PPM into a temporary folder. The Pillow-decoded
  logits are stored beside them (`logits_pillow_decode`) to show the decoder's effect.
Each entry has the logits, calibrated probabilities and the class activation map of the top class.
"""
import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT / "scripts/train"))
import prep  # noqa: E402
from lite0 import FoldedLite0, restore  # noqa: E402

FIXTURES = [l.strip() for l in (HERE / "fixtures.txt").read_text().splitlines() if l.strip()]
SAMPLE_POSITIONS = [(c, y, x) for c in range(3) for y, x in ((0, 0), (1, 2), (17, 40), (47, 48), (95, 95), (60, 3))]


def synthetic(w=203, h=151) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    r = (x * 7 + y * 3) % 256
    g = (x * y) % 256
    b = (x + 2 * y + 40) % 256
    return np.stack([r, g, b], -1).astype(np.uint8)


def run(net, calib, rgb):
    pre = calib["preprocessing"]
    x = torch.from_numpy(prep.to_input(rgb, pre["size"], pre["mean"], pre["std"]))[None]
    logits, _, fmap = net(x, features=True)
    logits = logits[0]
    top = int(logits.argmax())
    cam = torch.einsum("c,chw->hw", net.t["classifier.weight"][top], fmap[0])
    return x[0], logits, top, cam


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(ROOT.parent / "shared/data"))
    ap.add_argument("--cargo-arg", action="append", default=[], help="extra argument for cargo test")
    args = ap.parse_args()
    import os
    import subprocess
    import tempfile

    from PIL import Image

    calib = json.loads((ROOT / "models/skin/calibration.json").read_text())
    net = FoldedLite0(restore(load_file(ROOT / "models/skin/skin.safetensors"))).eval()
    out = {"produced_by": "tests/parity/skin/make_reference.py (PyTorch %s, float32, CPU, "
                          "int8 weights restored as the crate does)" % torch.__version__,
           "temperature": calib["temperature"], "fixtures": []}
    inputs = [("synthetic", synthetic(), None)]
    with tempfile.TemporaryDirectory() as dump:
        subprocess.run(["cargo", "test", "-p", "hifu", *args.cargo_arg, "--test", "skin_parity", "--",
                        "--ignored", "--exact", "dump_decoded_fixtures"],
                       check=True, cwd=ROOT, env={**os.environ, "HIFU_SKIN_DUMP": dump})
        for name in FIXTURES:
            with Image.open(Path(dump) / (name.replace("/", "_") + ".ppm")) as im:
                crate_rgb = np.asarray(im.convert("RGB"))
            with Image.open(Path(args.data) / name) as im:
                pillow_rgb = np.asarray(im.convert("RGB"))
            inputs.append((name, crate_rgb, pillow_rgb))
    with torch.no_grad():
        for name, rgb, pillow_rgb in inputs:
            x, logits, top, cam = run(net, calib, rgb)
            entry = {"name": name, "width": rgb.shape[1], "height": rgb.shape[0],
                     "decoded_pixel_sum": int(rgb.astype(np.int64).sum()),
                     "logits": logits.tolist(),
                     "probabilities": F.softmax(logits / calib["temperature"], 0).tolist(),
                     "top": top, "cam_raw": cam.tolist()}
            if pillow_rgb is not None:
                entry["decoder"] = "crate (zune-jpeg), dumped by dump_decoded_fixtures"
                entry["logits_pillow_decode"] = run(net, calib, pillow_rgb)[1].tolist()
                entry["pixels_max_abs_diff_vs_pillow"] = int(np.abs(rgb.astype(int) - pillow_rgb.astype(int)).max())
            if name == "synthetic":
                entry["input_samples"] = [[c, y, xx, float(x[c, y, xx])] for c, y, xx in SAMPLE_POSITIONS]
                entry["input_channel_sums"] = x.sum(dim=(1, 2)).tolist()
            out["fixtures"].append(entry)
    (HERE / "reference.json").write_text(json.dumps(out, indent=1))
    print(f"wrote {HERE / 'reference.json'}")


if __name__ == "__main__":
    main()
