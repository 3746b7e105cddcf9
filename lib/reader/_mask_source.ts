// Where mask bytes come from: the fast chunk reader (positional reads plus
// native inflate) when it understands the file's layout, h5wasm otherwise.
// Both return identical bytes; tests/hdf5_chunks_test.ts holds them to it.
import { notMasksError, openH5MaskDataset } from "../hdf5/h5wasm.ts";
import { ChunkedDataset } from "../hdf5/chunks.ts";

/** Rows of a (N, height, width) uint8 dataset. */
export interface MaskSource {
  readonly shape: readonly [number, number, number];
  /** Which reader serves the rows. */
  readonly reader: "chunks" | "h5wasm";
  /** The fast reader, when it serves the rows (for streaming in Workers). */
  readonly chunked: ChunkedDataset | null;
  readRow(row: number): Uint8Array;
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
    if ("reader" in opened) {
      const r = opened.reader;
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
      return {
        shape: [shape[0], shape[1], shape[2]],
        reader: "chunks",
        chunked: r,
        readRow: (row) => r.readRow(row),
        close: () => r.close(),
      };
    }
    if (want === "chunks") throw new Error(opened.unsupported);
  }
  const h5 = await openH5MaskDataset(path, name);
  return {
    shape: h5.shape,
    reader: "h5wasm",
    chunked: null,
    readRow: (r) => h5.readRow(r),
    close: () => h5.close(),
  };
}
