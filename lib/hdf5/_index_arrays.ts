// Chunk indexes of layout 4 kept in arrays: fixed and extensible arrays,
// with their checksummed headers, blocks and pages.
import { type Cursor, type H5File, UNDEFINED_ADDRESS } from "./file.ts";

import {
  chunkCounts,
  type ChunkIndex,
  type ChunkLocation,
  type Damage,
  downProducts,
  type Geometry,
  location,
  log2floor,
  message,
  placement,
  readChecked,
  unravel,
} from "./_index_geometry.ts";

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

function checkOwner(f: H5File, c: Cursor, header: number, what: string) {
  if (c.address() !== header) {
    throw f.error(`${what} belongs to another array; the file is corrupt`);
  }
}

// --------------------------------------------------------- fixed array --

export function fixedArrayIndex(
  f: H5File,
  address: number,
  g: Geometry,
): ChunkIndex {
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

export function extensibleArrayIndex(
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
