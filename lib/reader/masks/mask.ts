/**
 * One binary segmentation mask, as read from the HDF5 file.
 *
 * @module
 */

import { displayHook, setDisplay } from "../../display/jupyter.ts";
import { checkOptions } from "../../base/args.ts";
import { MASK_DISPLAY_OPTIONS } from "../_args.ts";
import { CUSTOM_INSPECT, setInspect } from "../../display/inspect.ts";
import { encodePng } from "../../display/png.ts";
import { pngBundle } from "../../display/image.ts";
import { checkGridSize, poolMask } from "./grid.ts";
import { maskStats, STAT } from "./stats.ts";

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

/** Options for {@link Mask.display}. */
export interface MaskDisplayOptions {
  /**
   * Shown width in CSS pixels (the height follows the mask's aspect ratio).
   * The PNG inside is always the mask at its own size.
   *
   * @default {320}
   */
  size?: number;
  /**
   * Show only the mask's pixel box with a margin around it, so a small
   * object fills the display instead of being a dot in a black frame. An
   * empty mask is shown whole.
   *
   * @default {false}
   */
  crop?: boolean;
  /**
   * With `crop`, the margin around the box in mask pixels.
   *
   * @default {a quarter of the box's longer side, at least 4}
   */
  margin?: number;
}

/**
 * What {@link Mask.display} returns: shown by the Deno Jupyter kernel when
 * it is a cell's last expression.
 */
export interface MaskDisplay {
  /** The mask shown. */
  readonly mask: Mask;
  /** Shown width in CSS pixels. */
  readonly size: number;
  /** The display's `text/html` and `text/plain`. */
  bundle(): Record<string, string>;
}

