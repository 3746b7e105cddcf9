/**
 * The stimulus images (JPEG bytes in `task-images_stimuli.h5`).
 *
 * @module
 */

import { checkString } from "../base/args.ts";
import { existsSync } from "node:fs";
import { splitCsvLine } from "../data/csv.ts";
import { type H5BytesDataset, openH5BytesDataset } from "../hdf5/h5wasm.ts";
import { readVlenBytes } from "../hdf5/chunks.ts";
import { IMAGES_DATASET, segmentationPaths } from "../data/paths.ts";

/**
 * The stimulus archive: JPEG bytes by image name. Opened lazily; absent
 * archives answer `null`.
 */
export class StimulusArchive implements Disposable {
  /** The archive's HDF5 path. */
  readonly h5Path: string;
  /** The CSV that names its rows. */
  readonly csvPath: string;
  #rows: Map<string, number> | undefined;
  #dataset: H5BytesDataset | undefined;
  #closed = false;

  /** Points at `<dataDir>/stimuli/task-images_stimuli.h5` and its CSV. */
  constructor(dataDir: string) {
    checkString("new StimulusArchive", "dataDir", dataDir);
    const paths = segmentationPaths(dataDir);
    this.h5Path = paths.stimuliH5;
    this.csvPath = paths.stimuliCsv;
  }

  /** Whether both archive files exist. */
  get available(): boolean {
    return existsSync(this.h5Path) && existsSync(this.csvPath);
  }

  /** Image names in archive order; `[]` when there is no archive. */
  imageNames(): string[] {
    return this.available ? [...this.#index().keys()] : [];
  }

  /**
   * The JPEG bytes of `imageName`, or `null` when the archive is absent or
   * does not hold that image.
   */
  async jpeg(imageName: string): Promise<Uint8Array | null> {
    checkString("images.jpeg", "imageName", imageName);
    if (this.#closed) {
      throw new Error(`The stimulus archive ${this.h5Path} is closed.`);
    }
    if (!this.available) return null;
    const row = this.#index().get(imageName);
    if (row === undefined) return null;
    this.#dataset ??= await openH5BytesDataset(this.h5Path, IMAGES_DATASET);
    if (row >= this.#dataset.length) {
      throw new RangeError(
        `${this.csvPath} names ${imageName} on row ${row}, but ${this.h5Path} holds ${this.#dataset.length} images; ` +
          `the two files do not belong together.`,
      );
    }
    // h5wasm cuts variable-length strings at the first NUL byte: read those from the global heap.
    return this.#dataset.kind === "uint8"
      ? this.#dataset.read(row)
      : readVlenBytes(this.h5Path, IMAGES_DATASET, row);
  }

  /** Releases the archive. Safe to call twice. */
  close(): void {
    this.#closed = true;
    this.#dataset?.close();
    this.#dataset = undefined;
  }

  /** Same as {@link StimulusArchive.close}. */
  [Symbol.dispose](): void {
    this.close();
  }

  #index(): Map<string, number> {
    if (this.#rows) return this.#rows;
    const lines = Deno.readTextFileSync(this.csvPath).split(/\r?\n/);
    const header = splitCsvLine(lines[0] ?? "");
    const col = header.indexOf("image_name");
    if (col < 0) {
      throw new Error(
        `${this.csvPath} has no image_name column (it has: ${
          header.join(", ")
        }).`,
      );
    }
    const rows = new Map<string, number>();
    for (let i = 1, row = 0; i < lines.length; i++) {
      if (lines[i] === "") continue;
      rows.set(splitCsvLine(lines[i])[col], row++);
    }
    this.#rows = rows;
    return rows;
  }
}
