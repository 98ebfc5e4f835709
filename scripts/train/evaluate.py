#!/usr/bin/env python3
"""Touch the test split once: metrics and plots of the exported model (models/skin/).

    python scripts/train/evaluate.py --workdir /work/skin-run

Runs the shipped artefacts (skin.safetensors with its int8 weights restored as the crate does,
calibration.json), not the training checkpoint, and writes models/skin/metrics.json,
confusion_matrix.png and reliability.png. Test sets: the HAM10000 lesion split, the MED-NODE
file split, and the SD-198 / DermNet folders held out whole (sources.py); faces and scenes for
the OOD gate: every 5th LFW portrait (from the 1st) and the even-numbered ../shared/faces/images photos.
"""
import argparse
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from sklearn.metrics import confusion_matrix, roc_auc_score

import data
from calibrate import OUT, negatives, outputs
from lite0 import FoldedLite0, restore


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


def mahalanobis(feats, t):
    z = (feats - t["ood.center"]) @ t["ood.projection"].T
    d = z[:, None, :] - t["ood.class_means"][None]
    return torch.einsum("nkc,cd,nkd->nk", d, t["ood.precision"], d).min(dim=1).values


def ood_score(calib, logits, feats, t):
    kind = calib["ood"]["score"]
    if kind == "mahalanobis":
        return mahalanobis(feats, t).numpy()
    if kind == "energy":
        return (-torch.logsumexp(logits, 1)).numpy()
    return (-logits.max(1).values).numpy()


def accepted_as_skin(calib, logits, feats, t):
    """Both gates as the crate applies them: the distance score and the discriminator."""
    ok = ood_score(calib, logits, feats, t) <= calib["ood"]["max_score"]
    disc = calib["ood"].get("discriminator")
    if disc is not None:
        d = (feats @ t["ood.discriminator.weight"] + t["ood.discriminator.bias"]).numpy()
        ok &= d <= disc["max_score"]
    return ok


def class_metrics(y, p, present):
    """Per-class sensitivity/specificity/AUC over the classes present in y."""
    pred = p.argmax(1)
    out = {}
    for k in present:
        pos = y == k
        out[data.CLASSES[k]] = {"n": int(pos.sum()), "sensitivity": float((pred[pos] == k).mean()),
                                "specificity": float((pred[~pos] != k).mean()) if (~pos).any() else None,
                                "auc_ovr": float(roc_auc_score(pos, p[:, k])) if 0 < pos.sum() < len(y) else None}
    return out


