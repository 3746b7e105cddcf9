// What the analysis tables (coverage, grids, trials, COCO) need from the
// reader: its metadata and the one checked scan of its mask source, so they
// never import the reader's module (which delegates to them) and stay free
// of its private index.
import { pl } from "../../deps.ts";
import { maskRowsOf } from "../frame_columns.ts";
import type { SegmentationPaths } from "../../data/paths.ts";
import type { Intervals } from "../masks/runs.ts";
import type { ScanOptions } from "./scan.ts";

/** Mask rows or a metadata frame, as `SegmentationsReader.masks` takes. */
export type Selection = pl.DataFrame | readonly number[];

/** The reader, as the analysis modules use it. */
export interface AnalysisSource {
  readonly width: number;
  readonly height: number;
  readonly length: number;
  readonly metadata: pl.DataFrame;
  readonly paths: SegmentationPaths;
  /** Image names in the reader's order (`seg.images()`). */
  images(): string[];
  /**
   * The set pixels of each of `rows` (no repeats), in file order, read
   * with every check of `row()`.
   */
  scan(
    rows: readonly number[],
    options?: ScanOptions,
  ): AsyncGenerator<[number, Intervals]>;
}

/**
 * The selected masks with their metadata: the CSV row that first names each
 * HDF5 row (as `masks()` reports it). HDF5 rows the CSV does not list have
 * `csvRow` -1 and empty metadata.
 */
export interface SelectedRows {
  maskRow: Int32Array;
  csvRow: Int32Array;
  image: string[];
  noun: string[];
  instance: Int32Array;
  score: Float64Array;
  localized: Int8Array;
}

/** The HDF5 rows of a selection, checked against the file. */
export function selectionRows(
  source: AnalysisSource,
  selection: Selection | undefined,
): Int32Array {
  return Int32Array.from(
    maskRowsOf(selection, source.length, source.paths.h5),
  );
}

/**
 * The selected rows with their metadata (see {@link SelectedRows}); without
 * a selection, every CSV row in CSV order.
 */
export function selectedRows(
  source: AnalysisSource,
  selection: Selection | undefined,
): SelectedRows {
  const meta = source.metadata;
  const maskRow = selection === undefined
    ? selectionRows(source, meta)
    : selectionRows(source, selection);
  const all = meta.select(
    pl.col("mask_row").cast(pl.Int32),
    pl.col("image_name").cast(pl.Utf8).fillNull(pl.lit("")),
    pl.col("noun").cast(pl.Utf8).fillNull(pl.lit("")),
    pl.col("instance_id").cast(pl.Int32).fillNull(pl.lit(-1)),
    pl.col("score").cast(pl.Float64).fillNull(pl.lit(NaN)),
    pl.col("localized").cast(pl.Int8).fillNull(pl.lit(0)),
  );
  const metaRows = all.getColumn("mask_row").toTypedArray() as Int32Array;
  const firstCsvRow = new Int32Array(source.length).fill(-1);
  for (let r = metaRows.length - 1; r >= 0; r--) {
    const m = metaRows[r];
    if (m >= 0 && m < source.length) firstCsvRow[m] = r;
  }
  const images = all.getColumn("image_name").toArray() as string[];
  const nouns = all.getColumn("noun").toArray() as string[];
  const instances = all.getColumn("instance_id").toTypedArray() as Int32Array;
  const scores = all.getColumn("score").toTypedArray() as Float64Array;
  const localized = all.getColumn("localized").toTypedArray() as Int8Array;
  const n = maskRow.length;
  const out: SelectedRows = {
    maskRow,
    csvRow: new Int32Array(n),
    image: new Array<string>(n),
    noun: new Array<string>(n),
    instance: new Int32Array(n),
    score: new Float64Array(n),
    localized: new Int8Array(n),
  };
  for (let i = 0; i < n; i++) {
    const r = selection === undefined ? i : firstCsvRow[maskRow[i]];
    out.csvRow[i] = r;
    out.image[i] = r < 0 ? "" : images[r];
    out.noun[i] = r < 0 ? "" : nouns[r];
    out.instance[i] = r < 0 ? -1 : instances[r];
    out.score[i] = r < 0 ? NaN : scores[r];
    out.localized[i] = r < 0 ? 0 : localized[r];
  }
  return out;
}

/** Only the scan's options, out of a table's options. */
export function scanOptions(options: ScanOptions): ScanOptions {
  const { onProgress, signal } = options;
  return { onProgress, signal };
}
