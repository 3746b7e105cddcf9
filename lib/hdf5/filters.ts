/**
 * HDF5 filter pipeline decoding for one chunk: deflate (native zlib),
 * shuffle and fletcher32. Pure functions with no file access, so they run
 * inside Web Workers too.
 *
 * @module
 */

import { inflateSync } from "node:zlib";
import type { FilterInfo } from "./format.ts";

/** Filter ids this reader decodes. */
export const FILTER = { DEFLATE: 1, SHUFFLE: 2, FLETCHER32: 3 } as const;

/** Why `filters` cannot be decoded here, or `undefined` when they can. */
export function unsupportedFilter(filters: FilterInfo[]): string | undefined {
  for (const f of filters) {
    if (
      f.id !== FILTER.DEFLATE && f.id !== FILTER.SHUFFLE &&
      f.id !== FILTER.FLETCHER32
    ) {
      return `filter ${f.id}${f.name ? ` (${f.name})` : ""}`;
    }
  }
  return undefined;
}

/**
 * Turn one chunk's stored bytes into its decoded bytes: the pipeline's
 * filters in reverse order, skipping those whose bit is set in `filterMask`.
 *
 * @param stored The chunk's bytes as stored in the file.
 * @param filters The dataset's filter pipeline (write order).
 * @param filterMask Per-chunk mask; bit i set means filter i was not applied.
 * @param expectedBytes Decoded size of a chunk (chunk elements × element size).
 * @param elementSize Element size, used by shuffle when it has no client data.
 * @returns The decoded chunk, exactly `expectedBytes` long; it may share
 *   memory with `stored` when no filter changes the bytes.
 * @throws {TypeError} For a filter this function does not implement.
 * @throws {Error} When the data fails to inflate, fails its checksum or
 *   decodes to the wrong size (the chunk is corrupt).
 *
 * @example Decode an unfiltered chunk
 * ```ts
 * import { decodeChunk } from "./filters.ts";
 * const out = decodeChunk(new Uint8Array([1, 0, 1]), [], 0, 3);
 * console.log(out.length); // 3
 * ```
 */
export function decodeChunk(
  stored: Uint8Array,
  filters: FilterInfo[],
  filterMask: number,
  expectedBytes: number,
  elementSize = 1,
): Uint8Array {
  let buf = stored;
  for (let i = filters.length - 1; i >= 0; i--) {
    if (filterMask & (1 << i)) continue;
    const filter = filters[i];
    switch (filter.id) {
      case FILTER.DEFLATE:
        buf = inflate(buf, expectedBytes + 4 * filters.length, expectedBytes);
        break;
      case FILTER.SHUFFLE:
        buf = unshuffle(buf, filter.clientData[0] ?? elementSize);
        break;
      case FILTER.FLETCHER32:
        buf = checkFletcher32(buf);
        break;
      default:
        throw new TypeError(
          `HDF5 filter ${filter.id}${
            filter.name ? ` (${filter.name})` : ""
          } is not supported; read this dataset with h5wasm`,
        );
    }
  }
  if (buf.length !== expectedBytes) {
    throw new Error(
      `chunk decodes to ${buf.length} bytes, expected ${expectedBytes}; the chunk is corrupt`,
    );
  }
  return buf;
}

function inflate(buf: Uint8Array, limit: number, size: number): Uint8Array {
  let out: Uint8Array;
  try {
    // One output buffer of the expected size: the default 16 KiB pieces
    // joined at the end make inflate several times slower on 1 MB masks.
    out = inflateSync(buf, {
      maxOutputLength: Math.max(limit, 1),
      chunkSize: Math.max(size, 64),
    });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(`chunk fails to inflate (${why}); the chunk is corrupt`, {
      cause: err,
    });
  }
  // A plain Uint8Array view: Buffer subclasses surprise equality checks.
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * Undo HDF5's shuffle filter: the stored bytes hold byte 0 of every
 * element, then byte 1 of every element, ...; trailing bytes that do not
 * fill an element are kept as they are.
 */
export function unshuffle(buf: Uint8Array, size: number): Uint8Array {
  if (size <= 1) return buf;
  const n = Math.floor(buf.length / size);
  if (n <= 1) return buf;
  const out = new Uint8Array(buf.length);
  for (let j = 0; j < size; j++) {
    const src = j * n;
    for (let e = 0, d = j; e < n; e++, d += size) out[d] = buf[src + e];
  }
  out.set(buf.subarray(n * size), n * size);
  return out;
}

/**
 * HDF5's Fletcher-32 checksum (H5_checksum_fletcher32): 16-bit big-endian
 * words, an odd last byte as the high half of a word.
 */
export function fletcher32(data: Uint8Array): number {
  let sum1 = 0;
  let sum2 = 0;
  let len = data.length >> 1;
  let p = 0;
  while (len > 0) {
    let t = len > 360 ? 360 : len;
    len -= t;
    do {
      sum1 += (data[p] << 8) | data[p + 1];
      p += 2;
      sum2 += sum1;
    } while (--t);
    sum1 = (sum1 & 0xffff) + (sum1 >>> 16);
    sum2 = (sum2 & 0xffff) + (sum2 >>> 16);
  }
  if (data.length & 1) {
    sum1 += data[p] << 8;
    sum2 += sum1;
    sum1 = (sum1 & 0xffff) + (sum1 >>> 16);
    sum2 = (sum2 & 0xffff) + (sum2 >>> 16);
  }
  sum1 = (sum1 & 0xffff) + (sum1 >>> 16);
  sum2 = (sum2 & 0xffff) + (sum2 >>> 16);
  return ((sum2 << 16) | sum1) >>> 0;
}

function checkFletcher32(buf: Uint8Array): Uint8Array {
  if (buf.length < 4) {
    throw new Error("chunk is too short for its Fletcher-32 checksum; corrupt");
  }
  const body = buf.subarray(0, buf.length - 4);
  const t = buf.length - 4;
  const stored =
    (buf[t] | (buf[t + 1] << 8) | (buf[t + 2] << 16) | (buf[t + 3] << 24)) >>>
    0;
  const sum = fletcher32(body);
  // Files from HDF5 before 1.6.3 hold the checksum with swapped byte pairs.
  const swapped = (((sum & 0x00ff00ff) << 8) | ((sum >>> 8) & 0x00ff00ff)) >>>
    0;
  if (stored !== sum && stored !== swapped) {
    throw new Error(
      `chunk fails its Fletcher-32 checksum (stored ${
        stored.toString(16)
      }, computed ${sum.toString(16)}); the chunk is corrupt`,
    );
  }
  return body;
}
