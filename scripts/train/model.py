"""SkinNet: a plain CNN for the browser (no grouped/depthwise convs, which candle runs slowly).

Four stages, each `conv3x3 stride 2 -> BN -> ReLU -> conv3x3 -> BN -> ReLU`, then global
average pooling, dropout and one linear layer. Because the head is GAP + linear, the class
activation map of class k is sum_c W[k, c] * feature[c] (Zhou et al. 2016, "Learning Deep
Features for Discriminative Localization", arXiv:1512.04150) — no extra network needed.

Export folds every BatchNorm into the preceding conv (conv gets a bias); `FoldedSkinNet` is
that exported form and is what crate/src/skin/model.rs mirrors.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

WIDTHS = (32, 64, 128, 256)


def conv_layout(widths=WIDTHS):
    """[(in, out, stride)] for the 8 convs."""
    out, c_in = [], 3
    for w in widths:
        out += [(c_in, w, 2), (w, w, 1)]
        c_in = w
    return out


class SkinNet(nn.Module):
    def __init__(self, num_classes=7, widths=WIDTHS, dropout=0.2):
        super().__init__()
        layers = []
        for c_in, c_out, s in conv_layout(widths):
            layers += [nn.Conv2d(c_in, c_out, 3, s, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]
        self.features = nn.Sequential(*layers)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(widths[-1], num_classes)

    def forward(self, x, return_features=False):
        f = self.features(x)
        pooled = f.mean(dim=(2, 3))
        logits = self.classifier(self.dropout(pooled))
        return (logits, pooled, f) if return_features else logits


def fold(model: SkinNet) -> dict:
    """BN-folded float32 tensors named conv{i}.weight/bias, classifier.weight/bias."""
    out, i = {}, 0
    mods = list(model.features)
    for k in range(0, len(mods), 3):
        conv, bn = mods[k], mods[k + 1]
        scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        out[f"conv{i}.weight"] = (conv.weight * scale[:, None, None, None]).detach().float().contiguous()
        out[f"conv{i}.bias"] = (bn.bias - bn.running_mean * scale).detach().float().contiguous()
        i += 1
    out["classifier.weight"] = model.classifier.weight.detach().float().contiguous()
    out["classifier.bias"] = model.classifier.bias.detach().float().contiguous()
    return out


class FoldedSkinNet(nn.Module):
    """Inference-only mirror of the exported tensors (used for parity and ONNX)."""

    def __init__(self, tensors: dict, widths=WIDTHS):
        super().__init__()
        self.layout = conv_layout(widths)
        self.convs = nn.ModuleList()
        for i, (c_in, c_out, s) in enumerate(self.layout):
            c = nn.Conv2d(c_in, c_out, 3, s, 1)
            c.weight.data = tensors[f"conv{i}.weight"].clone()
            c.bias.data = tensors[f"conv{i}.bias"].clone()
            self.convs.append(c)
        self.classifier = nn.Linear(widths[-1], tensors["classifier.weight"].shape[0])
        self.classifier.weight.data = tensors["classifier.weight"].clone()
        self.classifier.bias.data = tensors["classifier.bias"].clone()

    def forward(self, x):
        for c in self.convs:
            x = F.relu(c(x))
        return self.classifier(x.mean(dim=(2, 3)))
