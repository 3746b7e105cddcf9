/**
 * The superblock: where the file's structures start, the sizes of
 * addresses and lengths, the root group, and the end-of-file address.
 * Private module.
 *
 * @module
 */

import { type H5File, UNDEFINED_ADDRESS, Unsupported } from "./file.ts";
import { verifyChecksum } from "./checksum.ts";

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
  let base: number;
  if (version === 0 || version === 1) {
    f.sizeOfOffsets = head[13];
    f.sizeOfLengths = head[14];
    checkSizes(f);
    checkVersion0Fields(f, head, version);
    const c = f.cursor(head, "superblock", version === 0 ? 24 : 28);
    // The position found above is what addresses count from; the stored
    // base address only shifts the end-of-file address (as HDF5 does).
    base = c.address();
    c.address(); // free-space info (unused by readers)
    eof = c.address();
    c.address(); // driver info block
    // Root group symbol table entry: link name offset, object header
    // address, cache type (HDF5 refuses any but 0-2).
    c.address();
    f.rootAddress = c.address();
    const cache = c.u32();
    if (cache > 2) {
      throw f.error(
        `the root group's symbol table entry has cache type ${cache} (0-2 are valid); the file is corrupt; download it again`,
      );
    }
  } else if (version === 2 || version === 3) {
    f.sizeOfOffsets = head[9];
    f.sizeOfLengths = head[10];
    checkSizes(f);
    const size = 12 + 4 * f.sizeOfOffsets + 4;
    if (head.length < size) {
      throw f.error(
        `superblock ends early (the file has ${f.fileSize} bytes); the file is truncated`,
      );
    }
    verifyChecksum(
      f,
      head.subarray(0, size),
      `superblock (version ${version})`,
    );
    const c = f.cursor(head, "superblock", 12);
    base = c.address();
    c.address(); // superblock extension (no effect on reading raw data)
    eof = c.address();
    f.rootAddress = c.address();
  } else {
    // HDF5 (up to 2.0) writes versions 0-3 only: anything else is damage.
    throw f.error(
      `superblock version ${version} is not one HDF5 writes (0-3); the file is corrupt; download it again`,
    );
  }
  // A superblock found elsewhere than its base address says moved the
  // file's end by the difference (H5F__super_read); past the start, the
  // base address is damaged, and HDF5 refuses the file too.
  if (eof !== UNDEFINED_ADDRESS && base !== at) {
    eof = base === UNDEFINED_ADDRESS ? -1 : eof + at - base;
    if (eof < 0) {
      throw f.error(
        `the superblock at byte ${at} gives base address ${base}, which puts the end of the file before its start; the file is corrupt; download it again`,
      );
    }
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

/**
 * The fields of a version 0 or 1 superblock that HDF5 checks when it opens
 * the file (H5F__cache_superblock_deserialize): no checksum covers them, so
 * a damaged one is caught here as HDF5 catches it.
 */
function checkVersion0Fields(
  f: H5File,
  head: Uint8Array,
  version: number,
): void {
  const u16 = (at: number) => head[at] | (head[at + 1] << 8);
  const bad = (what: string) =>
    f.error(
      `superblock (version ${version}) has ${what}; the file is corrupt; download it again`,
    );
  if (head.length < (version === 0 ? 56 : 60)) {
    throw f.error(
      `superblock ends early (the file has ${f.fileSize} bytes); the file is truncated`,
    );
  }
  for (
    const [at, label] of [
      [9, "free-space storage"],
      [10, "root group symbol table entry"],
      [12, "shared header message format"],
    ] as const
  ) {
    if (head[at] !== 0) {
      throw bad(`${label} version ${head[at]} (HDF5 writes 0)`);
    }
  }
  if (u16(16) === 0 || u16(18) === 0) {
    throw bad(`group B-tree ranks ${u16(16)} and ${u16(18)} (0 is invalid)`);
  }
  // File consistency flags: HDF5 knows bits 0-2 only.
  if (head[20] & ~0x07) throw bad(`status flags ${head[20]}`);
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