/**
 * A binary mask: `data` holds `height * width` values, 0 or 1, row-major.
 *
 * A Jupyter cell that ends with a mask shows it 320 pixels wide under a
 * title (image, noun, instance, score, area); `mask.display({ size })`
 * picks another size, `mask.toPng()` gives the PNG at the mask's own size.
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
  /**
   * Row-major `height * width` values, 0 or 1. Empty once a
   * `seg.masks(..., { reuse: true })` stream has moved on to the next mask
   * (its memory then holds a later mask; the methods throw).
   */
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

  /** Number of pixels set (any non-zero value counts). */
  get area(): number {
    // A word at a time with empty runs skipped (4x a byte loop on real masks).
    return maskStats(this.#pixels(), this.width, this.height)[STAT.AREA];
  }

  /**
   * Tight pixel bounding box `[x0, y0, x1, y1]` (x1, y1 exclusive), or `null`
   * for an empty mask.
   */
  bbox(): [number, number, number, number] | null {
    const s = maskStats(this.#pixels(), this.width, this.height);
    return s[STAT.AREA] === 0
      ? null
      : [s[STAT.X0], s[STAT.Y0], s[STAT.X1], s[STAT.Y1]];
  }

  /**
   * The mask pooled onto a `size x size` grid, row-major: each cell holds
   * the fraction of its area the mask covers, weighted by how much of each
   * pixel falls in it, so the grid sums to `area / cell area` whether or not
   * `size` divides the mask's width and height.
   *
   * @example A 4 x 4 grid of a 6 x 6 mask
   * ```ts
   * import { Mask } from "./mask.ts";
   * // The top-left 3 x 3 pixels are set: a quarter of the mask.
   * const data = new Uint8Array(36);
   * for (let y = 0; y < 3; y++) data.fill(1, y * 6, y * 6 + 3);
   * const grid = new Mask(6, 6, data, 0).grid(4);
   * console.log(grid.slice(0, 4)); // Float32Array(4) [ 1, 1, 0, 0 ]
   * console.log(grid.reduce((a, b) => a + b)); // 4
   * ```
   *
   * @throws {RangeError} When `size` is not a positive integer.
   */
  grid(size: number): Float32Array {
    checkGridSize(size);
    const out = new Float32Array(size * size);
    poolMask(this.#pixels(), this.width, this.height, size, out);
    return out;
  }

  /** PNG bytes of the mask at its own size: set pixels white, others black. */
  toPng(): Uint8Array {
    const data = this.#pixels();
    const rgba = new Uint8ClampedArray(this.width * this.height * 4);
    for (let i = 0, j = 0; i < data.length; i++, j += 4) {
      const v = data[i] !== 0 ? 255 : 0;
      rgba[j] = rgba[j + 1] = rgba[j + 2] = v;
      rgba[j + 3] = 255;
    }
    return encodePng(rgba, this.width, this.height);
  }

  /**
   * The mask shown `size` pixels wide under its title, for a notebook
   * cell's last line: `mask.display({ size: 600 })`.
   *
   * @throws {RangeError} When `size` is not a positive number.
   */
  display(options: MaskDisplayOptions = {}): MaskDisplay {
    checkOptions("mask.display", options, MASK_DISPLAY_OPTIONS);
    const size = options.size ?? 320;
    if (!(typeof size === "number" && size > 0 && Number.isFinite(size))) {
      throw new RangeError(
        `mask.display: size must be a positive number of pixels; got ${size}.`,
      );
    }
    if (options.crop !== undefined && typeof options.crop !== "boolean") {
      throw new TypeError(
        `mask.display: crop must be true or false; got ${
          JSON.stringify(options.crop)
        }.`,
      );
    }
    const margin = options.margin;
    if (
      margin !== undefined &&
      !(typeof margin === "number" && margin >= 0 && Number.isInteger(margin))
    ) {
      throw new RangeError(
        `mask.display: margin must be a whole number of pixels, 0 or more; got ${margin}.`,
      );
    }
    const crop = options.crop === true ? this.#cropBox(margin) : null;
    const view: MaskDisplay = {
      mask: this,
      size,
      bundle: () => this.#bundle(size, crop),
      toString: () => this.toString(),
    } as MaskDisplay;
    setDisplay(view, displayHook(view.bundle));
    return setInspect(
      view,
      () => `MaskDisplay(${this.toString()}, ${size} px)`,
    );
  }

  /**
   * `data`, unless a stream with `reuse: true` has taken its memory back
   * for a later mask (then empty): that is an error, never zero pixels.
   */
  #pixels(): Uint8Array {
    if (this.data.length !== this.width * this.height) {
      throw new TypeError(
        `${this.toString()}: its memory now holds a later mask (seg.masks(..., { reuse: true })); ` +
          `copy mask.data (mask.data.slice()) before asking for the next mask to keep it.`,
      );
    }
    return this.data;
  }

  /** The box with its margin, clamped to the mask; `null` for an empty mask. */
  #cropBox(margin?: number): [number, number, number, number] | null {
    const box = this.bbox();
    if (!box) return null;
    const [x0, y0, x1, y1] = box;
    const m = margin ?? Math.max(4, Math.round(Math.max(x1 - x0, y1 - y0) / 4));
    return [
      Math.max(0, x0 - m),
      Math.max(0, y0 - m),
      Math.min(this.width, x1 + m),
      Math.min(this.height, y1 + m),
    ];
  }

  /** PNG of the pixels inside `[x0, y0, x1, y1]`. */
  #cropPng(box: [number, number, number, number]): Uint8Array {
    const data = this.#pixels();
    const [x0, y0, x1, y1] = box;
    const w = x1 - x0, h = y1 - y0;
    const rgba = new Uint8ClampedArray(w * h * 4);
    for (let y = 0; y < h; y++) {
      const row = (y0 + y) * this.width + x0;
      for (let x = 0, j = y * w * 4; x < w; x++, j += 4) {
        const v = data[row + x] !== 0 ? 255 : 0;
        rgba[j] = rgba[j + 1] = rgba[j + 2] = v;
        rgba[j + 3] = 255;
      }
    }
    return encodePng(rgba, w, h);
  }

  /** The title and details lines of the display. */
  #bundle(
    size: number,
    crop: [number, number, number, number] | null = null,
  ): Record<string, string> {
    const area = this.area;
    const share = area / (this.width * this.height);
    const areaText = `area ${area.toLocaleString("en-US")} px (${
      formatShare(share)
    })`;
    const info = this.info;
    const title = info
      ? `${info.noun} #${info.instance}`
      : `mask row ${this.maskRow}`;
    const details = [
      ...(info ? [info.imageName] : []),
      ...(info && Number.isFinite(info.score)
        ? [`score ${info.score.toFixed(2)}`]
        : []),
      areaText,
      `${this.width}x${this.height}`,
      ...(crop
        ? [`cropped to x ${crop[0]}-${crop[2]}, y ${crop[1]}-${crop[3]}`]
        : []),
      ...(info ? [`row ${this.maskRow}`] : []),
    ].join(" · ");
    return pngBundle({
      png: crop ? this.#cropPng(crop) : this.toPng(),
      width: crop ? crop[2] - crop[0] : this.width,
      height: crop ? crop[3] - crop[1] : this.height,
      size,
      title,
      details,
      text: `${this.toString()}, ${areaText}`,
    });
  }

  /**
   * What `console.log(mask)` shows: one line with the area, not the
   * `width * height` pixel values.
   */
  [CUSTOM_INSPECT](): string {
    if (this.data.length !== this.width * this.height) {
      return `${this.toString()}, memory reused by a later mask`;
    }
    return `${this.toString()}, area ${this.area.toLocaleString("en-US")} px`;
  }

  /** One line: where the mask comes from and its size. */
  toString(): string {
    const what = this.info
      ? `${this.info.imageName} ${this.info.noun} #${this.info.instance}`
      : "mask";
    return `Mask(${what}, row ${this.maskRow}, ${this.width}x${this.height})`;
  }

  /**
   * The Deno Jupyter kernel calls this when a cell ends with the mask: the
   * same as {@link Mask.display} with its default size. Outside a kernel it
   * returns the bundle; inside, it shows it as a display output and leaves
   * an empty result (see `displayHook` in lib/display/jupyter.ts for why).
   */
  [Symbol.for("Jupyter.display")]():
    | Record<string, string>
    | Promise<Record<string, string>> {
    return displayHook(() => this.#bundle(320))();
  }
}

/** A share as a percentage with two significant digits: 12%, 1.2%, 0.012%. */
function formatShare(share: number): string {
  if (share === 0) return "0%";
  const pct = share * 100;
  return `${pct >= 10 ? Math.round(pct) : Number(pct.toPrecision(2))}%`;
}
