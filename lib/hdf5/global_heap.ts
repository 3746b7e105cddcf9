/**
 * The global heap: variable-length data (strings, byte sequences) lives in
 * its collections. Private module.
 *
 * @module
 */

import { type H5File, Unsupported } from "./file.ts";

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
