#!/usr/bin/env python3
"""Fit the post-hoc pieces on the validation split and export the model.

    python scripts/train/calibrate.py --workdir /work/skin-run

1. Temperature scaling (Guo et al. 2017): one scalar T minimising validation NLL (LBFGS on log T).
2. "Not sure": the smallest calibrated top-1 probability threshold whose accepted validation
   predictions reach TARGET_SELECTIVE_ACCURACY (the model abstains below it).
3. "Not a skin photo": an out-of-distribution score on the pooled features, thresholded so that
   OOD_ACCEPT of validation skin photos pass. Candidates: max logit, energy (Liu et al. 2020),
   Mahalanobis distance to the nearest class mean with a shared covariance (Lee et al. 2018);
   the one with the best AUROC against ../shared/faces/images is kept (LFW stays unseen and is
   reported by evaluate.py).
4. Export models/skin/: skin.safetensors (BN folded, float32, plus the OOD statistics),
   calibration.json, labels.json, and skin.onnx (not committed; export_onnx.py remakes it).
"""
import argparse
import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps
from safetensors.torch import save_file
from sklearn.metrics import roc_auc_score

import data
import export_onnx
import prep
from model import WIDTHS, FoldedSkinNet, SkinNet, fold
from train import normalise, predict

TARGET_SELECTIVE_ACCURACY = 0.90
OOD_ACCEPT = 0.95
OUT = data.ROOT / "models/skin"
FACES = data.ROOT.parent / "shared/faces"

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
]


def load_model(workdir):
    ck = torch.load(Path(workdir) / "best.pt", map_location="cpu", weights_only=False)
    model = SkinNet()
    model.load_state_dict(ck["model"])
    model.eval()
    return model, ck


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
    # largest accepted set that meets the target -> its lowest confidence
    return float(conf[order][ok.max()])


def ood_scores(logits: torch.Tensor, feats: torch.Tensor, means: torch.Tensor, precision: torch.Tensor) -> dict:
    """Higher = more out-of-distribution, for every candidate."""
    d = feats[:, None, :] - means[None]  # N x K x C
    maha = torch.einsum("nkc,cd,nkd->nk", d, precision, d).min(dim=1).values
    return {"max_logit": -logits.max(1).values, "energy": -torch.logsumexp(logits, 1), "mahalanobis": maha}


def image_inputs(paths, size, mean, std):
    xs = []
    for p in paths:
        with Image.open(p) as im:
            rgb = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
        xs.append(prep.to_input(rgb, size, mean, std))
    return torch.from_numpy(np.stack(xs))


