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

import { type Cursor, type H5File, UNDEFINED_ADDRESS } from "./file.ts";
import type { ChunkIndexInfo } from "./messages.ts";
import { readBtree1Node } from "./groups.ts";
import { verifyChecksum } from "./checksum.ts";

/** Where one chunk's stored bytes are. Structured-clone friendly. */
export interface ChunkLocation {
  /** Absolute byte offset of the stored chunk in the file. */
  address: number;
  /** Stored (filtered) size in bytes. */
  size: number;
  /** Bit i set: filter i of the pipeline was skipped for this chunk. */
  filterMask: number;
  /** Element offset of the chunk's first element, one per dimension. */
  offset: number[];
}

/**
 * A damaged part of a chunk index: the chunks it covers cannot be located,
 * so reading them is an error (never the fill value).
 */
export interface Damage {
  /** What is damaged and how, starting with the file path. */
  message: string;
  /** Chunk-grid coordinates of the chunks it covers, when known one by one. */
  chunks?: number[][];
  /**
   * Otherwise the chunks whose grid coordinates lie, in row-major order,
   * in `[from, to)`; `to: null` means "to the end", `from: null` "from the start".
   */
  from?: number[] | null;
  to?: number[] | null;
}

/** What {@linkcode ChunkIndex.list} finds. */
export interface ChunkListing {
  /** Every allocated chunk inside the current extent (unordered). */
  chunks: ChunkLocation[];
  /** Parts of the index that could not be read. */
  damaged: Damage[];
}

/** The geometry the index readers need. */
export interface Geometry {
  shape: number[];
  maxShape: number[];
  chunk: number[];
  /** Decoded bytes of one chunk. */
  chunkBytes: number;
  /** Whether the dataset has a filter pipeline (stored sizes then vary). */
  filtered: boolean;
}

/** A chunk index: validated at open, listed lazily. */
export interface ChunkIndex {
  list(): ChunkListing;
}

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

/** Number of chunks along each dimension for extent `dims`. */
export function chunkCounts(dims: number[], chunk: number[]): number[] {
  return dims.map((d, i) => Math.ceil(d / chunk[i]));
}

/** Row-major "down" products of `counts` (stride of each dimension). */
export function downProducts(counts: number[]): number[] {
  const down = new Array<number>(counts.length);
  let p = 1;
  for (let i = counts.length - 1; i >= 0; i--) {
    down[i] = p;
    p *= counts[i];
  }
  return down;
}

/**
 * Row-major comparison of chunk-grid coordinates; a missing trailing
 * coordinate counts as 0 (version 1 B-tree keys carry one more).
 */
