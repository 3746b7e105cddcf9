/**
 * Whether a dataset's claimed shape fits the file that claims it, checked
 * at open before anything that grows with the shape is allocated (a row
 * index, a per-mask table, a stream plan). One corrupted byte of a
 * dimension in an unchecksummed (version 1) object header can claim 2^33
 * rows; a reader that believed it would allocate gigabytes before failing.
 *
 * Private module of the package.
 *
 * @module
 */

import { FILTER } from "./filters.ts";
import type { FilterInfo } from "./messages.ts";

/**
 * Deflate encodes at best 258 bytes in two bits (one length and one
 * distance code of one bit each), so no deflate stream is smaller than
 * 1/1032 of what it inflates to; LZF compresses less (264 bytes in 3).
 */
const MAX_COMPRESSION_RATIO = 1032;

/** What {@linkcode checkExtentFits} needs to know about a dataset. */
export interface ExtentInfo {
  /** The file, for the message. */
  path: string;
  /** The dataset, for the message. */
  name: string;
  /** Size of the file in bytes. */
  fileSize: number;
  /** Current dimensions. */
  shape: readonly number[];
  /** Maximum dimensions (`Infinity` for unlimited), for the message. */
  maxShape: readonly number[];
  /** Bytes per element. */
  elementSize: number;
  /** Storage layout. */
  layout: "compact" | "contiguous" | "chunked";
  /** Chunk dimensions when chunked. */
  chunk?: readonly number[];
  /** The filter pipeline (write order). */
  filters: readonly FilterInfo[];
  /**
   * The fewest index bytes one stored chunk adds (its B-tree key and
   * address, its array element, ...); 0 when unknown.
   */
  indexBytesPerChunk: number;
}

/**
 * The fewest bytes the file must hold per chunk for `info` if every chunk
 * of its extent were stored: the most compressed a chunk can be through
 * its filter pipeline, plus its index entry. A lower bound, never more
 * than a valid chunk takes.
 */
export function minBytesPerChunk(info: ExtentInfo): number {
  const chunk = info.layout === "chunked" && info.chunk
    ? info.chunk
    : info.shape;
  let stored = chunk.reduce((a, b) => a * b, 1) * info.elementSize;
  for (const f of info.filters) {
    if (f.id === FILTER.DEFLATE || f.id === FILTER.LZF) {
      stored = Math.floor(stored / MAX_COMPRESSION_RATIO);
    } else if (f.id !== FILTER.SHUFFLE && f.id !== FILTER.FLETCHER32) {
      stored = 0; // a filter of unknown ratio (szip, scaleoffset, ...)
    }
  }
  return Math.max(1, stored) + info.indexBytesPerChunk;
}

/**
 * Refuse a shape whose chunks could not all be stored in the file: the
 * dataset's extent spans `grid` chunks, each of which takes at least
 * {@linkcode minBytesPerChunk} bytes once written. A valid file with a
 * few unwritten chunks passes (the bound is a fraction of what real
 * chunks take); a damaged dimension, or a file that stores almost none of
 * what it claims, is an error naming the file, the dataset, the claimed
 * shape and what the file can hold.
 *
 * Meant for shapes no checksum protects (version 1 object headers): a
 * checksummed shape is what its writer wrote, and a valid file may leave
 * most of its extent unwritten.
 *
 * @throws {Error} When the extent cannot fit.
 *
 * @example A shape claiming 2^33 rows in a small file
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkExtentFits } from "./extent.ts";
 * assert.throws(
 *   () =>
 *     checkExtentFits({
 *       path: "masks.h5",
 *       name: "masks",
 *       fileSize: 50_000,
 *       shape: [2 ** 33, 40, 48],
 *       maxShape: [Infinity, 40, 48],
 *       elementSize: 1,
 *       layout: "chunked",
 *       chunk: [1, 40, 48],
 *       filters: [],
 *       indexBytesPerChunk: 48,
 *     }),
 *   /masks\.h5: dataset "masks" claims shape \[8589934592,40,48\]/,
 * );
 * ```
 */
export function checkExtentFits(info: ExtentInfo): void {
  const { shape } = info;
  if (shape.some((d) => d === 0)) return;
  let grid: number;
  if (info.layout === "chunked" && info.chunk) {
    const chunk = info.chunk;
    grid = shape.reduce((g, d, i) => g * Math.ceil(d / chunk[i]), 1);
  } else if (info.layout === "contiguous") {
    grid = 1;
  } else {
    return; // compact data lies in its message, checked against the shape
  }
  const per = minBytesPerChunk(info);
  const fits = Math.floor(info.fileSize / per);
  if (grid <= fits) return;
  let rows = "none of it";
  if (info.layout === "chunked" && info.chunk) {
    // Whole bands of chunks along dimension 0, each chunk[0] rows.
    const band = grid / Math.ceil(shape[0] / info.chunk[0]);
    rows = `${Math.floor(fits / band) * info.chunk[0]} rows`;
  }
  const maxShape = info.maxShape.map((d) => d === Infinity ? "unlimited" : d);
  throw new Error(
    `${info.path}: dataset "${info.name}" claims shape [${shape}] (maximum [${maxShape}]), ` +
      (info.layout === "chunked"
        ? `${grid} chunks of [${info.chunk}] taking at least ${per} bytes each once stored, `
        : `${per} bytes of contiguous data, `) +
      `but the file holds ${info.fileSize} bytes: room for ${rows} at most. ` +
      `The file is corrupt (a damaged dimension) or stores almost none of its data: download it again`,
  );
}
