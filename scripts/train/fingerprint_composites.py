#!/usr/bin/env python3
"""Synthetic fingertip pads with friction ridges, laid over clinical photos: the positives the
fingerprint check is chosen and measured on (../shared has only a handful of real photos with
resolved ridges; models/fingerprint/README.md).

Each ridge pattern is grown from noise by orientation-steered band-pass filtering (the usual way
synthetic fingerprints are made, e.g. SFinGe: Cappelli, Maio, Maltoni, 2002) around an
orientation field from the zero-pole model (Sherlock & Monro, 1993) with a whorl, a loop, an
arch or palm-like flowing ridges. Half the composites paint a pad (an ellipse in the photo's own
skin colour, shaded like a curved fingertip) and carve the ridges into it; the other half carve
ridges into the photo's own skin in place (where it shows skin), as on a palm or sole. The pad is
20-35 ridges wide, as a fingertip is, so the spacing follows from its size; contrast, blur, noise
and JPEG quality vary. The photos are first shrunk to a long side of 1024 at most.

Usage: fingerprint_composites.py HOSTS.txt OUT_DIR   (one host photo path per line)
Writes OUT_DIR/<n>.jpg and OUT_DIR/composites.jsonl (host, kind, spacing, pad box).
       fingerprint_composites.py --patterns OUT_DIR
Writes the test fixtures tests/fixtures/ridges/<kind>.png: one 256 × 256 pattern of each kind,
ridges 8 pixels apart (crate/tests/fingerprint_flag.rs lays them over photos itself).
"""
import hashlib
import io
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

KINDS = ("whorl", "loop", "arch", "palm")


def orientation_field(n, rng, kind):
    y, x = np.mgrid[0:n, 0:n].astype(np.float64) / n
    z = x + 1j * y
    theta = np.zeros_like(x)
    if kind == "whorl":
        cores = [(0.5 + rng.normal(0, 0.05), 0.45 + rng.normal(0, 0.05)), (0.5 + rng.normal(0, 0.05), 0.55 + rng.normal(0, 0.05))]
        deltas = [(0.1, 0.9), (0.9, 0.9)]
    elif kind == "loop":
        cores = [(0.5 + rng.normal(0, 0.08), 0.4 + rng.normal(0, 0.05))]
        deltas = [(0.2 + rng.normal(0, 0.05), 0.85)]
    else:
        cores, deltas = [], []
    for cx, cy in cores:
        theta += 0.5 * np.angle(z - (cx + 1j * cy))
    for cx, cy in deltas:
        theta -= 0.5 * np.angle(z - (cx + 1j * cy))
    if kind == "arch":
        theta = 0.6 * np.sin(np.pi * x) * (y - 0.3) * np.pi * rng.uniform(0.6, 1.2)
    if kind == "palm":
        theta = rng.uniform(0, np.pi) + 0.8 * np.sin(2 * np.pi * (x * rng.uniform(0.3, 1) + y * rng.uniform(0.3, 1)))
    return theta + rng.uniform(-0.3, 0.3)


def ridges(n, spacing, theta, rng, directions=8, rounds=8):
    """A ±1 ridge pattern, n × n, ridges `spacing` pixels apart along the field `theta`."""
    img = rng.normal(size=(n, n))
    fy = np.fft.fftfreq(n)[:, None]
    fx = np.fft.fftfreq(n)[None, :]
    f0 = 1.0 / spacing
    filters = []
    for k in range(directions):
        a = k * np.pi / directions + np.pi / 2
        u = fx * np.cos(a) + fy * np.sin(a)
        v = -fx * np.sin(a) + fy * np.cos(a)
        filters.append(np.exp(-((np.abs(u) - f0) ** 2) / (2 * (f0 * 0.18) ** 2)) * np.exp(-(v ** 2) / (2 * (f0 * 0.25) ** 2)))
    index = np.round(np.mod(theta, np.pi) / (np.pi / directions)).astype(int) % directions
    for _ in range(rounds):
        spectrum = np.fft.fft2(img)
        out = np.zeros_like(img)
        for k in range(directions):
            mask = index == k
            if mask.any():
                out[mask] = np.real(np.fft.ifft2(spectrum * filters[k]))[mask]
        img = np.tanh(3 * out / (out.std() + 1e-9))
    return img


def skin_colour(rgb, rng):
    mask = skin_mask(rgb)
    if mask.mean() > 0.05:
        return np.median(rgb[mask], axis=0)
    return np.array([205.0, 155.0, 135.0]) * rng.uniform(0.6, 1.05)


def skin_mask(rgb):
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    return (r > 60) & (r > b) & (r >= 0.95 * g) & (r - b > 10)


