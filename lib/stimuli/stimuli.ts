/**
 * The stimulus images as presented: `task-images_stimuli.h5` (one encoded
 * JPEG or PNG per row) and `task-images_metadata.csv` (one row per image,
 * in the same order).
 *
 * The archive is not in the public bucket: LAION-fMRI users request access
 * to it; without it everything else works and figures use a neutral
 * background.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { checkOptions } from "../base/args.ts";
import { STIMULUS_ARCHIVE_OPTIONS, STIMULUS_IMAGE_OPTIONS } from "./_args.ts";
import { checkString } from "../base/args.ts";
import { existsSync } from "node:fs";
import { pl } from "../deps.ts";
import { splitCsvLine } from "../data/csv.ts";
import {
  ChunkedDataset,
  openH5BytesDataset,
  readVlenBytes,
} from "../hdf5/mod.ts";
import { IMAGES_DATASET, segmentationPaths } from "../data/paths.ts";
import { closestNames, describeValue } from "../base/suggest.ts";
import {
  decodeStimulus,
  type DecodeStimulusOptions,
  type StimulusImage,
} from "./stimulus_image.ts";

export {
  decodeStimulus,
  type DecodeStimulusOptions,
  imageFormat,
  pngHasAlpha,
  PRESENTATION_GREY,
  type StimulusFormat,
  StimulusImage,
} from "./stimulus_image.ts";

/** The archive's rows of bytes, from whichever reader opened it. */
interface ByteRows {
  readonly reader: "chunks" | "h5wasm";
  readonly length: number;
  read(row: number): Uint8Array;
  close(): void;
}

/** Options for the {@link StimulusArchive} constructor. */
export interface StimulusArchiveOptions {
  /**
   * Which HDF5 reader serves the images: `"auto"` uses the fast chunk reader
   * when it reads the file and h5wasm otherwise; `"h5wasm"` forces h5wasm.
   *
   * @default {"auto"}
   */
  reader?: "auto" | "h5wasm";
}

/** Options for {@link StimulusArchive.image}. */
export interface StimulusImageOptions {
  /**
   * Composite transparent pixels (the RGBA PNGs of the OOD set) over the
   * presentation grey (128, 128, 128) and return RGB, as the images were
   * shown; `false` keeps the alpha channel (RGBA) of images that have one.
   *
   * @default {true}
   */
  asDisplayed?: boolean;
}

/** The columns of `task-images_metadata.csv` read as numbers; the others stay text. */
const NUMERIC_COLUMNS: Record<string, pl.DataType> = { n_reps: pl.Int64 };

/**
 * The stimulus archive, by image name or row: the metadata as a Polars
 * DataFrame, the encoded bytes, and decoded images as they were presented.
 * Files are read lazily; {@link StimulusArchive.available} tells whether they
 * are there.
 *
 * @example Look an image up and decode it
 * ```ts
 * import { ensureSample } from "../data/sample/sample.ts";
 * import { StimulusArchive } from "./stimuli.ts";
 * using stimuli = new StimulusArchive(await ensureSample());
 * const name = stimuli.names()[0];
 * const image = await stimuli.image(name);
 * console.log(stimuli.has(name), image.width, image.channels); // true 1000 3
 * console.log(stimuli.metadata.columns.includes("n_reps")); // true
 * ```
 */
export class StimulusArchive implements Disposable {
  /** The archive's HDF5 path. */
  readonly h5Path: string;
  /** The CSV that names its rows. */
  readonly csvPath: string;
  #names: string[] | undefined;
  #rows: Map<string, number> | undefined;
  #metadata: pl.DataFrame | undefined;
  #source: ByteRows | undefined;
  #closed = false;

  readonly #reader: "auto" | "h5wasm";

  /** Points at `<dataDir>/stimuli/task-images_stimuli.h5` and its CSV. */
  constructor(dataDir: string, options: StimulusArchiveOptions = {}) {
    checkOptions("StimulusArchive", options, STIMULUS_ARCHIVE_OPTIONS);
    this.#reader = options.reader ?? "auto";
    if (this.#reader !== "auto" && this.#reader !== "h5wasm") {
      throw new RangeError(
        `StimulusArchive: reader must be "auto" or "h5wasm"; got ${
          JSON.stringify(options.reader)
        }.`,
      );
    }
    checkString("new StimulusArchive", "dataDir", dataDir);
    const paths = segmentationPaths(dataDir);
    this.h5Path = paths.stimuliH5;
    this.csvPath = paths.stimuliCsv;
  }

  /** Whether both archive files exist. */
  get available(): boolean {
    return existsSync(this.h5Path) && existsSync(this.csvPath);
  }

