"""Fits the tattoo flag: a logistic regression on the skin classifier's pooled features, as the
crate computes them (`cargo run --release --example skin_features`), and writes
models/tattoo/tattoo.json (weights, bias, threshold) and models/tattoo/metrics.json.

Data (../shared/data; licences in models/tattoo/README.md):
- positives: BIVTatt tattoo photos (data/tattoo), split by subject (a keyed hash of the subject
  label: 60 % train, 20 % validation, 20 % test); each photo and its mirror image.
- negatives: clinical photos without tattoos, in the splits of models/skin/clinical_split.csv
  (MED-NODE, SD-198, DermNet; DermNet's training part subsampled to 600) and 500 HAM10000
  photos in the splits of models/skin/split.csv.

Validation chooses the regularisation and the threshold (the 99th percentile of the validation
negatives' scores, so about 1 % of clinical photos without a tattoo are flagged); the test split
is scored once, after everything is fixed.

    python scripts/train/tattoo.py WORKDIR   # WORKDIR holds pos.csv/pos.f32, neg.csv/neg.f32
"""
import csv
import json
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

ROOT = Path(__file__).resolve().parents[2]


def load(work, name, views):
    rows = list(csv.DictReader(open(work / f"{name}.csv", newline="")))
    raw = np.fromfile(work / f"{name}.f32", dtype="<f4")
    dim = raw.size // (len(rows) * views)
    feats = raw.reshape(len(rows), views, dim)
    return rows, feats


def main():
    work = Path(sys.argv[1])
    pos_rows, pos = load(work, "pos", 2)
    neg_rows, neg = load(work, "neg", 1)
    split_p = np.array([r["split"] for r in pos_rows])
    split_n = np.array([r["split"] for r in neg_rows])
    ok_p = np.isfinite(pos).all(axis=(1, 2))
    ok_n = np.isfinite(neg).all(axis=(1, 2))

    def part(split):
        p = pos[(split_p == split) & ok_p]
        n = neg[(split_n == split) & ok_n][:, 0]
        return p, n

    tr_p, tr_n = part("train")
    va_p, va_n = part("val")
    te_p, te_n = part("test")
    x_tr = np.concatenate([tr_p.reshape(-1, tr_p.shape[-1]), tr_n])
    y_tr = np.concatenate([np.ones(len(tr_p) * 2), np.zeros(len(tr_n))])
    mean, std = x_tr.mean(0), x_tr.std(0) + 1e-6

    best = None
    for c in [0.001, 0.003, 0.01, 0.03, 0.1]:
        clf = LogisticRegression(C=c, class_weight="balanced", max_iter=5000)
        clf.fit((x_tr - mean) / std, y_tr)
        s_vp = clf.decision_function((va_p[:, 0] - mean) / std)
        s_vn = clf.decision_function((va_n - mean) / std)
        threshold = float(np.quantile(s_vn, 0.99))
        recall = float((s_vp > threshold).mean())
        auc = roc_auc_score(np.r_[np.ones(len(s_vp)), np.zeros(len(s_vn))], np.r_[s_vp, s_vn])
        print(f"C={c}: val AUROC {auc:.4f}, recall at 1 % false flags {recall:.3f}")
        key = (recall, auc)
        if best is None or key > best[0]:
            best = (key, c, clf, threshold)
    (_, c, clf, threshold) = best
    # Fold the standardisation into the linear weights: score = w·f + b.
    w = clf.coef_[0] / std
    b = float(clf.intercept_[0] - (clf.coef_[0] * mean / std).sum())
    score = lambda f: f @ w + b
    s_vp, s_vn = score(va_p[:, 0]), score(va_n)
    s_tp, s_tn = score(te_p[:, 0]), score(te_n)
    per_source = {}
    for source in sorted(set(r["source"] for r in neg_rows)):
        m = np.array([r["source"] == source for r in neg_rows]) & (split_n == "test") & ok_n
        per_source[source] = {"photos": int(m.sum()), "flagged": float((score(neg[m][:, 0]) > threshold).mean()) if m.sum() else None}
    metrics = {
        "chosen_C": c,
        "threshold": threshold,
        "validation": {"tattoo_photos": len(s_vp), "tattoo_flagged": float((s_vp > threshold).mean()),
                        "negatives": len(s_vn), "negatives_flagged": float((s_vn > threshold).mean())},
        "test": {"tattoo_photos": len(s_tp), "tattoo_flagged": float((s_tp > threshold).mean()),
                  "negatives": len(s_tn), "negatives_flagged": float((s_tn > threshold).mean()),
                  "negatives_flagged_per_source": per_source,
                  "auroc": float(roc_auc_score(np.r_[np.ones(len(s_tp)), np.zeros(len(s_tn))], np.r_[s_tp, s_tn]))},
        "subjects": {s: int(len({r["group"] for r in pos_rows if r["split"] == s})) for s in ("train", "val", "test")},
    }
    print(json.dumps(metrics, indent=2))
    out = ROOT / "models/tattoo"
    out.mkdir(exist_ok=True)
    json.dump({
        "format": "hifu-tattoo-head-v1",
        "features": "pooled features of models/skin/skin.safetensors (EfficientNet-Lite0, as hifu::skin computes them)",
        "weights": [round(float(v), 7) for v in w],
        "bias": round(b, 6),
        "threshold": round(threshold, 6),
    }, open(out / "tattoo.json", "w"))
    json.dump(metrics, open(out / "metrics.json", "w"), indent=2)


if __name__ == "__main__":
    main()
