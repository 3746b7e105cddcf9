// h5wasm writes variable-length data only as text strings. To write raw bytes
// (JPEGs hold NUL bytes), write ASCII placeholders of the same byte length,
// overwrite each placeholder's global-heap object in place, and (for
// `as: "uint8"`) turn the string datatype into a sequence of uint8: h5wasm
// encodes a variable-length string over a 1-byte unsigned base type, so only
// the class bit field differs. Version-1 object headers carry no checksum,
// hence the earliest library-version bound.
import { h5wasmReady } from "./h5wasm.ts";

const GCOL = [0x47, 0x43, 0x4f, 0x4c]; // "GCOL"

function placeholder(index: number, length: number): string {
  const tag = `@@${index.toString(36).padStart(6, "0")}@@`;
  if (length < tag.length) {
    throw new RangeError(
      `Element ${index} has ${length} bytes; at least ${tag.length} needed.`,
    );
  }
  return tag + "x".repeat(length - tag.length);
}

// Class 9 (variable length) version 1, bit field: string, space padding,
// UTF-8; size 16; base type: version 1 fixed-point, unsigned, 1 byte.
const VLEN_STRING_DTYPE = [
  0x19,
  0x21,
  0x01,
  0x00,
  0x10,
  0,
  0,
  0,
  0x10,
  0,
  0,
  0,
  0x01,
  0,
  0,
  0,
];

/** Options for {@link writeVlenBytesDataset}. */
export interface WriteVlenBytesOptions {
  /**
   * On-disk type: a variable-length sequence of uint8 (what h5py's
   * `vlen_dtype(np.uint8)` writes and reads back whole) or a variable-length
   * string (readers that stop at NUL bytes truncate it).
   *
   * @default {"uint8"}
   */
  as?: "uint8" | "string";
}

/** Writes `values` as the 1-D variable-length dataset `name` of a new file at `path`. */
export async function writeVlenBytesDataset(
  path: string,
  name: string,
  values: Uint8Array[],
  options: WriteVlenBytesOptions = {},
): Promise<void> {
  const h5 = await h5wasmReady();
  const file = new h5.File(path, "w", { libver: ["earliest", "latest"] });
  try {
    file.create_dataset({
      name,
      data: values.map((v, i) => placeholder(i, v.length)),
    });
  } finally {
    file.close();
  }
  const bytes = await Deno.readFile(path);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder();
  let patched = 0;
  for (let at = 0; at + 16 <= bytes.length; at++) {
    if (!GCOL.every((b, k) => bytes[at + k] === b)) continue;
    const collectionSize = Number(view.getBigUint64(at + 8, true));
    const end = Math.min(bytes.length, at + collectionSize);
    let obj = at + 16;
    while (obj + 16 <= end) {
      const heapIndex = view.getUint16(obj, true);
      const size = Number(view.getBigUint64(obj + 8, true));
      if (heapIndex === 0) break; // free space: the rest of the collection
      const data = obj + 16;
      const tag = decoder.decode(bytes.subarray(data, data + 10));
      const match = /^@@([0-9a-z]{6})@@$/.exec(tag);
      if (match) {
        const i = parseInt(match[1], 36);
        if (values[i]?.length === size) {
          bytes.set(values[i], data);
          patched++;
        }
      }
      obj = data + Math.ceil(size / 8) * 8;
    }
    at = end - 1;
  }
  let typed = options.as === "string";
  if (!typed) {
    const at = findAll(bytes, VLEN_STRING_DTYPE);
    if (at.length === 1) {
      bytes.fill(0, at[0] + 1, at[0] + 4);
      typed = true;
    }
  }
  if (patched !== values.length || !typed) {
    await Deno.remove(path).catch(() => {});
    throw new Error(
      `Writing ${path}: placed ${patched} of ${values.length} byte strings (datatype set: ${typed}).`,
    );
  }
  await Deno.writeFile(path, bytes);
}

function findAll(haystack: Uint8Array, needle: number[]): number[] {
  const found: number[] = [];
  for (
    let i = haystack.indexOf(needle[0]);
    i >= 0;
    i = haystack.indexOf(needle[0], i + 1)
  ) {
    if (needle.every((b, k) => haystack[i + k] === b)) found.push(i);
  }
  return found;
}
