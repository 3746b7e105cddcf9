/**
 * The masks as a COCO dataset (instance segmentation, RLE masks with
 * scores), for pycocotools, FiftyOne, CVAT and friends.
 *
 * @module
 */

import { basename } from "node:path";
import type { StreamOptions } from "./_stream.ts";
import {
  type AnalysisSource,
  selectedRows,
  type Selection,
  streamOptions,
} from "./_analysis_source.ts";
import { maskStats, STAT } from "./_mask_stats.ts";
import { countsToString, maskRuns } from "./_rle.ts";
import { MaskRuns } from "./_mask_runs.ts";

/** Options for {@link SegmentationsReader.toCoco}. */
export interface CocoOptions extends StreamOptions {
  /**
   * Keep only masks whose detector score is at least this (masks without a
   * score are then left out).
   *
   * @default {undefined}
   */
  minScore?: number;
  /**
   * Keep only localized masks.
   *
   * @default {false}
   */
  localizedOnly?: boolean;
}

/** A COCO image entry. */
export interface CocoImage {
  /** 1-based, in order of first appearance. */
  id: number;
  /** The stimulus file name (the metadata's `image_name`). */
  file_name: string;
  /** Width in pixels (the masks'). */
  width: number;
  /** Height in pixels. */
  height: number;
}

/** A COCO category: one per noun. */
export interface CocoCategory {
  /** 1-based, nouns sorted by code unit. */
  id: number;
  /** The noun. */
  name: string;
  /** Always `"object"`. */
  supercategory: string;
}

/** A COCO annotation: one mask. */
export interface CocoAnnotation {
  /** 1-based, in selection order. */
  id: number;
  /** The image's `id`. */
  image_id: number;
  /** The noun's `id`. */
  category_id: number;
  /** The mask in compressed RLE (see `encodeRle`). */
  segmentation: { size: [number, number]; counts: string };
  /** Set pixels. */
  area: number;
  /** Tight pixel box `[x, y, width, height]`; `[0, 0, 0, 0]` for an empty mask. */
  bbox: [number, number, number, number];
  /** Detector score (`null` when the CSV has none). */
  score: number | null;
  /** Always 0: every mask is one instance. */
  iscrowd: 0;
  /** The CSV's `instance_id`. */
  instance_id: number;
  /** The HDF5 row. */
  mask_row: number;
}

/** A COCO-format dataset: what {@link toCoco} returns. */
export interface CocoDataset {
  /** Where the masks come from. */
  info: { description: string; version: string; date_created: string };
  /** One per image with at least one exported mask. */
  images: CocoImage[];
  /** One per noun of the exported masks. */
  categories: CocoCategory[];
  /** One per exported mask. */
  annotations: CocoAnnotation[];
}

/**
 * The selected masks (all when no selection) as a COCO-format dataset:
 * `images`, `categories` (the nouns), and `annotations` with the mask as
 * compressed RLE `segmentation`, pixel `bbox` `[x, y, w, h]`, `area`,
 * `score` and `iscrowd: 0`. `JSON.stringify` it for pycocotools' `COCO()`
 * or FiftyOne's COCO importer. HDF5 rows the CSV does not list are left out.
 *
 * @throws {RangeError} When a selected row is outside the file.
 */
