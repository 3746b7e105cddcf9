/**
 * Jenkins' lookup3 hash (`hashlittle`, initial value 0), the checksum HDF5
 * stores after every structure of the newer file format: superblock
 * versions 2 and 3, version 2 object headers and their continuation
 * blocks, fixed and extensible arrays, version 2 B-trees. Private module.
 *
 * @module
 */

import type { H5File } from "./file.ts";

const rot = (x: number, k: number) => (x << k) | (x >>> (32 - k));

/** HDF5's `H5_checksum_lookup3(data, length, 0)`. */
export function lookup3(data: Uint8Array): number {
  let length = data.length;
  let a = (0xdeadbeef + length) | 0;
  let b = a;
  let c = a;
  let k = 0;
  while (length > 12) {
    a = (a + (data[k] | (data[k + 1] << 8) | (data[k + 2] << 16) |
      (data[k + 3] << 24))) | 0;
    b = (b + (data[k + 4] | (data[k + 5] << 8) | (data[k + 6] << 16) |
      (data[k + 7] << 24))) | 0;
    c = (c + (data[k + 8] | (data[k + 9] << 8) | (data[k + 10] << 16) |
      (data[k + 11] << 24))) | 0;
    a = (a - c) | 0;
    a ^= rot(c, 4);
    c = (c + b) | 0;
    b = (b - a) | 0;
    b ^= rot(a, 6);
    a = (a + c) | 0;
    c = (c - b) | 0;
    c ^= rot(b, 8);
    b = (b + a) | 0;
    a = (a - c) | 0;
    a ^= rot(c, 16);
    c = (c + b) | 0;
    b = (b - a) | 0;
    b ^= rot(a, 19);
    a = (a + c) | 0;
    c = (c - b) | 0;
    c ^= rot(b, 4);
    b = (b + a) | 0;
    length -= 12;
    k += 12;
  }
  if (length === 0) return c >>> 0;
  // The tail: up to 12 bytes, little-endian into a, b, c.
  const word = (at: number, n: number) => {
    let v = 0;
    for (let i = 0; i < n; i++) v |= data[k + at + i] << (8 * i);
    return v;
  };
  a = (a + word(0, Math.min(4, length))) | 0;
  if (length > 4) b = (b + word(4, Math.min(4, length - 4))) | 0;
  if (length > 8) c = (c + word(8, length - 8)) | 0;
  c ^= b;
  c = (c - rot(b, 14)) | 0;
  a ^= c;
  a = (a - rot(c, 11)) | 0;
  b ^= a;
  b = (b - rot(a, 25)) | 0;
  c ^= b;
  c = (c - rot(b, 16)) | 0;
  a ^= c;
  a = (a - rot(c, 4)) | 0;
  b ^= a;
  b = (b - rot(a, 14)) | 0;
  c ^= b;
  c = (c - rot(b, 24)) | 0;
  return c >>> 0;
}

/**
 * Check the checksum stored in the last 4 bytes of `bytes` (a whole
 * structure as read from the file) against the bytes before it.
 *
 * @throws {Error} Naming the file and `what` when they differ.
 */
export function verifyChecksum(
  f: H5File,
  bytes: Uint8Array,
  what: string,
): void {
  const n = bytes.length - 4;
  if (n < 0) throw f.error(`${what} is too short for its checksum; corrupt`);
  const stored = (bytes[n] | (bytes[n + 1] << 8) | (bytes[n + 2] << 16) |
    (bytes[n + 3] << 24)) >>> 0;
  const computed = lookup3(bytes.subarray(0, n));
  if (stored !== computed) {
    throw f.error(
      `${what} fails its checksum (stored ${stored.toString(16)}, computed ${
        computed.toString(16)
      }): incorrect metadata checksum, the file is corrupt; download it again`,
    );
  }
}
