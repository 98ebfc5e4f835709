#!/usr/bin/env python3
"""Reference outputs for crate/tests/skin_parity.rs, from PyTorch on the exported weights.

    /work/venv-torch/bin/python tests/parity/skin/make_reference.py [--images ../shared/data/ham10000/images]

Writes reference.json beside this script. For each fixture:
- a synthetic photo (formula below, 203x151, so the crop and the area resize are both
  non-trivial) with a sample of its preprocessed input values — the decoder plays no part, so
  preprocessing and network parity are checked on identical pixels;
- a few HAM10000 photos read by name (not committed), decoded by Pillow; the sum of their decoded
  pixels is stored so the Rust test can tell a decoder difference from a model difference.
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
from model import FoldedSkinNet  # noqa: E402

FIXTURES = ["ISIC_0024306", "ISIC_0024315", "ISIC_0024329", "ISIC_0024418", "ISIC_0027419"]
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
    h = x
    for c in net.convs:
        h = F.relu(c(h))
    logits = net.classifier(h.mean(dim=(2, 3)))[0]
    top = int(logits.argmax())
    cam = torch.einsum("c,chw->hw", net.classifier.weight[top], h[0])
    return x[0], logits, top, cam


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", default=str(ROOT.parent / "shared/data/ham10000/images"))
    args = ap.parse_args()
    from PIL import Image

    calib = json.loads((ROOT / "models/skin/calibration.json").read_text())
    net = FoldedSkinNet(load_file(ROOT / "models/skin/skin.safetensors")).eval()
    out = {"produced_by": "tests/parity/skin/make_reference.py (PyTorch %s, float32, CPU)" % torch.__version__,
           "temperature": calib["temperature"], "fixtures": []}
    inputs = [("synthetic", synthetic())]
    for name in FIXTURES:
        with Image.open(Path(args.images) / f"{name}.jpg") as im:
            inputs.append((name, np.asarray(im.convert("RGB"))))
    with torch.no_grad():
        for name, rgb in inputs:
            x, logits, top, cam = run(net, calib, rgb)
            entry = {"name": name, "width": rgb.shape[1], "height": rgb.shape[0],
                     "decoded_pixel_sum": int(rgb.astype(np.int64).sum()),
                     "logits": logits.tolist(),
                     "probabilities": F.softmax(logits / calib["temperature"], 0).tolist(),
                     "top": top, "cam_raw": cam.tolist()}
            if name == "synthetic":
                entry["input_samples"] = [[c, y, xx, float(x[c, y, xx])] for c, y, xx in SAMPLE_POSITIONS]
                entry["input_channel_sums"] = x.sum(dim=(1, 2)).tolist()
            out["fixtures"].append(entry)
    (HERE / "reference.json").write_text(json.dumps(out, indent=1))
    print(f"wrote {HERE / 'reference.json'}")


if __name__ == "__main__":
    main()
