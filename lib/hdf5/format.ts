/**
 * Low-level pieces of the HDF5 file format (specification version 3) that
 * the fast chunk reader needs: positional file access, the superblock,
 * object headers and their messages, group lookup and the global heap.
 *
 * Private module: everything unusual is reported as {@linkcode Unsupported}
 * (the caller falls back to h5wasm) and everything inconsistent as an
 * `Error` naming the file (corrupt or truncated).
 *
 * @module
 */

/** The all-ones "undefined address" of the format, decoded as this value. */
export const UNDEFINED_ADDRESS = -1;

/** Thrown for a valid file that uses a feature this reader does not handle. */
export class Unsupported extends Error {
  /** @param reason What is not supported, for the caller's fallback message. */
  constructor(reason: string) {
    super(reason);
    this.name = "Unsupported";
  }
}

/** Positional, bounds-checked reads from an open HDF5 file. */
export class H5File {
  /** Path as given by the caller; every error message starts with it. */
  readonly path: string;
  /** Size of the file in bytes. */
  readonly fileSize: number;
  /** Absolute position of the superblock; stored addresses are relative to it. */
  base = 0;
  /** Bytes in an encoded file address ("size of offsets"). */
  sizeOfOffsets = 8;
  /** Bytes in an encoded length ("size of lengths"). */
  sizeOfLengths = 8;
  /** Superblock version (0-3). */
  superblockVersion = 0;
  /** Address of the root group's object header. */
  rootAddress = UNDEFINED_ADDRESS;
  #file: Deno.FsFile | null;

