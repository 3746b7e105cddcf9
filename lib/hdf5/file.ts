/**
 * Positional, bounds-checked access to an HDF5 file and the little-endian
 * cursor every structure decoder uses. Private module.
 *
 * Everything unusual is reported as {@linkcode Unsupported} and everything
 * inconsistent as an `Error` naming the file (corrupt or truncated).
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
    try {
      this.#file = Deno.openSync(path, { read: true });
    } catch (err) {
      if (
        err instanceof Deno.errors.PermissionDenied ||
        err instanceof Deno.errors.NotCapable
      ) {
        throw new Deno.errors.PermissionDenied(
          `${path}: permission denied; make the file readable and try again`,
          { cause: err },
        );
      }
      throw err;
    }
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
