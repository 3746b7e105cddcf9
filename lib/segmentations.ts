/**
 * The reader: metadata as a Polars DataFrame, masks by image and noun.
 *
 * @module
 */

import { existsSync } from "node:fs";
import pl from "nodejs-polars";
import { getDataDir } from "./config.ts";
import { type MaskSource, openMaskSource } from "./_mask_source.ts";
import { MetadataIndex } from "./_metadata_index.ts";
import {
  imagesWith,
  type ImagesWithOptions,
  type ImagesWithQuery,
  nounCounts,
} from "./noun_counts.ts";
import { type PlotFigure, show, type ShowOptions } from "./show.ts";
import { Mask } from "./mask.ts";
import { readMetadata } from "./metadata.ts";
import {
  MASKS_DATASET,
  type SegmentationPaths,
  segmentationPaths,
} from "./paths.ts";

/** Options for {@link Segmentations.open}. */
export interface SegmentationsOpenOptions {
  /**
   * Folder that holds `stimuli/`. Falls back to env `LAION_FMRI_DATA_DIR`,
   * then the Python package's config file.
   *
   * @default {getDataDir()}
   */
  dataDir?: string;
  /**
   * Which HDF5 reader serves the masks: `"auto"` uses the fast chunk reader
   * (positional reads and native inflate) when it understands the file's
   * layout and h5wasm otherwise; the other values force one.
   *
   * @default {"auto"}
   */
  reader?: "auto" | "chunks" | "h5wasm";
}

/** Options for {@link Segmentations.nouns}. */
export interface NounsOptions {
  /**
   * Keep only masks with `localized == 1` (a box was given and the mask
   * covers < 99% of the image).
   *
   * @default {true}
   */
  localizedOnly?: boolean;
}

/**
 * Thrown by {@link Segmentations.get} when the asked-for mask does not exist;
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

  /** Builds the error and its message. */
  constructor(
    imageName: string,
    noun: string,
    instance: number,
    availableNouns: string[],
    message: string,
  ) {
    super(message);
    this.name = "MaskNotFoundError";
    this.imageName = imageName;
    this.noun = noun;
    this.instance = instance;
    this.availableNouns = availableNouns;
  }
}

/**
 * The LAION-fMRI object-segmentation masks: the metadata CSV as a Polars
 * DataFrame and the HDF5 masks, looked up by image and noun.
 *
 * Everything is indexed once at open; lookups are then answered from memory
 * and a mask costs one read of its chunk(s).
 *
 * @example Open the bundled synthetic sample and read one mask
 * ```ts
 * import { ensureSample } from "./sample.ts";
 * import { Segmentations } from "./segmentations.ts";
 * using seg = await Segmentations.open({ dataDir: await ensureSample() });
 * const image = seg.images()[0];
 * const noun = seg.nouns(image)[0];
 * const mask = seg.get(image, noun);
 * console.log(mask.width * mask.height === mask.data.length); // true
 * ```
 */
export class Segmentations implements Disposable {
  /** One row per mask, the CSV's columns in file order. */
  readonly metadata: pl.DataFrame;
  /** The data directory the files were read from. */
  readonly dataDir: string;
  /** Paths of the files. */
  readonly paths: SegmentationPaths;
  readonly #source: MaskSource;
  readonly #index: MetadataIndex;
  #closed = false;

