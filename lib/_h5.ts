// The one boundary around h5wasm: its snake_case API, `null` shapes and raw
// HDF5 errors stay here; callers get plain values and errors that name the
// file and dataset.
import type * as H5 from "h5wasm";

type H5Module = typeof import("h5wasm/node");

let loading: Promise<H5Module["default"]> | undefined;

/** Loads h5wasm once per process (or Worker): its WebAssembly start-up is not free. */
export function h5wasmReady(): Promise<H5Module["default"]> {
  loading ??= (async () => {
    const mod = await import("h5wasm/node");
    await mod.default.ready;
    return mod.default;
  })();
  return loading;
}

/** A read-only view of a 3-D uint8 dataset through h5wasm. */
export interface H5MaskDataset {
  readonly shape: readonly [number, number, number];
  readRow(row: number): Uint8Array;
  close(): void;
}

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Checks, before HDF5 sees the file, that it exists, is HDF5 and is not
 * shorter than its superblock says: the HDF5 library would otherwise print
 * its error stack and hand back an invalid id.
 */
export function checkHdf5File(path: string): void {
  let size: number;
  try {
    size = Deno.statSync(path).size;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new Deno.errors.NotFound(`HDF5 file not found: ${path}`, {
        cause: err,
      });
    }
    throw err;
  }
  using file = Deno.openSync(path, { read: true });
  const head = new Uint8Array(64);
  // The superblock sits at 0 or after a user block of 512, 1024, 2048... bytes.
  for (
    let base = 0;
    base === 0 || base + 8 <= size;
    base = base === 0 ? 512 : base * 2
  ) {
    file.seekSync(base, Deno.SeekMode.Start);
    const got = readFully(file, head);
    if (got < 8 || !HDF5_SIGNATURE.every((b, i) => head[i] === b)) {
      if (base === 0 && size < 512) break;
      continue;
    }
    const eof = superblockEof(head.subarray(0, got));
    if (eof !== undefined && base + eof > size) {
      throw new Error(
        `${path} is truncated: its HDF5 superblock says ${
          base + eof
        } bytes but the file has ${size}; ` +
          `download it again.`,
      );
    }
    return;
  }
  throw new Error(
    `${path} is not an HDF5 file (no HDF5 signature found); check the path or download it again.`,
  );
}

function readFully(file: Deno.FsFile, buf: Uint8Array): number {
  let off = 0;
  while (off < buf.length) {
    const n = file.readSync(buf.subarray(off));
    if (n === null || n === 0) break;
    off += n;
  }
  return off;
}

/** End-of-file address from superblock versions 0-3 (relative to the base address). */
function superblockEof(sb: Uint8Array): number | undefined {
  const version = sb[8];
  const view = new DataView(sb.buffer, sb.byteOffset, sb.byteLength);
  let at: number;
  let offsetSize: number;
  if (version === 0 || version === 1) {
    offsetSize = sb[13];
    at = 24 + (version === 1 ? 4 : 0) + 2 * offsetSize;
  } else if (version === 2 || version === 3) {
    offsetSize = sb[9];
    at = 12 + 2 * offsetSize;
  } else {
    return undefined;
  }
  if (offsetSize !== 8 || at + 8 > sb.length) return undefined;
  const eof = view.getBigUint64(at, true);
  return eof === 0xffffffffffffffffn ? undefined : Number(eof);
}

/**
 * Opens `name` in the HDF5 file at `path` as a (N, height, width) uint8
 * dataset, or throws an Error naming the file and dataset.
 */
export async function openH5MaskDataset(
  path: string,
  name: string,
): Promise<H5MaskDataset> {
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
  try {
    const entity = file.get(name);
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
      throw new Error(
        `${path}: dataset "${name}" has shape ${
          JSON.stringify(shape)
        } and dtype ${String(entity.dtype)}; ` +
          `expected a 3-D uint8 array (masks, height, width).`,
      );
    }
    const [n, height, width] = shape as [number, number, number];
    let closed = false;
    return {
      shape: [n, height, width],
      readRow(row: number): Uint8Array {
        let out: unknown;
        try {
          out = entity.slice([[row, row + 1]]);
        } catch (err) {
          throw new Error(
            `${path}: reading row ${row} of dataset "${name}" failed; the file may be corrupt.`,
            {
              cause: err,
            },
          );
        }
        if (!(out instanceof Uint8Array) || out.length !== height * width) {
          throw new Error(
            `${path}: reading row ${row} of dataset "${name}" returned no data; the file may be corrupt.`,
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
  checkHdf5File(path);
  const h5 = await h5wasmReady();
  const file = new h5.File(path, "r");
  if ((file as unknown as { file_id: bigint }).file_id < 0n) {
    throw new Error(
      `Cannot open HDF5 file ${path}; it may be corrupt: download it again.`,
    );
  }
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
