/**
 * Decoders of the header messages a dataset reader needs: datatype,
 * dataspace, filter pipeline, fill value and data layout. Private module.
 *
 * @module
 */

import { type H5File, Unsupported } from "./file.ts";
import { findMessage, type Message, MSG } from "./object_header.ts";

/** Datatype summary: class, size, and for variable-length types the base. */
export interface Datatype {
  /** HDF5 datatype class: 0 fixed-point, 1 float, 3 string, 9 vlen, ... */
  class: number;
  /** Bytes per element as stored in the dataset. */
  size: number;
  /** Class bit field (byte order in bit 0 for numbers, vlen kind in bits 0-3). */
  bits: number;
  /** For class 9: the base type. */
  base?: Datatype;
}

/** Decode a datatype message (class, size, and the vlen base type). */
export function parseDatatype(f: H5File, data: Uint8Array): Datatype {
  const c = f.cursor(data, "datatype message");
  const classVersion = c.u8();
  const bits = c.u8() | (c.u8() << 8) | (c.u8() << 16);
  const size = c.u32();
  const cls = classVersion & 0x0f;
  const out: Datatype = { class: cls, size, bits };
  if (cls === 9) out.base = parseDatatype(f, data.subarray(8));
  return out;
}

/** Decoded dataspace: current and maximum dimensions (`Infinity` = unlimited). */
export interface Dataspace {
  shape: number[];
  maxShape: number[];
  /** 0 scalar, 1 simple, 2 null. */
  kind: number;
}

/** Decode a dataspace message, versions 1 and 2. */
export function parseDataspace(f: H5File, data: Uint8Array): Dataspace {
  const c = f.cursor(data, "dataspace message");
  const version = c.u8();
  const rank = c.u8();
  const flags = c.u8();
  let kind = rank === 0 ? 0 : 1;
  if (version === 1) {
    c.skip(5);
  } else if (version === 2) {
    kind = c.u8();
    if (kind > 2) {
      throw f.error(`dataspace type ${kind} is invalid; the file is corrupt`);
    }
  } else {
    throw f.error(
      `dataspace message version ${version} is not one HDF5 writes (1, 2); the file is corrupt`,
    );
  }
  if (rank > 32) {
    throw f.error(
      `dataspace has ${rank} dimensions (HDF5 allows 32); the file is corrupt`,
    );
  }
  if (flags & ~0x03) {
    throw f.error(`dataspace flags ${flags} are invalid; the file is corrupt`);
  }
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) shape.push(c.length());
  const maxShape = shape.slice();
  if (flags & 1) {
    for (let i = 0; i < rank; i++) maxShape[i] = c.length();
  }
  if (shape.some((d) => !Number.isFinite(d))) {
    throw f.error("dataspace has an undefined dimension; the file is corrupt");
  }
  if (shape.some((d, i) => d > maxShape[i])) {
    throw f.error(
      `dataspace dimensions [${shape}] exceed its maximum [${maxShape}]; the file is corrupt`,
    );
  }
  return { shape, maxShape, kind };
}

/** One filter of a dataset's filter pipeline. Structured-clone friendly. */
export interface FilterInfo {
  /** Filter id: 1 deflate, 2 shuffle, 3 fletcher32, 4 szip, 32000 lzf, ... */
  id: number;
  /** Name stored in the file ("" when none). */
  name: string;
  /** Filter flags; bit 0 = optional (may be skipped per chunk). */
  flags: number;
  /** Client data values (e.g. deflate level, shuffle element size). */
  clientData: number[];
}

/** Decode a filter pipeline message, versions 1 and 2. */
export function parseFilters(f: H5File, data: Uint8Array): FilterInfo[] {
  const c = f.cursor(data, "filter pipeline message");
  const version = c.u8();
  const n = c.u8();
  if (version === 1) c.skip(6);
  else if (version !== 2) {
    throw f.error(
      `filter pipeline message version ${version} is not one HDF5 writes (1, 2); the file is corrupt`,
    );
  }
  if (n > 32) {
    throw f.error(
      `filter pipeline lists ${n} filters (HDF5 allows 32); the file is corrupt`,
    );
  }
  const out: FilterInfo[] = [];
  for (let i = 0; i < n; i++) {
    const id = c.u16();
    const nameLength = version === 1 || id >= 256 ? c.u16() : 0;
    const flags = c.u16();
    const ncd = c.u16();
    const nameBytes = c.bytesAt(nameLength);
    const end = nameBytes.indexOf(0);
    const name = new TextDecoder().decode(
      end < 0 ? nameBytes : nameBytes.subarray(0, end),
    );
    const clientData: number[] = [];
    for (let j = 0; j < ncd; j++) clientData.push(c.u32());
    if (version === 1 && ncd % 2 === 1) c.skip(4);
    out.push({ id, name, flags, clientData });
  }
  return out;
}

/**
 * The dataset's fill value bytes (one element), or `undefined` when the
 * default (all zero bytes) applies.
 */
