"""The Python reference for `deno task bench`: what the Python package does
with pandas + h5py, timed on the same file and the same queries.

Usage: /usr/bin/python3 bench/reference.py DATA_DIR QUERIES_JSON
QUERIES_JSON: {"images": [...], "gets": [[image, noun, instance], ...], "scan": N, "stats": N}
Prints one JSON object of timings in milliseconds (wall, and CPU for the
scans), and peak RSS in MiB.
"""
import json
import os
import resource
import statistics
import sys
import time

import h5py
import numpy as np
import pandas as pd


class Segmentations:
    """Mirrors laion_fmri.segmentations.Segmentations: read the CSV, open the HDF5."""

    def __init__(self, data_dir):
        stim = os.path.join(data_dir, "stimuli")
        self.metadata = pd.read_csv(
            os.path.join(stim, "task-images_desc-segmentations_metadata.csv"),
            dtype={"noun": str, "image_name": str, "mask_file": str},
        )
        self._file = h5py.File(os.path.join(stim, "task-images_desc-segmentations.h5"), "r")
        self._masks = self._file["masks"]

    def for_image(self, image_name):
        return self.metadata[self.metadata["image_name"] == image_name]

    def nouns(self, image_name, localized_only=True):
        rows = self.for_image(image_name)
        if localized_only:
            rows = rows[rows["localized"] == 1]
        return rows["noun"].drop_duplicates().tolist()

    def get(self, image_name, noun, instance=0):
        rows = self.metadata
        hit = rows[(rows["image_name"] == image_name) & (rows["noun"] == noun) & (rows["instance_id"] == instance)]
        return self._masks[int(hit["mask_row"].iloc[0])]

    def row(self, mask_row):
        return self._masks[mask_row]

    def close(self):
        self._file.close()


def stats_of(mask):
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return (0, None)
    return (len(xs), (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1), (xs.mean(), ys.mean()))


def per_call(fn, args):
    times = []
    for a in args:
        t = time.perf_counter()
        fn(*a)
        times.append((time.perf_counter() - t) * 1000)
    return times


def main():
    data_dir, queries_path = sys.argv[1], sys.argv[2]
    q = json.load(open(queries_path))
    opens = []
    for _ in range(5):
        t = time.perf_counter()
        seg = Segmentations(data_dir)
        opens.append((time.perf_counter() - t) * 1000)
        seg.close()
    seg = Segmentations(data_dir)
    nouns = per_call(seg.nouns, [(i,) for i in q["images"]])
    for_image = per_call(seg.for_image, [(i,) for i in q["images"]])
    gets = per_call(seg.get, [tuple(g) for g in q["gets"]])
    t, c = time.perf_counter(), time.process_time()
    for r in range(q["scan"]):
        seg.row(r)
    scan = (time.perf_counter() - t) * 1000
    scan_cpu = (time.process_time() - c) * 1000
    t, c = time.perf_counter(), time.process_time()
    for r in range(q["stats"]):
        stats_of(seg.row(r))
    stats = (time.perf_counter() - t) * 1000
    stats_cpu = (time.process_time() - c) * 1000
    seg.close()
    q50 = lambda xs: statistics.median(xs)
    q95 = lambda xs: sorted(xs)[int(0.95 * (len(xs) - 1))]
    print(json.dumps({
        "open": q50(opens),
        "nouns": q50(nouns),
        "forImage": q50(for_image),
        "get_p50": q50(gets),
        "get_p95": q95(gets),
        "scan_per_mask": scan / max(1, q["scan"]),
        "stats_per_mask": stats / max(1, q["stats"]),
        "scan_cpu_per_mask": scan_cpu / max(1, q["scan"]),
        "stats_cpu_per_mask": stats_cpu / max(1, q["stats"]),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


def coverage_table(data_dir, images):
    """The coverage table (localized masks): per (image, noun), the pixels of
    the union of its masks, with numpy/h5py; `images` None = the whole file."""
    seg = Segmentations(data_dir)
    meta = seg.metadata[seg.metadata["localized"] == 1]
    if images is not None:
        meta = meta[meta["image_name"].isin(set(images))]
    rows = []
    for (image, noun), group in meta.groupby(["image_name", "noun"], sort=False):
        union = np.zeros(seg._masks.shape[1:], dtype=bool)
        for r in group["mask_row"]:
            union |= seg._masks[int(r)] != 0
        pixels = int(union.sum())
        rows.append((image, noun, len(group), pixels, pixels / union.size))
    seg.close()
    return pd.DataFrame(rows, columns=["image_name", "noun", "masks", "pixels", "fraction"])


def coverage_main():
    """bench/reference.py coverage DATA_DIR IMAGES_JSON: time coverage_table."""
    data_dir, images_path = sys.argv[2], sys.argv[3]
    images = json.load(open(images_path))
    t = time.perf_counter()
    table = coverage_table(data_dir, images)
    print(json.dumps({
        "coverage_ms": (time.perf_counter() - t) * 1000,
        "rows": len(table),
        "pixels": int(table["pixels"].sum()),
    }))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "coverage":
        coverage_main()
    else:
        main()
