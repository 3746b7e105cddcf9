/**
 * Chunk indexes of chunked HDF5 datasets: version 1 B-tree (layout 3) and,
 * for layout 4, single chunk, implicit, fixed array, extensible array and
 * version 2 B-tree. Each reader lists every allocated chunk once; the
 * caller keeps them in a table keyed by chunk-grid position.
 *
 * Every checksum the format stores is verified and every structural
 * invariant the listing relies on is checked (signatures, levels, keys in
 * order, chunk coordinates inside the dataspace's maximum extent). A
 * damaged part of the index that can be told apart from the rest (a B-tree
 * node, an array page or block) is reported as a {@linkcode Damage} naming
 * the chunks it covers, so chunks elsewhere stay readable; damage to what
 * everything depends on (a header) is an error at open.
 *
 * @module
 */

import type { H5File } from "./file.ts";
import type { ChunkIndexInfo } from "./messages.ts";
import type { ChunkIndex, Geometry } from "./_index_geometry.ts";
import { listBtree1 } from "./_index_btree1.ts";
import { implicitIndex, singleIndex } from "./_index_simple.ts";
import { extensibleArrayIndex, fixedArrayIndex } from "./_index_arrays.ts";
import { btree2Index } from "./_index_btree2.ts";

export type {
  ChunkIndex,
  ChunkListing,
  ChunkLocation,
  Damage,
  Geometry,
} from "./_index_geometry.ts";
export { chunkCounts, compareScaled, downProducts } from "./_index_geometry.ts";

/** Build the index reader for `info`; header checks happen here (at open). */
export function openChunkIndex(
  f: H5File,
  info: ChunkIndexInfo,
  g: Geometry,
): ChunkIndex {
  switch (info.type) {
    case "btree1":
      return { list: () => listBtree1(f, info.address, g) };
    case "single":
      return singleIndex(f, info, g);
    case "implicit":
      return implicitIndex(f, info.address, g);
    case "fixed-array":
      return fixedArrayIndex(f, info.address, g);
    case "extensible-array":
      return extensibleArrayIndex(f, info.address, g);
    case "btree2":
      return btree2Index(f, info.address, g);
  }
}
