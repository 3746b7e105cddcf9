/**
 * The reader: metadata as a Polars DataFrame, masks by image and noun.
 *
 * @module
 */

import {
  checkFrameArg,
  checkGetArgs,
  checkImageArg,
  checkImagesWithArgs,
  checkNounsArgs,
  checkRowArg,
  checkStreamArgs,
  checkTableArgs,
  COCO_OPTIONS,
  COVERAGE_OPTIONS,
  GRIDS_OPTIONS,
} from "./_args.ts";
import type { AnalysisSource } from "./source/analysis_source.ts";
import { scanIntervals } from "./source/scan.ts";
import {
  type DegreeSums,
  degreeSums,
  writeDegreeCache,
} from "./tables/degree_stats.ts";
import {
  type Prf,
  type PrfOverlap as PrfOverlapResult,
  prfOverlap,
  type PrfOverlapOptions,
} from "./tables/prf.ts";
import { checkSelection } from "../base/args.ts";
import { polarAngle, type VisualField } from "./visual_field.ts";
import { pl } from "../deps.ts";
import type { MaskSource } from "./source/mask_source.ts";
import {
  type OpenedFiles,
  openWith,
  type SegmentationsOpenOptions,
} from "./open.ts";
export type { SegmentationsOpenOptions } from "./open.ts";
import { maskRowsOf } from "./frame_columns.ts";
import { MetadataIndex } from "./_metadata_index.ts";
import { STAT } from "./masks/stats.ts";
import {
  CACHE_COLUMNS,
  contentDigest,
  readStatsCache,
  type StatsCachePlace,
  writeStatsCache,
} from "./tables/stats_cache.ts";
import { MaskStreamer, type StreamOptions } from "./stream/stream.ts";

export type { StreamOptions, StreamProgress } from "./stream/stream.ts";
export type { ScanOptions } from "./source/scan.ts";
import {
  imagesWith,
  type ImagesWithOptions,
  type ImagesWithQuery,
  nounCounts,
  type NounCountsOptions,
} from "./noun_counts.ts";
import { nounTable, type NounTableOptions, withNouns } from "./noun_table.ts";
import { Mask } from "./masks/mask.ts";
import type { MaskFilter } from "./mask_filter.ts";
import type { SegmentationPaths } from "../data/paths.ts";
import { closestNames, didYouMean, nearMissImages } from "../base/suggest.ts";
import { displayHook } from "../display/jupyter.ts";
import { summaryBundle } from "./_summary.ts";
// Analysis tables (issue 12): each in its own module, delegated to below.
import { coverage, type CoverageOptions } from "./tables/coverage.ts";
import {
  type GridsOptions,
  type MaskGrids,
  maskGrids,
} from "./tables/grids.ts";
import { Trials } from "./tables/trials.ts";
import { type CocoDataset, type CocoOptions, toCoco } from "./tables/coco.ts";

/**
 * Which masks to stream or measure: a metadata DataFrame (any Polars filter
 * of `seg.metadata`; its `mask_row` column counts) or HDF5 mask rows.
 */
export type MaskSelection = pl.DataFrame | readonly number[];

/** Options for {@link SegmentationsReader.masks}. */
export interface MasksOptions extends StreamOptions {
  /**
   * Reuse a mask's memory for a later mask once the next one is requested
   * (the idea of h5py's `read_direct`): a long scan then needs no new
   * megabyte per mask. New memory is most of a scan's cost: the garbage
   * collector frees dead masks late, and the pages they held must be mapped
   * again. Measured in `deno task bench`: 2-3x faster scans.
   *
   * Asking for the next mask detaches the previous one: its `data` becomes
   * empty and its methods throw a TypeError. It never shows another mask's
   * pixels. Copy what you keep: `mask.data.slice()`.
   *
   * @default {false}
   */
  reuse?: boolean;
}

/** Options for {@link SegmentationsReader.stats}. */
export interface StatsOptions extends StreamOptions {
  /**
   * The whole-file statistics cache, a Parquet file keyed by a digest of the
   * HDF5 file's bytes: `"user"` (or `true`) keeps it in the user's cache
   * directory (`$XDG_CACHE_HOME` or `~/.cache`, then
   * `laion-fmri-segmentations/stats/`) and also reads one beside the data;
   * `"data"` reads and writes it beside the HDF5 file (a shared cache for a
   * lab's data folder); `false` neither reads nor writes a cache.
   *
   * @default {"user"}
   */
  cache?: boolean | "user" | "data";
  /**
   * The radius, in degrees of visual angle around fixation, of the
   * `foveal_fraction` column.
   *
   * @default {1}
   */
  fovealRadius?: number;
}

/** Options for {@link SegmentationsReader.nouns}. */
export type NounsOptions = Pick<MaskFilter, "localizedOnly">;

/**
 * Thrown by {@link SegmentationsReader.get} when the asked-for mask does not exist;
 * carries what does.
 */
