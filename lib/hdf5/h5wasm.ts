// The one boundary around h5wasm: its snake_case API, `null` shapes and raw
// HDF5 errors stay here; callers get plain values and errors that name the
// file and dataset.
import { type H5, type H5wasmModule, importH5wasm } from "../deps.ts";
import { H5File, readSuperblock, Unsupported } from "./format.ts";
import { ChunkedDataset } from "./chunks.ts";
import { FILTER, filterLabel } from "./filters.ts";

/**
 * Filters built into h5wasm's HDF5 (deflate, shuffle, fletcher32, szip,
 * nbit, scaleoffset); it loads no plugins here, so lzf is not among them.
 */
const H5WASM_FILTERS = new Set([1, 2, 3, 4, 5, 6]);

let loading: Promise<H5wasmModule["default"]> | undefined;
let namespace: H5wasmModule | undefined;

/** Loads h5wasm once per process (or Worker): its WebAssembly start-up is not free. */
export function h5wasmReady(): Promise<H5wasmModule["default"]> {
  loading ??= (async () => {
    const mod = await importH5wasm();
    await mod.default.ready;
    namespace = mod;
    return mod.default;
  })();
  return loading;
}

/**
 * Reads rows `[row, row + 1)` of a 3-D dataset into a fresh array through
 * the HDF5 library directly, checking its status: h5wasm's own `slice()`
 * ignores a failed `H5Dread` (an unknown filter, a chunk that fails to
 * inflate) and hands back whatever was in the buffer.
 */
function readRowChecked(
  file: H5.File,
  dataset: string,
  row: number,
  height: number,
  width: number,
): Uint8Array {
  const Module = namespace!.Module;
  const nbytes = height * width;
  const ptr = Module._malloc(Math.max(1, nbytes));
  if (ptr === 0) throw new RangeError(`cannot allocate ${nbytes} bytes`);
  try {
    const status = Module.get_dataset_data(
      (file as unknown as { file_id: bigint }).file_id,
      dataset,
      [1n, BigInt(height), BigInt(width)],
      [BigInt(row), 0n, 0n],
      [1n, 1n, 1n],
      BigInt(ptr),
    );
    if (!(status >= 0)) {
      throw new Error(`HDF5 could not read the data (status ${status})`);
    }
    return Module.HEAPU8.slice(ptr, ptr + nbytes);
  } finally {
    Module._free(ptr);
  }
}

/** A read-only view of a 3-D uint8 dataset through h5wasm. */
export interface H5MaskDataset {
  readonly shape: readonly [number, number, number];
  /**
   * What this reader cannot check, or `null`: h5wasm reads an unwritten
   * chunk, or one its damaged chunk index no longer finds, as the fill
   * value, so rows are checked against this package's chunk-index reader
   * (an unwritten row and a damaged part of the index are errors). When
   * that reader cannot parse the file (dense link storage, external raw
   * data), this says so and what goes unchecked.
   */
  readonly unchecked: string | null;
  readRow(row: number): Uint8Array;
  close(): void;
}

/**
 * Checks, before HDF5 sees the file, that it exists, is HDF5 and is not
 * shorter than its superblock says: the HDF5 library would otherwise print
 * its error stack and hand back an invalid id.
 */
export function checkHdf5File(path: string): void {
  let file: H5File;
  try {
    file = new H5File(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new Deno.errors.NotFound(`HDF5 file not found: ${path}`, {
        cause: err,
      });
    }
    throw err;
  }
  try {
    readSuperblock(file);
  } catch (err) {
    // A superblock this module does not parse may still be fine for HDF5.
    if (!(err instanceof Unsupported)) throw err;
  } finally {
    file.close();
  }
}

/** The error for a dataset that is not (N, height, width) uint8. */
export function notMasksError(
  path: string,
  name: string,
  shape: readonly number[] | null,
  dtype: string,
): Error {
  return new Error(
    `${path}: dataset "${name}" has shape ${
      JSON.stringify(shape)
    } and dtype ${dtype}; ` +
      `expected a 3-D uint8 array (masks, height, width).`,
  );
}

