/**
 * Low-level pieces of the HDF5 file format (specification version 3) that
 * the fast chunk reader needs, gathered from the files that hold them, one
 * concern each: {@link ./file.ts} (positional reads, cursor),
 * {@link ./checksum.ts}, {@link ./superblock.ts}, {@link ./object_header.ts},
 * {@link ./messages.ts}, {@link ./groups.ts}, {@link ./global_heap.ts}.
 *
 * Private module: everything unusual is reported as {@linkcode Unsupported}
 * and everything inconsistent as an `Error` naming the file.
 *
 * @module
 */

export { Cursor, H5File, UNDEFINED_ADDRESS, Unsupported } from "./file.ts";
export { readSuperblock } from "./superblock.ts";
export {
  findMessage,
  type Message,
  MSG,
  readObjectHeader,
} from "./object_header.ts";
export {
  type ChunkIndexInfo,
  type Dataspace,
  type Datatype,
  type FilterInfo,
  type Layout,
  parseDataspace,
  parseDatatype,
  parseFillValue,
  parseFilters,
  parseLayout,
} from "./messages.ts";
export { type Btree1Child, readBtree1Node, resolvePath } from "./groups.ts";
export { GlobalHeap } from "./global_heap.ts";
