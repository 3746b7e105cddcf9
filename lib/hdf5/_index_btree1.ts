// Chunk index of layout 3: a version 1 B-tree (h5py's default).
import { type H5File, UNDEFINED_ADDRESS } from "./file.ts";

import { readBtree1Node } from "./groups.ts";

import {
  type ChunkListing,
  type ChunkLocation,
  compareScaled,
  type Damage,
  type Geometry,
  location,
  message,
  placement,
} from "./_index_geometry.ts";

// ----------------------------------------------------------- v1 B-tree --

export function listBtree1(f: H5File, root: number, g: Geometry): ChunkListing {
  const rank = g.shape.length;
  const keySize = 8 + 8 * (rank + 1);
  const chunks: ChunkLocation[] = [];
  const damaged: Damage[] = [];
  const seen = new Set<number>();
  /** Scaled coordinates of a key, the way HDF5 decodes them. */
  const decodeKey = (key: Uint8Array, what: string, right = false) => {
    const c = f.cursor(key, what);
    const size = c.u32();
    const filterMask = c.u32();
    const scaled: number[] = [];
    // HDF5 divides stored offsets by the chunk size (H5D__btree_decode_key):
    // an offset off the grid still names the chunk it lies in.
    for (let i = 0; i < rank; i++) {
      scaled.push(Math.floor(c.uint(8) / g.chunk[i]));
    }
    // The element "dimension" is 0 in a chunk's key; HDF5 sets it to one
    // element in the key right of a node's last chunk, which makes that key
    // larger than the chunk's own. Keys are compared with it included.
    const element = c.uint(8);
    if (element !== 0 && !right) {
      throw f.error(`${what} has a non-zero element offset; corrupt`);
    }
    return { size, filterMask, scaled, order: [...scaled, element] };
  };
  const visit = (
    address: number,
    expectLevel: number | null,
    low: number[] | null,
    high: number[] | null,
  ): void => {
    const what = `chunk B-tree node at address ${address}`;
    if (seen.has(address)) {
      throw f.error(`${what} is reached twice (a loop); the file is corrupt`);
    }
    seen.add(address);
    const { level, children, lastKey } = readBtree1Node(f, address, 1, keySize);
    if (expectLevel !== null && level !== expectLevel) {
      throw f.error(
        `${what} has level ${level}, expected ${expectLevel}; the file is corrupt`,
      );
    }
    if (level > 64) {
      throw f.error(`${what} has level ${level}; the file is corrupt`);
    }
    const keys = children.map((ch, i) =>
      decodeKey(ch.key, `key ${i} of ${what}`)
    );
    keys.push(decodeKey(lastKey, `key ${children.length} of ${what}`, true));
    // Keys strictly increase and lie within the parent's keys for this node.
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i].order;
      if (
        (i > 0 && compareScaled(keys[i - 1].order, k) >= 0) ||
        (low && compareScaled(k, low) < 0) ||
        (high && compareScaled(k, high) > 0)
      ) {
        throw f.error(
          `${what}: key ${i} ([${k}]) is out of order; the chunk index is corrupt`,
        );
      }
    }
    for (let i = 0; i < children.length; i++) {
      const child = children[i].address;
      const { size, filterMask, scaled } = keys[i];
      if (level > 0) {
        try {
          visit(child, level - 1, keys[i].order, keys[i + 1].order);
        } catch (err) {
          damaged.push({
            message: message(err),
            from: keys[i].order,
            to: keys[i + 1].order,
          });
        }
        continue;
      }
      const where = placement(g, scaled);
      if (where === "outside") {
        throw f.error(
          `${what}: chunk [${scaled}] lies outside the dataset's maximum extent [${g.maxShape}]; the chunk index is corrupt`,
        );
      }
      if (where === "past") continue; // left over after a shrink
      if (child === UNDEFINED_ADDRESS) {
        throw f.error(`${what}: chunk [${scaled}] has no address; corrupt`);
      }
      chunks.push(location(f, g, child, size, filterMask, scaled));
    }
  };
  if (root !== UNDEFINED_ADDRESS) {
    try {
      visit(root, null, null, null);
    } catch (err) {
      damaged.push({ message: message(err), from: null, to: null });
    }
  }
  return { chunks, damaged };
}
