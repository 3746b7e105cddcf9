// Where mask bytes come from: the fast chunk reader (positional reads plus
// native inflate) when it understands the file's layout, h5wasm for the few
// valid layouts it does not (external raw data, dense link storage). Both
// return identical bytes; tests/hdf5/chunks_test.ts holds them to it. A
// damaged file is an error from either, never a fallback; every row is
// checked to be stored and binary before it is handed out.
import { notMasksError, openH5MaskDataset } from "../hdf5/h5wasm.ts";
import { ChunkedDataset } from "../hdf5/chunks.ts";
import { checkBinaryMask } from "./_mask_check.ts";

/** Rows of a (N, height, width) uint8 dataset. */
export interface MaskSource {
  readonly shape: readonly [number, number, number];
  /** Which reader serves the rows. */
  readonly reader: "chunks" | "h5wasm";
  /**
   * The fast reader, when it serves the rows (for streaming in Workers);
   * the first access checks that every chunk is stored (lists the index).
   */
  readonly chunked: ChunkedDataset | null;
  /** Whether the fast reader serves the rows and each chunk is one whole mask (from the header: no listing). */
  readonly oneMaskPerChunk: boolean;
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
      // Checked on first use, not at open: listing the chunk index of the
      // real file is most of a first read, and open stays cheap.
      let complete = false;
      const ensureComplete = () => {
        if (!complete) checkComplete(r);
        complete = true;
      };
      const c = r.chunkShape;
      return {
        shape: [shape[0], shape[1], shape[2]],
        reader: "chunks",
        oneMaskPerChunk: r.layout === "chunked" && !!c && c[0] === 1 &&
          c[1] === shape[1] && c[2] === shape[2],
        // The streaming path takes chunk locations from here.
        get chunked() {
          ensureComplete();
          return r;
        },
        readRow: (row) => {
          ensureComplete();
          // A row whose chunk was never written is a partial file, not zeros.
          if (row >= 0 && row < shape[0] && !r.rowStored(row)) {
            throw new Error(
              `${path}: mask row ${row} of dataset "${name}" has no stored data (its chunk was never written); ` +
                `the file is incomplete: download it again`,
            );
          }
          return checkBinaryMask(r.readRow(row), path, row);
        },
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
    oneMaskPerChunk: false,
    readRow: (r) => checkBinaryMask(h5.readRow(r), path, r),
    close: () => h5.close(),
  };
}

/**
 * A mask file's writer stores every chunk: fewer stored chunks than the
 * shape spans means a partial file or a corrupt shape (a mask count or a
 * width flipped to something absurd), refused on first use (listing the
 * index is bounded by the file, not the shape). When part of the chunk
 * index is damaged, the rows it covers fail one by one instead.
 */
function checkComplete(r: ChunkedDataset): void {
  if (r.layout !== "chunked") return;
  const { grid, stored, damaged } = r.allocation();
  if (damaged || stored === grid) return;
  throw new Error(
    `${r.path}: dataset "${r.name}" of shape [${r.shape}] spans ${grid} chunks but the file stores ${stored}; ` +
      `the file is incomplete or its shape is corrupt: download it again`,
  );
}
