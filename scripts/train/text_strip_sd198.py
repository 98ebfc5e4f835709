"""SD-198's DermQuest photos (file names like 023418VB.jpg) carry a grey caption strip at the
bottom with the DermQuest logo and the image's address, and some an image number just above
it. Cut off, they are clinical photos without text: the negatives of the text rule
(scripts/train/text_rule.py). Uncut, they are real burned-in text: positives.

The strip is the run of bottom rows where at least a quarter of the pixels are within 14 of the
bottom row's median colour; the cut is 6 % of the height above it, to lose the image number.

Usage: python scripts/train/text_strip_sd198.py ../shared/data/clinical/sd198 OUT_DIR
Writes OUT_DIR/strip_cut/<folder>__<name>.png.
"""

import glob
import os
import re
import sys

import numpy as np
from PIL import Image


def main(sd198, out):
    os.makedirs(f"{out}/strip_cut", exist_ok=True)
    n = 0
    for path in sorted(glob.glob(f"{sd198}/*/*.jpg")):
        if not re.search(r"/\d{6}[HV]B\.jpg$", path):
            continue
        photo = Image.open(path).convert("RGB")
        a = np.asarray(photo).astype(np.float32)
        grey = np.median(a[-2], axis=0)
        near = (np.abs(a - grey).max(axis=2) < 14).mean(axis=1)
        y = a.shape[0]
        while y > 0 and near[y - 1] > 0.25:
            y -= 1
        top = int(y - 0.06 * a.shape[0])
        if top < a.shape[0] // 2:
            continue
        folder = os.path.basename(os.path.dirname(path))
        photo.crop((0, 0, photo.width, top)).save(f"{out}/strip_cut/{folder}__{os.path.basename(path)[:-4]}.png")
        n += 1
    print(f"{n} photos cut in {out}/strip_cut")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