export class MaskNotFoundError extends Error {
  /** The image asked for. */
  readonly imageName: string;
  /** The noun asked for. */
  readonly noun: string;
  /** The instance asked for. */
  readonly instance: number;
  /** The image's nouns (all rows, localized or not); empty when the image has no masks. */
  readonly availableNouns: string[];
  /**
   * The closest existing names to the one that is missing (image names for
   * an unknown image, the image's nouns for an unknown noun), best first;
   * empty when none is close.
   */
  readonly suggestions: string[];

  /** Builds the error and its message. */
  constructor(
    imageName: string,
    noun: string,
    instance: number,
    availableNouns: string[],
    message: string,
    suggestions: string[] = [],
  ) {
    super(message);
    this.name = "MaskNotFoundError";
    this.imageName = imageName;
    this.noun = noun;
    this.instance = instance;
    this.availableNouns = availableNouns;
    this.suggestions = suggestions;
  }
}

/**
 * The LAION-fMRI object-segmentation masks: the metadata CSV as a Polars
 * DataFrame and the HDF5 masks, looked up by image and noun.
 *
 * Everything is indexed once at open; lookups are then answered from memory
 * and a mask costs one read of its chunk(s).
 *
 * This is the reader without figures: `Segmentations` (what `mod.ts` gives)
 * is this class plus `show()`, so the reader never depends on the figure code.
 *
 * @example Open the bundled synthetic sample and read one mask
 * ```ts
 * import { ensureSample } from "../data/sample/sample.ts";
 * import { SegmentationsReader } from "./reader.ts";
 * using seg = await SegmentationsReader.open({ dataDir: await ensureSample() });
 * const image = seg.images()[0];
 * const noun = seg.nouns(image)[0];
 * const mask = seg.get(image, noun);
 * console.log(mask.width * mask.height === mask.data.length); // true
 * ```
 */
export class SegmentationsReader implements Disposable {
  /** One row per mask, the CSV's columns in file order. */
  readonly metadata: pl.DataFrame;
  /** The data directory the files were read from. */
  readonly dataDir: string;
  /** Paths of the files. */
  readonly paths: SegmentationPaths;
  /**
   * How the stimulus maps to degrees of visual angle (set at open with
   * `visualField`): 9.2 degrees wide, centred on fixation, by default.
   * See {@link VisualField} for the conventions.
   */
  readonly visualField: VisualField;
  readonly #source: MaskSource;
  readonly #index: MetadataIndex;
  readonly #streamer: MaskStreamer;
  #analysis: AnalysisSource | undefined;
  #warned = new Set<string>();
  #closed = false;