  private constructor(
    dataDir: string,
    paths: SegmentationPaths,
    metadata: pl.DataFrame,
    source: MaskSource,
  ) {
    this.dataDir = dataDir;
    this.paths = paths;
    this.metadata = metadata;
    this.#source = source;
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
  ): Promise<Segmentations> {
    const dataDir = options.dataDir ?? getDataDir();
    if (dataDir === undefined) {
      throw new Error(
        "No LAION-fMRI data directory is set. Pass { dataDir }, set LAION_FMRI_DATA_DIR, or run " +
          "`deno task cli init PATH` (the Python package's dataset_initialize writes the same config). " +
          "To try the bundled synthetic sample: Segmentations.open({ dataDir: await ensureSample() }).",
      );
    }
    const paths = segmentationPaths(dataDir);
    const missing = [paths.h5, paths.csv].filter((p) => !existsSync(p));
    if (missing.length > 0) {
      throw new Deno.errors.NotFound(
        `Segmentation files missing in ${paths.stimuliDir}/: ${
          missing.map((p) => p.split("/").pop()).join(", ")
        }. ` +
          `Download them with \`deno task cli download-segmentations --data-dir ${dataDir}\` ` +
          `(or downloadSegmentations({ dataDir })).`,
      );
    }
    const metadata = readMetadata(paths.csv);
    const source = await openMaskSource(paths.h5, MASKS_DATASET, {
      reader: options.reader,
    });
    try {
      return new Segmentations(dataDir, paths, metadata, source);
    } catch (err) {
      source.close();
      throw err;
    }
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
   *
   * @throws {RangeError} When `maskRow` is not an integer in `[0, length)`.
   */
  row(maskRow: number): Mask {
    this.#checkOpen();
    if (!Number.isInteger(maskRow) || maskRow < 0 || maskRow >= this.length) {
      throw new RangeError(
        `Mask row ${maskRow} is out of range: ${this.paths.h5} holds rows 0 to ${
          this.length - 1
        }.`,
      );
    }
    return this.#mask(maskRow, this.#index.csvRowOfMask(maskRow));
  }

  /**
   * The mask of `noun` number `instance` (the CSV's `instance_id`) in `imageName`.
   *
   * @throws {MaskNotFoundError} When the image has no masks (only the shared
   * stimulus set has any) or no such noun and instance; lists the image's nouns.
   */
  get(imageName: string, noun: string, instance = 0): Mask {
    this.#checkOpen();
    const index = this.#index;
    const rows = index.rowsOf(imageName);
    if (rows.length === 0) {
      throw new MaskNotFoundError(
        imageName,
        noun,
        instance,
        [],
        `No masks for image "${imageName}": segmentation masks exist only for the shared stimulus set ` +
          `(${index.imageCount} images here; seg.hasImage(name) tells which).`,
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
    const what = instances.length > 0
      ? `noun "${noun}" has instance(s) ${
        instances.join(", ")
      }, not ${instance}`
      : `no noun "${noun}"`;
    throw new MaskNotFoundError(
      imageName,
      noun,
      instance,
      available,
      `Image "${imageName}" has ${what}; its nouns: ${
        available.map((n) => JSON.stringify(n)).join(", ")
      }.`,
    );
  }

  /**
   * The metadata rows of one image in CSV order; an empty frame with the same
   * columns when the image has no masks.
   */
  forImage(imageName: string): pl.DataFrame {
    const rows = this.#index.rowsOf(imageName);
    if (rows.length === 0) return this.metadata.clear();
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
    const localizedOnly = options.localizedOnly ?? true;
    const index = this.#index;
    const seen = new Set<string>();
    for (const r of index.rowsOf(imageName)) {
      if (localizedOnly && index.localized[r] !== 1) continue;
      seen.add(index.noun[r] ?? "");
    }
    return [...seen];
  }

  /** Whether the image has any masks. */
  hasImage(imageName: string): boolean {
    return this.#index.rowsOf(imageName).length > 0;
  }

  /** Image names in order of their first appearance in the metadata (not sorted). */
  images(): string[] {
    return this.#index.imageNames();
  }

  /** Which reader serves the masks: the fast chunk reader or h5wasm. */
  get reader(): "chunks" | "h5wasm" {
    return this.#source.reader;
  }

  /** Releases the HDF5 file. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#source.close();
  }

  /** Same as {@link Segmentations.close}. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** A one-line summary. */
  toString(): string {
    return `Segmentations(${this.length} masks, ${this.#index.imageCount} images, ${this.width}x${this.height}, ${this.dataDir})`;
  }

  #checkOpen(): void {
    if (this.#closed) {
      throw new Error(
        `This Segmentations (${this.paths.h5}) is closed; open it again.`,
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
   * The image's masks as an overlay figure over the stimulus image: a colour
   * per noun with a legend, boxes and labels. See {@link show} for the options.
   *
   * @throws {RangeError} When the image has no masks.
   */
  show(imageName: string, options?: ShowOptions): Promise<PlotFigure> {
    return show(this, imageName, options);
  }

  /**
   * Masks and images per noun, most masks first; of `frame` when given (any
   * frame filtered from `metadata`), else of all of `metadata`.
   */
  nounCounts(frame: pl.DataFrame = this.metadata): pl.DataFrame {
    return nounCounts(frame);
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
    return imagesWith(options.frame ?? this.metadata, query, options);
  }
}
