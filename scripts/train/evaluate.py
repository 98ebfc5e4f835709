#!/usr/bin/env python3
"""Touch the test split once: metrics and plots of the exported model (models/skin/).

    python scripts/train/evaluate.py --workdir /work/skin-run

Runs the shipped artefacts (skin.safetensors + calibration.json), not the training checkpoint,
and writes models/skin/metrics.json, confusion_matrix.png, reliability.png.
"""
import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from sklearn.metrics import confusion_matrix, roc_auc_score

import data
from calibrate import FACES, OUT, folded_outputs, image_inputs, ood_scores
from model import FoldedSkinNet
from train import normalise


def ece(probs: np.ndarray, y: np.ndarray, bins=15):
    """Expected calibration error of the top-1 confidence, equal-width bins."""
    conf, pred = probs.max(1), probs.argmax(1)
    edges = np.linspace(0, 1, bins + 1)
    total, rows = 0.0, []
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = (conf > lo) & (conf <= hi)
        if m.any():
            acc, c = (pred[m] == y[m]).mean(), conf[m].mean()
            total += m.mean() * abs(acc - c)
            rows.append((lo, hi, int(m.sum()), float(acc), float(c)))
    return float(total), rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workdir", default="/work/skin-run")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    calib = json.loads((OUT / "calibration.json").read_text())
    pre = calib["preprocessing"]
    size, mean, std, T = pre["size"], pre["mean"], pre["std"], calib["temperature"]
    tensors = load_file(OUT / "skin.safetensors")
    net = FoldedSkinNet(tensors).eval()
    _, evals, labels, split, ids = data.build(size, cache_dir=args.workdir)
    idx = np.where(split == "test")[0]
    x = normalise(torch.from_numpy(evals[idx]), mean, std)
    y = labels[idx]
    logits, feats = folded_outputs(net, x)
    p_raw = F.softmax(logits, 1).numpy()
    p_cal = F.softmax(logits / T, 1).numpy()
    pred = p_cal.argmax(1)
    classes = calib["classes"]
    cm = confusion_matrix(y, pred, labels=range(len(classes)))
    per_class = {}
    for k, c in enumerate(classes):
        tp, fn = cm[k, k], cm[k].sum() - cm[k, k]
        fp = cm[:, k].sum() - tp
        tn = cm.sum() - tp - fn - fp
        per_class[c] = {"n": int(cm[k].sum()), "sensitivity": float(tp / (tp + fn)), "specificity": float(tn / (tn + fp)),
                        "auc_ovr": float(roc_auc_score(y == k, p_cal[:, k]))}
    mel = classes.index("mel")
    ece_raw, _ = ece(p_raw, y)
    ece_cal, rows_cal = ece(p_cal, y)
    _, rows_raw = ece(p_raw, y)

    conf = p_cal.max(1)
    sure = conf >= calib["not_sure"]["min_confidence"]
    means, precision = tensors["ood.class_means"], tensors["ood.precision"]
    name, thr = calib["ood"]["score"], calib["ood"]["max_score"]
    s_test = ood_scores(logits, feats, means, precision)[name].numpy()
    ood = {"test_skin_accepted": float((s_test <= thr).mean())}
    for sub in ("images", "lfw"):
        paths = sorted((FACES / sub).glob("*.jpg"))
        fl, ff = folded_outputs(net, image_inputs(paths, size, mean, std))
        s = ood_scores(fl, ff, means, precision)[name].numpy()
        ood[f"faces_{sub}_rejected"] = float((s > thr).mean())
        ood[f"faces_{sub}_n"] = len(paths)
        ood[f"faces_{sub}_auroc"] = float(roc_auc_score(np.r_[np.zeros(len(s_test)), np.ones(len(s))], np.r_[s_test, s]))

    metrics = {
        "split": "test", "n": int(len(y)),
        "accuracy": float((pred == y).mean()),
        "balanced_accuracy": float(np.mean([per_class[c]["sensitivity"] for c in classes])),
        "macro_auc_ovr": float(roc_auc_score(y, p_cal, multi_class="ovr", average="macro")),
        "melanoma_vs_rest_auc": float(roc_auc_score(y == mel, p_cal[:, mel])),
        "ece15_before_temperature": ece_raw, "ece15_after_temperature": ece_cal,
        "nll_before_temperature": float(F.cross_entropy(logits, torch.from_numpy(y)).item()),
        "nll_after_temperature": float(F.cross_entropy(logits / T, torch.from_numpy(y)).item()),
        "per_class": per_class, "confusion_matrix": cm.tolist(),
        "not_sure": {"coverage": float(sure.mean()), "selective_accuracy": float((pred[sure] == y[sure]).mean())},
        "ood": ood,
    }
    (OUT / "metrics.json").write_text(json.dumps(metrics, indent=1))
    print(json.dumps({k: v for k, v in metrics.items() if k not in ("per_class", "confusion_matrix")}, indent=1))
    for c in classes:
        print(c, per_class[c])

    fig, axes = plt.subplots(1, 2, figsize=(12, 5))
    for ax, mat, title, fmt in ((axes[0], cm, "counts", "d"),
                                (axes[1], cm / cm.sum(1, keepdims=True), "row-normalised (recall)", ".2f")):
        ax.imshow(mat, cmap="Blues")
        ax.set_xticks(range(7), classes)
        ax.set_yticks(range(7), classes)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title(f"SkinNet test confusion matrix, {title}")
        for i in range(7):
            for j in range(7):
                v = mat[i, j]
                ax.text(j, i, format(v, fmt), ha="center", va="center",
                        color="white" if v > mat.max() * 0.6 else "black", fontsize=8)
    fig.tight_layout()
    fig.savefig(OUT / "confusion_matrix.png", dpi=90)

    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.plot([0, 1], [0, 1], "k--", lw=1)
    for rows, lab in ((rows_raw, f"before T (ECE {ece_raw:.3f})"), (rows_cal, f"after T={T:.2f} (ECE {ece_cal:.3f})")):
        ax.plot([r[4] for r in rows], [r[3] for r in rows], "o-", label=lab)
    ax.set_xlabel("mean top-1 confidence (15 bins)")
    ax.set_ylabel("accuracy")
    ax.set_title("SkinNet reliability, test split")
    ax.legend()
    fig.tight_layout()
    fig.savefig(OUT / "reliability.png", dpi=90)


if __name__ == "__main__":
    main()