  /**
   * Use {@link SegmentationsReader.open} (or `Segmentations.open`).
   *
   * @ignore
   */
  constructor(opened: OpenedFiles) {
    const { dataDir, paths, metadata, source } = opened;
    this.visualField = opened.visualField;
    this.dataDir = dataDir;
    this.paths = paths;
    this.metadata = metadata;
    this.#source = source;
    this.#streamer = new MaskStreamer(source, paths.h5);
    this.#index = new MetadataIndex(
      metadata,
      source.shape[0],
      paths.csv,
      paths.h5,
    );
  }

  /**
   * Opens the segmentation files of a data directory.
   *
   * @throws {Error} When no data directory is configured, a file is missing,
   * or a file is malformed; the message names the file and what to do.
   */
  static async open(
    options: SegmentationsOpenOptions = {},
  ): Promise<SegmentationsReader> {
    return await openWith(SegmentationsReader, options);
  }

  /** Number of masks in the HDF5 file. */
  get length(): number {
    return this.#source.shape[0];
  }

  /** Mask height in pixels (from the file). */
  get height(): number {
    return this.#source.shape[1];
  }

  /** Mask width in pixels (from the file). */
  get width(): number {
    return this.#source.shape[2];
  }

  /**
   * The mask in HDF5 row `maskRow`, with its metadata when the CSV lists it.
   * A negative row counts from the end, as Python's `seg[-1]` does:
   * `row(-1)` is the last mask.
   *
   * @throws {RangeError} When `maskRow` is not an integer in
   * `[-length, length)`.
   */
  row(maskRow: number): Mask {
    checkRowArg(maskRow);
    this.#checkOpen();
    const n = this.length;
    if (!Number.isInteger(maskRow)) {
      throw new RangeError(
        `seg.row: maskRow must be an integer (a row of ${this.paths.h5}, 0 to ${
          n - 1
        } or -${n} to -1 from the end); got ${maskRow}.`,
      );
    }
    if (maskRow < -n || maskRow >= n) {
      throw new RangeError(
        `Mask row ${maskRow} is out of range: ${this.paths.h5} holds rows 0 to ${
          n - 1
        } (or -${n} to -1 from the end).`,
      );
    }
    const r = maskRow < 0 ? n + maskRow : maskRow;
    return this.#mask(r, this.#index.csvRowOfMask(r));
  }

  /**
   * The mask of `noun` number `instance` (the CSV's `instance_id`) in `imageName`.
   *
   * @throws {MaskNotFoundError} When the image has no masks (only the shared
   * stimulus set has any) or no such noun and instance; lists the image's
   * nouns and suggests the closest names (a case difference, a missing
   * suffix such as `_i0`, a typo).
   * @throws {TypeError} When `imageName` or `noun` is not a string (e.g. a
   * DataFrame): pick one value from it.
   */
  get(imageName: string, noun: string, instance = 0): Mask {
    checkGetArgs(imageName, noun, instance);
    this.#checkOpen();
    const index = this.#index;
    const rows = index.rowsOf(imageName);
    if (rows.length === 0) {
      const close = closestNames(imageName, index.imageNames());
      throw new MaskNotFoundError(
        imageName,
        noun,
        instance,
        [],
        `No masks for image "${imageName}": segmentation masks exist only for the shared stimulus set ` +
          `(${index.imageCount} images here; seg.hasImage(name) tells which).` +
          didYouMean(imageName, close),
        close,
      );
    }
    for (const r of rows) {
      if (index.noun[r] === noun && index.instance[r] === instance) {
        return this.#mask(index.maskRow[r], r);
      }
    }
    const available = this.nouns(imageName, { localizedOnly: false });
    const instances = rows.filter((r) => index.noun[r] === noun).map((r) =>
      index.instance[r]
    );
    if (instances.length > 0) {
      throw new MaskNotFoundError(
        imageName,
        noun,
        instance,
        available,
        `Image "${imageName}" has no instance ${instance} of noun "${noun}"; ` +
          `its ${instances.length === 1 ? "instance is" : "instances are"} ${
            instances.join(", ")
          }.`,
      );
    }
    const close = closestNames(noun, available);
    throw new MaskNotFoundError(
      imageName,
      noun,
      instance,
      available,
      `Image "${imageName}" has no noun "${noun}".${
        didYouMean(noun, close)
      } Its nouns: ${available.map((n) => JSON.stringify(n)).join(", ")}.`,
      close,
    );
  }

  /**
   * The metadata rows of one image in CSV order; an empty frame with the same
   * columns when the image has no masks.
   */
  forImage(imageName: string): pl.DataFrame {
    checkImageArg("seg.forImage", imageName);
    const rows = this.#index.rowsOf(imageName);
    if (rows.length === 0) {
      this.#warnNearMiss("seg.forImage", imageName);
      return this.metadata.clear();
    }
    const first = rows[0];
    if (rows[rows.length - 1] - first === rows.length - 1) {
      return this.metadata.slice(first, rows.length);
    }
    return this.metadata.filter(pl.col("image_name").eq(pl.lit(imageName)));
  }

  /**
   * The image's nouns, deduplicated in the order of their first CSV row; `[]`
   * for an image without masks.
   */
  nouns(imageName: string, options: NounsOptions = {}): string[] {
    checkNounsArgs(imageName, options);
    const localizedOnly = options.localizedOnly ?? true;
    const index = this.#index;
    const seen = new Set<string>();
    const rows = index.rowsOf(imageName);
    if (rows.length === 0) this.#warnNearMiss("seg.nouns", imageName);
    for (const r of rows) {
      if (localizedOnly && index.localized[r] !== 1) continue;
      seen.add(index.noun[r] ?? "");
    }
    return [...seen];
  }

  /** Whether the image has any masks. */
  hasImage(imageName: string): boolean {
    checkImageArg("seg.hasImage", imageName);
    return this.#index.rowsOf(imageName).length > 0;
  }

  /** Image names in order of their first appearance in the metadata (not sorted). */
  images(): string[] {
    return this.#index.imageNames();
  }

  /**
   * Streams masks in file order (ascending `mask_row` for files written in
   * order), with bounded memory: a few masks per lane are in flight at a
   * time. The calling thread decodes alongside the reader's Web Workers
   * (one pool per reader, started on first need, shared by every stream,
   * ended by {@link SegmentationsReader.close}); a short selection is
   * decoded on the calling thread alone. A stream left unfinished holds
   * nothing: the process can still exit.
   *
   * @param selection A metadata frame (e.g. `seg.metadata.filter(...)`) or
   * mask rows; all masks when omitted.
   * @throws {RangeError} When a selected row is outside the file.
   *
   * @example Mean area of the confident masks
   * ```ts
   * import { ensureSample, pl, Segmentations } from "../../mod.ts";
   * using seg = await Segmentations.open({ dataDir: await ensureSample() });
   * let total = 0, n = 0;
   * for await (const mask of seg.masks(seg.metadata.filter(pl.col("score").gt(0.8)))) {
   *   total += mask.area;
   *   n++;
   * }
   * console.log(n > 0 && total / n > 0); // true
   * ```
   *
   * @example A long scan that keeps nothing: reuse the memory
   * ```ts
   * import { ensureSample, Segmentations } from "../../mod.ts";
   * using seg = await Segmentations.open({ dataDir: await ensureSample() });
   * const rowsPerNoun = new Map<string, number>();
   * for await (const mask of seg.masks(undefined, { reuse: true })) {
   *   if (mask.area > 0) {
   *     rowsPerNoun.set(mask.noun!, (rowsPerNoun.get(mask.noun!) ?? 0) + 1);
   *   }
   * }
   * console.log(rowsPerNoun.size > 0); // true
   * ```
   */
  async *masks(
    selection?: MaskSelection,
    options: MasksOptions = {},
  ): AsyncGenerator<Mask> {
    checkStreamArgs("seg.masks", selection, options);
    this.#checkOpen();
    const rows = this.#selectRows(selection);
    const index = this.#index;
    // With `reuse`, the previous mask's memory is taken back (detaching
    // every view of it) when the next mask is asked for, and handed to the
    // stream for a later mask: one owner at a time, so no mask ever shows
    // another's pixels.
    const spare: Uint8Array[] = [];
    const reuse = options.reuse === true;
    let previous: Uint8Array | undefined;
    const take = reuse ? () => spare.pop() : undefined;
    for await (
      const item of this.#streamer.stream(rows, "decode", options, take)
    ) {
      // A next() still pending when close() was called rejects.
      this.#streamer.checkOpen();
      if (previous) {
        const memory = reclaim(previous);
        if (memory) spare.push(memory);
        previous = undefined;
      }
      const csvRow = index.csvRowOfMask(item.maskRow);
      if (reuse) previous = item.data;
      yield new Mask(
        this.width,
        this.height,
        item.data!,
        item.maskRow,
        csvRow < 0 ? null : index.info(csvRow),
      );
    }
  }

  /**
   * Per-mask statistics, one row per selected mask (in selection order):
   * `mask_row`, the CSV's `image_name`, `noun`, `instance_id` and `score`
   * (null for a row the CSV does not list), `area` (pixels, integer),
   * `area_fraction` (area / pixels, correctly rounded), the pixel bounding
   * box `bbox_x0, bbox_y0, bbox_x1, bbox_y1` (integers, x1 and y1 exclusive;
   * null for an empty mask), the centroid `centroid_x, centroid_y` (mean
   * pixel index), and `box_mismatch`: whether the pixel box and the CSV box
   * differ by more than 2 px on any side (null without a CSV box or for an
   * empty mask).
   *
   * The whole file's statistics are computed once (by the reader's worker
   * pool and the calling thread) and cached as Parquet, keyed by a digest of
   * the HDF5 file's bytes, in the user's cache directory (see
   * {@link StatsOptions.cache}); the data folder is not written to unless
   * asked (`cache: "data"`). A selection is answered from that cache when
   * it exists.
   *
   * @throws {RangeError} When a selected row is outside the file.
   * @throws {TypeError} When `cache` is not `true`, `false`, `"user"` or `"data"`.
   *
   * @example Area and pixel box of one image's masks
   * ```ts
   * import { ensureSample, Segmentations } from "../../mod.ts";
   * using seg = await Segmentations.open({ dataDir: await ensureSample() });
   * const image = seg.images()[0];
   * const stats = await seg.stats(seg.forImage(image), { cache: false });
   * console.log(stats.getColumn("image_name").toArray().every((n) => n === image)); // true
   * ```
   */
  async stats(
    selection?: MaskSelection,
    options: StatsOptions = {},
  ): Promise<pl.DataFrame> {
    checkStreamArgs("seg.stats", selection, options);
    this.#checkOpen();
    const rows = this.#selectRows(selection);
    const cache = options.cache ?? "user";
    if (![true, false, "user", "data"].includes(cache)) {
      throw new TypeError(
        `stats: cache must be true, false, "user" or "data"; got ${
          JSON.stringify(cache)
        }.`,
      );
    }
    const place: StatsCachePlace | undefined = cache === false
      ? undefined
      : cache === "data"
      ? "data"
      : "user";
    const digest = place ? contentDigest(this.paths.h5) : "";
    const radius = options.fovealRadius ?? 1;
    if (!(radius >= 0 && Number.isFinite(radius))) {
      throw new RangeError(
        `seg.stats: fovealRadius must be a finite number of degrees >= 0; got ${radius}.`,
      );
    }
    let perRow = place
      ? readStatsCache(this.paths.h5, digest, this.length, place)
      : undefined;
    // The degree sums come with the statistics when the masks are decoded
    // for them; a cached table (or a new visual field) needs them alone.
    const field = this.visualField;
    let sums: DegreeSums | undefined;
    if (!perRow) {
      const [fx, fy] = field.fixation;
      const degrees = { fx, fy, k: field.degreesPerPixel, radius };
      sums = {
        eccSum: new Float64Array(this.length).fill(NaN),
        within: new Float64Array(this.length).fill(NaN),
      };
      const all = selection === undefined || rows.length === this.length;
      const wanted = all
        ? Array.from({ length: this.length }, (_, i) => i)
        : [...new Set(rows)];
      const columns = CACHE_COLUMNS.map(() => new Float64Array(wanted.length));
      for await (
        const item of this.#streamer.stream(
          wanted,
          "stats",
          options,
          undefined,
          degrees,
        )
      ) {
        const s = item.stats!;
        sums.eccSum[item.maskRow] = s[STAT.ECC_SUM];
        sums.within[item.maskRow] = s[STAT.WITHIN];
        columns[0][item.index] = item.maskRow;
        columns[1][item.index] = s[STAT.AREA];
        for (let c = 2; c < CACHE_COLUMNS.length; c++) {
          columns[c][item.index] = s[c - 1];
        }
      }
      const orNull = (c: string) =>
        pl.when(pl.col(c).isNan()).then(pl.lit(null)).otherwise(pl.col(c));
      perRow = pl.DataFrame(
        Object.fromEntries(CACHE_COLUMNS.map((name, c) => [name, columns[c]])),
      ).select(
        pl.col("mask_row").cast(pl.Int64),
        pl.col("area").cast(pl.Int64),
        ...["bbox_x0", "bbox_y0", "bbox_x1", "bbox_y1"].map((c) =>
          orNull(c).cast(pl.Int32).alias(c)
        ),
        ...["centroid_x", "centroid_y"].map((c) => orNull(c).alias(c)),
      );
      if (all && place) {
        writeStatsCache(this.paths.h5, digest, perRow, place);
        writeDegreeCache(this.paths.h5, digest, field, radius, place, sums);
      }
    }
    if (!sums) {
      const all = selection === undefined || rows.length === this.length;
      sums = await degreeSums(
        this.#analysisSource(),
        all
          ? Array.from({ length: this.length }, (_, i) => i)
          : [...new Set(rows)],
        field,
        radius,
        {
          place,
          digest,
          onProgress: options.onProgress,
          signal: options.signal,
        },
      );
    }
    return this.#statsFrame(perRow, rows, sums);
  }

  /**
   * Web Workers loaded and decoding for this reader's streams: 0 before the
   * first long stream, after {@link SegmentationsReader.close}, and after a
   * minute without streams. Idle workers never keep a script alive.
   */
  get activeWorkers(): number {
    return this.#streamer.readyWorkers;
  }

  /** Which reader serves the masks: the fast chunk reader or h5wasm. */
  get reader(): "chunks" | "h5wasm" {
    return this.#source.reader;
  }

  /**
   * Releases the HDF5 file and ends the reader's Web Workers; a stream
   * still running rejects with a "reader closed" error. Safe to call twice.
   *
   * Unlike the Python class, which reopens its file on the next access, a
   * closed reader stays closed: every later read throws an error saying so.
   * Reopening silently would hide a use-after-close bug and bring back the
   * file handle and workers `using` meant to release; open it again with
   * `Segmentations.open` instead.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#streamer.close(
      new Error(
        `Reader closed: ${this.paths.h5} was closed while masks were being read; ` +
          `open it again to read more.`,
      ),
    );
    this.#source.close();
  }

  /** Same as {@link SegmentationsReader.close}. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** A one-line summary. */
  toString(): string {
    return `Segmentations(${this.length} masks, ${this.#index.imageCount} images, ${this.width}x${this.height}, ${this.dataDir})`;
  }

  /**
   * The Deno Jupyter kernel calls this when a cell ends with the reader: a
   * compact summary (masks, images, nouns, the localized share, the most
   * frequent nouns, the files and the reader in use) as HTML and text.
   * Outside a kernel it returns that bundle; inside, it shows it as a
   * display output and leaves an empty result (see lib/display/jupyter.ts).
   */
  [Symbol.for("Jupyter.display")]():
    | Record<string, string>
    | Promise<Record<string, string>> {
    return displayHook(() =>
      summaryBundle({
        masks: this.length,
        images: this.#index.imageCount,
        width: this.width,
        height: this.height,
        reader: this.#closed ? "closed" : this.reader,
        nouns: this.#index.noun,
        localized: this.#index.localized,
        files: [
          { label: "masks", path: this.paths.h5 },
          { label: "metadata", path: this.paths.csv },
        ],
      })
    )();
  }

  #selectRows(selection: MaskSelection | undefined): number[] {
    return maskRowsOf(selection, this.length, this.paths.h5);
  }

  #statsFrame(
    perRow: pl.DataFrame,
    rows: number[],
    sums: DegreeSums,
  ): pl.DataFrame {
    // Position of each HDF5 row in the per-row table.
    const maskRows = perRow.getColumn("mask_row").cast(pl.Float64)
      .toArray() as number[];
    const at = new Int32Array(this.length).fill(-1);
    for (let i = 0; i < maskRows.length; i++) at[maskRows[i]] = i;
    const take = pl.Series("take", rows.map((r) => at[r]), pl.UInt32);
    const picked = perRow.select(
      ...CACHE_COLUMNS.map((c) => pl.col(c).gather(take)),
    );
    const index = this.#index;
    const csvRows = rows.map((r) => index.csvRowOfMask(r));
    const infos = csvRows.map((c) => c < 0 ? null : index.info(c));
    const bbox = ["bbox_x0", "bbox_y0", "bbox_x1", "bbox_y1"].map((c) =>
      picked.getColumn(c).toArray() as (number | null)[]
    );
    const mismatch = infos.map((info, i) => {
      const box = info?.box;
      if (!box || bbox[0][i] === null) return null;
      return bbox.some((col, k) => Math.abs((col[i] as number) - box[k]) > 2);
    });
    // area / pixels in JS: correctly rounded, where Polars multiplies by
    // the reciprocal (0.07109499999999999 for 71,095 of 1,000,000).
    const pixels = this.width * this.height;
    const area = picked.getColumn("area").cast(pl.Float64)
      .toArray() as number[];
    const fraction = Float64Array.from(area, (a) => a / pixels);
    const identity = [
      pl.Series("image_name", infos.map((i) => i?.imageName ?? null))
        .cast(pl.Utf8),
      pl.Series("noun", infos.map((i) => i?.noun ?? null)).cast(pl.Utf8),
      pl.Series("instance_id", infos.map((i) => i?.instance ?? null))
        .cast(pl.Int64),
      pl.Series("score", infos.map((i) => i?.score ?? null)).cast(pl.Float64),
    ];
    // Degrees of visual angle (see VisualField): the centroid's position,
    // eccentricity and polar angle, the pixels' mean eccentricity, the
    // area, and the share of pixels within the foveal radius.
    const field = this.visualField;
    const k = field.degreesPerPixel;
    const cx = picked.getColumn("centroid_x").toArray() as (number | null)[];
    const cy = picked.getColumn("centroid_y").toArray() as (number | null)[];
    const xDeg = cx.map((x) =>
      x === null ? null : (x + 0.5 - field.fixation[0]) * k
    );
    const yDeg = cy.map((y) =>
      y === null ? null : (field.fixation[1] - y - 0.5) * k
    );
    const ecc = xDeg.map((x, i) => x === null ? null : Math.hypot(x, yDeg[i]!));
    const angle = xDeg.map((x, i) =>
      x === null ? null : polarAngle(x, yDeg[i]!)
    );
    const meanEcc = rows.map((r, i) =>
      area[i] > 0 ? sums.eccSum[r] / area[i] : null
    );
    const foveal = rows.map((r, i) =>
      area[i] > 0 ? sums.within[r] / area[i] : null
    );
    return picked.withColumns(
      ...identity,
      pl.Series("area_fraction", fraction),
      pl.Series("box_mismatch", mismatch).cast(pl.Bool),
      pl.Series("centroid_x_deg", xDeg, pl.Float64),
      pl.Series("centroid_y_deg", yDeg, pl.Float64),
      pl.Series("eccentricity_deg", ecc, pl.Float64),
      pl.Series("polar_angle_deg", angle, pl.Float64),
      pl.Series("mean_eccentricity_deg", meanEcc, pl.Float64),
      pl.Series("area_deg2", Float64Array.from(area, (a) => a * k * k)),
      pl.Series("foveal_fraction", foveal, pl.Float64),
    ).select(
      "mask_row",
      "image_name",
      "noun",
      "instance_id",
      "score",
      "area",
      "area_fraction",
      ...CACHE_COLUMNS.slice(2),
      "box_mismatch",
      "centroid_x_deg",
      "centroid_y_deg",
      "eccentricity_deg",
      "polar_angle_deg",
      "mean_eccentricity_deg",
      "area_deg2",
      "foveal_fraction",
    );
  }

  /** What the analysis tables read: the metadata and the one checked scan. */
  #analysisSource(): AnalysisSource {
    if (this.#analysis) return this.#analysis;
    return this.#analysis = {
      width: this.width,
      height: this.height,
      length: this.length,
      metadata: this.metadata,
      paths: this.paths,
      images: () => this.images(),
      scan: (rows, options) => {
        this.#checkOpen();
        return this.#scan(rows, options ?? {});
      },
    };
  }

  async *#scan(
    rows: readonly number[],
    options: Parameters<AnalysisSource["scan"]>[1] & object,
  ): AsyncGenerator<[number, Int32Array]> {
    for await (const item of scanIntervals(this.#source, rows, options)) {
      // A scan still running when close() was called stops with an error.
      this.#checkOpen();
      yield item;
    }
  }

  /**
   * Warns once per name when an image without masks is a near miss of one
   * with masks (another case, a missing extension or `_i0` suffix): the
   * answer stays empty, as for any image without masks, but a typo should
   * not pass unnoticed.
   */
  #warnNearMiss(fn: string, imageName: string): void {
    if (this.#warned.has(imageName)) return;
    this.#warned.add(imageName);
    const near = nearMissImages(imageName, this.#index.imageNames());
    if (near.length === 0) return;
    console.warn(
      `${fn}: image "${imageName}" has no masks, but ${
        near.map((n) => JSON.stringify(n)).join(" and ")
      } ${near.length === 1 ? "does" : "do"}. Did you mean ${
        JSON.stringify(near[0])
      }? (Only the shared stimuli have masks; this warning is shown once per name.)`,
    );
  }

  #checkOpen(): void {
    if (this.#closed) {
      throw new Error(
        `This reader (${this.paths.h5}) is closed; open it again.`,
      );
    }
  }

  #mask(maskRow: number, csvRow: number): Mask {
    const data = this.#source.readRow(maskRow);
    return new Mask(
      this.width,
      this.height,
      data,
      maskRow,
      csvRow < 0 ? null : this.#index.info(csvRow),
    );
  }

  /**
   * Masks and images per noun, most masks first; of `frame` when given (any
   * frame filtered from `metadata`), else of all of `metadata`.
   */
  nounCounts(
    frame: pl.DataFrame = this.metadata,
    options: NounCountsOptions = {},
  ): pl.DataFrame {
    checkFrameArg("seg.nounCounts", frame);
    return nounCounts(frame, options);
  }

  /**
   * The data's distinct nouns (or those of `frame`, any filter of
   * `metadata`) with their head noun, longest WordNet term, supersense and
   * category, and their `masks` and `images` counts; computed once per set
   * of nouns and cached. See {@link nounTable}.
   *
   * @example The categories of the sample's nouns
   * ```ts
   * import { ensureSample, Segmentations } from "../../mod.ts";
   * using seg = await Segmentations.open({ dataDir: await ensureSample() });
   * const table = await seg.nounTable();
   * console.log(table.columns.includes("category")); // true
   * ```
   */
  async nounTable(
    frame?: pl.DataFrame,
    options: Omit<NounTableOptions, "frame"> = {},
  ): Promise<pl.DataFrame> {
    if (frame !== undefined) checkFrameArg("seg.nounTable", frame);
    return await nounTable(this.metadata, { ...options, frame });
  }

  /**
   * `frame` (default `metadata`) with each row's `head`, `term`,
   * `supersense` and `category` added. See {@link withNouns}.
   */
  async withNouns(
    frame?: pl.DataFrame,
    options: Omit<NounTableOptions, "frame"> = {},
  ): Promise<pl.DataFrame> {
    if (frame !== undefined) checkFrameArg("seg.withNouns", frame);
    return await withNouns(this.metadata, { ...options, frame });
  }

  /**
   * Images whose nouns satisfy `query` (`anyOf`, `allOf`, `noneOf`), in order
   * of first appearance: by default the images for which `seg.nouns(image)`
   * satisfies it. See {@link imagesWith}.
   */
  imagesWith(
    query: ImagesWithQuery,
    options: ImagesWithOptions = {},
  ): string[] {
    checkImagesWithArgs("seg.imagesWith", undefined, query, options);
    return imagesWith(options.frame ?? this.metadata, query, options);
  }

  /**
   * One row per (image_name, noun) with `masks`, `pixels` (area of the
   * union of that noun's masks in that image) and `fraction`; `{ wide: true }`
   * pivots to one row per image and one column per noun. The whole file's
   * table is cached in the user cache dir; see {@link CoverageOptions}.
   *
   * @example Regressor matrix: one row per image, one column per noun
   * ```ts
   * import { ensureSample, Segmentations } from "../../mod.ts";
   * using seg = await Segmentations.open({ dataDir: await ensureSample() });
   * const long = await seg.coverage();
   * const wide = await seg.coverage(undefined, { wide: true });
   * console.log(long.columns); // [ "image_name", "noun", "masks", "pixels", "fraction" ]
   * console.log(wide.height === seg.images().length); // true
   * ```
   *
   * @throws {RangeError} When a selected row is outside the file.
   */
  async coverage(
    selection?: MaskSelection,
    options: CoverageOptions = {},
  ): Promise<pl.DataFrame> {
    checkTableArgs("seg.coverage", selection, options, COVERAGE_OPTIONS);
    this.#checkOpen();
    return await coverage(this.#analysisSource(), selection, options);
  }

  /**
   * The selected masks pooled onto `size x size` grids of covered fractions
   * (default 32), in selection order; all masks when omitted. Each cell
   * holds the fraction of its area the mask covers, area-weighted, so a
   * grid sums to the mask's area divided by the cell area whether or not
   * the size divides the mask's sides. With the real layout (one mask per
   * chunk) masks are read as runs of set pixels on this thread, else
   * streamed by {@link SegmentationsReader.masks}.
   *
   * @example Confident masks on a 16 x 16 grid
   * ```ts
   * import { ensureSample, pl, Segmentations } from "../../mod.ts";
   * using seg = await Segmentations.open({ dataDir: await ensureSample() });
   * const confident = seg.metadata.filter(pl.col("score").gt(0.8));
   * const grids = await seg.grids(confident, { size: 16 });
   * const first = grids.data.subarray(0, 16 * 16);
   * const cellArea = (seg.width / 16) * (seg.height / 16);
   * const sum = first.reduce((a, b) => a + b, 0);
   * const area = seg.row(grids.maskRows[0]).area;
   * console.log(grids.maskRows.length === confident.height); // true
   * console.log(Math.abs(sum - area / cellArea) < 1e-3); // true
   * ```
   *
   * @throws {RangeError} For a size that is not a positive integer or a
   * selected row outside the file.
   */
  async grids(
    selection?: MaskSelection,
    options: GridsOptions = {},
  ): Promise<MaskGrids> {
    checkTableArgs("seg.grids", selection, options, GRIDS_OPTIONS);
    this.#checkOpen();
    return await maskGrids(this.#analysisSource(), selection, options);
  }

  /**
   * For each pRF (`x_deg`, `y_deg`, `sigma_deg`, optionally `exponent`, as
   * a Polars frame or an array) and each image of `seg.images()`, the share
   * of the pRF's weight inside the union of the image's selected masks (per
   * noun with `by: "noun"`), exact at full resolution. See
   * {@link prfOverlap} for how it is normalised.
   *
   * @example Two pRFs over the sample's images
   * ```ts
   * import { ensureSample, Segmentations } from "../../mod.ts";
   * using seg = await Segmentations.open({ dataDir: await ensureSample() });
   * const prfs = [
   *   { x_deg: 0, y_deg: 0, sigma_deg: 1 },
   *   { x_deg: -2, y_deg: 1.5, sigma_deg: 0.5 },
   * ];
   * const { values, images } = await seg.prfOverlap(prfs);
   * console.log(values.length === 2 * images.length); // true
   * console.log(values.every((v) => v >= 0 && v <= 1)); // true
   * ```
   */
  async prfOverlap(
    prfs: pl.DataFrame | readonly Prf[],
    selection?: MaskSelection,
    options: PrfOverlapOptions = {},
  ): Promise<PrfOverlapResult> {
    checkSelection("seg.prfOverlap", "selection", selection, {
      optional: true,
    });
    this.#checkOpen();
    return await prfOverlap(
      this.#analysisSource(),
      this.visualField,
      prfs,
      selection,
      options,
    );
  }

  /**
   * The masks trial by trial: `table` is a Polars frame or the path of a
   * BIDS events TSV with an `image_name` or `label` column. See {@link Trials}.
   */
  trials(table: pl.DataFrame | string): Trials {
    this.#checkOpen();
    return new Trials(this, table);
  }

  /**
   * The selected masks (all when omitted) as a COCO-format dataset with RLE
   * segmentations: `images`, `categories` (the nouns), `annotations` with
   * the mask as compressed RLE, pixel `bbox` `[x, y, w, h]`, `area`, `score`
   * and `iscrowd: 0`. See {@link CocoDataset}. Masks are read as in
   * {@link SegmentationsReader.grids}.
   *
   * @example Export the confident masks of two images
   * ```ts
   * import { decodeRle, ensureSample, pl, Segmentations } from "../../mod.ts";
   * using seg = await Segmentations.open({ dataDir: await ensureSample() });
   * const two = seg.metadata.filter(pl.col("image_name").isIn(seg.images().slice(0, 2)));
   * const coco = await seg.toCoco(two, { minScore: 0.5 });
   * const first = coco.annotations[0];
   * console.log(coco.images.length <= 2, decodeRle(first.segmentation).area === first.area); // true true
   * ```
   *
   * @throws {RangeError} When a selected row is outside the file.
   */
  async toCoco(
    selection?: MaskSelection,
    options: CocoOptions = {},
  ): Promise<CocoDataset> {
    checkTableArgs("seg.toCoco", selection, options, COCO_OPTIONS);
    this.#checkOpen();
    return await toCoco(this.#analysisSource(), selection, options);
  }
}

/**
 * The memory of `data` as a new array, `data` and every other view of it
 * detached (ArrayBuffer#transfer moves it, no copy); `undefined` for a
 * buffer that cannot be moved (already detached or transferred elsewhere).
 */
function reclaim(data: Uint8Array): Uint8Array | undefined {
  try {
    return new Uint8Array((data.buffer as ArrayBuffer).transfer());
  } catch {
    return undefined;
  }
}