def alert_metrics(points, y, p):
    out = {}
    for pt in points:
        idx = [data.CLASSES.index(c) for c in pt["classes"]]
        score, pos = p[:, idx].sum(1), np.isin(y, idx)
        if pos.any() and (~pos).any():
            out[pt["name"]] = {"threshold": pt["threshold"], "n_positive": int(pos.sum()),
                               "sensitivity": float((score[pos] >= pt["threshold"]).mean()),
                               "specificity": float((score[~pos] < pt["threshold"]).mean()),
                               "auc": float(roc_auc_score(pos, score))}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workdir", default="/work/skin-run")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    calib = json.loads((OUT / "calibration.json").read_text())
    size, T = calib["preprocessing"]["size"], calib["temperature"]
    t = restore(load_file(OUT / "skin.safetensors"))
    net = FoldedLite0(t).eval()
    rows, _, evals, eval_index, labels, split, source = data.build(size, args.workdir)
    te = np.where(split == "test")[0]
    logits, feats = outputs(net, evals[eval_index[te]])
    y, src = labels[te], source[te]
    p_raw = F.softmax(logits, 1).numpy()
    p = F.softmax(logits / T, 1).numpy()
    conf, pred = p.max(1), p.argmax(1)
    sure = conf >= calib["not_sure"]["min_confidence"]
    skin = accepted_as_skin(calib, logits, feats, t)
    other = data.CLASSES.index("other")
    mel, nv = data.CLASSES.index("mel"), data.CLASSES.index("nv")

    def subset(mask):
        ys, ps = y[mask], p[mask]
        present = sorted(set(ys.tolist()))
        per = class_metrics(ys, ps, present)
        out = {"n": int(mask.sum()), "accuracy": float((ps.argmax(1) == ys).mean()),
               "balanced_accuracy": float(np.mean([per[data.CLASSES[k]]["sensitivity"] for k in present])),
               "per_class": per, "alerts": alert_metrics(calib["operating_points"], ys, ps),
               "ood_accepted": float(skin[mask].mean()),
               "not_sure_coverage": float(sure[mask].mean())}
        if len(present) > 2:
            cols = present
            pp = ps[:, cols] / ps[:, cols].sum(1, keepdims=True)
            out["macro_auc_ovr"] = float(roc_auc_score(ys, pp, multi_class="ovr", labels=cols, average="macro"))
        if mel in present and (ys != mel).any():
            out["melanoma_vs_rest_auc"] = float(roc_auc_score(ys == mel, ps[:, mel]))
        return out

    ham = src == "ham10000"
    clinical = ~ham
    metrics = {"split": "test (evaluated once)", "n": int(len(y)), "ham10000": subset(ham), "clinical": subset(clinical)}
    for s in ("mednode", "sd198", "dermnet"):
        metrics[s] = subset(src == s)
    mn = src == "mednode"
    metrics["mednode"]["melanoma_vs_naevus_auc"] = float(roc_auc_score(y[mn] == mel, p[mn, mel]))
    # Non-tumour conditions (the `other` folders held out whole): how often a confident
    # suggestion of one of the seven lesion types, or any malignancy alert, is given.
    nt = clinical & (y == other)
    confident_tumour = skin & sure & (pred != other)
    malignant_alert = next(a for a in calib["operating_points"] if a["name"] == "malignant")
    mal_idx = [data.CLASSES.index(c) for c in malignant_alert["classes"]]
    metrics["non_tumour_clinical"] = {
        "n": int(nt.sum()), "folders": sorted({rows[i]["folder"] for i in te[nt]}),
        "confident_lesion_suggestion": float(confident_tumour[nt].mean()),
        "confident_malignant_suggestion": float((confident_tumour & np.isin(pred, mal_idx))[nt].mean()),
        "malignancy_alert_raised": float((skin & (p[:, mal_idx].sum(1) >= malignant_alert["threshold"]))[nt].mean()),
        "answered_other": float((pred == other)[nt].mean()),
    }
    e_raw, rows_raw = ece(p_raw, y)
    e_cal, rows_cal = ece(p, y)
    metrics["ece15_before_temperature"], metrics["ece15_after_temperature"] = e_raw, e_cal
    metrics["ece15_after_temperature_ham10000"] = ece(p[ham], y[ham])[0]
    metrics["nll_after_temperature"] = float(F.cross_entropy(logits / T, torch.from_numpy(y)).item())
    neg = {}
    for kind, paths in negatives("test").items():
        lo, fe = outputs(net, data.eval_images(paths, size))
        neg[kind] = {"n": len(paths), "rejected": float((~accepted_as_skin(calib, lo, fe, t)).mean())}
    metrics["ood_negatives_test"] = neg
    cm = confusion_matrix(y, pred, labels=range(len(data.CLASSES)))
    metrics["confusion_matrix"] = {"classes": list(data.CLASSES), "rows_true_cols_predicted": cm.tolist()}
    (OUT / "metrics.json").write_text(json.dumps(metrics, indent=1))
    brief = {k: {kk: vv for kk, vv in v.items() if kk not in ("per_class",)} if isinstance(v, dict) else v
             for k, v in metrics.items() if k != "confusion_matrix"}
    print(json.dumps(brief, indent=1))

    n = len(data.CLASSES)
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.5))
    norm = cm / np.maximum(cm.sum(1, keepdims=True), 1)
    for ax, mat, title, fmt in ((axes[0], cm, "counts", "d"), (axes[1], norm, "row-normalised (recall)", ".2f")):
        ax.imshow(mat, cmap="Blues")
        ax.set_xticks(range(n), data.CLASSES)
        ax.set_yticks(range(n), data.CLASSES)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title(f"test confusion matrix (all sources), {title}")
        for i in range(n):
            for j in range(n):
                v = mat[i, j]
                ax.text(j, i, format(v, fmt), ha="center", va="center",
                        color="white" if v > mat.max() * 0.6 else "black", fontsize=8)
    fig.tight_layout()
    fig.savefig(OUT / "confusion_matrix.png", dpi=90)

    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.plot([0, 1], [0, 1], "k--", lw=1)
    for r, lab in ((rows_raw, f"before T (ECE {e_raw:.3f})"), (rows_cal, f"after T={T:.2f} (ECE {e_cal:.3f})")):
        ax.plot([q[4] for q in r], [q[3] for q in r], "o-", label=lab)
    ax.set_xlabel("mean top-1 confidence (15 bins)")
    ax.set_ylabel("accuracy")
    ax.set_title("EfficientNet-Lite0 reliability, test split")
    ax.legend()
    fig.tight_layout()
    fig.savefig(OUT / "reliability.png", dpi=90)


if __name__ == "__main__":
    main()