/** Opens an HDF5 file read-only through h5wasm, after {@link checkHdf5File}. */
async function openH5File(
  path: string,
): Promise<{ h5: H5wasmModule["default"]; file: H5.File }> {
  checkHdf5File(path);
  const h5 = await h5wasmReady();
  let file: H5.File;
  try {
    file = new h5.File(path, "r");
  } catch (err) {
    throw new Error(
      `Cannot open HDF5 file ${path}; it may be corrupt: download it again.`,
      { cause: err },
    );
  }
  // h5wasm reports a failed open as file_id -1 rather than throwing.
  if ((file as unknown as { file_id: bigint }).file_id < 0n) {
    throw new Error(
      `Cannot open HDF5 file ${path}; it may be corrupt: download it again.`,
    );
  }
  return { h5, file };
}

/**
 * Opens `name` in the HDF5 file at `path` as a (N, height, width) uint8
 * dataset, or throws an Error naming the file and dataset.
 */
export async function openH5MaskDataset(
  path: string,
  name: string,
): Promise<H5MaskDataset> {
  // The chunk index, read by this package, says which rows are stored; a
  // file it finds corrupt is refused here as by the default reader (h5wasm
  // would read a chunk its damaged index no longer finds as zeros).
  let index: ChunkedDataset | null = null;
  let unchecked: string | null = null;
  if (await exists(path)) {
    const opened = ChunkedDataset.open(path, name, { indexOnly: true });
    if ("reader" in opened) index = opened.reader;
    else {
      unchecked = `${opened.unsupported}: the chunk-index reader cannot ` +
        `parse this file, so h5wasm reads it alone; an unwritten chunk or a ` +
        `damaged chunk index reads as the fill value (0), undetected`;
    }
  }
  let h5: H5wasmModule["default"];
  let file: H5.File;
  try {
    ({ h5, file } = await openH5File(path));
  } catch (err) {
    index?.close();
    throw err;
  }
  try {
    const entity = file.get(name);
    if (entity instanceof h5.Group) {
      throw new Error(
        `${path}: "${name}" is a group, not a dataset; is this the segmentations file?`,
      );
    }
    if (!(entity instanceof h5.Dataset)) {
      const found = file.keys().join(", ") || "nothing";
      throw new Error(
        `${path} has no dataset "${name}" (found: ${found}); is this the segmentations file?`,
      );
    }
    const shape = entity.shape;
    const meta = entity.metadata;
    // H5T_INTEGER is class 0.
    if (
      !shape || shape.length !== 3 || meta.type !== 0 || meta.size !== 1 ||
      meta.signed
    ) {
      throw notMasksError(path, name, shape, String(entity.dtype));
    }
    const [n, height, width] = shape as [number, number, number];
    // A filter h5wasm lacks fails every read: that is not a corrupt file.
    const filters = entity.filters as { id: number; name: string }[];
    const missing = filters.filter((f) => !H5WASM_FILTERS.has(f.id));
    if (missing.length > 0) {
      const labels = missing.map((f) =>
        filterLabel({ id: f.id, name: f.name, flags: 0, clientData: [] })
      );
      const fast = missing.every((f) => f.id === FILTER.LZF);
      throw new Error(
        `${path}: dataset "${name}" uses ${labels.join(", ")}, which the ` +
          (fast
            ? `h5wasm reader cannot decode (h5py writes it; the file is not corrupt): ` +
              `open it with the default reader (reader: "auto"), which decodes it`
            : `h5wasm reader cannot decode, nor can the default reader: rewrite the file with gzip ` +
              `(h5py compression="gzip"), or download it again if it is the published file`),
      );
    }
    if (index && index.shape.some((d, i) => d !== shape[i])) {
      throw new Error(
        `${path}: dataset "${name}" has shape [${index.shape}] in its header but HDF5 reports [${shape}]; the file is corrupt: download it again.`,
      );
    }
    let closed = false;
    return {
      shape: [n, height, width],
      unchecked,
      readRow(row: number): Uint8Array {
        if (!Number.isInteger(row) || row < 0 || row >= n) {
          throw new RangeError(
            `${path}: row ${row} of dataset "${name}" is out of range; valid rows are 0..${
              n - 1
            } (${n} rows)`,
          );
        }
        // Throws for a row in a damaged part of the index (message names the file).
        if (index && !index.rowStored(row)) {
          throw new Error(
            `${path}: mask row ${row} of dataset "${name}" has no stored data (its chunk was never written); ` +
              `the file is incomplete: download it again`,
          );
        }
        let out: Uint8Array;
        try {
          out = readRowChecked(file, entity.path, row, height, width);
        } catch (err) {
          throw new Error(
            `${path}: reading row ${row} of dataset "${name}" failed (${
              (err as Error).message
            }); the file is corrupt: download it again.`,
            { cause: err },
          );
        }
        if (out.length !== height * width) {
          throw new Error(
            `${path}: reading row ${row} of dataset "${name}" returned ${out.length} bytes, not ${
              height * width
            }; the file is corrupt: download it again.`,
          );
        }
        return out;
      },
      close() {
        if (closed) return;
        closed = true;
        index?.close();
        file.close();
      },
    };
  } catch (err) {
    index?.close();
    file.close();
    // h5wasm's own errors ("error - name not defined!") name no file.
    if (err instanceof Error && !err.message.includes(path)) {
      throw new Error(
        `${path}: HDF5 could not open dataset "${name}" (${err.message}); the file may be corrupt: download it again.`,
        { cause: err },
      );
    }
    throw err;
  }
}