  /**
   * `task-images_metadata.csv` as a DataFrame: `image_name, dataset,
   * participant, unique_or_shared, n_reps`, one row per image in archive
   * order (row `i` is HDF5 row `i`). It lists subject-unique images too,
   * which have no segmentation masks.
   *
   * @throws {Deno.errors.NotFound} When the archive is absent (it is not in
   * the public bucket: request access).
   */
  get metadata(): pl.DataFrame {
    this.#check();
    if (this.#metadata) return this.#metadata;
    const bytes = Deno.readFileSync(this.csvPath);
    const header = this.#header();
    const dtypes = Object.fromEntries(
      header.map((c) => [c, NUMERIC_COLUMNS[c] ?? pl.Utf8]),
    );
    try {
      this.#metadata = pl.readCSV(
        Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        { dtypes, hasHeader: true, quoteChar: '"' },
      );
    } catch (err) {
      throw new Error(
        `Cannot parse ${this.csvPath} as CSV: ${(err as Error).message}`,
        { cause: err },
      );
    }
    return this.#metadata;
  }

  /** Which HDF5 reader served the images so far (`undefined` before the first read). */
  get reader(): "chunks" | "h5wasm" | undefined {
    return this.#source?.reader;
  }

  /** Number of images in the archive. */
  get length(): number {
    return this.names().length;
  }