export function parseFillValue(
  f: H5File,
  messages: Message[],
  elementSize: number,
): Uint8Array | undefined {
  const fill = findMessage(messages, MSG.FILL, "fill value");
  if (fill) {
    const c = f.cursor(fill.data, "fill value message");
    const version = c.u8();
    let size = 0;
    if (version === 1 || version === 2) {
      c.skip(2); // allocation time, write time
      const defined = c.u8();
      if (defined) size = c.u32();
    } else if (version === 3) {
      const flags = c.u8();
      if (flags & 0x20) size = c.u32();
    } else {
      throw f.error(
        `fill value message version ${version} is not one HDF5 writes (1-3); the file is corrupt`,
      );
    }
    if (size === 0 || size === 0xffffffff) return undefined;
    if (size !== elementSize) {
      throw f.error(
        `fill value of ${size} bytes for ${elementSize}-byte elements; the file is corrupt`,
      );
    }
    return c.bytesAt(size).slice();
  }
  const old = findMessage(messages, MSG.FILL_OLD, "fill value");
  if (old) {
    const c = f.cursor(old.data, "old fill value message");
    const size = c.u32();
    if (size === 0) return undefined;
    if (size !== elementSize) {
      throw f.error(
        `fill value of ${size} bytes for ${elementSize}-byte elements; the file is corrupt`,
      );
    }
    return c.bytesAt(size).slice();
  }
  return undefined;
}

/** Chunk index of a chunked dataset, as named in the layout message. */
export type ChunkIndexInfo =
  | { type: "btree1"; address: number }
  | {
    type: "single";
    address: number;
    /** Stored size and filter mask when the single chunk is filtered. */
    filteredSize?: number;
    filterMask?: number;
  }
  | { type: "implicit"; address: number }
  | { type: "fixed-array"; address: number }
  | { type: "extensible-array"; address: number }
  | { type: "btree2"; address: number };

/** Decoded data layout message. */
export type Layout =
  | { kind: "compact"; version: number; data: Uint8Array }
  | { kind: "contiguous"; version: number; address: number; size: number }
  | {
    kind: "chunked";
    version: number;
    /** Chunk dimensions, one per dataset dimension (element size removed). */
    chunk: number[];
    /** Element size given by the layout (last layout dimension). */
    elementSize: number;
    index: ChunkIndexInfo;
  };

/**
 * Decode a data layout message, versions 3, 4 and 5. Version 5 (HDF5 2.0,
 * what h5wasm 0.10 writes with `libver: "latest"`) has the wire format of
 * version 4; it only fixes the width of filtered-chunk sizes inside the chunk
 * index, which the index readers take from the index's own record sizes.
 */
export function parseLayout(f: H5File, data: Uint8Array): Layout {
  const c = f.cursor(data, "data layout message");
  const version = c.u8();
  if (version === 1 || version === 2) {
    throw new Unsupported(`data layout message version ${version}`);
  }
  if (version < 1 || version > 5) {
    throw f.error(
      `data layout message version ${version} is not one HDF5 writes (1-5); the file is corrupt`,
    );
  }
  const cls = c.u8();
  if (cls === 0) {
    const size = c.u16();
    return { kind: "compact", version, data: c.bytesAt(size).slice() };
  }
  if (cls === 1) {
    const address = c.address();
    return { kind: "contiguous", version, address, size: c.length() };
  }
  if (cls === 3) throw new Unsupported("virtual dataset layout");
  if (cls !== 2) throw f.error(`data layout class ${cls} is invalid; corrupt`);
  if (version === 3) {
    const ndims = c.u8();
    if (ndims < 2) {
      throw f.error(
        `data layout message has ${ndims} dimensions; the file is corrupt`,
      );
    }
    const address = c.address();
    const dims: number[] = [];
    for (let i = 0; i < ndims; i++) dims.push(c.u32());
    return {
      kind: "chunked",
      version,
      chunk: dims.slice(0, -1),
      elementSize: dims[ndims - 1],
      index: { type: "btree1", address },
    };
  }
  const flags = c.u8();
  const ndims = c.u8();
  const width = c.u8();
  if (width < 1 || width > 8) {
    throw f.error(`layout dimension width ${width} is invalid; corrupt`);
  }
  const dims: number[] = [];
  if (flags & ~0x03 || ndims < 2) {
    throw f.error(
      `data layout message (flags ${flags}, ${ndims} dimensions) is invalid; the file is corrupt`,
    );
  }
  for (let i = 0; i < ndims; i++) dims.push(c.uint(width));
  if (flags & 0x01) {
    // Edge chunks stored unfiltered: not produced by h5py/h5wasm defaults.
    throw new Unsupported("chunks with 'don't filter partial edge chunks' set");
  }
  const indexType = c.u8();
  let index: ChunkIndexInfo;
  switch (indexType) {
    case 1: {
      let filteredSize: number | undefined;
      let filterMask: number | undefined;
      if (flags & 0x02) {
        filteredSize = c.length();
        filterMask = c.u32();
      }
      index = {
        type: "single",
        address: c.address(),
        filteredSize,
        filterMask,
      };
      break;
    }
    case 2:
      index = { type: "implicit", address: c.address() };
      break;
    case 3:
      c.skip(1); // page bits (repeated in the fixed array header)
      index = { type: "fixed-array", address: c.address() };
      break;
    case 4:
      c.skip(5); // parameters (repeated in the extensible array header)
      index = { type: "extensible-array", address: c.address() };
      break;
    case 5:
      c.skip(6); // node size, split and merge percent (repeated in header)
      index = { type: "btree2", address: c.address() };
      break;
    default:
      throw f.error(
        `chunk index type ${indexType} is not one HDF5 writes (1-5); the file is corrupt`,
      );
  }
  return {
    kind: "chunked",
    version,
    chunk: dims.slice(0, -1),
    elementSize: dims[ndims - 1],
    index,
  };
}
