#!/usr/bin/env python3
"""Train SkinNet on the HAM10000 train split; keep the checkpoint with the best validation
balanced accuracy. Runs on CPU (2 threads) in well under an hour; uses CUDA when present.

    nice -n 10 python scripts/train/train.py --workdir /work/skin-run   # the shipped model: 30 epochs, ~20 min
    python scripts/train/train.py --measure        # time/epoch for candidate input sizes

Recipe: class-weighted cross-entropy (weights ∝ n_class^-0.3: a mild pull towards the rare
classes; n^-0.5 cost more nevus accuracy than it bought minority sensitivity), AdamW with a
one-cycle LR schedule, batched on-the-fly augmentation (any-angle rotation incl. 90° steps,
flips, ±20 % zoom, ±8 % shift, brightness/contrast/saturation/white-balance jitter) done with
one affine_grid/grid_sample per batch so two CPU cores stay on the convolutions.
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
from model import SkinNet


def seed_everything(seed):
    torch.manual_seed(seed)
    np.random.seed(seed)


def augment(frames_u8: torch.Tensor, size: int, mean, std, gen: torch.Generator) -> torch.Tensor:
    """uint8 N x 3 x S x 4S/3 frames -> normalised N x 3 x S x S augmented crops."""
    n, _, fh, fw = frames_u8.shape
    x = frames_u8.float() / 255.0
    dev = x.device
    u = lambda lo, hi: torch.rand(n, generator=gen, device=dev) * (hi - lo) + lo
    angle = torch.randint(0, 4, (n,), generator=gen, device=dev).float() * (math.pi / 2) + u(-0.35, 0.35)
    zoom = torch.exp(u(math.log(0.8), math.log(1.25)))
    flip = torch.where(torch.rand(n, generator=gen, device=dev) < 0.5, -1.0, 1.0)
    tx, ty = u(-0.08, 0.08) * size, u(-0.08, 0.08) * size
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    # output pixel offset p (in px, from the centre) -> source offset R p / zoom + t, then to
    # grid_sample's normalised source coordinates (half width fw/2, half height fh/2).
    half = size / 2
    theta = torch.zeros(n, 2, 3, device=dev)
    theta[:, 0, 0] = cos * flip * half / (fw / 2)
    theta[:, 0, 1] = -sin * half / (fw / 2)
    theta[:, 1, 0] = sin * flip * half / (fh / 2)
    theta[:, 1, 1] = cos * half / (fh / 2)
    theta[:, 0, 2] = tx / (fw / 2)
    theta[:, 1, 2] = ty / (fh / 2)
    grid = F.affine_grid(theta, (n, 3, size, size), align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)
    # colour: brightness, contrast, saturation, per-channel gain (white balance)
    x = x * u(0.8, 1.2)[:, None, None, None]
    m = x.mean(dim=(1, 2, 3), keepdim=True)
    x = (x - m) * u(0.8, 1.2)[:, None, None, None] + m
    g = x.mean(dim=1, keepdim=True)
    x = (x - g) * u(0.75, 1.25)[:, None, None, None] + g
    gain = torch.rand(n, 3, generator=gen, device=dev) * 0.1 + 0.95
    x = (x * gain[:, :, None, None]).clamp(0, 1)
    return normalise(x, mean, std)


def normalise(x, mean, std):
    m = torch.tensor(mean, device=x.device).view(1, 3, 1, 1)
    s = torch.tensor(std, device=x.device).view(1, 3, 1, 1)
    return (x - m) / s


@torch.no_grad()
def predict(model, evals: np.ndarray, idx: np.ndarray, mean, std, device, batch=256, features=False):
    model.eval()
    logits, pooled, maps = [], [], []
    for k in range(0, len(idx), batch):
        x = normalise(torch.from_numpy(evals[idx[k:k + batch]]).to(device), mean, std)
        lo, po, fm = model(x, return_features=True)
        logits.append(lo.float().cpu())
        if features:
            pooled.append(po.float().cpu())
    out = torch.cat(logits)
    return (out, torch.cat(pooled)) if features else out


def balanced_accuracy(pred, y, k=7):
    rec = [(pred[y == c] == c).float().mean().item() for c in range(k) if (y == c).any()]
    return float(np.mean(rec))


def measure(args, device):
    for size in args.measure_sizes:
        frames, *_ = data.build(size, cache_dir=args.workdir)
        model = SkinNet().to(device)
        opt = torch.optim.AdamW(model.parameters(), 1e-3)
        gen = torch.Generator(device=device).manual_seed(0)
        fr = torch.from_numpy(frames[: args.batch * 6]).to(device)
        times = []
        for b in range(6):
            t = time.time()
            x = augment(fr[b * args.batch:(b + 1) * args.batch], size, [0.5] * 3, [0.25] * 3, gen)
            loss = F.cross_entropy(model(x), torch.zeros(len(x), dtype=torch.long, device=device))
            opt.zero_grad()
            loss.backward()
            opt.step()
            times.append(time.time() - t)
        per_batch = float(np.median(times[1:]))
        print(f"size {size}: {per_batch:.3f} s/batch of {args.batch} -> {per_batch * 7014 / args.batch:.0f} s/epoch (train split)", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=96)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--weight-decay", type=float, default=0.05)
    p.add_argument("--class-weight-power", type=float, default=0.3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workdir", default="/work/skin-run")
    p.add_argument("--measure", action="store_true")
    p.add_argument("--measure-sizes", type=int, nargs="+", default=[96, 128])
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    seed_everything(args.seed)
    Path(args.workdir).mkdir(parents=True, exist_ok=True)
    if args.measure:
        return measure(args, device)

    frames, evals, labels, split, ids = data.build(args.size, cache_dir=args.workdir)
    tr, va = np.where(split == "train")[0], np.where(split == "val")[0]
    mean, std = data.channel_stats(frames, split == "train")
    print(f"device={device} train={len(tr)} val={len(va)} mean={mean} std={std}", flush=True)

    counts = np.bincount(labels[tr], minlength=7).astype(np.float64)
    w = counts ** -args.class_weight_power
    w = w / (w * counts).sum() * counts.sum()  # mean weight per training sample = 1
    class_w = torch.tensor(w, dtype=torch.float32, device=device)

    model = SkinNet().to(device)
    print(f"params={sum(p.numel() for p in model.parameters())}", flush=True)
    decay = [p for n, p in model.named_parameters() if p.ndim > 1]
    no_decay = [p for n, p in model.named_parameters() if p.ndim <= 1]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=args.lr)
    steps_per_epoch = len(tr) // args.batch
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.epochs * steps_per_epoch,
                                                pct_start=0.2, div_factor=20, final_div_factor=200)
    gen = torch.Generator(device=device).manual_seed(args.seed)
    frames_t = torch.from_numpy(frames)
    labels_t = torch.from_numpy(labels)
    y_val = labels_t[va]

    best, log = None, []
    t0 = time.time()
    for epoch in range(args.epochs):
        model.train()
        perm = tr[torch.randperm(len(tr), generator=torch.Generator().manual_seed(args.seed * 1000 + epoch)).numpy()]
        te, total, seen = time.time(), 0.0, 0
        for b in range(steps_per_epoch):
            idx = perm[b * args.batch:(b + 1) * args.batch]
            x = augment(frames_t[idx].to(device), args.size, mean, std, gen)
            y = labels_t[idx].to(device)
            loss = F.cross_entropy(model(x), y, weight=class_w)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
            seen += len(idx)
        logits = predict(model, evals, va, mean, std, device)
        pred = logits.argmax(1)
        row = {"epoch": epoch + 1, "train_loss": total / seen, "val_nll": F.cross_entropy(logits, y_val).item(),
               "val_acc": (pred == y_val).float().mean().item(), "val_bal_acc": balanced_accuracy(pred, y_val),
               "epoch_s": time.time() - te, "elapsed_s": time.time() - t0}
        log.append(row)
        improved = best is None or row["val_bal_acc"] > best["val_bal_acc"]
        if improved:
            best = row
            torch.save({"model": model.state_dict(), "mean": mean, "std": std, "size": args.size,
                        "epoch": epoch + 1, "args": vars(args)}, Path(args.workdir) / "best.pt")
        torch.save({"model": model.state_dict(), "mean": mean, "std": std, "size": args.size,
                    "epoch": epoch + 1, "args": vars(args)}, Path(args.workdir) / "last.pt")
        print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()})
              + (" *" if improved else ""), flush=True)
    with open(Path(args.workdir) / "train_log.json", "w") as f:
        json.dump({"args": vars(args), "device": device, "threads": args.threads, "epochs": log, "best": best,
                   "wall_s": time.time() - t0, "class_weights": w.tolist(), "mean": mean, "std": std}, f, indent=1)
    print(f"done in {time.time() - t0:.0f} s; best epoch {best['epoch']} val bal acc {best['val_bal_acc']:.4f}")


if __name__ == "__main__":
    main()