/** Whether `path` exists (a missing file gets {@linkcode checkHdf5File}'s error). */
async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** A 1-D dataset of variable-length byte strings (JPEGs), element by element. */
export interface H5BytesDataset {
  readonly length: number;
  /** `"uint8"`: a vlen sequence of uint8, read whole by h5wasm; `"string"`: a vlen string, which h5wasm cuts at the first NUL. */
  readonly kind: "uint8" | "string";
  /** Element `i`; only for `kind: "uint8"`. */
  read(i: number): Uint8Array;
  close(): void;
}

/** Opens a 1-D variable-length dataset of bytes, or throws naming the file and dataset. */
export async function openH5BytesDataset(
  path: string,
  name: string,
): Promise<H5BytesDataset> {
  const { h5, file } = await openH5File(path);
  try {
    const entity = file.get(name);
    if (!(entity instanceof h5.Dataset)) {
      throw new Error(
        `${path} has no dataset "${name}" (found: ${
          file.keys().join(", ") || "nothing"
        }).`,
      );
    }
    const meta = entity.metadata;
    const shape = entity.shape;
    // Class 9 is H5T_VLEN (sequence); class 3 with vlen is a variable-length string.
    const isSeqU8 = meta.type === 9 && meta.vlen_type?.type === 0 &&
      meta.vlen_type?.size === 1;
    const isVlenString = meta.type === 3 && meta.vlen;
    if (!shape || shape.length !== 1 || !(isSeqU8 || isVlenString)) {
      throw new Error(
        `${path}: dataset "${name}" has shape ${
          JSON.stringify(shape)
        } and type class ${meta.type}; ` +
          `expected a 1-D variable-length dataset of bytes.`,
      );
    }
    let closed = false;
    return {
      length: shape[0],
      kind: isSeqU8 ? "uint8" : "string",
      read(i: number): Uint8Array {
        const out = entity.slice([[i, i + 1]]);
        const first = Array.isArray(out) ? out[0] : undefined;
        if (!(first instanceof Uint8Array)) {
          throw new Error(
            `${path}: element ${i} of "${name}" is not a byte sequence.`,
          );
        }
        return first;
      },
      close() {
        if (!closed) file.close();
        closed = true;
      },
    };
  } catch (err) {
    file.close();
    if (err instanceof Error && !err.message.includes(path)) {
      throw new Error(
        `${path}: HDF5 could not open dataset "${name}" (${err.message}); the file may be corrupt: download it again.`,
        { cause: err },
      );
    }
    throw err;
  }
}
