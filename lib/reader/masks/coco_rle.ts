/**
 * COCO's compressed run-length encoding of masks (pycocotools
 * `mask.encode` / `mask.decode`), so masks move into pycocotools,
 * FiftyOne or CVAT unchanged.
 *
 * @module
 */

import { Mask } from "./mask.ts";
import { maskStats, STAT } from "./stats.ts";
import { countsToString, maskRuns, stringToCounts } from "./rle.ts";

/**
 * A mask in COCO RLE: `size` is `[height, width]`; `counts` alternates runs
 * of 0s and 1s in column-major order, starting with 0s. Compressed RLE (what
 * {@link encodeRle} gives) holds the counts as a string; uncompressed RLE
 * (COCO's `iscrowd` annotations) as numbers.
 */
export interface CocoRle {
  /** `[height, width]`. */
  size: [number, number];
  /** Compressed counts string, or the run lengths themselves. */
  counts: string | number[];
}

/** What {@link encodeRle} reads: a {@link Mask} or any row-major binary image. */
export interface MaskPixels {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** Row-major `height * width` values, non-zero = set. */
  data: Uint8Array;
}

/**
 * Encodes a mask in COCO's compressed RLE, as pycocotools'
 * `mask.encode(np.asfortranarray(mask))` does.
 *
 * @example Encode a 2 x 2 mask and decode it again
 * ```ts
 * import { decodeRle, encodeRle, Mask } from "../../../mod.ts";
 * // Rows [1, 0] and [1, 1]: column-major 1 1 0 1, runs 0 2 1 1.
 * const mask = new Mask(2, 2, new Uint8Array([1, 0, 1, 1]), 0);
 * const rle = encodeRle(mask);
 * console.log(rle); // { size: [ 2, 2 ], counts: "021O" }
 * console.log(decodeRle(rle).data); // Uint8Array(4) [ 1, 0, 1, 1 ]
 * ```
 */
export function encodeRle(
  mask: MaskPixels,
): { size: [number, number]; counts: string } {
  const { width, height, data } = mask;
  if (data.length !== width * height) {
    throw new RangeError(
      `The mask has ${data.length} values; expected width * height = ${
        width * height
      }.`,
    );
  }
  const stats = maskStats(data, width, height);
  const box = stats[STAT.AREA] === 0 ? null : [
    stats[STAT.X0],
    stats[STAT.Y0],
    stats[STAT.X1],
    stats[STAT.Y1],
  ] as [number, number, number, number];
  return {
    size: [height, width],
    counts: countsToString(maskRuns(data, width, height, box)),
  };
}

/**
 * Decodes COCO RLE (compressed or not) into a {@link Mask} (values 0/1,
 * `maskRow` -1, no metadata).
 *
 * @throws {TypeError} When `counts` is not valid RLE.
 * @throws {RangeError} When the runs do not add up to `height * width`.
 */
export function decodeRle(rle: CocoRle): Mask {
  const size = rle?.size;
  if (
    !Array.isArray(size) || size.length !== 2 ||
    !size.every((v) => Number.isInteger(v) && v >= 0)
  ) {
    throw new TypeError(
      `COCO RLE size must be [height, width] (non-negative integers), got ${
        JSON.stringify(size)
      }.`,
    );
  }
  const [height, width] = size;
  const counts = typeof rle.counts === "string"
    ? stringToCounts(rle.counts)
    : Array.isArray(rle.counts)
    ? rle.counts
    : (() => {
      throw new TypeError(
        `COCO RLE counts must be a string (compressed) or an array of numbers, got ${typeof rle
          .counts}.`,
      );
    })();
  const n = width * height;
  const data = new Uint8Array(n);
  let q = 0;
  for (let k = 0; k < counts.length; k++) {
    const run = counts[k];
    if (!Number.isInteger(run) || run < 0 || q + run > n) {
      throw new RangeError(
        `COCO RLE run ${k} (${run}) does not fit a ${height} x ${width} mask: the runs must be non-negative and add up to ${n}.`,
      );
    }
    if (k % 2 === 1) {
      for (let p = q; p < q + run; p++) {
        const x = Math.floor(p / height);
        data[(p - x * height) * width + x] = 1;
      }
    }
    q += run;
  }
  if (q !== n) {
    throw new RangeError(
      `COCO RLE runs add up to ${q}, not ${height} x ${width} = ${n}; the counts do not belong to this size.`,
    );
  }
  return new Mask(width, height, data, -1);
}
