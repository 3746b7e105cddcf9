// Where mask bytes come from, for every reader of the file: `row()`, the
// streams behind `masks()` and `stats()`, and the runs behind the analysis
// tables. One per reader: one open file, one chunk index, one set of checks.
//
// The fast chunk reader (positional reads plus native inflate) serves the
// layouts it understands, h5wasm the few valid ones it does not (external
// raw data, dense link storage). A damaged file is an error from either,
// never a fallback. Every row handed out, as bytes or as runs, is checked
// to be stored (a never-written chunk is an error for its rows, not the
// fill value) and binary.
import {
  ChunkedDataset,
  FILTER,
  type FilterInfo,
  inflateRuns,
  notMasksError,
  openH5MaskDataset,
} from "../../hdf5/mod.ts";
import { checkBinaryMask } from "../masks/check.ts";
import { bytesToIntervals, type Intervals } from "../masks/runs.ts";

/**
 * Where each row's one stored chunk lies (the real layout: one whole mask
 * per chunk); `address` -1 for a row whose chunk was never written.
 * Typed arrays, not an object per chunk: the garbage collector traces the
 * heap once per few dozen masks streamed, so a smaller heap is a faster
 * stream.
 */
export interface ChunkPlan {
  address: Float64Array;
  size: Float64Array;
  filterMask: Uint32Array;
}

/** Rows of a (N, height, width) uint8 dataset. */
export interface MaskSource {
  readonly path: string;
  readonly shape: readonly [number, number, number];
  /** Which reader serves the rows. */
  readonly reader: "chunks" | "h5wasm";
  /** The filter pipeline of the stored chunks (fast reader only). */
  readonly filters: readonly FilterInfo[];
  /** Whether the fast reader serves the rows and each chunk is one whole mask (from the header: no listing). */
  readonly oneMaskPerChunk: boolean;
  /** Row `row`'s mask: stored, decoded, checked binary. */
  readRow(row: number): Uint8Array;
  /** Row `row`'s set pixels, with the checks of {@link MaskSource.readRow}. */
  readIntervals(row: number): Intervals;
  /**
   * The chunk of each row, for reading in file order; `null` when rows are
   * read one by one (other layouts, h5wasm, a damaged chunk index whose
   * intact rows stay readable).
   * Built once, on first use.
   */
  plan(): ChunkPlan | null;
  /**
   * Reads the file from `address` into `into` until it is full or the file
   * ends; the bytes read. One handle per reader, opened on first use.
   */
  readAt(address: number, into: Uint8Array): number;
  /** The error for a row whose chunk was never written. */
  unwritten(row: number): Error;
  close(): void;
}

/** Options for {@link openMaskSource}. */
export interface MaskSourceOptions {
  /**
   * Which reader to use; `"auto"` tries the fast chunk reader and falls back
   * to h5wasm for layouts or filters it does not handle.
   *
   * @default {"auto"}
   */
  reader?: "auto" | "chunks" | "h5wasm";
}

/** Opens the masks dataset of `path`, fast path first. */
export async function openMaskSource(
  path: string,
  name: string,
  options: MaskSourceOptions = {},
): Promise<MaskSource> {
  const want = options.reader ?? "auto";
  if (want !== "h5wasm") {
    const opened = ChunkedDataset.open(path, name);
    if ("reader" in opened) return chunkSource(path, name, opened.reader);
    if (want === "chunks") throw new Error(opened.unsupported);
  }
  const h5 = await openH5MaskDataset(path, name);
  const base = new FileAt(path);
  return {
    path,
    shape: h5.shape,
    reader: "h5wasm",
    filters: [],
    oneMaskPerChunk: false,
    readRow: (r) => checkBinaryMask(h5.readRow(r), path, r),
    readIntervals: (r) =>
      bytesToIntervals(checkBinaryMask(h5.readRow(r), path, r)),
    plan: () => null,
    readAt: (address, into) => base.read(address, into),
    unwritten: (row) => unwrittenError(path, name, row),
    close: () => {
      base.close();
      h5.close();
    },
  };
}

