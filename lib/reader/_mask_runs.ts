// Masks as runs of set pixels, read straight from the stored chunks: with
// the real layout (one mask per chunk, deflate with or without a 1-byte
// shuffle, which changes nothing) a mask inflates to a few hundred runs
// instead of a megabyte, so whole-file tables cost the compressed size.
// Any other layout, or a chunk this cannot inflate, takes the byte path
// (decodeChunk), which also reports a corrupt chunk.
import { ChunkedDataset } from "../hdf5/chunks.ts";
import { decodeChunk, FILTER } from "../hdf5/filters.ts";
import type { ChunkLocation, FilterInfo } from "../hdf5/chunks.ts";
import { MASKS_DATASET } from "../data/paths.ts";
import { inflateRuns } from "../hdf5/inflate_runs.ts";

/** Set pixels of one mask as `[start0, end0, start1, end1, ...]` row-major indices, ascending. */
export type Intervals = Int32Array;

/** Reads masks as {@link Intervals}, one positional read per mask. */
export class MaskRuns implements Disposable {
  readonly #path: string;
  readonly #dataset: ChunkedDataset;
  readonly #file: Deno.FsFile;
  readonly #filters: FilterInfo[];
  readonly #chunkOf: Map<number, Readonly<ChunkLocation>>;
  readonly #pixels: number;
  readonly #fill: number;
  #closed = false;

  private constructor(
    path: string,
    dataset: ChunkedDataset,
    chunkOf: Map<number, Readonly<ChunkLocation>>,
  ) {
    this.#path = path;
    this.#dataset = dataset;
    this.#filters = dataset.filters.map((f) => ({ ...f }));
    this.#chunkOf = chunkOf;
    this.#pixels = dataset.chunkBytes;
    this.#fill = dataset.fillValue[0] ?? 0;
    this.#file = Deno.openSync(path, { read: true });
  }

  /**
   * Opens the masks of `h5Path` when their layout allows run reading
   * (`shape` = the reader's `[N, H, W]`); `null` otherwise.
   */
  static open(h5Path: string, shape: readonly number[]): MaskRuns | null {
    let opened;
    try {
      opened = ChunkedDataset.open(h5Path, MASKS_DATASET);
    } catch {
      return null;
    }
    if (!("reader" in opened)) return null;
    const d = opened.reader;
    const c = d.chunkShape;
    const ok = d.layout === "chunked" && d.elementSize === 1 && c !== null &&
      c.length === 3 && c[0] === 1 && c[1] === shape[1] && c[2] === shape[2] &&
      d.shape[0] === shape[0] &&
      d.filters.some((f) => f.id === FILTER.DEFLATE) &&
      d.filters.every((f) =>
        f.id === FILTER.DEFLATE ||
        (f.id === FILTER.SHUFFLE && (f.clientData[0] ?? 1) === 1)
      );
    if (!ok) {
      d.close();
      return null;
    }
    const chunkOf = new Map<number, Readonly<ChunkLocation>>();
    d.forEachChunk((chunk) => chunkOf.set(chunk.offset[0], chunk));
    return new MaskRuns(h5Path, d, chunkOf);
  }

  /** Where row `maskRow` is stored (for reading in file order); -1 when never written. */
  address(maskRow: number): number {
    return this.#chunkOf.get(maskRow)?.address ?? -1;
  }

  /** The set pixels of HDF5 row `maskRow`. */
  intervals(maskRow: number): Intervals {
    const chunk = this.#chunkOf.get(maskRow);
    if (!chunk) {
      return this.#fill !== 0
        ? Int32Array.of(0, this.#pixels)
        : new Int32Array(0);
    }
    const stored = new Uint8Array(chunk.size);
    this.#file.seekSync(chunk.address, Deno.SeekMode.Start);
    for (let got = 0; got < chunk.size;) {
      const n = this.#file.readSync(stored.subarray(got));
      if (n === null || n === 0) {
        throw new Error(
          `${this.#path}: unexpected end of file reading mask row ${maskRow}; the file is truncated.`,
        );
      }
      got += n;
    }
    if (chunk.filterMask === 0) {
      try {
        const runs = inflateRuns(stored, this.#pixels);
        const out: number[] = [];
        for (let k = 0; k < runs.start.length; k++) {
          if (runs.value[k] === 0) continue;
          out.push(
            runs.start[k],
            k + 1 < runs.start.length ? runs.start[k + 1] : runs.length,
          );
        }
        return Int32Array.from(out);
      } catch {
        // The byte path decides: it inflates with zlib or reports the damage.
      }
    }
    return bytesToIntervals(this.#decodeBytes(stored, chunk, maskRow));
  }

  #decodeBytes(
    stored: Uint8Array,
    chunk: ChunkLocation,
    maskRow: number,
  ): Uint8Array {
    try {
      return decodeChunk(stored, this.#filters, chunk.filterMask, this.#pixels);
    } catch (err) {
      throw new Error(
        `${this.#path}: mask row ${maskRow} could not be decoded (${
          (err as Error).message
        }); the file is corrupt: download it again.`,
        { cause: err },
      );
    }
  }

  /** Closes the file. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#file.close();
    this.#dataset.close();
  }

  /** Same as {@link MaskRuns.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** Intervals of the non-zero bytes of a decoded mask. */
export function bytesToIntervals(data: Uint8Array): Intervals {
  const out: number[] = [];
  let open = -1;
  for (let i = 0; i < data.length; i++) {
    if (data[i] !== 0) {
      if (open < 0) open = i;
    } else if (open >= 0) {
      out.push(open, i);
      open = -1;
    }
  }
  if (open >= 0) out.push(open, data.length);
  return Int32Array.from(out);
}

/** Pixels covered by the union of interval lists. */
export function unionLength(lists: readonly Intervals[]): number {
  if (lists.length === 1) return intervalLength(lists[0]);
  const pairs: [number, number][] = [];
  for (const list of lists) {
    for (let i = 0; i < list.length; i += 2) pairs.push([list[i], list[i + 1]]);
  }
  pairs.sort((a, b) => a[0] - b[0]);
  let total = 0, end = -1;
  for (const [s, e] of pairs) {
    if (s >= end) {
      total += e - s;
      end = e;
    } else if (e > end) {
      total += e - end;
      end = e;
    }
  }
  return total;
}

function intervalLength(list: Intervals): number {
  let n = 0;
  for (let i = 0; i < list.length; i += 2) n += list[i + 1] - list[i];
  return n;
}
