/**
 * A fast, focused HDF5 dataset reader: it reads chunk bytes straight from
 * the file with positional reads and inflates them with the native zlib of
 * `node:zlib`, instead of going through h5wasm's WebAssembly zlib.
 *
 * It handles what the segmentation files use (and the common neighbours):
 * superblock versions 0-3; object header versions 1 and 2; compact,
 * contiguous and chunked layouts; chunk indexes v1 B-tree, single chunk,
 * implicit, fixed array, extensible array and v2 B-tree; filters deflate,
 * shuffle, fletcher32 and lzf. For a few valid but rare features (external
 * raw data, dense link storage, old layout versions)
 * {@linkcode ChunkedDataset.open} returns `{ unsupported: reason }` so the
 * caller can fall back to h5wasm; any other filter, and anything that
 * contradicts the format (a checksum, a key out of order, a shape the file
 * cannot hold), is an error naming the file and the structure.
 *
 * Private module of the package.
 *
 * @module
 */

import {
  Cursor,
  type Datatype,
  findMessage,
  GlobalHeap,
  H5File,
  type Layout,
  MSG,
  parseDataspace,
  parseDatatype,
  parseFillValue,
  parseFilters,
  parseLayout,
  readObjectHeader,
  readSuperblock,
  resolvePath,
  UNDEFINED_ADDRESS,
  Unsupported,
} from "./format.ts";
import type { FilterInfo } from "./format.ts";
import {
  chunkCounts,
  type ChunkIndex,
  type ChunkLocation,
  compareScaled,
  type Damage,
  downProducts,
  openChunkIndex,
} from "./chunk_index.ts";
import { checkFilters, decodeChunk, FILTER } from "./filters.ts";
import { checkExtentFits } from "./extent.ts";

export type { ChunkLocation, FilterInfo };
export { decodeChunk };

/** Storage layout of a dataset. */
export type LayoutKind = "compact" | "contiguous" | "chunked";

/** Chunk index of a chunked dataset. */
export type ChunkIndexKind =
  | "btree1"
  | "single"
  | "implicit"
  | "fixed-array"
  | "extensible-array"
  | "btree2";

/** Options for {@linkcode ChunkedDataset.open}. */
export interface ChunkedOpenOptions {
  /**
   * Open a dataset whose filter pipeline holds filters this reader cannot
   * decode (szip, scaleoffset, ...) for its chunk index alone: which rows
   * are stored, and whether the index is damaged. Reading such a row is an
   * error naming the filter. For a reader that decodes the chunks itself.
   *
   * @default {false}
   */
  indexOnly?: boolean;
}

/** Result of {@linkcode ChunkedDataset.open}. */
export type OpenResult = { reader: ChunkedDataset } | { unsupported: string };

/** Variable-length element type of a dataset. */
export interface VlenInfo {
  /** `"string"` for vlen strings, `"sequence"` for vlen sequences. */
  kind: "string" | "sequence";
  /** Bytes per base element (1 for strings and uint8 sequences). */
  baseSize: number;
}

/** Band caches above this many bytes are not kept (chunks re-inflate). */
const MAX_CACHE_BYTES = 256 * 1024 * 1024;

/**
 * The most bytes one row or one decoded chunk may take: a dataspace or
 * chunk shape asking for more is refused at open, before anything is
 * allocated (HDF5 itself caps a chunk below 4 GiB).
 */
export const MAX_BUFFER_BYTES = 1024 * 1024 * 1024;

/**
 * One dataset of an HDF5 file, read row by row (along dimension 0).
 *
 * @example Read the first mask
 * ```ts ignore
 * import { ChunkedDataset } from "./chunks.ts";
 * const opened = ChunkedDataset.open("task-images_desc-segmentations.h5", "masks");
 * if ("reader" in opened) {
 *   using masks = opened.reader;
 *   const mask = masks.readRow(0); // H*W bytes of 0/1
 * }
 * ```
 */
