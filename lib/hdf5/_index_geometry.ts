// What every chunk index reader shares: the listing's types, the chunk
// grid's geometry and where a chunk may sit in it.
import type { Cursor, H5File } from "./file.ts";
import { verifyChecksum } from "./checksum.ts";

/** Where one chunk's stored bytes are. Structured-clone friendly. */
export interface ChunkLocation {
  /** Absolute byte offset of the stored chunk in the file. */
  address: number;
  /** Stored (filtered) size in bytes. */
  size: number;
  /** Bit i set: filter i of the pipeline was skipped for this chunk. */
  filterMask: number;
  /** Element offset of the chunk's first element, one per dimension. */
  offset: number[];
}

/**
 * A damaged part of a chunk index: the chunks it covers cannot be located,
 * so reading them is an error (never the fill value).
 */
export interface Damage {
  /** What is damaged and how, starting with the file path. */
  message: string;
  /** Chunk-grid coordinates of the chunks it covers, when known one by one. */
  chunks?: number[][];
  /**
   * Otherwise the chunks whose grid coordinates lie, in row-major order,
   * in `[from, to)`; `to: null` means "to the end", `from: null` "from the start".
   */
  from?: number[] | null;
  to?: number[] | null;
}

/** What {@linkcode ChunkIndex.list} finds. */
export interface ChunkListing {
  /** Every allocated chunk inside the current extent (unordered). */
  chunks: ChunkLocation[];
  /** Parts of the index that could not be read. */
  damaged: Damage[];
}

/** The geometry the index readers need. */
export interface Geometry {
  shape: number[];
  maxShape: number[];
  chunk: number[];
  /** Decoded bytes of one chunk. */
  chunkBytes: number;
  /** Whether the dataset has a filter pipeline (stored sizes then vary). */
  filtered: boolean;
}

/** A chunk index: validated at open, listed lazily. */

export interface ChunkIndex {
  list(): ChunkListing;
}

/** Number of chunks along each dimension for extent `dims`. */
export function chunkCounts(dims: number[], chunk: number[]): number[] {
  return dims.map((d, i) => Math.ceil(d / chunk[i]));
}

/** Row-major "down" products of `counts` (stride of each dimension). */
export function downProducts(counts: number[]): number[] {
  const down = new Array<number>(counts.length);
  let p = 1;
  for (let i = counts.length - 1; i >= 0; i--) {
    down[i] = p;
    p *= counts[i];
  }
  return down;
}

/**
 * Row-major comparison of chunk-grid coordinates; a missing trailing
 * coordinate counts as 0 (version 1 B-tree keys carry one more).
 */
export function compareScaled(a: number[], b: number[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/**
 * Where chunk `scaled` lies: `"in"` the current extent, `"past"` it but
 * inside the maximum extent (left over after the dataset shrank: not read),
 * or `"outside"` even the maximum extent (the index is corrupt).
 */
export function placement(
  g: Geometry,
  scaled: number[],
): "in" | "past" | "outside" {
  let past = false;
  for (let i = 0; i < scaled.length; i++) {
    const start = scaled[i] * g.chunk[i];
    if (!Number.isSafeInteger(start) || start >= g.maxShape[i]) {
      return "outside";
    }
    if (start >= g.shape[i]) past = true;
  }
  return past ? "past" : "in";
}

export function location(
  f: H5File,
  g: Geometry,
  address: number,
  size: number,
  filterMask: number,
  scaled: number[],
): ChunkLocation {
  return {
    address: f.base + address,
    size,
    filterMask,
    offset: scaled.map((s, i) => s * g.chunk[i]),
  };
}

/** Scaled coordinates of linear index `idx` over strides `down` (in `order`). */
export function unravel(
  idx: number,
  down: number[],
  order: number[],
): number[] {
  const scaled = new Array<number>(down.length);
  let rest = idx;
  for (const d of order) {
    scaled[d] = Math.floor(rest / down[d]);
    rest -= scaled[d] * down[d];
  }
  return scaled;
}

export const message = (err: unknown) =>
  err instanceof Error ? err.message : String(err);

/** Read a block with a trailing checksum and verify it. */
export function readChecked(
  f: H5File,
  address: number,
  length: number,
  what: string,
): Cursor {
  const bytes = f.read(address, length, what);
  verifyChecksum(f, bytes, what);
  return f.cursor(bytes, what);
}

export function log2floor(n: number): number {
  return Math.floor(Math.log2(n));
}