  constructor(path: string) {
    this.path = path;
    this.#file = Deno.openSync(path, { read: true });
    try {
      this.fileSize = this.#file.statSync().size;
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /** Whether {@linkcode close} has run. */
  get closed(): boolean {
    return this.#file === null;
  }

  /** Close the file; safe to call twice. */
  close(): void {
    const f = this.#file;
    this.#file = null;
    f?.close();
  }

  /** An `Error` whose message starts with the file path. */
  error(message: string, cause?: unknown): Error {
    return new Error(
      `${this.path}: ${message}`,
      cause === undefined ? undefined : { cause },
    );
  }

  /**
   * Read `length` bytes at absolute file position `pos` into `into` (or a
   * new array). Throws when the range lies past the end of the file.
   */
  readAbsolute(
    pos: number,
    length: number,
    what: string,
    into?: Uint8Array,
  ): Uint8Array {
    const file = this.#file;
    if (file === null) {
      throw new Error(`${this.path}: the file is closed; open it again`);
    }
    if (
      !Number.isSafeInteger(pos) || !Number.isSafeInteger(length) ||
      pos < 0 || length < 0 || pos + length > this.fileSize
    ) {
      throw this.error(
        `${what} at byte ${pos} (+${length}) lies outside the file ` +
          `(${this.fileSize} bytes): the file is truncated or corrupt; download it again`,
      );
    }
    const buf = into ?? new Uint8Array(length);
    file.seekSync(pos, Deno.SeekMode.Start);
    let done = 0;
    while (done < length) {
      const n = file.readSync(buf.subarray(done, length));
      if (n === null || n === 0) {
        throw this.error(
          `unexpected end of file reading ${what} at byte ${pos}; the file is truncated`,
        );
      }
      done += n;
    }
    return buf;
  }

  /** Read `length` bytes at a file address (relative to the superblock). */
  read(address: number, length: number, what: string): Uint8Array {
    if (address === UNDEFINED_ADDRESS) {
      throw this.error(`${what} has an undefined address; the file is corrupt`);
    }
    return this.readAbsolute(this.base + address, length, what);
  }

  /** A cursor over `bytes` that decodes with this file's sizes. */
  cursor(bytes: Uint8Array, what: string, pos = 0): Cursor {
    return new Cursor(this, bytes, what, pos);
  }
}

/** Little-endian decoder over a byte array, with the file's address sizes. */
export class Cursor {
  readonly #view: DataView;
  constructor(
    readonly file: H5File,
    readonly bytes: Uint8Array,
    readonly what: string,
    public pos = 0,
  ) {
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  #need(n: number): void {
    if (this.pos + n > this.bytes.length || this.pos < 0) {
      throw this.file.error(
        `${this.what} ends early (needs ${n} bytes at offset ${this.pos} of ${this.bytes.length}); the file is corrupt`,
      );
    }
  }

  /** Bytes left after the current position. */
  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  skip(n: number): this {
    this.#need(n);
    this.pos += n;
    return this;
  }

  u8(): number {
    this.#need(1);
    return this.bytes[this.pos++];
  }

  u16(): number {
    this.#need(2);
    const v = this.#view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.#need(4);
    const v = this.#view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** An unsigned integer of `width` bytes (1-8), as a safe JS number. */
  uint(width: number): number {
    this.#need(width);
    let v = 0;
    let scale = 1;
    for (let i = 0; i < width; i++) {
      const b = this.bytes[this.pos + i];
      if (b !== 0) {
        v += b * scale;
        if (!Number.isSafeInteger(v)) {
          throw this.file.error(
            `${this.what} holds an integer beyond 2^53; the file is corrupt`,
          );
        }
      }
      scale *= 256;
    }
    this.pos += width;
    return v;
  }

  /** Whether the next `width` bytes are all 0xff (the undefined value). */
  #allOnes(width: number): boolean {
    for (let i = 0; i < width; i++) {
      if (this.bytes[this.pos + i] !== 0xff) return false;
    }
    return true;
  }

  /** A file address, or {@linkcode UNDEFINED_ADDRESS}. */
  address(): number {
    const w = this.file.sizeOfOffsets;
    this.#need(w);
    if (this.#allOnes(w)) {
      this.pos += w;
      return UNDEFINED_ADDRESS;
    }
    return this.uint(w);
  }

  /** A length field ("size of lengths" bytes); all ones decodes as `Infinity`. */
  length(): number {
    const w = this.file.sizeOfLengths;
    this.#need(w);
    if (this.#allOnes(w)) {
      this.pos += w;
      return Infinity;
    }
    return this.uint(w);
  }

  bytesAt(n: number): Uint8Array {
    this.#need(n);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Check a 4-character signature such as `TREE`; a mismatch is corruption. */
  signature(sig: string): void {
    this.#need(4);
    for (let i = 0; i < 4; i++) {
      if (this.bytes[this.pos + i] !== sig.charCodeAt(i)) {
        const got = new TextDecoder("latin1").decode(
          this.bytes.subarray(this.pos, this.pos + 4),
        );
        throw this.file.error(
          `${this.what}: expected signature "${sig}" but found ${
            JSON.stringify(got)
          }; the file is corrupt`,
        );
      }
    }
    this.pos += 4;
  }
}

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Find and parse the superblock (at byte 0, 512, 1024, ...), fill in the
 * file's sizes and root address, and check the file is not truncated.
 */
export function readSuperblock(f: H5File): void {
  let at = -1;
  for (let pos = 0; pos + 8 <= f.fileSize; pos = pos === 0 ? 512 : pos * 2) {
    const sig = f.readAbsolute(pos, 8, "superblock signature");
    if (sig.every((b, i) => b === HDF5_SIGNATURE[i])) {
      at = pos;
      break;
    }
  }
  if (at < 0) {
    throw f.error(
      "not an HDF5 file (no HDF5 signature found); the file is corrupt or of another format",
    );
  }
  f.base = at;
  const head = f.readAbsolute(at, Math.min(96, f.fileSize - at), "superblock");
  const version = head[8];
  f.superblockVersion = version;
  let eof: number;
  if (version === 0 || version === 1) {
    f.sizeOfOffsets = head[13];
    f.sizeOfLengths = head[14];
    checkSizes(f);
    const c = f.cursor(head, "superblock", version === 0 ? 24 : 28);
    c.address(); // base address: the position found above is what counts
    c.address(); // free-space info (unused by readers)
    eof = c.address();
    c.address(); // driver info block
    // Root group symbol table entry: link name offset, object header address.
    c.address();
    f.rootAddress = c.address();
  } else if (version === 2 || version === 3) {
    f.sizeOfOffsets = head[9];
    f.sizeOfLengths = head[10];
    checkSizes(f);
    const c = f.cursor(head, "superblock", 12);
    c.address(); // base address
    c.address(); // superblock extension (no effect on reading raw data)
    eof = c.address();
    f.rootAddress = c.address();
  } else {
    throw new Unsupported(`HDF5 superblock version ${version}`);
  }
  // The stored end-of-file address counts from the start of the file
  // (user block included).
  if (eof !== UNDEFINED_ADDRESS && f.fileSize < eof) {
    throw new Error(
      `${f.path} is truncated: HDF5 end-of-file address is ${eof} bytes but the file has ${f.fileSize}; download it again`,
    );
  }
  if (f.rootAddress === UNDEFINED_ADDRESS) {
    throw f.error("the superblock has no root group; the file is corrupt");
  }
}

function checkSizes(f: H5File): void {
  for (
    const [label, v] of [
      ["offsets", f.sizeOfOffsets],
      ["lengths", f.sizeOfLengths],
    ] as const
  ) {
    if (v === 16 || v === 32) {
      throw new Unsupported(`${v}-byte file ${label}`);
    }
    if (v !== 2 && v !== 4 && v !== 8) {
      throw f.error(`superblock gives ${v}-byte ${label}; the file is corrupt`);
    }
  }
}

/** One header message of an object header. */
export interface Message {
  /** Message type (0x01 dataspace, 0x03 datatype, ...). */
  type: number;
  /** Message flags; bit 1 means the message is shared (stored elsewhere). */
  flags: number;
  /** The message body. */
  data: Uint8Array;
}

/** Message type numbers used here. */
export const MSG = {
  DATASPACE: 0x01,
  LINK_INFO: 0x02,
  DATATYPE: 0x03,
  FILL_OLD: 0x04,
  FILL: 0x05,
  LINK: 0x06,
  EXTERNAL_FILES: 0x07,
  LAYOUT: 0x08,
  FILTERS: 0x0b,
  CONTINUATION: 0x10,
  SYMBOL_TABLE: 0x11,
} as const;

/** All messages of the object header at `address`, continuations followed. */
export function readObjectHeader(f: H5File, address: number): Message[] {
  const what = `object header at address ${address}`;
  const first = f.read(
    address,
    Math.min(16, f.fileSize - f.base - address),
    what,
  );
  const messages: Message[] = [];
  const blocks: [number, number][] = [];
  let v2 = false;
  let crtOrder = false;
  if (
    first[0] === 0x4f && first[1] === 0x48 && first[2] === 0x44 &&
    first[3] === 0x52 // "OHDR"
  ) {
    v2 = true;
    if (first[4] !== 2) {
      throw new Unsupported(`object header version ${first[4]}`);
    }
    const flags = first[5];
    crtOrder = (flags & 0x04) !== 0;
    let prefix = 6 + ((flags & 0x20) ? 16 : 0) + ((flags & 0x10) ? 4 : 0);
    const width = 1 << (flags & 0x03);
    const pre = f.read(address, prefix + width, what);
    const size = f.cursor(pre, what, prefix).uint(width);
    prefix += width;
    const body = f.read(address + prefix, size, what);
    parseMessages(f, body, true, crtOrder, messages, blocks, what);
  } else {
    const version = first[0];
    if (version !== 1) {
      throw version === 0
        ? f.error(`${what} is not an object header; the file is corrupt`)
        : new Unsupported(`object header version ${version}`);
    }
    const c = f.cursor(first, what, 8);
    const size = c.u32();
    const body = f.read(address + 16, size, what);
    parseMessages(f, body, false, false, messages, blocks, what);
  }
  for (let i = 0; i < blocks.length; i++) {
    if (i > 10_000) throw f.error(`${what} has a continuation loop; corrupt`);
    const [addr, len] = blocks[i];
    const cwhat = `object header continuation at address ${addr}`;
    const body = f.read(addr, len, cwhat);
    if (v2) {
      const c = f.cursor(body, cwhat);
      c.signature("OCHK");
      // Messages lie between the signature and the trailing checksum.
      parseMessages(
        f,
        body.subarray(4, Math.max(4, len - 4)),
        true,
        crtOrder,
        messages,
        blocks,
        cwhat,
      );
    } else {
      parseMessages(f, body, false, false, messages, blocks, cwhat);
    }
  }
  return messages;
}

function parseMessages(
  f: H5File,
  body: Uint8Array,
  v2: boolean,
  crtOrder: boolean,
  out: Message[],
  blocks: [number, number][],
  what: string,
): void {
  const c = f.cursor(body, what);
  const headerSize = v2 ? 4 + (crtOrder ? 2 : 0) : 8;
  while (c.remaining >= headerSize) {
    let type: number;
    let size: number;
    let flags: number;
    if (v2) {
      type = c.u8();
      size = c.u16();
      flags = c.u8();
      if (crtOrder) c.skip(2);
    } else {
      type = c.u16();
      size = c.u16();
      flags = c.u8();
      c.skip(3);
    }
    const data = c.bytesAt(size);
    if (type === MSG.CONTINUATION) {
      const cc = f.cursor(data, `${what} continuation message`);
      blocks.push([cc.address(), cc.length()]);
    } else if (type !== 0) {
      out.push({ type, flags, data });
    }
  }
}

/** The first message of `type`; shared messages are not followed. */
export function findMessage(
  messages: Message[],
  type: number,
  label: string,
): Message | undefined {
  const m = messages.find((x) => x.type === type);
  if (m && (m.flags & 0x02)) {
    throw new Unsupported(`shared (committed) ${label} message`);
  }
  return m;
}

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
  } else {
    throw new Unsupported(`dataspace message version ${version}`);
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
    throw new Unsupported(`filter pipeline message version ${version}`);
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
      throw new Unsupported(`fill value message version ${version}`);
    }
    if (size === 0 || size === 0xffffffff) return undefined;
    if (size !== elementSize) {
      throw new Unsupported(
        `fill value of ${size} bytes for ${elementSize}-byte elements`,
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
      throw new Unsupported(
        `fill value of ${size} bytes for ${elementSize}-byte elements`,
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
  if (version < 3 || version > 5) {
    throw new Unsupported(`data layout message version ${version}`);
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
      throw new Unsupported(`chunk index type ${indexType}`);
  }
  return {
    kind: "chunked",
    version,
    chunk: dims.slice(0, -1),
    elementSize: dims[ndims - 1],
    index,
  };
}

// ---------------------------------------------------------------- groups --

/**
 * Object header address of the object at slash-separated `name` (relative to
 * the root group). Hard links only; soft/external links and dense (fractal
 * heap) link storage are {@linkcode Unsupported}.
 */
export function resolvePath(f: H5File, name: string): number {
  const parts = name.split("/").filter((p) => p.length > 0);
  if (parts.length === 0) {
    throw new Unsupported(`"${name}" names the root group, not a dataset`);
  }
  let address = f.rootAddress;
  for (let i = 0; i < parts.length; i++) {
    const messages = readObjectHeader(f, address);
    const found = lookupLink(f, messages, parts[i]);
    if (found === undefined) {
      const where = i === 0
        ? "the root group"
        : `"${parts.slice(0, i).join("/")}"`;
      throw f.error(
        `no object "${parts[i]}" in ${where}; check the dataset name`,
      );
    }
    address = found;
  }
  return address;
}

function lookupLink(
  f: H5File,
  messages: Message[],
  name: string,
): number | undefined {
  const st = findMessage(messages, MSG.SYMBOL_TABLE, "symbol table");
  if (st) {
    const c = f.cursor(st.data, "symbol table message");
    const btree = c.address();
    const heap = c.address();
    return lookupSymbolTable(f, btree, heap, name);
  }
  const info = findMessage(messages, MSG.LINK_INFO, "link info");
  if (info) {
    const c = f.cursor(info.data, "link info message");
    c.u8();
    const flags = c.u8();
    if (flags & 1) c.skip(8);
    const heapAddress = c.address();
    if (heapAddress !== UNDEFINED_ADDRESS) {
      throw new Unsupported(
        "group links in dense storage (fractal heap); more than 8 links in a latest-format group",
      );
    }
  }
  for (const m of messages) {
    if (m.type !== MSG.LINK) continue;
    const c = f.cursor(m.data, "link message");
    const version = c.u8();
    if (version !== 1) throw new Unsupported(`link message version ${version}`);
    const flags = c.u8();
    const linkType = flags & 0x08 ? c.u8() : 0;
    if (flags & 0x04) c.skip(8);
    if (flags & 0x10) c.skip(1);
    const len = c.uint(1 << (flags & 0x03));
    const linkName = new TextDecoder().decode(c.bytesAt(len));
    if (linkName !== name) continue;
    if (linkType !== 0) {
      throw new Unsupported(
        `"${name}" is a ${linkType === 1 ? "soft" : "external"} link`,
      );
    }
    return c.address();
  }
  return undefined;
}

function lookupSymbolTable(
  f: H5File,
  btree: number,
  heapAddress: number,
  name: string,
): number | undefined {
  // Local heap holding the link names.
  const hc = f.cursor(
    f.read(
      heapAddress,
      8 + 2 * f.sizeOfLengths + f.sizeOfOffsets,
      "local heap",
    ),
    `local heap at address ${heapAddress}`,
  );
  hc.signature("HEAP");
  hc.skip(4);
  const heapSize = hc.length();
  hc.length();
  const heapData = f.read(hc.address(), heapSize, "local heap data");
  const nameAt = (offset: number): string => {
    const end = heapData.indexOf(0, offset);
    if (offset >= heapData.length || end < 0) {
      throw f.error(
        `link name offset ${offset} is outside the local heap; corrupt`,
      );
    }
    return new TextDecoder().decode(heapData.subarray(offset, end));
  };
  const entrySize = 2 * f.sizeOfOffsets + 24;
  const visit = (node: number, depth: number): number | undefined => {
    if (depth > 64) {
      throw f.error("group B-tree is too deep; the file is corrupt");
    }
    const { level, children } = readBtree1Node(f, node, 0, f.sizeOfLengths);
    for (const child of children) {
      if (level > 0) {
        const r = visit(child.address, depth + 1);
        if (r !== undefined) return r;
        continue;
      }
      const what = `symbol table node at address ${child.address}`;
      const head = f.cursor(f.read(child.address, 8, what), what);
      head.signature("SNOD");
      head.skip(2);
      const count = head.u16();
      const c = f.cursor(
        f.read(child.address + 8, count * entrySize, what),
        what,
      );
      for (let i = 0; i < count; i++) {
        const nameOffset = c.uint(f.sizeOfOffsets);
        const objectAddress = c.address();
        const cacheType = c.u32();
        c.skip(20);
        if (nameAt(nameOffset) !== name) continue;
        if (cacheType === 2 || objectAddress === UNDEFINED_ADDRESS) {
          throw new Unsupported(`"${name}" is a soft link`);
        }
        return objectAddress;
      }
    }
    return undefined;
  };
  return visit(btree, 0);
}

/** One child of a version 1 B-tree node with the key on its left. */
export interface Btree1Child {
  key: Uint8Array;
  address: number;
}

/**
 * Read a version 1 B-tree node of `nodeType` (0 group, 1 chunk) whose keys
 * are `keySize` bytes: its level and (left key, child address) pairs.
 */
export function readBtree1Node(
  f: H5File,
  address: number,
  nodeType: number,
  keySize: number,
): { level: number; children: Btree1Child[] } {
  const what = `B-tree node at address ${address}`;
  const headSize = 8 + 2 * f.sizeOfOffsets;
  const head = f.cursor(f.read(address, headSize, what), what);
  head.signature("TREE");
  const type = head.u8();
  if (type !== nodeType) {
    throw f.error(
      `${what} has node type ${type}, expected ${nodeType}; corrupt`,
    );
  }
  const level = head.u8();
  const used = head.u16();
  const body = f.read(
    address + headSize,
    used * (keySize + f.sizeOfOffsets) + keySize,
    what,
  );
  const c = f.cursor(body, what);
  const children: Btree1Child[] = [];
  for (let i = 0; i < used; i++) {
    const key = c.bytesAt(keySize);
    children.push({ key, address: c.address() });
  }
  return { level, children };
}

// ----------------------------------------------------------- global heap --

/** Global heap collections, parsed once each, for vlen data. */
export class GlobalHeap {
  readonly #collections = new Map<number, Map<number, Uint8Array>>();
  constructor(readonly file: H5File) {}

  /** The bytes of object `index` in the collection at `address`. */
  object(address: number, index: number): Uint8Array {
    let objects = this.#collections.get(address);
    if (!objects) {
      objects = this.#parse(address);
      if (this.#collections.size >= 16) this.#collections.clear();
      this.#collections.set(address, objects);
    }
    const obj = objects.get(index);
    if (!obj) {
      throw this.file.error(
        `global heap collection at address ${address} has no object ${index}; the file is corrupt`,
      );
    }
    return obj;
  }

  #parse(address: number): Map<number, Uint8Array> {
    const f = this.file;
    const what = `global heap collection at address ${address}`;
    const headSize = 8 + f.sizeOfLengths;
    const head = f.cursor(f.read(address, headSize, what), what);
    head.signature("GCOL");
    const version = head.u8();
    if (version !== 1) throw new Unsupported(`global heap version ${version}`);
    head.skip(3);
    const size = head.length();
    const data = f.read(address, size, what);
    const c = f.cursor(data, what, headSize);
    const objects = new Map<number, Uint8Array>();
    const objHead = 8 + f.sizeOfLengths;
    while (c.remaining >= objHead) {
      const index = c.u16();
      c.skip(6); // reference count, reserved
      const objSize = c.length();
      if (index === 0) break; // free space: the rest of the collection
      objects.set(index, c.bytesAt(objSize));
      c.skip(Math.min(c.remaining, (8 - (objSize % 8)) % 8));
    }
    return objects;
  }
}