export class ChunkedDataset implements Disposable {
  /** The file path given to {@linkcode ChunkedDataset.open}. */
  readonly path: string;
  /** The dataset's path inside the file. */
  readonly name: string;
  /** Dataset dimensions. */
  readonly shape: readonly number[];
  /** Chunk dimensions, or `null` for compact and contiguous layouts. */
  readonly chunkShape: readonly number[] | null;
  /** Bytes per element. */
  readonly elementSize: number;
  /** HDF5 datatype class (0 fixed-point, 1 float, 3 string, 9 vlen, ...). */
  readonly dtypeClass: number;
  /** Whether multi-byte elements are big-endian in the file. */
  readonly bigEndian: boolean;
  /** Whether a fixed-point datatype is signed (class bit field bit 3). */
  readonly signed: boolean;
  /** For variable-length datasets: the element kind; otherwise `null`. */
  readonly vlen: VlenInfo | null;
  /** Storage layout. */
  readonly layout: LayoutKind;
  /** Chunk index type, or `null` when not chunked. */
  readonly chunkIndex: ChunkIndexKind | null;
  /** The filter pipeline in write order (empty when unfiltered). */
  readonly filters: readonly FilterInfo[];
  /** Decoded bytes of one chunk (0 when not chunked). */
  readonly chunkBytes: number;
  /** Bytes of one row: the product of `shape[1..]` times `elementSize`. */
  readonly rowBytes: number;
  /** One element of the fill value (all zero bytes when none is set). */
  readonly fillValue: Uint8Array;

  readonly #file: H5File;
  readonly #layout: Layout;
  readonly #index: ChunkIndex | null;
  #table: Map<number, ChunkLocation> | null = null;
  /** Damaged parts of the index, and chunks that may not be trusted. */
  #damaged: Damage[] = [];
  #bad = new Map<number, string>();
  #sorted: ChunkLocation[] | null = null;
  #fillChunk: Uint8Array | null = null;
  #heap: GlobalHeap | null = null;
  // Decoded chunks of the last dim-0 band of chunks, by grid index.
  #band = -1;
  readonly #cache = new Map<number, Uint8Array>();
  readonly #counts: number[];
  readonly #down: number[];

  private constructor(
    file: H5File,
    name: string,
    shape: number[],
    dtype: Datatype,
    layout: Layout,
    filters: FilterInfo[],
    fill: Uint8Array | undefined,
    index: ChunkIndex | null,
  ) {
    this.#file = file;
    this.path = file.path;
    this.name = name;
    this.shape = Object.freeze(shape.slice());
    this.elementSize = dtype.size;
    this.dtypeClass = dtype.class;
    this.bigEndian = (dtype.class === 0 || dtype.class === 1 ||
      dtype.class === 8) && (dtype.bits & 1) === 1;
    this.signed = dtype.class === 0 && (dtype.bits & 0x08) !== 0;
    this.vlen = dtype.class === 9
      ? {
        kind: (dtype.bits & 0x0f) === 1 ? "string" : "sequence",
        baseSize: dtype.base?.size ?? 1,
      }
      : null;
    this.#layout = layout;
    this.layout = layout.kind;
    this.chunkShape = layout.kind === "chunked"
      ? Object.freeze(layout.chunk.slice())
      : null;
    this.chunkIndex = layout.kind === "chunked" ? layout.index.type : null;
    this.filters = Object.freeze(filters.map((f) => ({ ...f })));
    this.chunkBytes = layout.kind === "chunked"
      ? layout.chunk.reduce((a, b) => a * b, 1) * dtype.size
      : 0;
    this.rowBytes = shape.slice(1).reduce((a, b) => a * b, 1) * dtype.size;
    this.fillValue = fill ?? new Uint8Array(dtype.size);
    this.#index = index;
    this.#counts = layout.kind === "chunked"
      ? chunkCounts(shape, layout.chunk)
      : [];
    this.#down = downProducts(this.#counts);
  }

