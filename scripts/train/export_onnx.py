#!/usr/bin/env python3
"""models/skin/skin.onnx from the committed models/skin/skin.safetensors (for benchmarks:
onnxruntime native / onnxruntime-web). Not committed: reproducible from the safetensors with
this script (needs torch + onnx + onnxruntime from requirements.txt). The int8 weights are
restored to float32, as the crate does at load time.

    /work/venv-torch/bin/python scripts/train/export_onnx.py
"""
import json
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file

from lite0 import FoldedLite0, restore

OUT = Path(__file__).resolve().parents[2] / "models/skin"


class LogitsOnly(torch.nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(x)


def export(out_dir=OUT):
    size = json.loads((out_dir / "calibration.json").read_text())["preprocessing"]["size"]
    net = LogitsOnly(FoldedLite0(restore(load_file(out_dir / "skin.safetensors")))).eval()
    dummy = torch.zeros(1, 3, size, size)
    torch.onnx.export(net, dummy, out_dir / "skin.onnx", input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, opset_version=17, dynamo=False)
    import onnxruntime as ort
    x = torch.from_numpy(np.random.default_rng(0).standard_normal((4, 3, size, size)).astype(np.float32))
    sess = ort.InferenceSession(str(out_dir / "skin.onnx"), providers=["CPUExecutionProvider"])
    diff = np.abs(sess.run(None, {"input": x.numpy()})[0] - net(x).detach().numpy()).max()
    print(f"wrote {out_dir / 'skin.onnx'}; onnxruntime vs torch max |logit diff| = {diff:.2e}")
    return float(diff)


if __name__ == "__main__":
    export()