def composite(host: Image.Image, rng):
    host = host.convert("RGB")
    scale = min(1.0, 1024 / max(host.size))
    if scale < 1:
        host = host.resize((round(host.width * scale), round(host.height * scale)), Image.BOX)
    rgb = np.asarray(host).astype(np.float64)
    h, w = rgb.shape[:2]
    short = min(h, w)
    a = rng.uniform(0.15, 0.35) * short  # semi-minor axis
    b = min(a * rng.uniform(1.2, 1.6), 0.48 * max(h, w))
    angle = rng.uniform(0, np.pi)
    extent = int(np.ceil(max(a, b))) + 2
    # A fingertip pad is 20-35 ridges wide whatever the photo's scale: the spacing follows from
    # the pad's size (and stays where ridges are resolved at all).
    spacing = float(np.clip(2 * a / rng.uniform(20, 35), 3.2, 20.0))
    kind = KINDS[int(rng.integers(len(KINDS)))]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    on_skin = skin_mask(rgb)

    def ellipse(cx, cy):
        dx, dy = xx - cx, yy - cy
        u = (dx * np.cos(angle) + dy * np.sin(angle)) / b
        v = (-dx * np.sin(angle) + dy * np.cos(angle)) / a
        return np.sqrt(u * u + v * v)

    def centre():
        cx = rng.uniform(extent, w - extent) if w > 2 * extent else w / 2
        cy = rng.uniform(extent, h - extent) if h > 2 * extent else h / 2
        return cx, cy

    # Ridges carved in place only where the photo shows skin (a print on a drape is no
    # fingerprint); otherwise a pad is painted in the photo's skin colour.
    painted = rng.random() < 0.5
    cx, cy = centre()
    d = ellipse(cx, cy)
    if not painted:
        for _ in range(20):
            if on_skin[d < 1].mean() >= 0.7:
                break
            cx, cy = centre()
            d = ellipse(cx, cy)
        else:
            painted = True
    n = 2 * extent
    pattern = ridges(n, spacing, orientation_field(n, rng, kind), rng)
    feather = 0.06
    mask = np.clip((1 - d) / feather, 0, 1)
    y0, x0 = int(round(cy)) - extent, int(round(cx)) - extent
    full = np.zeros((h, w))
    ys, xs = slice(max(0, y0), min(h, y0 + n)), slice(max(0, x0), min(w, x0 + n))
    full[ys, xs] = pattern[ys.start - y0:ys.stop - y0, xs.start - x0:xs.stop - x0]
    contrast = rng.uniform(0.08, 0.22)
    if painted:
        base = skin_colour(rgb, rng)
        shade = 1 - rng.uniform(0.1, 0.35) * np.clip(d, 0, 1) ** 2
        pad = base[None, None, :] * shade[..., None]
    else:
        pad = rgb
    pad = pad * (1 + contrast * full)[..., None]
    out = rgb * (1 - mask[..., None]) + pad * mask[..., None]
    out += rng.normal(0, rng.uniform(1.0, 3.5), out.shape)
    image = Image.fromarray(np.clip(out, 0, 255).astype(np.uint8))
    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.0) * spacing / 8))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=int(rng.integers(75, 93)))
    box = [cx - extent, cy - extent, 2 * extent, 2 * extent]
    info = {"kind": kind, "spacing": round(spacing, 2), "contrast": round(contrast, 3), "painted": painted, "box": [round(v, 1) for v in box]}
    return buffer.getvalue(), info


def patterns(out):
    out.mkdir(parents=True, exist_ok=True)
    for k, kind in enumerate(KINDS):
        rng = np.random.default_rng(k)
        pattern = ridges(256, 8.0, orientation_field(256, rng, kind), rng)
        Image.fromarray(((pattern + 1) * 127.5).clip(0, 255).astype(np.uint8)).save(out / f"{kind}.png", optimize=True)


def main():
    if sys.argv[1] == "--patterns":
        patterns(Path(sys.argv[2]))
        return
    hosts = [line.strip() for line in open(sys.argv[1]) if line.strip()]
    out = Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "composites.jsonl", "w") as index:
        for n, host in enumerate(hosts):
            seed = int.from_bytes(hashlib.sha256(("fingerprint-composite:" + host).encode()).digest()[:8], "little")
            data, info = composite(Image.open(host), np.random.default_rng(seed))
            (out / f"{n}.jpg").write_bytes(data)
            index.write(json.dumps({"n": n, "path": str(out / f"{n}.jpg"), "host": host, **info}) + "\n")
            index.flush()


if __name__ == "__main__":
    main()
