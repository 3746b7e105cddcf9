// Chunk indexes of layout 4 that need no tree: one chunk, or chunks at
// implicit places.
import { type H5File, UNDEFINED_ADDRESS } from "./file.ts";
import type { ChunkIndexInfo } from "./messages.ts";

import {
  chunkCounts,
  type ChunkIndex,
  type ChunkLocation,
  downProducts,
  type Geometry,
  location,
  placement,
  unravel,
} from "./_index_geometry.ts";

// -------------------------------------------------------- single chunk --

export function singleIndex(
  f: H5File,
  info: Extract<ChunkIndexInfo, { type: "single" }>,
  g: Geometry,
): ChunkIndex {
  // HDF5 picks this index only when one chunk covers the whole extent.
  if (g.chunk.some((c, i) => c < g.maxShape[i])) {
    throw f.error(
      `dataset of shape [${g.shape}] (maximum [${g.maxShape}]) has a single-chunk index but chunks of [${g.chunk}]; the file is corrupt`,
    );
  }
  if (info.filteredSize !== undefined && !g.filtered) {
    throw f.error(
      "single-chunk index gives a filtered size but the dataset has no filters; the file is corrupt",
    );
  }
  return {
    list: () => ({
      chunks: info.address === UNDEFINED_ADDRESS ? [] : [
        location(
          f,
          g,
          info.address,
          info.filteredSize ?? g.chunkBytes,
          info.filterMask ?? 0,
          g.shape.map(() => 0),
        ),
      ],
      damaged: [],
    }),
  };
}

// ------------------------------------------------------------ implicit --

export function implicitIndex(
  f: H5File,
  address: number,
  g: Geometry,
): ChunkIndex {
  if (g.filtered) {
    throw f.error(
      "implicit chunk index on a filtered dataset (HDF5 never writes one); the file is corrupt",
    );
  }
  const maxCounts = chunkCounts(g.maxShape, g.chunk);
  const total = maxCounts.reduce((a, b) => a * b, 1);
  if (
    address !== UNDEFINED_ADDRESS &&
    !(f.base + address + total * g.chunkBytes <= f.fileSize)
  ) {
    throw f.error(
      `implicit chunk index: ${total} chunks of ${g.chunkBytes} bytes at address ${address} run past the end of the file; the file is truncated or corrupt`,
    );
  }
  return {
    list() {
      const chunks: ChunkLocation[] = [];
      if (address === UNDEFINED_ADDRESS) return { chunks, damaged: [] };
      const down = downProducts(maxCounts);
      const order = [...down.keys()];
      for (let idx = 0; idx < total; idx++) {
        const scaled = unravel(idx, down, order);
        if (placement(g, scaled) !== "in") continue;
        chunks.push(
          location(f, g, address + idx * g.chunkBytes, g.chunkBytes, 0, scaled),
        );
      }
      return { chunks, damaged: [] };
    },
  };
}