@torch.no_grad()
def folded_outputs(folded: FoldedSkinNet, x: torch.Tensor, batch=256):
    """logits and pooled features of the exported network."""
    lo, fe = [], []
    for k in range(0, len(x), batch):
        h = x[k:k + batch]
        for c in folded.convs:
            h = F.relu(c(h))
        p = h.mean(dim=(2, 3))
        fe.append(p)
        lo.append(folded.classifier(p))
    return torch.cat(lo), torch.cat(fe)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workdir", default="/work/skin-run")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    model, ck = load_model(args.workdir)
    size, mean, std = ck["size"], ck["mean"], ck["std"]
    frames, evals, labels, split, ids = data.build(size, cache_dir=args.workdir)
    tensors = fold(model)
    folded = FoldedSkinNet(tensors).eval()

    def split_inputs(name):
        idx = np.where(split == name)[0]
        return normalise(torch.from_numpy(evals[idx]), mean, std), torch.from_numpy(labels[idx])

    x_val, y_val = split_inputs("val")
    x_tr, y_tr = split_inputs("train")
    val_logits, val_feats = folded_outputs(folded, x_val)
    ref_logits = predict(model, evals, np.where(split == "val")[0], mean, std, "cpu")
    fold_err = (val_logits - ref_logits).abs().max().item()
    print(f"BN folding: max |logit diff| on val = {fold_err:.2e}")
    assert fold_err < 1e-3

    # Mahalanobis statistics from un-augmented training photos
    _, tr_feats = folded_outputs(folded, x_tr)
    means = torch.stack([tr_feats[y_tr == k].mean(0) for k in range(7)])
    centred = tr_feats - means[y_tr]
    cov = centred.T @ centred / len(tr_feats) + 1e-4 * torch.eye(tr_feats.shape[1])
    precision = torch.linalg.inv(cov.double()).float()

    temperature = fit_temperature(val_logits, y_val)
    probs = F.softmax(val_logits / temperature, 1)
    conf, pred = probs.max(1)
    correct = (pred == y_val).numpy().astype(np.float64)
    min_conf = confidence_threshold(conf.numpy(), correct, TARGET_SELECTIVE_ACCURACY)
    accepted = conf.numpy() >= min_conf
    sel_acc = float(correct[accepted].mean()) if accepted.any() else None
    print(f"T = {temperature:.4f}; val NLL {F.cross_entropy(val_logits, y_val):.4f} -> "
          f"{F.cross_entropy(val_logits / temperature, y_val):.4f}; not-sure below {min_conf:.4f}: "
          f"coverage {accepted.mean():.3f}, selective acc {sel_acc}")

    face_paths = sorted(p for p in (FACES / "images").glob("*.jpg"))
    x_face = image_inputs(face_paths, size, mean, std)
    face_logits, face_feats = folded_outputs(folded, x_face)
    s_val = ood_scores(val_logits, val_feats, means, precision)
    s_face = ood_scores(face_logits, face_feats, means, precision)
    aurocs = {}
    for name in s_val:
        y = np.r_[np.zeros(len(s_val[name])), np.ones(len(s_face[name]))]
        aurocs[name] = roc_auc_score(y, np.r_[s_val[name].numpy(), s_face[name].numpy()])
    ood_name = max(aurocs, key=aurocs.get)
    ood_thr = float(np.quantile(s_val[ood_name].numpy(), OOD_ACCEPT))
    face_reject = float((s_face[ood_name].numpy() > ood_thr).mean())
    print(f"OOD AUROC vs faces/images: {aurocs}; using {ood_name} <= {ood_thr:.4f}; faces rejected {face_reject:.3f}")

    OUT.mkdir(parents=True, exist_ok=True)
    export = dict(tensors)
    export["ood.class_means"] = means.contiguous()
    export["ood.precision"] = precision.contiguous()
    save_file(export, OUT / "skin.safetensors", metadata={
        "architecture": "SkinNet", "widths": json.dumps(list(WIDTHS)), "bn": "folded into conv bias",
        "training": "scripts/train/train.py", "data": "HAM10000 (CC BY-NC 4.0), doi:10.1038/sdata.2018.161"})
    calib = {
        "format": 1,
        "classes": list(data.CLASSES),
        "model": {"architecture": "SkinNet", "widths": list(WIDTHS), "convs": "3x3, pad 1, stride 2 then 1 per stage, ReLU; BN folded",
                  "head": "global average pool -> linear", "weights": "skin.safetensors", "best_epoch": ck["epoch"]},
        "preprocessing": {"orientation": "applied (EXIF) before anything else", "crop": "centre square, side = min(w, h), offset floor((w-side)/2), floor((h-side)/2)",
                          "resize": "area average", "size": size, "scale": "1/255", "mean": mean, "std": std, "layout": "NCHW RGB"},
        "temperature": temperature,
        "not_sure": {"min_confidence": min_conf, "target_selective_accuracy": TARGET_SELECTIVE_ACCURACY,
                     "val_coverage": float(accepted.mean()), "val_selective_accuracy": sel_acc},
        "ood": {"score": ood_name, "max_score": ood_thr, "val_acceptance": OOD_ACCEPT,
                "auroc_faces_images": aurocs, "faces_images_rejected": face_reject,
                "definition": {"mahalanobis": "min_k (f - class_means[k])^T precision (f - class_means[k]), f = pooled features",
                               "energy": "-logsumexp(logits)", "max_logit": "-max(logits)"}[ood_name]},
    }
    with open(OUT / "calibration.json", "w") as f:
        json.dump(calib, f, indent=1, ensure_ascii=False)
    with open(OUT / "labels.json", "w") as f:
        json.dump(LABELS, f, indent=1, ensure_ascii=False)

    export_onnx.export(OUT)
    with open(Path(args.workdir) / "val_outputs.json", "w") as f:
        json.dump({"temperature": temperature, "aurocs": aurocs}, f)


if __name__ == "__main__":
    main()
