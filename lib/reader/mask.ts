/**
 * One binary segmentation mask, as read from the HDF5 file.
 *
 * @module
 */

import { displayHook } from "../display/jupyter.ts";
import { encodePng } from "../display/png.ts";

/** The metadata a mask carries when it is known from the CSV. */
export interface MaskInfo {
  /** Stimulus image file name, e.g. `shared_12rep_LAION_cluster_1003_i0.jpg`. */
  imageName: string;
  /** The detected noun. */
  noun: string;
  /** The CSV's `instance_id` among this image's masks of the same noun: ids may skip numbers (0, 2, 4) and instance 0 is not always the best score (see `score`). */
  instance: number;
  /** Detector score. */
  score: number;
  /** Detector box `[x0, y0, x1, y1]` in pixels, or `null` when the detector gave none. */
  box: [number, number, number, number] | null;
  /** Whether the mask is localized (a box was given and it covers < 99% of the image). */
  localized: boolean;
}

/**
 * A binary mask: `data` holds `height * width` values, 0 or 1, row-major.
 *
 * Shown as a PNG when it is a Jupyter cell's last expression.
 *
 * @example Area and bounding box
 * ```ts
 * import { Mask } from "./mask.ts";
 * const mask = new Mask(4, 3, new Uint8Array([0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 0]), 7);
 * console.log(mask.area, mask.bbox()); // 3 [1, 1, 3, 3]
 * ```
 */
export class Mask {
  /** Width in pixels (from the file). */
  readonly width: number;
  /** Height in pixels (from the file). */
  readonly height: number;
  /** Row-major `height * width` values, 0 or 1. */
  readonly data: Uint8Array;
  /** Row of the HDF5 `masks` dataset this mask was read from. */
  readonly maskRow: number;
  /** The CSV metadata, when this mask row appears in the metadata. */
  readonly info: MaskInfo | null;

  /** Wraps `data` (not copied). */
  constructor(
    width: number,
    height: number,
    data: Uint8Array,
    maskRow: number,
    info: MaskInfo | null = null,
  ) {
    if (data.length !== width * height) {
      throw new RangeError(
        `Mask data has ${data.length} values; expected width * height = ${
          width * height
        }.`,
      );
    }
    this.width = width;
    this.height = height;
    this.data = data;
    this.maskRow = maskRow;
    this.info = info;
  }

  /** Stimulus image name, when known. */
  get imageName(): string | undefined {
    return this.info?.imageName;
  }
  /** Noun, when known. */
  get noun(): string | undefined {
    return this.info?.noun;
  }
  /** Instance number, when known. */
  get instance(): number | undefined {
    return this.info?.instance;
  }
  /** Detector score, when known. */
  get score(): number | undefined {
    return this.info?.score;
  }

  /** Number of pixels set. */
  get area(): number {
    const d = this.data;
    let n = 0;
    for (let i = 0; i < d.length; i++) n += d[i] !== 0 ? 1 : 0;
    return n;
  }

  /**
   * Tight pixel bounding box `[x0, y0, x1, y1]` (x1, y1 exclusive), or `null`
   * for an empty mask.
   */
  bbox(): [number, number, number, number] | null {
    const { width, height, data } = this;
    let x0 = width, y0 = height, x1 = -1, y1 = -1;
    for (let y = 0; y < height; y++) {
      const row = y * width;
      let first = -1, last = -1;
      for (let x = 0; x < width; x++) {
        if (data[row + x] !== 0) {
          if (first < 0) first = x;
          last = x;
        }
      }
      if (first < 0) continue;
      if (y < y0) y0 = y;
      y1 = y;
      if (first < x0) x0 = first;
      if (last > x1) x1 = last;
    }
    return x1 < 0 ? null : [x0, y0, x1 + 1, y1 + 1];
  }

  /** PNG bytes of the mask at its own size: set pixels white, others black. */
  toPng(): Uint8Array {
    const rgba = new Uint8ClampedArray(this.width * this.height * 4);
    for (let i = 0, j = 0; i < this.data.length; i++, j += 4) {
      const v = this.data[i] !== 0 ? 255 : 0;
      rgba[j] = rgba[j + 1] = rgba[j + 2] = v;
      rgba[j + 3] = 255;
    }
    return encodePng(rgba, this.width, this.height);
  }

  /** One line: where the mask comes from and its size. */
  toString(): string {
    const what = this.info
      ? `${this.info.imageName} ${this.info.noun} #${this.info.instance}`
      : "mask";
    return `Mask(${what}, row ${this.maskRow}, ${this.width}x${this.height})`;
  }

  /**
   * The Deno Jupyter kernel calls this to show the mask inline: `image/png`
   * at the mask's own size, and a text line. Outside a kernel it returns
   * that bundle; inside, it shows it as a display output (which Deno 2.9's
   * kernel never drops) and returns the text line.
   */
  [Symbol.for("Jupyter.display")]():
    | Record<string, string>
    | Promise<Record<string, string>> {
    return displayHook(
      () => ({
        "image/png": base64(this.toPng()),
        "text/plain": this.toString(),
      }),
      () => this.toString(),
    )();
  }
}

function base64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}
