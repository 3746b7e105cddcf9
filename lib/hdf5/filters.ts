/**
 * HDF5 filter pipeline decoding for one chunk: deflate (libdeflate or zlib),
 * shuffle, fletcher32 and lzf (h5py's built-in filter 32000). Pure
 * functions with no file access, so they run inside Web Workers too. Any
 * other filter is an error naming it: nothing here hands undecoded bytes on.
 *
 * @module
 */

import type { FilterInfo } from "./format.ts";
import { canInflateInto, inflateAtMost, inflateInto } from "./inflate_into.ts";
import { prefault } from "../base/prefault.ts";

/** Filter ids this reader decodes. */
export const FILTER = {
  DEFLATE: 1,
  SHUFFLE: 2,
  FLETCHER32: 3,
  LZF: 32000,
} as const;

/** Names of registered HDF5 filters, for error messages. */
const KNOWN_NAMES: Record<number, string> = {
  1: "deflate (gzip)",
  2: "shuffle",
  3: "fletcher32",
  4: "szip",
  5: "nbit",
  6: "scaleoffset",
  307: "bzip2",
  32000: "lzf",
  32001: "blosc",
  32004: "lz4",
  32008: "bitshuffle",
  32013: "zfp",
  32015: "zstd",
  32017: "sz",
  32026: "blosc2",
};

/** "filter 32015 (zstd)": the id and the best name known for it. */
export function filterLabel(f: FilterInfo): string {
  const name = f.name || KNOWN_NAMES[f.id] || "unregistered";
  return `filter ${f.id} (${name})`;
}

/**
 * Check a dataset's filter pipeline before any chunk is read: every filter
 * is one this module decodes and its parameters are the ones HDF5 and h5py
 * write for a dataset of this element and chunk size.
 *
 * @param filters The pipeline in write order.
 * @param elementSize Bytes per element (what shuffle must be set up with).
 * @param chunkBytes Decoded bytes of one chunk (what lzf is set up with).
 * @returns A message saying what is wrong, or `undefined` when all is well.
 */
export function checkFilters(
  filters: readonly FilterInfo[],
  elementSize: number,
  chunkBytes: number,
): string | undefined {
  for (const f of filters) {
    const cd = f.clientData;
    switch (f.id) {
      case FILTER.DEFLATE:
        if (cd.length > 0 && cd[0] > 9) {
          return `${filterLabel(f)} has level ${
            cd[0]
          } (0-9 are valid); the filter pipeline is corrupt`;
        }
        break;
      case FILTER.SHUFFLE:
        // HDF5 sets the element size when the dataset is created and
        // unshuffles with whatever is stored: a different value would
        // scramble every chunk.
        if (cd.length !== 1 || cd[0] !== elementSize) {
          return `${filterLabel(f)} is set up for ${
            cd.length ? `${cd[0]}-byte` : "no"
          } elements but the data has ${elementSize}-byte elements; the filter pipeline is corrupt`;
        }
        break;
      case FILTER.FLETCHER32:
        break;
      case FILTER.LZF:
        if (cd.length >= 3 && cd[2] !== chunkBytes) {
          return `${filterLabel(f)} is set up for ${
            cd[2]
          }-byte chunks but the chunks hold ${chunkBytes} bytes; the filter pipeline is corrupt`;
        }
        break;
      default:
        return `${
          filterLabel(f)
        } is not supported: this reader decodes gzip, shuffle, fletcher32 and lzf ` +
          `(h5py's built-in filters); rewrite the file with one of those (e.g. h5py compression="gzip")`;
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
        buf = sizeKept(filters, filterMask, i)
          ? inflateExactly(buf, expectedBytes)
          : inflateAtMost(buf, expectedBytes + 4 * filters.length);
        break;
      case FILTER.SHUFFLE:
        buf = unshuffle(buf, filter.clientData[0] ?? elementSize);
        break;
      case FILTER.FLETCHER32:
        buf = checkFletcher32(buf);
        break;
      case FILTER.LZF:
        buf = lzfDecompress(buf, expectedBytes);
        break;
      default:
        throw new TypeError(
          `HDF5 ${filterLabel(filter)} is not supported; ` +
            `this reader decodes gzip, shuffle, fletcher32 and lzf`,
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

/**
 * Whether the filters decoded after filter `i` keep the size (shuffle, or
 * none), so that filter `i` must decode to exactly the chunk's size.
 */
function sizeKept(
  filters: FilterInfo[],
  filterMask: number,
  i: number,
): boolean {
  for (let j = i - 1; j >= 0; j--) {
    if (filterMask & (1 << j)) continue;
    if (filters[j].id !== FILTER.SHUFFLE) return false;
  }
  return true;
}

// Straight into a buffer of the chunk's size, its pages mapped at once: a
// fresh 1 MB buffer written page by page, as inflateSync does, costs
// several times the inflate on the machines measured.
function inflateExactly(buf: Uint8Array, size: number): Uint8Array {
  if (!canInflateInto()) return inflateAtMost(buf, size);
  const out = new Uint8Array(size);
  prefault(out);
  inflateInto(buf, out);
  return out;
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

/**
 * Decode LZF (Marc Lehmann's liblzf format, h5py's filter 32000) into
 * exactly `expected` bytes. The stream is a sequence of runs: a control
 * byte below 32 starts a literal run of `ctrl + 1` bytes; otherwise its top
 * three bits are a length (7 means "add the next byte"), the rest the high
 * bits of a back-reference distance whose low byte follows; a back
 * reference copies `length + 2` bytes from `distance + 1` bytes back.
 *
 * @throws {Error} When the stream is malformed (a reference before the
 *   start, a run past either end) or does not decode to `expected` bytes.
 */
export function lzfDecompress(input: Uint8Array, expected: number): Uint8Array {
  const out = new Uint8Array(expected);
  const inEnd = input.length;
  let ip = 0;
  let op = 0;
  const corrupt = (why: string) =>
    new Error(`lzf data is corrupt (${why}); the chunk is corrupt`);
  while (ip < inEnd) {
    const ctrl = input[ip++];
    if (ctrl < 32) {
      const len = ctrl + 1;
      if (op + len > expected) throw corrupt("decodes past the chunk size");
      if (ip + len > inEnd) throw corrupt("a literal run ends past the data");
      out.set(input.subarray(ip, ip + len), op);
      ip += len;
      op += len;
    } else {
      let len = ctrl >> 5;
      if (len === 7) {
        if (ip >= inEnd) throw corrupt("a back reference ends past the data");
        len += input[ip++];
      }
      if (ip >= inEnd) throw corrupt("a back reference ends past the data");
      const ref = op - ((ctrl & 0x1f) << 8) - 1 - input[ip++];
      len += 2;
      if (op + len > expected) throw corrupt("decodes past the chunk size");
      if (ref < 0) throw corrupt("a back reference points before the start");
      if (ref + len <= op) {
        out.copyWithin(op, ref, ref + len);
        op += len;
      } else {
        // Overlapping copy: repeats the bytes just written.
        for (let i = 0; i < len; i++) out[op++] = out[ref + i];
      }
    }
  }
  if (op !== expected) {
    throw corrupt(`decodes to ${op} bytes, expected ${expected}`);
  }
  return out;
}
