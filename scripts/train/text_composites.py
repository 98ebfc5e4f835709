"""hifu's printed labels (tests/fixtures/text_labels: IDs, names in kanji, kana and Latin
letters, dates, hospital names) laid over clinical photos, for choosing and reporting the
text rule (scripts/train/text_rule.py). Each of the 40 labels goes over five photos drawn from
MED-NODE and SD-198, at 0.7-1.5 times its size, at a random place, as ink on the skin or as a
white sticker. The photos are first resized to a long side of 960 (the detector's scale).

Usage: python scripts/train/text_composites.py ../shared/data/clinical OUT_DIR
Writes OUT_DIR/composites/*.png and OUT_DIR/composites.json (path, background, label box).

    python scripts/train/text_composites.py ../shared/data/clinical OUT_DIR --thick

makes OUT_DIR/thick/*.png and OUT_DIR/thick.json instead: each label enlarged (bicubic) until
it is 8-25 % of the photo's short side tall, as a name or ID label photographed from close by
next to a small lesion (the text rule's second tier, for lines thicker than 4 %).
"""

import glob
import json
import os
import random
import sys

import numpy as np
from PIL import Image

LABELS = os.path.join(os.path.dirname(__file__), "../../tests/fixtures/text_labels")


def main(clinical, out, thick=False):
    random.seed(8 if thick else 7)
    name = "thick" if thick else "composites"
    labels = json.load(open(f"{LABELS}/labels.json"))
    backgrounds = sorted(glob.glob(f"{clinical}/mednode/*/*.jpg") + glob.glob(f"{clinical}/sd198/*/*.jpg"))
    os.makedirs(f"{out}/{name}", exist_ok=True)
    made = []
    for i, label in enumerate(labels):
        mask = Image.open(f"{LABELS}/{label['file']}").convert("L")
        for k in range(5):
            background = random.choice(backgrounds)
            photo = Image.open(background).convert("RGB")
            s = 960 / max(photo.size)
            photo = photo.resize((int(photo.width * s), int(photo.height * s)), Image.BILINEAR)
            if thick:
                scale = random.uniform(0.08, 0.25) * min(photo.size) / mask.height
                resample = Image.BICUBIC
            else:
                scale, resample = random.uniform(0.7, 1.5), Image.BILINEAR
            m = mask.resize((max(1, int(mask.width * scale)), max(1, int(mask.height * scale))), resample)
            if m.width > photo.width - 40 or m.height > photo.height - 40:
                continue
            x0 = random.randint(20, photo.width - m.width - 20)
            y0 = random.randint(20, photo.height - m.height - 20)
            alpha = np.asarray(m, dtype=np.float32)[..., None] / 255
            p = np.asarray(photo, dtype=np.float32).copy()
            under = p[y0 : y0 + m.height, x0 : x0 + m.width]
            if label["sticker"]:
                under = np.full_like(under, 255)
            ink = np.array(label["ink"], dtype=np.float32)
            p[y0 : y0 + m.height, x0 : x0 + m.width] = ink * alpha + under * (1 - alpha)
            path = f"{out}/{name}/{i:02d}_{k}.png"
            Image.fromarray(np.round(p).astype(np.uint8)).save(path)
            made.append({"path": path, "background": background, "label": [x0, y0, m.width, m.height]})
    json.dump(made, open(f"{out}/{name}.json", "w"), indent=0)
    print(f"{len(made)} composites in {out}/{name}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], thick="--thick" in sys.argv[3:])