  /**
   * Image names in archive order.
   *
   * @throws {Deno.errors.NotFound} When the archive is absent (request access).
   */
  names(): string[] {
    this.#check();
    this.#index();
    return [...this.#names!];
  }

  /** Whether the archive holds `imageName`; `false` when there is no archive. */
  has(imageName: string): boolean {
    if (this.#closed) this.#check();
    return this.available && this.#index().has(imageName);
  }

  /**
   * The archive row of `imageName`.
   *
   * @throws {RangeError} When the archive does not hold it; names the closest
   * image names.
   * @throws {Deno.errors.NotFound} When the archive is absent (request access).
   */
  indexOf(imageName: string): number {
    this.#check();
    if (typeof imageName !== "string") {
      throw new TypeError(
        `indexOf: expected an image name (a string), got ${
          describeValue(imageName)
        }.`,
      );
    }
    const row = this.#index().get(imageName);
    if (row !== undefined) return row;
    const close = closestNames(imageName, this.#names!);
    throw new RangeError(
      `${this.csvPath} has no image "${imageName}"${
        close.length
          ? `; did you mean ${close.map((n) => `"${n}"`).join(" or ")}?`
          : "."
      } stimuli.names() lists all ${this.#names!.length}.`,
    );
  }

  /**
   * The encoded bytes (JPEG or PNG, as stored) of an image, by name or row
   * (negative rows count from the end).
   *
   * @throws {RangeError} For an unknown name or a row out of range.
   * @throws {Deno.errors.NotFound} When the archive is absent (request access).
   */
  async bytes(nameOrIndex: string | number): Promise<Uint8Array> {
    const row = this.#rowOf(nameOrIndex);
    return await this.#read(row);
  }

  /**
   * The decoded image, by name or row: RGB as it was presented (RGBA PNGs
   * composited over grey 128) unless `asDisplayed: false`. Formats are told
   * apart by content, never by the name's extension. Shows inline in Jupyter.
   *
   * @throws {RangeError} For an unknown name or a row out of range.
   * @throws {TypeError} When the stored bytes are not a decodable PNG or JPEG.
   * @throws {Deno.errors.NotFound} When the archive is absent (request access).
   */
  async image(
    nameOrIndex: string | number,
    options: StimulusImageOptions = {},
  ): Promise<StimulusImage> {
    checkOptions("images.image", options, STIMULUS_IMAGE_OPTIONS);
    const row = this.#rowOf(nameOrIndex);
    const bytes = await this.#read(row);
    const decodeOptions: DecodeStimulusOptions = {
      asDisplayed: options.asDisplayed ?? true,
      name: this.#names![row],
      source: `${this.h5Path} row ${row}`,
    };
    return await decodeStimulus(bytes, decodeOptions);
  }

  /** Image names in archive order; `[]` when there is no archive. Prefer {@link StimulusArchive.names}. */
  imageNames(): string[] {
    return this.available ? this.names() : [];
  }

  /**
   * The encoded bytes of `imageName`, or `null` when the archive is absent or
   * does not hold that image. Despite the name, PNG stimuli come back too;
   * prefer {@link StimulusArchive.bytes}.
   */
  async jpeg(imageName: string): Promise<Uint8Array | null> {
    checkString("images.jpeg", "imageName", imageName);
    if (this.#closed) this.#check();
    if (!this.available) return null;
    const row = this.#index().get(imageName);
    if (row === undefined) return null;
    return await this.#read(row);
  }

  /**
   * Releases the archive. Safe to call twice; later reads throw an error
   * saying it is closed (open a new `StimulusArchive` instead).
   */
  close(): void {
    this.#closed = true;
    this.#source?.close();
    this.#source = undefined;
  }

  /** Same as {@link StimulusArchive.close}. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** A one-line summary. */
  toString(): string {
    if (this.#closed) return `StimulusArchive(${this.h5Path}, closed)`;
    return this.available
      ? `StimulusArchive(${this.h5Path}, ${this.length} images)`
      : `StimulusArchive(${this.h5Path}: absent; request access to the stimulus images)`;
  }

  #check(): void {
    if (this.#closed) {
      throw new Error(
        `The stimulus archive ${this.h5Path} is closed; create a new StimulusArchive.`,
      );
    }
    if (!this.available) {
      const missing = [this.h5Path, this.csvPath].filter((p) => !existsSync(p));
      throw new Deno.errors.NotFound(
        `No stimulus archive: ${missing.join(" and ")} ${
          missing.length === 1 ? "is" : "are"
        } missing. The stimulus images are not in the public bucket ` +
          `(download-segmentations does not fetch them): request access to the LAION-fMRI ` +
          `stimulus images from the dataset's maintainers, then put task-images_stimuli.h5 and ` +
          `task-images_metadata.csv into ${
            this.h5Path.replace(/\/[^/]*$/, "/")
          }. ` +
          `Masks, metadata and figures work without them.`,
      );
    }
  }

  #rowOf(nameOrIndex: string | number): number {
    this.#check();
    if (typeof nameOrIndex === "number") {
      this.#index();
      const n = this.#names!.length;
      if (
        !Number.isInteger(nameOrIndex) || nameOrIndex < -n || nameOrIndex >= n
      ) {
        throw new RangeError(
          `Stimulus row ${nameOrIndex} is out of range: ${this.csvPath} lists rows 0 to ${
            n - 1
          } (or -${n} to -1 from the end).`,
        );
      }
      return nameOrIndex < 0 ? n + nameOrIndex : nameOrIndex;
    }
    return this.indexOf(nameOrIndex);
  }

  async #read(row: number): Promise<Uint8Array> {
    if (!this.#source) {
      const source = await this.#open();
      const rows = this.#names!.length;
      if (source.length !== rows) {
        source.close();
        throw new RangeError(
          `${this.csvPath} lists ${rows} images but ${this.h5Path} holds ${source.length}; ` +
            `the two files do not belong together (row i of the CSV names HDF5 row i). Get both again.`,
        );
      }
      this.#source = source;
    }
    return this.#source.read(row);
  }

  /**
   * The archive's rows: through the fast chunk reader when it reads the file
   * (either storage type, NUL bytes kept, no WebAssembly start-up), else
   * through h5wasm, whose errors name what is wrong with the file.
   */
  async #open(): Promise<ByteRows> {
    if (this.#reader === "auto") {
      try {
        const opened = ChunkedDataset.open(this.h5Path, IMAGES_DATASET);
        if ("reader" in opened) {
          const reader = opened.reader;
          if (reader.shape.length === 1 && reader.vlen?.baseSize === 1) {
            return {
              reader: "chunks",
              length: reader.shape[0],
              read: (i) => reader.readVlen(i),
              close: () => reader.close(),
            };
          }
          reader.close();
        }
      } catch {
        // h5wasm below reports what is wrong, naming the file.
      }
    }
    const dataset = await openH5BytesDataset(this.h5Path, IMAGES_DATASET);
    return {
      reader: "h5wasm",
      length: dataset.length,
      // h5wasm cuts variable-length strings at the first NUL byte: read those from the global heap.
      read: (i) =>
        dataset.kind === "uint8"
          ? dataset.read(i)
          : readVlenBytes(this.h5Path, IMAGES_DATASET, i),
      close: () => dataset.close(),
    };
  }

  #header(): string[] {
    const text = Deno.readTextFileSync(this.csvPath);
    const end = text.indexOf("\n");
    const header = splitCsvLine(
      (end < 0 ? text : text.slice(0, end)).replace(/\r$/, "").replace(
        /^\uFEFF/,
        "",
      ),
    );
    if (!header.includes("image_name")) {
      throw new Error(
        `${this.csvPath} has no image_name column (it has: ${
          header.join(", ") || "nothing"
        }); is it task-images_metadata.csv? Get it again.`,
      );
    }
    return header;
  }

  #index(): Map<string, number> {
    if (this.#rows) return this.#rows;
    const lines = Deno.readTextFileSync(this.csvPath).replace(/^\uFEFF/, "")
      .split(/\r?\n/);
    const col = this.#header().indexOf("image_name");
    const rows = new Map<string, number>();
    const names: string[] = [];
    for (let i = 1; i < lines.length; i++) {
      if (lines[i] === "") continue;
      const name = splitCsvLine(lines[i])[col];
      if (!rows.has(name)) rows.set(name, names.length);
      names.push(name);
    }
    this.#names = names;
    this.#rows = rows;
    return rows;
  }
}
