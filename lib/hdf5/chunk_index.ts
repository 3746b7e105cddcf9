/**
 * Chunk indexes of chunked HDF5 datasets: version 1 B-tree (layout 3) and,
 * for layout 4, single chunk, implicit, fixed array, extensible array and
 * version 2 B-tree. Each reader lists every allocated chunk once; the
 * caller keeps them in a table keyed by chunk-grid position.
 *
 * @module
 */

import {
  type ChunkIndexInfo,
  type Cursor,
  type H5File,
  readBtree1Node,
  UNDEFINED_ADDRESS,
  Unsupported,
} from "./format.ts";

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
  /** Every allocated chunk inside the current extent (unordered). */
  list(): ChunkLocation[];
}

/** Build the index reader for `info`; cheap checks happen here (at open). */
export function openChunkIndex(
  f: H5File,
  info: ChunkIndexInfo,
  g: Geometry,
): ChunkIndex {
  switch (info.type) {
    case "btree1":
      return { list: () => listBtree1(f, info.address, g) };
    case "single":
      return {
        list: () =>
          info.address === UNDEFINED_ADDRESS ? [] : [{
            address: f.base + info.address,
            size: info.filteredSize ?? g.chunkBytes,
            filterMask: info.filterMask ?? 0,
            offset: g.shape.map(() => 0),
          }],
      };
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

function inExtent(g: Geometry, offset: number[]): boolean {
  for (let i = 0; i < offset.length; i++) {
    if (offset[i] >= g.shape[i] || offset[i] % g.chunk[i] !== 0) return false;
  }
  return true;
}

/**
 * Call `fn` with the scaled (chunk-grid) coordinates and the linear index
 * over `maxCounts` for every chunk of the current extent.
 */
function forEachChunk(
  g: Geometry,
  down: number[],
  fn: (scaled: number[], fileIndex: number) => void,
): void {
  const counts = chunkCounts(g.shape, g.chunk);
  if (counts.some((c) => c === 0)) return;
  const scaled = counts.map(() => 0);
  const rank = counts.length;
  for (;;) {
    let idx = 0;
    for (let i = 0; i < rank; i++) idx += scaled[i] * down[i];
    fn(scaled, idx);
    let d = rank - 1;
    while (d >= 0 && ++scaled[d] === counts[d]) scaled[d--] = 0;
    if (d < 0) return;
  }
}

// ----------------------------------------------------------- v1 B-tree --

function listBtree1(f: H5File, root: number, g: Geometry): ChunkLocation[] {
  const rank = g.shape.length;
  const keySize = 8 + 8 * (rank + 1);
  const out: ChunkLocation[] = [];
  const visit = (address: number, depth: number): void => {
    if (depth > 64) {
      throw f.error("chunk B-tree is too deep; the file is corrupt");
    }
    const { level, children } = readBtree1Node(f, address, 1, keySize);
    for (const child of children) {
      if (level > 0) {
        visit(child.address, depth + 1);
        continue;
      }
      const c = f.cursor(child.key, `chunk B-tree key in node ${address}`);
      const size = c.u32();
      const filterMask = c.u32();
      const offset: number[] = [];
      for (let i = 0; i < rank; i++) offset.push(c.uint(8));
      if (!inExtent(g, offset)) continue; // left over after a shrink
      out.push({ address: f.base + child.address, size, filterMask, offset });
    }
  };
  if (root !== UNDEFINED_ADDRESS) visit(root, 0);
  return out;
}

// ------------------------------------------------------------ implicit --

function implicitIndex(f: H5File, address: number, g: Geometry): ChunkIndex {
  if (g.filtered) throw new Unsupported("implicit chunk index with filters");
  return {
    list() {
      if (address === UNDEFINED_ADDRESS) return [];
      const out: ChunkLocation[] = [];
      const down = downProducts(chunkCounts(g.maxShape, g.chunk));
      forEachChunk(g, down, (scaled, idx) => {
        out.push({
          address: f.base + address + idx * g.chunkBytes,
          size: g.chunkBytes,
          filterMask: 0,
          offset: scaled.map((s, i) => s * g.chunk[i]),
        });
      });
      return out;
    },
  };
}

/** Decode one fixed/extensible array element (client 0 plain, 1 filtered). */
function decodeElement(
  c: Cursor,
  filteredClient: boolean,
  entrySize: number,
  g: Geometry,
): { address: number; size: number; filterMask: number } {
  const start = c.pos;
  const address = c.address();
  let size = g.chunkBytes;
  let filterMask = 0;
  if (filteredClient) {
    const width = entrySize - c.file.sizeOfOffsets - 4;
    if (width < 1 || width > 8) {
      throw c.file.error(
        `${c.what}: chunk size width ${width} is invalid; corrupt`,
      );
    }
    size = c.uint(width);
    filterMask = c.u32();
  }
  c.pos = start + entrySize;
  return { address, size, filterMask };
}

/** The chunk an array element points at, or `null` for an unwritten one. */
function elementLocation(
  f: H5File,
  c: Cursor,
  client: number,
  entrySize: number,
  g: Geometry,
  scaled: number[],
): ChunkLocation | null {
  const e = decodeElement(c, client === 1, entrySize, g);
  if (e.address === UNDEFINED_ADDRESS) return null;
  return {
    address: f.base + e.address,
    size: e.size,
    filterMask: e.filterMask,
    offset: scaled.map((s, i) => s * g.chunk[i]),
  };
}

function checkClient(f: H5File, client: number, g: Geometry, what: string) {
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
}

// --------------------------------------------------------- fixed array --

function fixedArrayIndex(f: H5File, address: number, g: Geometry): ChunkIndex {
  const O = f.sizeOfOffsets;
  const what = `fixed array header at address ${address}`;
  const c = f.cursor(f.read(address, 8 + f.sizeOfLengths + O + 4, what), what);
  c.signature("FAHD");
  const version = c.u8();
  if (version !== 0) throw new Unsupported(`fixed array version ${version}`);
  const client = c.u8();
  checkClient(f, client, g, what);
  const entrySize = c.u8();
  const pageBits = c.u8();
  const count = c.length();
  const dblock = c.address();
  const needed = chunkCounts(g.maxShape, g.chunk).reduce((a, b) => a * b, 1);
  if (count < needed) {
    throw f.error(
      `${what} holds ${count} entries, fewer than ${needed} chunks; corrupt`,
    );
  }
  return {
    list() {
      if (dblock === UNDEFINED_ADDRESS) return [];
      const dwhat = `fixed array data block at address ${dblock}`;
      const pageCount = 1 << pageBits;
      const paged = count > pageCount;
      const npages = paged ? Math.ceil(count / pageCount) : 0;
      const bitmapBytes = Math.ceil(npages / 8);
      const prefix = 4 + 1 + 1 + O + bitmapBytes;
      const head = f.cursor(f.read(dblock, prefix, dwhat), dwhat);
      head.signature("FADB");
      head.skip(2);
      if (head.address() !== address) {
        throw f.error(`${dwhat} belongs to another array; the file is corrupt`);
      }
      const bitmap = head.bytesAt(bitmapBytes);
      // Elements live in the block itself, or in pages after its checksum.
      const pageSize = pageCount * entrySize + 4;
      const pages = new Map<number, Cursor | null>();
      const cursorFor = (page: number): Cursor | null => {
        let pc = pages.get(page);
        if (pc !== undefined) return pc;
        if (!paged) {
          pc = f.cursor(
            f.read(dblock + prefix, count * entrySize, dwhat),
            dwhat,
          );
        } else if (!(bitmap[page >> 3] & (0x80 >> (page & 7)))) {
          pc = null; // page never written: all its chunks are unallocated
        } else {
          const n = Math.min(pageCount, count - page * pageCount);
          const pwhat = `${dwhat}, page ${page}`;
          pc = f.cursor(
            f.read(dblock + prefix + 4 + page * pageSize, n * entrySize, pwhat),
            pwhat,
          );
        }
        pages.set(page, pc);
        return pc;
      };
      const out: ChunkLocation[] = [];
      const down = downProducts(chunkCounts(g.maxShape, g.chunk));
      forEachChunk(g, down, (scaled, idx) => {
        const page = paged ? Math.floor(idx / pageCount) : 0;
        const pc = cursorFor(page);
        if (!pc) return;
        pc.pos = (paged ? idx - page * pageCount : idx) * entrySize;
        const loc = elementLocation(f, pc, client, entrySize, g, scaled);
        if (loc) out.push(loc);
      });
      return out;
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
  const c = f.cursor(f.read(address, 12 + 6 * L + O + 4, what), what);
  c.signature("EAHD");
  const version = c.u8();
  if (version !== 0) {
    throw new Unsupported(`extensible array version ${version}`);
  }
  const client = c.u8();
  checkClient(f, client, g, what);
  const entrySize = c.u8();
  const maxBits = c.u8();
  const iblockElements = c.u8();
  const dblockMin = c.u8();
  const sblockMinPointers = c.u8();
  const pageBits = c.u8();
  c.skip(6 * L); // statistics
  const iblock = c.address();
  const pow2 = (n: number) => n > 0 && (n & (n - 1)) === 0;
  if (!pow2(dblockMin) || !pow2(sblockMinPointers) || maxBits > 64) {
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
    throw new Unsupported(
      "extensible array with paged index-block data blocks",
    );
  }
  return {
    list() {
      if (iblock === UNDEFINED_ADDRESS) return [];
      const iwhat = `extensible array index block at address ${iblock}`;
      const ic = f.cursor(
        f.read(
          iblock,
          6 + O + iblockElements * entrySize +
            (iblockDblocks + iblockSblockAddrs) * O,
          iwhat,
        ),
        iwhat,
      );
      ic.signature("EAIB");
      ic.skip(2);
      if (ic.address() !== address) {
        throw f.error(`${iwhat} belongs to another array; the file is corrupt`);
      }
      const elementsAt = ic.pos;
      ic.skip(iblockElements * entrySize);
      const dblockAddrs: number[] = [];
      for (let i = 0; i < iblockDblocks; i++) dblockAddrs.push(ic.address());
      const sblockAddrs: number[] = [];
      for (let i = 0; i < iblockSblockAddrs; i++) {
        sblockAddrs.push(ic.address());
      }

      const sblockCache = new Map<
        number,
        { dblocks: number[]; pageInit: Uint8Array; npages: number }
      >();
      const readSblock = (sblock: number, u: number) => {
        let s = sblockCache.get(sblock);
        if (s) return s;
        const info = sblocks[u];
        const npages = info.dblockElements > pageElements
          ? info.dblockElements / pageElements
          : 0;
        const initBytes = info.ndblocks * Math.ceil(npages / 8);
        const swhat = `extensible array super block at address ${sblock}`;
        const sc = f.cursor(
          f.read(
            sblock,
            6 + O + offsetBytes + initBytes + info.ndblocks * O,
            swhat,
          ),
          swhat,
        );
        sc.signature("EASB");
        sc.skip(2);
        if (sc.address() !== address) {
          throw f.error(
            `${swhat} belongs to another array; the file is corrupt`,
          );
        }
        sc.skip(offsetBytes);
        const pageInit = sc.bytesAt(initBytes);
        const dblocks: number[] = [];
        for (let i = 0; i < info.ndblocks; i++) dblocks.push(sc.address());
        s = { dblocks, pageInit, npages };
        sblockCache.set(sblock, s);
        return s;
      };
      const blockCache = new Map<number, Cursor>();
      const readElements = (at: number, n: number, bwhat: string): Cursor => {
        let bc = blockCache.get(at);
        if (!bc) {
          bc = f.cursor(f.read(at, n * entrySize, bwhat), bwhat);
          blockCache.set(at, bc);
        }
        return bc;
      };
      const dblockPrefix = 6 + O + offsetBytes;
      const checkDblock = (dblock: number) => {
        const dwhat = `extensible array data block at address ${dblock}`;
        const dc = f.cursor(f.read(dblock, dblockPrefix, dwhat), dwhat);
        dc.signature("EADB");
        dc.skip(2);
        if (dc.address() !== address) {
          throw f.error(
            `${dwhat} belongs to another array; the file is corrupt`,
          );
        }
      };
      const checked = new Set<number>();

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
        if (!checked.has(dblock)) {
          checkDblock(dblock);
          checked.add(dblock);
        }
        const dwhat = `extensible array data block at address ${dblock}`;
        if (npages === 0) {
          const bc = readElements(
            dblock + dblockPrefix,
            info.dblockElements,
            dwhat,
          );
          bc.pos = inBlock * entrySize;
          return bc;
        }
        const page = Math.floor(inBlock / pageElements);
        const bit = d * npages + page;
        if (!pageInit || !(pageInit[bit >> 3] & (0x80 >> (bit & 7)))) {
          return null;
        }
        const pageAt = dblock + dblockPrefix + 4 +
          page * (pageElements * entrySize + 4);
        const bc = readElements(pageAt, pageElements, `${dwhat}, page ${page}`);
        bc.pos = (inBlock - page * pageElements) * entrySize;
        return bc;
      };

      const out: ChunkLocation[] = [];
      // The library numbers chunks with the unlimited dimension moved first
      // ("swizzled"); the others keep their order (H5D__earray_idx_get_addr).
      const u0 = unlimited[0];
      const order = [u0, ...g.shape.keys()].filter((d, i) =>
        i === 0 || d !== u0
      );
      const maxCounts = chunkCounts(g.maxShape, g.chunk);
      const swDown = downProducts(
        order.map((d, i) => (i === 0 ? 1 : maxCounts[d])),
      );
      const down = new Array<number>(order.length);
      order.forEach((d, i) => (down[d] = swDown[i]));
      forEachChunk(g, down, (scaled, idx) => {
        const ec = lookup(idx);
        if (!ec) return;
        const loc = elementLocation(f, ec, client, entrySize, g, scaled);
        if (loc) out.push(loc);
      });
      return out;
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
  const c = f.cursor(
    f.read(address, 16 + O + 2 + f.sizeOfLengths + 4, what),
    what,
  );
  c.signature("BTHD");
  const version = c.u8();
  if (version !== 0) throw new Unsupported(`v2 B-tree version ${version}`);
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
  const sizeWidth = recordSize - O - 8 * rank - (filteredRecords ? 4 : 0);
  if (filteredRecords ? sizeWidth < 1 || sizeWidth > 8 : sizeWidth !== 0) {
    throw f.error(`${what} has record size ${recordSize}; the file is corrupt`);
  }
  // Node capacities decide the width of child record counts (H5B2__hdr_init).
  const prefix = 10;
  const leafMax = Math.floor((nodeSize - prefix) / recordSize);
  const maxNrecSize = encodedSize(leafMax);
  const cum: { cumMax: number; cumSize: number }[] = [{
    cumMax: leafMax,
    cumSize: 0,
  }];
  for (let u = 1; u <= depth; u++) {
    const ptr = O + maxNrecSize + (u > 1 ? cum[u - 1].cumSize : 0);
    const max = Math.floor((nodeSize - (prefix + ptr)) / (recordSize + ptr));
    const cumMax = (max + 1) * cum[u - 1].cumMax + max;
    cum.push({ cumMax, cumSize: encodedSize(cumMax) });
  }
  return {
    list() {
      const out: ChunkLocation[] = [];
      const record = (rc: Cursor) => {
        const addr = rc.address();
        const size = filteredRecords ? rc.uint(sizeWidth) : g.chunkBytes;
        const filterMask = filteredRecords ? rc.u32() : 0;
        const offset: number[] = [];
        for (let i = 0; i < rank; i++) offset.push(rc.uint(8) * g.chunk[i]);
        if (addr === UNDEFINED_ADDRESS || !inExtent(g, offset)) return;
        out.push({ address: f.base + addr, size, filterMask, offset });
      };
      const visit = (node: number, nrec: number, level: number) => {
        const leaf = level === 0;
        const ptr = leaf
          ? 0
          : O + maxNrecSize + (level > 1 ? cum[level - 1].cumSize : 0);
        const nwhat = `v2 B-tree ${
          leaf ? "leaf" : "internal"
        } node at address ${node}`;
        const nc = f.cursor(
          f.read(
            node,
            6 + nrec * recordSize + (leaf ? 0 : (nrec + 1) * ptr),
            nwhat,
          ),
          nwhat,
        );
        nc.signature(leaf ? "BTLF" : "BTIN");
        nc.skip(2);
        for (let i = 0; i < nrec; i++) record(nc);
        if (leaf) return;
        for (let i = 0; i <= nrec; i++) {
          const child = nc.address();
          const childRecords = nc.uint(maxNrecSize);
          if (level > 1) nc.skip(cum[level - 1].cumSize);
          visit(child, childRecords, level - 1);
        }
      };
      if (root !== UNDEFINED_ADDRESS && rootRecords > 0) {
        visit(root, rootRecords, depth);
      }
      return out;
    },
  };
}
