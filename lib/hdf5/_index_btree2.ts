// Chunk index of layout 4 kept in a version 2 B-tree.
import { type H5File, UNDEFINED_ADDRESS } from "./file.ts";

import {
  type ChunkIndex,
  type ChunkLocation,
  compareScaled,
  type Damage,
  type Geometry,
  location,
  log2floor,
  message,
  placement,
  readChecked,
} from "./_index_geometry.ts";

// ----------------------------------------------------------- v2 B-tree --

function encodedSize(n: number): number {
  return Math.floor(log2floor(Math.max(n, 1)) / 8) + 1;
}

export function btree2Index(
  f: H5File,
  address: number,
  g: Geometry,
): ChunkIndex {
  const O = f.sizeOfOffsets;
  const rank = g.shape.length;
  const what = `v2 B-tree header at address ${address}`;
  const c = readChecked(f, address, 16 + O + 2 + f.sizeOfLengths + 4, what);
  c.signature("BTHD");
  const version = c.u8();
  if (version !== 0) {
    throw f.error(`${what} has version ${version}; the file is corrupt`);
  }
  const type = c.u8();
  if (type !== 10 && type !== 11) {
    throw f.error(
      `${what} has record type ${type}, not a chunk index; corrupt`,
    );
  }
  const filteredRecords = type === 11;
  if (filteredRecords !== g.filtered) {
    throw f.error(
      `${what} record type ${type} does not match the filters; corrupt`,
    );
  }
  const nodeSize = c.u32();
  const recordSize = c.u16();
  const depth = c.u16();
  c.skip(2);
  const root = c.address();
  const rootRecords = c.u16();
  const totalRecords = c.length();
  const sizeWidth = recordSize - O - 8 * rank - (filteredRecords ? 4 : 0);
  if (filteredRecords ? sizeWidth < 1 || sizeWidth > 8 : sizeWidth !== 0) {
    throw f.error(`${what} has record size ${recordSize}; the file is corrupt`);
  }
  if (depth > 64 || nodeSize < 16 || nodeSize > 1 << 24) {
    throw f.error(
      `${what} has depth ${depth} and node size ${nodeSize}; the file is corrupt`,
    );
  }
  // Node capacities decide the width of child record counts (H5B2__hdr_init).
  const prefix = 10;
  const leafMax = Math.floor((nodeSize - prefix) / recordSize);
  const maxNrecSize = encodedSize(leafMax);
  const cum: { max: number; cumMax: number; cumSize: number }[] = [{
    max: leafMax,
    cumMax: leafMax,
    cumSize: 0,
  }];
  for (let u = 1; u <= depth; u++) {
    const ptr = O + maxNrecSize + (u > 1 ? cum[u - 1].cumSize : 0);
    const max = Math.floor((nodeSize - (prefix + ptr)) / (recordSize + ptr));
    const cumMax = (max + 1) * cum[u - 1].cumMax + max;
    cum.push({ max, cumMax, cumSize: encodedSize(cumMax) });
  }
  if (rootRecords > cum[depth].max) {
    throw f.error(
      `${what}: root holds ${rootRecords} records, more than fit; corrupt`,
    );
  }
  return {
    list() {
      const chunks: ChunkLocation[] = [];
      const damaged: Damage[] = [];
      const seen = new Set<number>();
      let listed = 0;
      const visit = (
        node: number,
        nrec: number,
        level: number,
        low: number[] | null,
        high: number[] | null,
      ): number => {
        const leaf = level === 0;
        const nwhat = `v2 B-tree ${
          leaf ? "leaf" : "internal"
        } node at address ${node}`;
        if (seen.has(node)) {
          throw f.error(`${nwhat} is reached twice (a loop); corrupt`);
        }
        seen.add(node);
        if (nrec > cum[level].max || (!leaf && nrec < 1)) {
          throw f.error(`${nwhat} holds ${nrec} records; corrupt`);
        }
        const ptr = leaf
          ? 0
          : O + maxNrecSize + (level > 1 ? cum[level - 1].cumSize : 0);
        const nc = readChecked(
          f,
          node,
          6 + nrec * recordSize + (leaf ? 0 : (nrec + 1) * ptr) + 4,
          nwhat,
        );
        nc.signature(leaf ? "BTLF" : "BTIN");
        if (nc.u8() !== 0 || nc.u8() !== type) {
          throw f.error(`${nwhat} has the wrong version or type; corrupt`);
        }
        const records: {
          addr: number;
          size: number;
          filterMask: number;
          scaled: number[];
        }[] = [];
        for (let i = 0; i < nrec; i++) {
          const addr = nc.address();
          const size = filteredRecords ? nc.uint(sizeWidth) : g.chunkBytes;
          const filterMask = filteredRecords ? nc.u32() : 0;
          const scaled: number[] = [];
          for (let d = 0; d < rank; d++) scaled.push(nc.uint(8));
          const prev = i > 0 ? records[i - 1].scaled : low;
          if (
            (prev && compareScaled(prev, scaled) >= 0) ||
            (high && compareScaled(scaled, high) >= 0)
          ) {
            throw f.error(
              `${nwhat}: record ${i} ([${scaled}]) is out of order; the chunk index is corrupt`,
            );
          }
          records.push({ addr, size, filterMask, scaled });
        }
        let count = nrec;
        if (!leaf) {
          for (let i = 0; i <= nrec; i++) {
            const child = nc.address();
            const childRecords = nc.uint(maxNrecSize);
            if (level > 1) nc.skip(cum[level - 1].cumSize);
            const from = i > 0 ? records[i - 1].scaled : low;
            const to = i < nrec ? records[i].scaled : high;
            try {
              count += visit(child, childRecords, level - 1, from, to);
            } catch (err) {
              damaged.push({ message: message(err), from, to });
            }
          }
        }
        for (const r of records) {
          const where = placement(g, r.scaled);
          if (where === "outside") {
            throw f.error(
              `${nwhat}: chunk [${r.scaled}] lies outside the dataset's maximum extent [${g.maxShape}]; the chunk index is corrupt`,
            );
          }
          if (where === "past" || r.addr === UNDEFINED_ADDRESS) continue;
          chunks.push(location(f, g, r.addr, r.size, r.filterMask, r.scaled));
        }
        return count;
      };
      if (root !== UNDEFINED_ADDRESS && rootRecords > 0) {
        try {
          listed = visit(root, rootRecords, depth, null, null);
        } catch (err) {
          damaged.push({ message: message(err), from: null, to: null });
        }
        if (damaged.length === 0 && listed !== totalRecords) {
          damaged.push({
            message: f.error(
              `${what} counts ${totalRecords} records but its nodes hold ${listed}; the chunk index is corrupt`,
            ).message,
            from: null,
            to: null,
          });
        }
      }
      return { chunks, damaged };
    },
  };
}
