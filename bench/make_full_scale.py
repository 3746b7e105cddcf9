"""Writes a full-scale synthetic segmentation dataset in the real format with
h5py, for the benchmark: 24,011 masks of 1000 x 1000 over 1,492 images,
chunks (1, 1000, 1000), gzip + shuffle, and the metadata CSV.

Usage: /usr/bin/python3 bench/make_full_scale.py OUT_DATA_DIR [N_MASKS N_IMAGES]
"""
import csv
import os
import sys

import h5py
import numpy as np


def main():
    out = sys.argv[1]
    n_masks = int(sys.argv[2]) if len(sys.argv) > 2 else 24011
    n_images = int(sys.argv[3]) if len(sys.argv) > 3 else 1492
    size = 1000
    rng = np.random.default_rng(7)
    stim = os.path.join(out, "stimuli")
    os.makedirs(stim, exist_ok=True)
    # A Zipf-like vocabulary, as caption nouns are.
    vocab = [f"noun{i:04d}" for i in range(2500)]
    vocab[:8] = ["person", "face", "man", "woman", "hand", "shirt", "tree", "sky"]
    weights = 1.0 / np.arange(1, len(vocab) + 1) ** 1.1
    weights /= weights.sum()
    per_image = np.full(n_images, n_masks // n_images)
    per_image[: n_masks - per_image.sum()] += 1
    yy, xx = np.mgrid[0:size, 0:size]
    h5_path = os.path.join(stim, "task-images_desc-segmentations.h5.tmp")
    csv_path = os.path.join(stim, "task-images_desc-segmentations_metadata.csv")
    row = 0
    with h5py.File(h5_path, "w") as f, open(csv_path + ".tmp", "w", newline="") as fh:
        d = f.create_dataset(
            "masks", (n_masks, size, size), dtype=np.uint8, chunks=(1, size, size),
            compression="gzip", compression_opts=4, shuffle=True,
        )
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["mask_row", "image_name", "noun", "instance_id", "score",
                    "box_x0", "box_y0", "box_x1", "box_y1", "localized", "mask_file"])
        for i in range(n_images):
            image = f"shared_{12 if i % 4 else 4}rep_LAION_cluster_{1000 + i}_i{i % 3}.jpg"
            nouns = rng.choice(len(vocab), size=per_image[i], p=weights)
            counts = {}
            for k in nouns:
                noun = vocab[k]
                inst = counts.get(noun, 0)
                counts[noun] = inst + 1
                whole = rng.random() < 0.04
                m = np.zeros((size, size), dtype=np.uint8)
                if whole:
                    m[:] = 1
                    box = ["", "", "", ""]
                else:
                    cx, cy = rng.uniform(100, 900, 2)
                    rx, ry = rng.uniform(20, 250, 2)
                    x0, x1 = int(max(0, cx - rx)), int(min(size, cx + rx + 1))
                    y0, y1 = int(max(0, cy - ry)), int(min(size, cy + ry + 1))
                    sub = ((xx[y0:y1, x0:x1] + 0.5 - cx) / rx) ** 2 + ((yy[y0:y1, x0:x1] + 0.5 - cy) / ry) ** 2 <= 1
                    m[y0:y1, x0:x1] = sub
                    box = [x0, y0, x1, y1]
                d[row] = m
                score = round(float(rng.uniform(0.25, 0.99)), 4)
                w.writerow([row, image, noun, inst, score, *box, 0 if whole else 1, f"{image[:-4]}/{noun}_{inst}.png"])
                row += 1
    os.replace(csv_path + ".tmp", csv_path)
    os.replace(h5_path, h5_path[:-4])
    print(f"wrote {row} masks over {n_images} images to {stim}")


if __name__ == "__main__":
    main()