  /**
   * Parse the file's metadata for dataset `name` (slash-separated path from
   * the root group). The chunk index itself is read on first use.
   *
   * @param path The HDF5 file.
   * @param name The dataset, e.g. `"masks"`.
   * @returns `{ reader }`, or `{ unsupported: reason }` when the file uses
   *   a layout, filter or format feature this reader does not handle (read
   *   it with h5wasm then).
   * @throws {Error} Naming the file when it is truncated or corrupt, or has
   *   no object `name`; `Deno.errors.NotFound` when the file is missing.
   */
  static open(
    path: string,
    name = "masks",
    options: ChunkedOpenOptions = {},
  ): OpenResult {
    const file = new H5File(path);
    try {
      readSuperblock(file);
      const address = resolvePath(file, name);
      const messages = readObjectHeader(file, address);
      const group = messages.some((m) =>
        m.type === MSG.SYMBOL_TABLE || m.type === MSG.LINK_INFO ||
        m.type === MSG.LINK
      );
      const need = (type: number, label: string) => {
        const m = findMessage(messages, type, label);
        if (!m) {
          throw file.error(
            group
              ? `"${name}" is a group, not a dataset; check the dataset name`
              : `"${name}" is not a dataset (its object header has no ${label} message); check the dataset name`,
          );
        }
        return m;
      };
      const space = parseDataspace(file, need(MSG.DATASPACE, "dataspace").data);
      const dtype = parseDatatype(file, need(MSG.DATATYPE, "datatype").data);
      const layout = parseLayout(file, need(MSG.LAYOUT, "data layout").data);
      const fm = findMessage(messages, MSG.FILTERS, "filter pipeline");
      const filters = fm ? parseFilters(file, fm.data) : [];
      if (space.kind !== 1 || space.shape.length === 0) {
        throw new Unsupported(
          space.kind === 2 ? "null dataspace" : "scalar dataset",
        );
      }
      if (dtype.size < 1) {
        throw file.error(`datatype of "${name}" has size 0; corrupt`);
      }
      if (dtype.class === 9) {
        if (dtype.size !== 8 + file.sizeOfOffsets) {
          throw new Unsupported(`vlen element of ${dtype.size} bytes`);
        }
      }
      if (messages.some((m) => m.type === MSG.EXTERNAL_FILES)) {
        throw new Unsupported("raw data stored in external files");
      }
      const chunkBytesOf = layout.kind === "chunked"
        ? layout.chunk.reduce((a, b) => a * b, 1) * dtype.size
        : 0;
      const known = new Set<number>(Object.values(FILTER));
      const bad = checkFilters(
        options.indexOnly ? filters.filter((f) => known.has(f.id)) : filters,
        dtype.size,
        chunkBytesOf,
      );
      if (bad) throw file.error(`dataset "${name}": ${bad}`);
      checkExtent(file, name, space.shape, space.maxShape, dtype.size);
      const fill = parseFillValue(file, messages, dtype.size);
      // A shape in a version 1 object header has no checksum: one damaged
      // byte can claim billions of rows, so it must fit the file before
      // anything sized by it is allocated (a version 2 header's checksum
      // already vouches for its shape).
      const checkFits = () => {
        if (isChecksummedHeader(file, address)) return;
        checkExtentFits({
          path,
          name,
          fileSize: file.fileSize,
          shape: space.shape,
          maxShape: space.maxShape,
          elementSize: dtype.size,
          layout: layout.kind,
          chunk: layout.kind === "chunked" ? layout.chunk : undefined,
          filters,
          indexBytesPerChunk: layout.kind === "chunked"
            ? indexBytesPerChunk(file, layout.index.type, space.shape.length)
            : 0,
        });
      };
      let index: ChunkIndex | null = null;
      if (layout.kind === "chunked") {
        const { chunk } = layout;
        if (chunk.length !== space.shape.length) {
          throw file.error(
            `"${name}" has ${space.shape.length} dimensions but ${chunk.length}-D chunks; corrupt`,
          );
        }
        if (chunk.some((d) => d < 1)) {
          throw file.error(`"${name}" has an empty chunk dimension; corrupt`);
        }
        if (layout.elementSize !== dtype.size) {
          throw file.error(
            `"${name}" layout element size ${layout.elementSize} differs from the datatype's ${dtype.size}; corrupt`,
          );
        }
        // HDF5 refuses chunks larger than a fixed-size dimension and chunks
        // of 4 GiB or more; the budget keeps one decoded chunk affordable.
        if (
          chunk.some((d, i) => d > space.maxShape[i]) ||
          !(chunkBytesOf <= MAX_BUFFER_BYTES)
        ) {
          throw file.error(
            `"${name}" has chunks of [${chunk}] (${chunkBytesOf} bytes) for a dataset of shape [${space.shape}] (maximum [${space.maxShape}]); the file is corrupt`,
          );
        }
        checkFits();
        const grid = chunkCounts(
          space.maxShape.map((d, i) => d === Infinity ? space.shape[i] : d),
          chunk,
        ).reduce((a, b) => a * b, 1);
        if (!Number.isSafeInteger(grid)) {
          throw file.error(
            `"${name}" of shape [${space.shape}] has more chunks than can be counted; the file is corrupt`,
          );
        }
        index = openChunkIndex(file, layout.index, {
          shape: space.shape,
          maxShape: space.maxShape,
          chunk,
          chunkBytes: chunk.reduce((a, b) => a * b, 1) * dtype.size,
          filtered: filters.length > 0,
        });
      } else if (filters.length > 0) {
        throw file.error(
          `"${name}" is ${layout.kind} but has filters; corrupt`,
        );
      } else {
        checkFits();
        if (layout.kind === "compact") {
          const bytes = space.shape.reduce((a, b) => a * b, 1) * dtype.size;
          if (layout.data.length !== bytes) {
            throw file.error(
              `compact data of "${name}" holds ${layout.data.length} bytes, not the ${bytes} of its shape [${space.shape}]; the file is corrupt`,
            );
          }
        } else if (layout.address !== UNDEFINED_ADDRESS) {
          // Contiguous: the storage must be exactly the dataset, in the file.
          const bytes = space.shape.reduce((a, b) => a * b, 1) * dtype.size;
          if (
            layout.size !== bytes ||
            !(file.base + layout.address + bytes <= file.fileSize)
          ) {
            throw file.error(
              `contiguous data of "${name}" (${layout.size} bytes at address ${layout.address}) does not fit its shape [${space.shape}] or the file (${file.fileSize} bytes); the file is corrupt`,
            );
          }
        }
      }
      return {
        reader: new ChunkedDataset(
          file,
          name,
          space.shape,
          dtype,
          layout,
          filters,
          fill,
          index,
        ),
      };
    } catch (err) {
      file.close();
      if (err instanceof Unsupported) {
        return { unsupported: `dataset "${name}" in ${path}: ${err.message}` };
      }
      throw err;
    }
  }