export async function toCoco(
  source: AnalysisSource,
  selection: Selection | undefined,
  options: CocoOptions = {},
): Promise<CocoDataset> {
  const rows = selectedRows(source, selection);
  const { minScore, localizedOnly = false } = options;
  const keep: number[] = [];
  for (let i = 0; i < rows.maskRow.length; i++) {
    if (rows.csvRow[i] < 0) continue;
    if (localizedOnly && rows.localized[i] !== 1) continue;
    if (minScore !== undefined && !(rows.score[i] >= minScore)) continue;
    keep.push(i);
  }
  const encoded = new Map<
    number,
    { counts: string; area: number; bbox: CocoAnnotation["bbox"] }
  >();
  for (const i of keep) encoded.set(rows.maskRow[i], undefined!);
  const { width, height } = source;
  const encode = (
    maskRow: number,
    data: Uint8Array,
    box: [number, number, number, number] | null,
    area: number,
  ) =>
    encoded.set(maskRow, {
      counts: countsToString(maskRuns(data, width, height, box)),
      area,
      bbox: box ? [box[0], box[1], box[2] - box[0], box[3] - box[1]] : [
        0,
        0,
        0,
        0,
      ],
    });
  const wanted = [...encoded.keys()];
  // The real layout: masks as runs of set pixels, drawn into one scratch
  // mask (and erased again), so no megabyte is decoded or scanned per mask.
  const runs = MaskRuns.open(source.paths.h5, [source.length, height, width]);
  if (runs) {
    try {
      wanted.sort((a, b) => runs.address(a) - runs.address(b) || a - b);
      const scratch = new Uint8Array(width * height);
      const step = Math.max(1, Math.floor(wanted.length / 100));
      for (let k = 0; k < wanted.length; k++) {
        options.signal?.throwIfAborted();
        const iv = runs.intervals(wanted[k]);
        let area = 0, x0 = width, x1 = 0;
        for (let i = 0; i < iv.length; i += 2) {
          scratch.fill(1, iv[i], iv[i + 1]);
          area += iv[i + 1] - iv[i];
          const ya = Math.floor(iv[i] / width);
          const yb = Math.floor((iv[i + 1] - 1) / width);
          if (ya !== yb) {
            // Wrapping from the end of one row to the start of the next
            // touches the last and the first column.
            x0 = 0;
            x1 = width;
          } else {
            x0 = Math.min(x0, iv[i] - ya * width);
            x1 = Math.max(x1, iv[i + 1] - ya * width);
          }
        }
        const box: [number, number, number, number] | null = area === 0
          ? null
          : [
            x0,
            Math.floor(iv[0] / width),
            x1,
            Math.floor((iv[iv.length - 1] - 1) / width) + 1,
          ];
        encode(wanted[k], scratch, box, area);
        for (let i = 0; i < iv.length; i += 2) {
          scratch.fill(0, iv[i], iv[i + 1]);
        }
        const done = k + 1;
        if (
          options.onProgress && (done % step === 0 || done === wanted.length)
        ) {
          options.onProgress({ done, total: wanted.length });
        }
        if (k % 256 === 255) await new Promise((r) => setTimeout(r, 0));
      }
    } finally {
      runs.close();
    }
  } else {
    for await (const mask of source.masks(wanted, streamOptions(options))) {
      const s = maskStats(mask.data, width, height);
      const area = s[STAT.AREA];
      encode(
        mask.maskRow,
        mask.data,
        area === 0 ? null : [s[STAT.X0], s[STAT.Y0], s[STAT.X1], s[STAT.Y1]],
        area,
      );
    }
  }
  const imageId = new Map<string, number>();
  for (const i of keep) {
    if (!imageId.has(rows.image[i])) {
      imageId.set(rows.image[i], imageId.size + 1);
    }
  }
  const nouns = [...new Set(keep.map((i) => rows.noun[i]))].sort((a, b) =>
    a < b ? -1 : a > b ? 1 : 0
  );
  const categoryId = new Map(nouns.map((n, k) => [n, k + 1]));
  return {
    info: {
      description: `LAION-fMRI object-segmentation masks (${
        basename(source.paths.h5)
      })`,
      version: "1.0",
      date_created: new Date().toISOString(),
    },
    images: [...imageId].map(([name, id]) => ({
      id,
      file_name: name,
      width,
      height,
    })),
    categories: nouns.map((name, k) => ({
      id: k + 1,
      name,
      supercategory: "object",
    })),
    annotations: keep.map((i, k) => {
      const e = encoded.get(rows.maskRow[i])!;
      return {
        id: k + 1,
        image_id: imageId.get(rows.image[i])!,
        category_id: categoryId.get(rows.noun[i])!,
        segmentation: { size: [height, width], counts: e.counts },
        area: e.area,
        bbox: e.bbox,
        score: Number.isNaN(rows.score[i]) ? null : rows.score[i],
        iscrowd: 0,
        instance_id: rows.instance[i],
        mask_row: rows.maskRow[i],
      };
    }),
  };
}
