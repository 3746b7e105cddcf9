/**
 * The face of hdf5/ for the rest of lib/: the chunk reader, the h5wasm
 * boundary, run-length inflation and the sample's writer. The format
 * parsers behind it are hdf5/'s own.
 *
 * @module
 */
export {
  canInflateInto,
  decodeChunk,
  describeInflater,
  FILTER,
  type FilterInfo,
  inflateInto,
  libdeflateInflateInto,
  unshuffle,
  zlibInflateInto,
} from "./decode.ts";
export { ChunkedDataset, readVlenBytes } from "./chunks.ts";
export {
  h5wasmReady,
  notMasksError,
  openH5BytesDataset,
  openH5MaskDataset,
} from "./h5wasm.ts";
export { inflateRuns } from "./inflate_runs.ts";
export { writeVlenBytesDataset } from "./vlen_writer.ts";