  /** Number of rows (`shape[0]`). */
  get length(): number {
    return this.shape[0];
  }

  /**
   * Row `row` of dimension 0 as raw element bytes in file byte order: for a
   * 3-D uint8 dataset of shape (N, H, W), the H*W bytes of mask `row`.
   *
   * @param row Index in `0 .. shape[0] - 1`.
   * @param out Optional destination of exactly {@linkcode rowBytes} bytes.
   * @returns `out`, or a new array the caller owns.
   * @throws {RangeError} When `row` is out of range or `out` has the wrong size.
   * @throws {Error} Naming the file, dataset and row when a chunk is
   *   corrupt (fails to inflate, fails its checksum, decodes to the wrong
   *   size) or lies outside the file.
   */
  readRow(row: number, out?: Uint8Array): Uint8Array {
    this.#checkOpen();
    const n = this.shape[0];
    if (!Number.isInteger(row) || row < 0 || row >= n) {
      throw new RangeError(
        `${this.path}: row ${row} of dataset "${this.name}" is out of range; valid rows are 0..${
          n - 1
        } (${n} rows)`,
      );
    }
    if (out !== undefined && out.length !== this.rowBytes) {
      throw new RangeError(
        `${this.path}: output for a row of "${this.name}" must hold ${this.rowBytes} bytes, got ${out.length}`,
      );
    }
    try {
      return this.#readRow(row, out);
    } catch (err) {
      if (err instanceof RangeError || !(err instanceof Error)) throw err;
      const prefix = `${this.path}: `;
      const msg = err.message.startsWith(prefix)
        ? err.message.slice(prefix.length)
        : err.message;
      throw new Error(
        `${this.path}: cannot read row ${row} of dataset "${this.name}": ${msg}`,
        { cause: err },
      );
    }
  }