export function compareScaled(a: number[], b: number[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/**
 * Where chunk `scaled` lies: `"in"` the current extent, `"past"` it but
 * inside the maximum extent (left over after the dataset shrank: not read),
 * or `"outside"` even the maximum extent (the index is corrupt).
 */
function placement(g: Geometry, scaled: number[]): "in" | "past" | "outside" {
  let past = false;
  for (let i = 0; i < scaled.length; i++) {
    const start = scaled[i] * g.chunk[i];
    if (!Number.isSafeInteger(start) || start >= g.maxShape[i]) {
      return "outside";
    }
    if (start >= g.shape[i]) past = true;
  }
  return past ? "past" : "in";
}

function location(
  f: H5File,
  g: Geometry,
  address: number,
  size: number,
  filterMask: number,
  scaled: number[],
): ChunkLocation {
  return {
    address: f.base + address,
    size,
    filterMask,
    offset: scaled.map((s, i) => s * g.chunk[i]),
  };
}

/** Scaled coordinates of linear index `idx` over strides `down` (in `order`). */
function unravel(idx: number, down: number[], order: number[]): number[] {
  const scaled = new Array<number>(down.length);
  let rest = idx;
  for (const d of order) {
    scaled[d] = Math.floor(rest / down[d]);
    rest -= scaled[d] * down[d];
  }
  return scaled;
}

const message = (err: unknown) =>
  err instanceof Error ? err.message : String(err);

// -------------------------------------------------------- single chunk --

function singleIndex(
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

// ----------------------------------------------------------- v1 B-tree --

function listBtree1(f: H5File, root: number, g: Geometry): ChunkListing {
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

// ------------------------------------------------------------ implicit --

function implicitIndex(f: H5File, address: number, g: Geometry): ChunkIndex {
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

// ------------------------------------------ fixed and extensible arrays --

/** Expected bytes of one array element (H5D__farray_filt / earray_filt). */
function checkEntrySize(
  f: H5File,
  client: number,
  entrySize: number,
  g: Geometry,
  what: string,
): void {
  if (client !== 0 && client !== 1) {
    throw f.error(`${what} has client id ${client}; the file is corrupt`);
  }
  if ((client === 1) !== g.filtered) {
    throw f.error(
      `${what} is for ${
        client ? "filtered" : "unfiltered"
      } chunks but the dataset is ${
        g.filtered ? "filtered" : "unfiltered"
      }; the file is corrupt`,
    );
  }
  const O = f.sizeOfOffsets;
  const width = entrySize - O - 4;
  if (client === 0 ? entrySize !== O : width < 1 || width > 8) {
    throw f.error(
      `${what} has ${entrySize}-byte elements; the file is corrupt`,
    );
  }
}

/** Decode one element at `c` (client 0 plain, 1 filtered) into a chunk. */
function element(
  f: H5File,
  c: Cursor,
  entrySize: number,
  g: Geometry,
  scaled: number[],
): ChunkLocation | null {
  const start = c.pos;
  const address = c.address();
  let size = g.chunkBytes;
  let filterMask = 0;
  if (g.filtered) {
    size = c.uint(entrySize - f.sizeOfOffsets - 4);
    filterMask = c.u32();
  }
  c.pos = start + entrySize;
  if (address === UNDEFINED_ADDRESS) return null;
  return location(f, g, address, size, filterMask, scaled);
}

/** Read a block with a trailing checksum and verify it. */
function readChecked(
  f: H5File,
  address: number,
  length: number,
  what: string,
): Cursor {
  const bytes = f.read(address, length, what);
  verifyChecksum(f, bytes, what);
  return f.cursor(bytes, what);
}

function checkOwner(f: H5File, c: Cursor, header: number, what: string) {
  if (c.address() !== header) {
    throw f.error(`${what} belongs to another array; the file is corrupt`);
  }
}

// --------------------------------------------------------- fixed array --

function fixedArrayIndex(f: H5File, address: number, g: Geometry): ChunkIndex {
  const O = f.sizeOfOffsets;
  const what = `fixed array header at address ${address}`;
  const c = readChecked(f, address, 8 + f.sizeOfLengths + O + 4, what);
  c.signature("FAHD");
  const version = c.u8();
  if (version !== 0) {
    throw f.error(`${what} has version ${version}; the file is corrupt`);
  }
  const client = c.u8();
  const entrySize = c.u8();
  checkEntrySize(f, client, entrySize, g, what);
  const pageBits = c.u8();
  const count = c.length();
  const dblock = c.address();
  const maxCounts = chunkCounts(g.maxShape, g.chunk);
  const needed = maxCounts.reduce((a, b) => a * b, 1);
  // HDF5 sizes the array for the maximum extent (H5D__farray_idx_create).
  if (count !== needed || pageBits > 32) {
    throw f.error(
      `${what} holds ${count} entries (page bits ${pageBits}) for a grid of ${needed} chunks; the file is corrupt`,
    );
  }
  return {
    list() {
      const chunks: ChunkLocation[] = [];
      const damaged: Damage[] = [];
      if (dblock === UNDEFINED_ADDRESS) return { chunks, damaged };
      const dwhat = `fixed array data block at address ${dblock}`;
      const pageCount = 2 ** pageBits;
      const paged = count > pageCount;
      const npages = paged ? Math.ceil(count / pageCount) : 0;
      const bitmapBytes = Math.ceil(npages / 8);
      const prefix = 4 + 1 + 1 + O + bitmapBytes;
      const down = downProducts(maxCounts);
      const order = [...down.keys()];
      const take = (pc: Cursor, first: number, n: number) => {
        for (let i = 0; i < n; i++) {
          const scaled = unravel(first + i, down, order);
          if (placement(g, scaled) !== "in") {
            pc.skip(entrySize);
            continue;
          }
          const loc = element(f, pc, entrySize, g, scaled);
          if (loc) chunks.push(loc);
        }
      };
      const dc = readChecked(
        f,
        dblock,
        prefix + (paged ? 0 : count * entrySize) + 4,
        dwhat,
      );
      dc.signature("FADB");
      dc.skip(2);
      checkOwner(f, dc, address, dwhat);
      const bitmap = dc.bytesAt(bitmapBytes);
      if (!paged) {
        take(dc, 0, count);
        return { chunks, damaged };
      }
      // Pages follow the block's checksum, each with its own checksum.
      const pageSize = pageCount * entrySize + 4;
      const blockEnd = f.base + dblock + prefix + 4 + npages * pageSize;
      if (!(blockEnd <= f.fileSize + pageSize)) {
        throw f.error(
          `${dwhat}: ${npages} pages run past the end of the file; the file is truncated or corrupt`,
        );
      }
      for (let page = 0; page < npages; page++) {
        if (!(bitmap[page >> 3] & (0x80 >> (page & 7)))) continue;
        const first = page * pageCount;
        const n = Math.min(pageCount, count - first);
        const pwhat = `${dwhat}, page ${page}`;
        try {
          const pc = readChecked(
            f,
            dblock + prefix + 4 + page * pageSize,
            n * entrySize + 4,
            pwhat,
          );
          take(pc, first, n);
        } catch (err) {
          damaged.push({
            message: message(err),
            chunks: Array.from(
              { length: n },
              (_, i) => unravel(first + i, down, order),
            ),
          });
        }
      }
      return { chunks, damaged };
    },
  };
}

// --------------------------------------------------- extensible array --

function log2floor(n: number): number {
  return Math.floor(Math.log2(n));
}

function extensibleArrayIndex(
  f: H5File,
  address: number,
  g: Geometry,
): ChunkIndex {
  const O = f.sizeOfOffsets;
  const L = f.sizeOfLengths;
  const unlimited = g.maxShape.flatMap((d, i) => (d === Infinity ? [i] : []));
  if (unlimited.length !== 1) {
    throw f.error(
      `extensible array chunk index needs one unlimited dimension, found ${unlimited.length}; corrupt`,
    );
  }
  const what = `extensible array header at address ${address}`;
  const c = readChecked(f, address, 12 + 6 * L + O + 4, what);
  c.signature("EAHD");
  const version = c.u8();
  if (version !== 0) {
    throw f.error(`${what} has version ${version}; the file is corrupt`);
  }
  const client = c.u8();
  const entrySize = c.u8();
  checkEntrySize(f, client, entrySize, g, what);
  const maxBits = c.u8();
  const iblockElements = c.u8();
  const dblockMin = c.u8();
  const sblockMinPointers = c.u8();
  const pageBits = c.u8();
  c.skip(4 * L); // super/data block counts and sizes
  const maxIndexSet = c.length();
  c.skip(L); // elements realized
  const iblock = c.address();
  const pow2 = (n: number) => n > 0 && (n & (n - 1)) === 0;
  if (
    !pow2(dblockMin) || !pow2(sblockMinPointers) || maxBits > 64 ||
    maxBits < 1 || pageBits > 32 || log2floor(dblockMin) > maxBits
  ) {
    throw f.error(`${what} has invalid parameters; the file is corrupt`);
  }
  // Super block table, as computed by the library (H5EA__hdr_init).
  const nsblocks = 1 + maxBits - log2floor(dblockMin);
  const sblocks: {
    ndblocks: number;
    dblockElements: number;
    startIndex: number;
    startDblock: number;
  }[] = [];
  for (let u = 0, start = 0, startD = 0; u < nsblocks; u++) {
    const ndblocks = 2 ** Math.floor(u / 2);
    const dblockElements = 2 ** Math.floor((u + 1) / 2) * dblockMin;
    sblocks.push({
      ndblocks,
      dblockElements,
      startIndex: start,
      startDblock: startD,
    });
    start += ndblocks * dblockElements;
    startD += ndblocks;
  }
  const iblockSblocks = 2 * log2floor(sblockMinPointers);
  const iblockDblocks = 2 * (sblockMinPointers - 1);
  const iblockSblockAddrs = nsblocks - iblockSblocks;
  const pageElements = 2 ** pageBits;
  const offsetBytes = Math.ceil(maxBits / 8);
  if (
    iblockSblocks > 0 &&
    sblocks[Math.min(iblockSblocks, nsblocks) - 1].dblockElements > pageElements
  ) {
    throw f.error(
      `${what}: index-block data blocks larger than a page; the file is corrupt`,
    );
  }
  // The library numbers chunks with the unlimited dimension moved first
  // ("swizzled"); the others keep their order (H5D__earray_idx_get_addr).
  const u0 = unlimited[0];
  const order = [u0, ...g.shape.keys()].filter((d, i) => i === 0 || d !== u0);
  const maxCounts = chunkCounts(g.maxShape, g.chunk);
  const swDown = downProducts(
    order.map((d, i) => (i === 0 ? 1 : maxCounts[d])),
  );
  const down = new Array<number>(order.length);
  order.forEach((d, i) => (down[d] = swDown[i]));
  return {
    list() {
      const chunks: ChunkLocation[] = [];
      const damaged: Damage[] = [];
      if (iblock === UNDEFINED_ADDRESS) return { chunks, damaged };
      const iwhat = `extensible array index block at address ${iblock}`;
      const ic = readChecked(
        f,
        iblock,
        6 + O + iblockElements * entrySize +
          (iblockDblocks + iblockSblockAddrs) * O + 4,
        iwhat,
      );
      ic.signature("EAIB");
      ic.skip(2);
      checkOwner(f, ic, address, iwhat);
      const elementsAt = ic.pos;
      ic.skip(iblockElements * entrySize);
      const dblockAddrs: number[] = [];
      for (let i = 0; i < iblockDblocks; i++) dblockAddrs.push(ic.address());
      const sblockAddrs: number[] = [];
      for (let i = 0; i < iblockSblockAddrs; i++) {
        sblockAddrs.push(ic.address());
      }

      // Each block read once; a block that fails is remembered with its error.
      const cache = new Map<string, unknown>();
      const once = <T>(key: string, read: () => T): T => {
        if (!cache.has(key)) {
          try {
            cache.set(key, read());
          } catch (err) {
            cache.set(key, err instanceof Error ? err : new Error(String(err)));
          }
        }
        const v = cache.get(key);
        if (v instanceof Error) throw v;
        return v as T;
      };
      const readSblock = (sblock: number, u: number) =>
        once(`s${sblock}`, () => {
          const info = sblocks[u];
          const npages = info.dblockElements > pageElements
            ? info.dblockElements / pageElements
            : 0;
          const initBytes = info.ndblocks * Math.ceil(npages / 8);
          const swhat = `extensible array super block at address ${sblock}`;
          const sc = readChecked(
            f,
            sblock,
            6 + O + offsetBytes + initBytes + info.ndblocks * O + 4,
            swhat,
          );
          sc.signature("EASB");
          sc.skip(2);
          checkOwner(f, sc, address, swhat);
          sc.skip(offsetBytes);
          const pageInit = sc.bytesAt(initBytes);
          const dblocks: number[] = [];
          for (let i = 0; i < info.ndblocks; i++) dblocks.push(sc.address());
          return { dblocks, pageInit, npages };
        });
      const dblockPrefix = 6 + O + offsetBytes;
      const readDblock = (dblock: number, elements: number, paged: boolean) =>
        once(`d${dblock}`, () => {
          const dwhat = `extensible array data block at address ${dblock}`;
          const dc = readChecked(
            f,
            dblock,
            dblockPrefix + (paged ? 0 : elements * entrySize) + 4,
            dwhat,
          );
          dc.signature("EADB");
          dc.skip(2);
          checkOwner(f, dc, address, dwhat);
          dc.skip(offsetBytes);
          return dc;
        });
      const readPage = (dblock: number, page: number) =>
        once(`p${dblock}:${page}`, () =>
          readChecked(
            f,
            dblock + dblockPrefix + 4 + page * (pageElements * entrySize + 4),
            pageElements * entrySize + 4,
            `extensible array data block at address ${dblock}, page ${page}`,
          ));

      /** Cursor positioned at element `idx`, or null when unallocated. */
      const lookup = (idx: number): Cursor | null => {
        if (idx < iblockElements) {
          ic.pos = elementsAt + idx * entrySize;
          return ic;
        }
        const e = idx - iblockElements;
        const u = log2floor(Math.floor(e / dblockMin) + 1);
        if (u >= nsblocks) {
          throw f.error(`chunk ${idx} is beyond the extensible array; corrupt`);
        }
        const info = sblocks[u];
        const local = e - info.startIndex;
        const d = Math.floor(local / info.dblockElements);
        const inBlock = local - d * info.dblockElements;
        let dblock: number;
        let npages = 0;
        let pageInit: Uint8Array | undefined;
        if (u < iblockSblocks) {
          dblock = dblockAddrs[info.startDblock + d];
        } else {
          const sblock = sblockAddrs[u - iblockSblocks];
          if (sblock === UNDEFINED_ADDRESS) return null;
          const s = readSblock(sblock, u);
          dblock = s.dblocks[d];
          npages = s.npages;
          pageInit = s.pageInit;
        }
        if (dblock === UNDEFINED_ADDRESS) return null;
        const dc = readDblock(dblock, info.dblockElements, npages > 0);
        if (npages === 0) {
          dc.pos = dblockPrefix + inBlock * entrySize;
          return dc;
        }
        const page = Math.floor(inBlock / pageElements);
        const bit = d * npages + page;
        if (!pageInit || !(pageInit[bit >> 3] & (0x80 >> (bit & 7)))) {
          return null;
        }
        const pc = readPage(dblock, page);
        pc.pos = (inBlock - page * pageElements) * entrySize;
        return pc;
      };

      // Only indexes below "max index set" were ever written, and those
      // past the current extent along the unlimited dimension are not read.
      const counts = chunkCounts(g.shape, g.chunk);
      const end = Math.min(maxIndexSet, counts[u0] * swDown[0]);
      let lost: Damage | null = null;
      for (let idx = 0; idx < end; idx++) {
        const scaled = unravel(idx, down, order);
        if (placement(g, scaled) !== "in") continue;
        let ec: Cursor | null;
        try {
          ec = lookup(idx);
        } catch (err) {
          const msg = message(err);
          if (!lost || lost.message !== msg) {
            lost = { message: msg, chunks: [] };
            damaged.push(lost);
          }
          lost.chunks!.push(scaled);
          continue;
        }
        if (!ec) continue;
        const loc = element(f, ec, entrySize, g, scaled);
        if (loc) chunks.push(loc);
      }
      return { chunks, damaged };
    },
  };
}

// ----------------------------------------------------------- v2 B-tree --

function encodedSize(n: number): number {
  return Math.floor(log2floor(Math.max(n, 1)) / 8) + 1;
}

function btree2Index(f: H5File, address: number, g: Geometry): ChunkIndex {
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