function chunkSource(
  path: string,
  name: string,
  r: ChunkedDataset,
): MaskSource {
  const { shape } = r;
  if (
    shape.length !== 3 || r.dtypeClass !== 0 || r.elementSize !== 1 ||
    r.signed
  ) {
    r.close();
    throw notMasksError(
      path,
      name,
      shape,
      `class ${r.dtypeClass}${
        r.signed ? " signed" : ""
      }, ${r.elementSize} byte(s)`,
    );
  }
  const c = r.chunkShape;
  const oneMaskPerChunk = r.layout === "chunked" && !!c && c[0] === 1 &&
    c[1] === shape[1] && c[2] === shape[2];
  // Deflate, with or without a 1-byte shuffle (which changes nothing):
  // such a chunk inflates straight to runs of set pixels.
  const runsLayout = oneMaskPerChunk &&
    r.filters.some((f) => f.id === FILTER.DEFLATE) &&
    r.filters.every((f) =>
      f.id === FILTER.DEFLATE ||
      (f.id === FILTER.SHUFFLE && (f.clientData[0] ?? 1) === 1)
    );
  const pixels = shape[1] * shape[2];
  const file = new FileAt(path);
  const unwritten = (row: number) => unwrittenError(path, name, row);
  let sane = false;
  const checkSane = () => {
    if (!sane) checkMostlyStored(r);
    sane = true;
  };
  const readRow = (row: number): Uint8Array => {
    checkSane();
    // A row whose chunk was never written is a partial file, not zeros.
    if (row >= 0 && row < shape[0] && !r.rowStored(row)) throw unwritten(row);
    return checkBinaryMask(r.readRow(row), path, row);
  };
  let plan: ChunkPlan | null | undefined;
  const planOf = (): ChunkPlan | null => {
    if (plan !== undefined) return plan;
    checkSane();
    if (!oneMaskPerChunk) return (plan = null);
    // Row by row, each row checked on its own: the intact rows of a
    // damaged index stay readable.
    if (r.allocation().damaged) return (plan = null);
    const n = shape[0];
    const p: ChunkPlan = {
      address: new Float64Array(n).fill(-1),
      size: new Float64Array(n),
      filterMask: new Uint32Array(n),
    };
    r.forEachChunk((chunk) => {
      const row = chunk.offset[0];
      p.address[row] = chunk.address;
      p.size[row] = chunk.size;
      p.filterMask[row] = chunk.filterMask;
    });
    return (plan = p);
  };
  const readIntervals = (row: number): Intervals => {
    const p = runsLayout ? planOf() : null;
    if (!p) return bytesToIntervals(readRow(row));
    if (!(row >= 0 && row < shape[0])) return bytesToIntervals(readRow(row));
    const address = p.address[row];
    if (address < 0) throw unwritten(row);
    const size = p.size[row];
    const stored = new Uint8Array(size);
    if (file.read(address, stored) < size) {
      throw new Error(
        `${path}: unexpected end of file reading mask row ${row}; the file is truncated: download it again.`,
      );
    }
    if (p.filterMask[row] === 0) {
      let runs;
      try {
        runs = inflateRuns(stored, pixels);
      } catch {
        // The byte path decides: it inflates with zlib or names the damage.
        return bytesToIntervals(readRow(row));
      }
      return runsToIntervals(runs, path, row);
    }
    return bytesToIntervals(readRow(row));
  };
  return {
    path,
    shape: [shape[0], shape[1], shape[2]],
    reader: "chunks",
    filters: r.filters,
    oneMaskPerChunk,
    readRow,
    readIntervals,
    plan: planOf,
    readAt: (address, into) => file.read(address, into),
    unwritten,
    close: () => {
      file.close();
      r.close();
    },
  };
}

/** Intervals of the set runs; an error naming the row for a value other than 0 or 1. */
function runsToIntervals(
  runs: { start: number[]; value: number[]; length: number },
  path: string,
  row: number,
): Intervals {
  const { start, value } = runs;
  let set = 0;
  for (let k = 0; k < value.length; k++) {
    const v = value[k];
    if (v === 0) continue;
    if (v !== 1) {
      throw new Error(
        `${path}: mask row ${row} holds the value ${v} at pixel ${
          start[k]
        }; masks are binary (0/1), so the stored data is damaged or not a mask: download the file again`,
      );
    }
    set++;
  }
  const out = new Int32Array(set * 2);
  let j = 0;
  for (let k = 0; k < value.length; k++) {
    if (value[k] === 0) continue;
    out[j++] = start[k];
    out[j++] = k + 1 < start.length ? start[k + 1] : runs.length;
  }
  return out;
}

/**
 * A mask file's writer stores every chunk: a few unwritten chunks make
 * their rows errors (the rest stays readable), but a file that stores
 * fewer than half of the chunks its shape spans has a corrupt shape (a mask
 * count or a width flipped to something absurd) or is far from complete,
 * and is refused on first use, before anything grows with the shape
 * (listing the index is bounded by the file, not the shape).
 */
function checkMostlyStored(r: ChunkedDataset): void {
  if (r.layout !== "chunked") return;
  const { grid, stored, damaged } = r.allocation();
  if (damaged || stored * 2 >= grid) return;
  throw new Error(
    `${r.path}: dataset "${r.name}" of shape [${r.shape}] spans ${grid} chunks but the file stores ${stored}; ` +
      `its shape is corrupt or the file is far from complete: download it again`,
  );
}

function unwrittenError(path: string, name: string, row: number): Error {
  return new Error(
    `${path}: mask row ${row} of dataset "${name}" has no stored data (its chunk was never written); ` +
      `the file is incomplete: download it again`,
  );
}

/** Positional reads of one file, opened on first use. */
class FileAt {
  readonly #path: string;
  #file: Deno.FsFile | undefined;
  #closed = false;

  constructor(path: string) {
    this.#path = path;
  }

  read(address: number, into: Uint8Array): number {
    if (this.#closed) {
      throw new Error(`${this.#path} was closed; open it again.`);
    }
    const file = this.#file ??= Deno.openSync(this.#path, { read: true });
    file.seekSync(address, Deno.SeekMode.Start);
    let got = 0;
    while (got < into.length) {
      const n = file.readSync(into.subarray(got));
      if (n === null || n === 0) break;
      got += n;
    }
    return got;
  }

  close(): void {
    this.#closed = true;
    this.#file?.close();
    this.#file = undefined;
  }
}