  #readRow(row: number, out: Uint8Array | undefined): Uint8Array {
    const layout = this.#layout;
    const rowBytes = this.rowBytes;
    if (rowBytes === 0) return out ?? new Uint8Array(0);
    if (layout.kind === "compact") {
      const dst = out ?? new Uint8Array(rowBytes);
      dst.set(layout.data.subarray(row * rowBytes, (row + 1) * rowBytes));
      return dst;
    }
    if (layout.kind === "contiguous") {
      const dst = out ?? new Uint8Array(rowBytes);
      if (layout.address === UNDEFINED_ADDRESS) {
        fillPattern(dst, this.fillValue);
        return dst;
      }
      const total = this.shape.reduce((a, b) => a * b, 1) * this.elementSize;
      if (layout.size < total) {
        throw new Error(
          `contiguous storage of ${layout.size} bytes is smaller than the dataset (${total}); the file is corrupt`,
        );
      }
      return this.#file.readAbsolute(
        this.#file.base + layout.address + row * rowBytes,
        rowBytes,
        "contiguous data",
        dst,
      );
    }
    const chunk = layout.chunk;
    const rank = chunk.length;
    const E = this.elementSize;
    const c0 = Math.floor(row / chunk[0]);
    const local0 = row - c0 * chunk[0];
    // A chunk that spans whole rows (k, H, W): one contiguous copy.
    let wholeRows = true;
    for (let d = 1; d < rank; d++) {
      if (chunk[d] !== this.shape[d]) wholeRows = false;
    }
    if (wholeRows) {
      const linear = c0 * this.#down[0];
      if (chunk[0] === 1) {
        const buf = this.#decode(linear, false);
        if (out) {
          out.set(buf);
          return out;
        }
        return buf.byteOffset === 0 &&
            buf.byteLength === buf.buffer.byteLength &&
            buf !== this.#fillChunk
          ? buf
          : buf.slice();
      }
      const buf = this.#decode(linear, true);
      const dst = out ?? new Uint8Array(rowBytes);
      dst.set(buf.subarray(local0 * rowBytes, (local0 + 1) * rowBytes));
      return dst;
    }
    const dst = out ?? new Uint8Array(rowBytes);
    // Strides in bytes: inside a chunk, and inside the output row.
    const cs = new Array<number>(rank);
    const os = new Array<number>(rank);
    cs[rank - 1] = E;
    os[rank - 1] = E;
    for (let d = rank - 2; d >= 0; d--) {
      cs[d] = cs[d + 1] * chunk[d + 1];
      os[d] = os[d + 1] * this.shape[d + 1];
    }
    const counts = this.#counts;
    const coords = new Array<number>(rank).fill(0);
    coords[0] = c0;
    const start = new Array<number>(rank).fill(0);
    const len = new Array<number>(rank).fill(1);
    const idx = new Array<number>(rank).fill(0);
    const cache = chunk[0] > 1;
    for (;;) {
      let linear = 0;
      for (let d = 0; d < rank; d++) linear += coords[d] * this.#down[d];
      const buf = this.#decode(linear, cache);
      for (let d = 1; d < rank; d++) {
        start[d] = coords[d] * chunk[d];
        len[d] = Math.min(chunk[d], this.shape[d] - start[d]);
      }
      const run = (rank > 1 ? len[rank - 1] : 1) * E;
      // Copy runs along the last dimension, for every index of dims 1..rank-2.
      idx.fill(0);
      for (;;) {
        let src = local0 * cs[0];
        let off = 0;
        for (let d = 1; d < rank; d++) {
          src += idx[d] * cs[d];
          off += (start[d] + idx[d]) * os[d];
        }
        dst.set(buf.subarray(src, src + run), off);
        let d = rank - 2;
        while (d >= 1 && ++idx[d] === len[d]) idx[d--] = 0;
        if (d < 1) break;
      }
      let d = rank - 1;
      while (d >= 1 && ++coords[d] === counts[d]) coords[d--] = 0;
      if (d < 1) break;
    }
    return dst;
  }

  /** Decoded bytes of the chunk at grid index `linear` (fill when unallocated). */
  #decode(linear: number, cache: boolean): Uint8Array {
    const band = Math.floor(linear / this.#down[0]);
    if (cache) {
      if (band !== this.#band) {
        this.#cache.clear();
        this.#band = band;
      }
      const hit = this.#cache.get(linear);
      if (hit) return hit;
    }
    const loc = this.#chunkTable().get(linear);
    if (this.#damaged.length > 0 || this.#bad.size > 0) {
      this.#checkDamage(linear);
    }
    let buf: Uint8Array;
    if (!loc) {
      buf = this.#fillChunk ??= makeFillChunk(this.chunkBytes, this.fillValue);
    } else {
      const what =
        `chunk at element offset [${loc.offset}] (file byte ${loc.address}, ${loc.size} bytes)`;
      const stored = this.#file.readAbsolute(loc.address, loc.size, what);
      try {
        buf = decodeChunk(
          stored,
          this.filters as FilterInfo[],
          loc.filterMask,
          this.chunkBytes,
          this.elementSize,
        );
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        throw new Error(
          `${what}: ${why}; download the file again`,
          { cause: err },
        );
      }
    }
    if (cache && this.chunkBytes * this.#down[0] <= MAX_CACHE_BYTES) {
      this.#cache.set(linear, buf);
    }
    return buf;
  }

  /** Table of allocated chunks by grid index, built once. */
  #chunkTable(): Map<number, ChunkLocation> {
    if (this.#table) return this.#table;
    const index = this.#index;
    const chunk = this.chunkShape;
    const table = new Map<number, ChunkLocation>();
    if (!index || !chunk) return (this.#table = table);
    const f = this.#file;
    const { chunks, damaged } = index.list();
    this.#damaged = damaged;
    const linearOf = (offset: number[]) => {
      let linear = 0;
      for (let d = 0; d < chunk.length; d++) {
        linear += Math.floor(offset[d] / chunk[d]) * this.#down[d];
      }
      return linear;
    };
    for (const loc of chunks) {
      const linear = linearOf(loc.offset);
      if (table.has(linear)) {
        throw f.error(
          `dataset "${this.name}" lists the chunk at [${loc.offset}] twice; the chunk index is corrupt`,
        );
      }
      table.set(linear, loc);
    }
    // Stored chunks never share bytes and lie inside the file: an address
    // or size that breaks this is damage, and either chunk may be the one.
    const byAddress = [...table.values()].sort((a, b) => a.address - b.address);
    const maxStored = this.filters.length === 0
      ? this.chunkBytes
      : this.chunkBytes + (this.chunkBytes >> 3) + 4096;
    // (The message is built only for a chunk that breaks this: building it
    // for every chunk was a third of listing a 24,000-chunk index.)
    const what = (loc: ChunkLocation) =>
      `chunk at element offset [${loc.offset}] (file byte ${loc.address}, ${loc.size} bytes)`;
    for (let i = 0; i < byAddress.length; i++) {
      const loc = byAddress[i];
      if (
        loc.size < 1 || loc.size > maxStored ||
        loc.address + loc.size > f.fileSize || loc.address < f.base
      ) {
        this.#bad.set(
          linearOf(loc.offset),
          f.error(
            `${
              what(loc)
            } does not fit the file (${f.fileSize} bytes) or a chunk (at most ${maxStored} bytes stored); the chunk index is corrupt`,
          ).message,
        );
      }
      const next = byAddress[i + 1];
      if (next && loc.address + loc.size > next.address) {
        const msg = f.error(
          `${
            what(loc)
          } overlaps the chunk at [${next.offset}] (file byte ${next.address}); the chunk index is corrupt`,
        ).message;
        this.#bad.set(linearOf(loc.offset), msg);
        this.#bad.set(linearOf(next.offset), msg);
      }
    }
    this.#table = table;
    return table;
  }

  /** Throws when the chunk at grid index `linear` lies in a damaged part. */
  #checkDamage(linear: number): void {
    const bad = this.#bad.get(linear);
    if (bad) throw new Error(bad);
    if (this.#damaged.length === 0) return;
    const scaled = this.#counts.map((_, d) =>
      Math.floor(linear / this.#down[d]) % this.#counts[d]
    );
    for (const d of this.#damaged) {
      const hit = d.chunks
        ? d.chunks.some((c) => compareScaled(c, scaled) === 0)
        : (!d.from || compareScaled(d.from, scaled) <= 0) &&
          (!d.to || compareScaled(scaled, d.to) < 0);
      if (hit) throw new Error(d.message);
    }
  }

  /**
   * Number of chunks the dataset's extent spans and how many of them are
   * stored, and whether any part of the chunk index is damaged. A mask
   * file whose writer finished stores every chunk.
   */
  allocation(): { grid: number; stored: number; damaged: boolean } {
    this.#checkOpen();
    const table = this.#chunkTable();
    return {
      grid: this.chunkShape ? this.#counts.reduce((a, b) => a * b, 1) : 0,
      stored: table.size,
      damaged: this.#damaged.length > 0 || this.#bad.size > 0,
    };
  }

  /**
   * Whether every chunk row `row` needs is stored (compact and contiguous
   * data always are). Throws when one lies in a damaged part of the index.
   */
  rowStored(row: number): boolean {
    this.#checkOpen();
    const chunk = this.chunkShape;
    if (!chunk) {
      return this.#layout.kind !== "contiguous" ||
        this.#layout.address !== UNDEFINED_ADDRESS;
    }
    const table = this.#chunkTable();
    const first = Math.floor(row / chunk[0]) * this.#down[0];
    for (let k = 0; k < this.#down[0]; k++) {
      if (this.#damaged.length > 0 || this.#bad.size > 0) {
        this.#checkDamage(first + k);
      }
      if (!table.has(first + k)) return false;
    }
    return true;
  }

  /**
   * Locations of all allocated chunks, sorted by file address (so a reader
   * can stream the dataset in file order or hand byte ranges to workers that
   * call {@linkcode decodeChunk}). Empty for compact and contiguous layouts.
   * Plain objects: safe to `structuredClone` or `postMessage`.
   *
   * @throws {Error} When part of the chunk index is damaged (read rows one
   *   by one to get every row that is still readable).
   */
  chunks(): ChunkLocation[] {
    this.#sorted ??= [...this.#wholeTable().values()].sort((a, b) =>
      a.address - b.address
    );
    return this.#sorted.map((c) => ({ ...c, offset: c.offset.slice() }));
  }

  /**
   * Calls `each` with every allocated chunk, in no particular order and
   * without copying (for a reader that indexes the chunks itself: on a
   * 24,000-chunk file, sorting and copying them costs more than listing).
   *
   * @throws {Error} When part of the chunk index is damaged, as
   *   {@linkcode chunks}.
   */
  forEachChunk(each: (chunk: Readonly<ChunkLocation>) => void): void {
    for (const chunk of this.#wholeTable().values()) each(chunk);
  }

  /** The chunk table, or the first damage in it as an error. */
  #wholeTable(): Map<number, ChunkLocation> {
    this.#checkOpen();
    const table = this.#chunkTable();
    const first = this.#damaged[0]?.message ??
      this.#bad.values().next().value;
    if (first !== undefined) {
      throw new Error(
        `${first} (dataset "${this.name}"; rows outside the damaged part can still be read one by one)`,
      );
    }
    return table;
  }

  /**
   * Element `index` of a 1-D variable-length dataset (vlen string or vlen
   * sequence) as raw bytes, read from the global heap; embedded NUL bytes
   * are kept. For sequences of wider base types the bytes are the elements
   * in file byte order.
   *
   * @throws {TypeError} When the dataset is not a 1-D vlen dataset.
   * @throws {RangeError} When `index` is out of range.
   */
  readVlen(index: number): Uint8Array {
    this.#checkOpen();
    if (!this.vlen || this.shape.length !== 1) {
      throw new TypeError(
        `${this.path}: dataset "${this.name}" is not a 1-D variable-length dataset; use readRow`,
      );
    }
    const element = this.readRow(index);
    const f = this.#file;
    const c = new Cursor(f, element, `vlen element ${index} of "${this.name}"`);
    const count = c.u32();
    const collection = c.address();
    const object = c.u32();
    if (count === 0) return new Uint8Array(0);
    if (collection === UNDEFINED_ADDRESS) {
      throw f.error(
        `vlen element ${index} of "${this.name}" has ${count} items but no heap address; the file is corrupt`,
      );
    }
    const bytes = (this.#heap ??= new GlobalHeap(f)).object(collection, object);
    const n = count * this.vlen.baseSize;
    if (bytes.length < n) {
      throw f.error(
        `vlen element ${index} of "${this.name}" needs ${n} bytes but its heap object has ${bytes.length}; the file is corrupt`,
      );
    }
    return bytes.slice(0, n);
  }

  /** Close the file; safe to call twice. */
  close(): void {
    this.#file.close();
    this.#cache.clear();
    this.#table = null;
    this.#sorted = null;
  }

  /** Same as {@linkcode close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  #checkOpen(): void {
    if (this.#file.closed) {
      throw new Error(
        `${this.path}: dataset "${this.name}" was closed; open it again`,
      );
    }
  }
}

/**
 * Refuse a dataspace no reader could serve before anything is allocated:
 * one row (the elements after dimension 0) must fit the memory budget.
 * The row count is bounded by what the file can hold in
 * {@linkcode checkExtentFits} (unwritten chunks are valid HDF5, so the
 * bound is what the whole extent would take at the least, once stored).
 */
function checkExtent(
  f: H5File,
  name: string,
  shape: number[],
  maxShape: number[],
  elementSize: number,
): void {
  const rowBytes = shape.slice(1).reduce((a, b) => a * b, 1) * elementSize;
  if (!(rowBytes <= MAX_BUFFER_BYTES) || !Number.isSafeInteger(shape[0])) {
    throw f.error(
      `dataset "${name}" has shape [${shape}] (maximum [${maxShape}]): one row would take ${rowBytes} bytes, ` +
        `more than the ${MAX_BUFFER_BYTES}-byte budget; the file is corrupt (or not a mask file)`,
    );
  }
}

/** Whether the object header at `address` is version 2 ("OHDR", checksummed). */
function isChecksummedHeader(f: H5File, address: number): boolean {
  const sig = f.read(address, 4, `object header at address ${address}`);
  return sig[0] === 0x4f && sig[1] === 0x48 && sig[2] === 0x44 &&
    sig[3] === 0x52;
}

/** The fewest index bytes one stored chunk adds, by index type. */
function indexBytesPerChunk(
  f: H5File,
  type: ChunkIndexKind,
  rank: number,
): number {
  // A v1 B-tree leaf holds a key (size, filter mask, rank + 1 offsets)
  // and a child address per chunk; the other indexes an address at least.
  if (type === "btree1") return 8 + 8 * (rank + 1) + f.sizeOfOffsets;
  if (type === "single" || type === "implicit") return 0;
  return f.sizeOfOffsets;
}

function fillPattern(dst: Uint8Array, value: Uint8Array): void {
  if (value.every((b) => b === 0)) {
    dst.fill(0);
    return;
  }
  if (value.length === 1) {
    dst.fill(value[0]);
    return;
  }
  for (let i = 0; i + value.length <= dst.length; i += value.length) {
    dst.set(value, i);
  }
}

function makeFillChunk(bytes: number, value: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes);
  fillPattern(out, value);
  return out;
}

/**
 * Element `index` of the 1-D variable-length dataset `name` of `path` as
 * raw bytes (see {@linkcode ChunkedDataset.readVlen}); opens and closes the
 * file. Embedded NUL bytes are kept.
 *
 * @throws {Error} When the file cannot be read by this reader, is corrupt,
 *   or has no such dataset; {@linkcode RangeError} for a bad index.
 */
export function readVlenBytes(
  path: string,
  name: string,
  index: number,
): Uint8Array {
  using ds = openOrThrow(path, name);
  return ds.readVlen(index);
}

function openOrThrow(path: string, name: string): ChunkedDataset {
  const opened = ChunkedDataset.open(path, name);
  if ("unsupported" in opened) {
    throw new Error(
      `${opened.unsupported}; the fast reader cannot read it, use h5wasm`,
    );
  }
  return opened.reader;
}
