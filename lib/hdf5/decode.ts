/**
 * The decoding face of hdf5/: what turning one stored chunk into mask bytes
 * needs, and nothing that loads polars or h5wasm, so a Web Worker importing
 * it starts light. Everything else goes through `hdf5/mod.ts`.
 *
 * @module
 */
export { decodeChunk, FILTER, unshuffle } from "./filters.ts";
export {
  canInflateInto,
  describeInflater,
  inflateInto,
  libdeflateInflateInto,
  zlibInflateInto,
} from "./inflate_into.ts";
export type { FilterInfo } from "./format.ts";
