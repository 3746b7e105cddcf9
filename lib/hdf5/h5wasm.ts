// The one boundary around h5wasm: its snake_case API, `null` shapes and raw
// HDF5 errors stay here; callers get plain values and errors that name the
// file and dataset.
import { type H5, type H5wasmModule, importH5wasm } from "../deps.ts";
import { H5File, readSuperblock, Unsupported } from "./format.ts";

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
  const { h5, file } = await openH5File(path);
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
    let closed = false;
    return {
      shape: [n, height, width],
      readRow(row: number): Uint8Array {
        if (!Number.isInteger(row) || row < 0 || row >= n) {
          throw new RangeError(
            `${path}: row ${row} of dataset "${name}" is out of range; valid rows are 0..${
              n - 1
            } (${n} rows)`,
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
        file.close();
      },
    };
  } catch (err) {
    file.close();
    throw err;
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
    throw err;
  }
}
