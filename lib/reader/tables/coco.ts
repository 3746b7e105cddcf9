/**
 * The masks as a COCO dataset (instance segmentation, RLE masks with
 * scores), for pycocotools, FiftyOne, CVAT and friends.
 *
 * @module
 */

import { basename } from "node:path";
import type { pl } from "../../deps.ts";
import {
  type AnalysisSource,
  selectedRows,
  type Selection,
} from "../source/analysis_source.ts";
import { countsToString, maskRuns } from "../masks/rle.ts";
import type { ScanOptions } from "../source/scan.ts";
import { filterMasks, type MaskFilter } from "../mask_filter.ts";

/** Options for {@link SegmentationsReader.toCoco}. */
export interface CocoOptions extends ScanOptions, MaskFilter {
  /**
   * Keep only localized masks (a COCO export keeps every mask unless asked).
   *
   * @default {false}
   */
  localizedOnly?: boolean;
}

/** A COCO image entry. */
export interface CocoImage {
  /**
   * 1-based position in `seg.images()`: the same in every export of the
   * same files, so exports of parts of the data merge.
   */
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
  /**
   * 1-based position of the noun among all of the data's nouns sorted by
   * code unit: the same in every export of the same files.
   */
  id: number;
  /** The noun. */
  name: string;
  /** Always `"object"`. */
  supercategory: string;
}

/** A COCO annotation: one mask. */
export interface CocoAnnotation {
  /** The HDF5 row + 1: the same in every export of the same files. */
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
  const frame = selection === undefined || Array.isArray(selection)
    ? undefined
    : selection as pl.DataFrame;
  const rows = selectedRows(source, selection);
  // The filter decides by the metadata; rows given by number are filtered
  // by the CSV row that names them.
  const passing = new Set(
    filterMasks(frame ?? source.metadata, options, {
      fn: "seg.toCoco",
      localizedOnly: false,
      where: frame ? "the selection" : "the data",
    }).getColumn("mask_row").toArray().map(Number),
  );
  const keep: number[] = [];
  const kept = new Set<number>();
  for (let i = 0; i < rows.maskRow.length; i++) {
    const row = rows.maskRow[i];
    // A mask selected twice is exported once (its id is its row).
    if (rows.csvRow[i] < 0 || !passing.has(row) || kept.has(row)) continue;
    kept.add(row);
    keep.push(i);
  }
  const encoded = new Map<
    number,
    { counts: string; area: number; bbox: CocoAnnotation["bbox"] }
  >();
  for (const i of keep) encoded.set(rows.maskRow[i], undefined!);
  const { width, height } = source;
  const wanted = [...encoded.keys()];
  // Each mask's runs drawn into one scratch mask (and erased again), so no
  // megabyte is decoded or scanned per mask.
  const scratch = new Uint8Array(width * height);
  const scan = source.scan(wanted, {
    onProgress: options.onProgress,
    signal: options.signal,
  });
  for await (const [row, iv] of scan) {
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
    const box: [number, number, number, number] | null = area === 0 ? null : [
      x0,
      Math.floor(iv[0] / width),
      x1,
      Math.floor((iv[iv.length - 1] - 1) / width) + 1,
    ];
    encoded.set(row, {
      counts: countsToString(maskRuns(scratch, width, height, box)),
      area,
      bbox: box
        ? [box[0], box[1], box[2] - box[0], box[3] - box[1]]
        : [0, 0, 0, 0],
    });
    for (let i = 0; i < iv.length; i += 2) scratch.fill(0, iv[i], iv[i + 1]);
  }
  // Ids from the whole data, not the selection: exports of parts merge.
  const imageId = new Map(source.images().map((name, k) => [name, k + 1]));
  const allNouns = [
    ...new Set(source.metadata.getColumn("noun").toArray() as string[]),
  ].filter((n) => n !== null).sort((a, b) => a < b ? -1 : a > b ? 1 : 0);
  const categoryId = new Map(allNouns.map((n, k) => [n, k + 1]));
  const images = [...new Set(keep.map((i) => rows.image[i]))]
    .sort((a, b) => imageId.get(a)! - imageId.get(b)!);
  const nouns = [...new Set(keep.map((i) => rows.noun[i]))]
    .sort((a, b) => categoryId.get(a)! - categoryId.get(b)!);
  return {
    info: {
      description: `LAION-fMRI object-segmentation masks (${
        basename(source.paths.h5)
      })`,
      version: "1.0",
      date_created: new Date().toISOString(),
    },
    images: images.map((name) => ({
      id: imageId.get(name)!,
      file_name: name,
      width,
      height,
    })),
    categories: nouns.map((name) => ({
      id: categoryId.get(name)!,
      name,
      supercategory: "object",
    })),
    annotations: keep.map((i) => {
      const e = encoded.get(rows.maskRow[i])!;
      return {
        id: rows.maskRow[i] + 1,
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
