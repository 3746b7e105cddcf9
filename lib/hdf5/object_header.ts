/**
 * Object headers (versions 1 and 2) and their message list, continuation
 * blocks followed. Private module.
 *
 * @module
 */

import { type H5File, Unsupported } from "./file.ts";
import { verifyChecksum } from "./checksum.ts";

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
  let v1Count = -1;
  const seen = new Set<number>([address]);
  if (
    first[0] === 0x4f && first[1] === 0x48 && first[2] === 0x44 &&
    first[3] === 0x52 // "OHDR"
  ) {
    v2 = true;
    if (first[4] !== 2) {
      throw f.error(
        `${what} has version ${
          first[4]
        }, not one HDF5 writes (2); the file is corrupt`,
      );
    }
    const flags = first[5];
    if (flags & 0xc0) {
      throw f.error(`${what} has unknown flags ${flags}; the file is corrupt`);
    }
    crtOrder = (flags & 0x04) !== 0;
    let prefix = 6 + ((flags & 0x20) ? 16 : 0) + ((flags & 0x10) ? 4 : 0);
    const width = 1 << (flags & 0x03);
    const pre = f.read(address, prefix + width, what);
    const size = f.cursor(pre, what, prefix).uint(width);
    prefix += width;
    // The whole header at once: its checksum covers prefix and messages.
    const whole = f.read(address, prefix + size + 4, what);
    verifyChecksum(f, whole, what);
    const body = whole.subarray(prefix, prefix + size);
    parseMessages(f, body, true, crtOrder, messages, blocks, what);
  } else {
    const version = first[0];
    if (version !== 1) {
      throw f.error(
        `${what} is not an object header (version ${version}); the file is corrupt`,
      );
    }
    const c = f.cursor(first, what, 2);
    v1Count = c.u16();
    c.skip(4); // reference count
    const size = c.u32();
    const body = f.read(address + 16, size, what);
    parseMessages(f, body, false, false, messages, blocks, what);
  }
  for (let i = 0; i < blocks.length; i++) {
    const [addr, len] = blocks[i];
    const cwhat = `object header continuation at address ${addr}`;
    if (seen.has(addr)) {
      throw f.error(`${cwhat} is listed twice (a loop); the file is corrupt`);
    }
    seen.add(addr);
    const body = f.read(addr, len, cwhat);
    if (v2) {
      const c = f.cursor(body, cwhat);
      c.signature("OCHK");
      verifyChecksum(f, body, cwhat);
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
  // Version 1 headers carry their message count (null messages included):
  // HDF5 refuses a header whose count differs, and so does this reader.
  if (v1Count >= 0 && messages.length !== v1Count) {
    throw f.error(
      `${what} holds ${messages.length} messages but its header says ${v1Count}; the file is corrupt`,
    );
  }
  return messages.filter((m) => m.type !== 0 && m.type !== MSG.CONTINUATION);
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
      if (size % 8 !== 0) {
        throw f.error(
          `${what}: message of type ${type} has size ${size}, not a multiple of 8; the file is corrupt`,
        );
      }
    }
    const data = c.bytesAt(size);
    if (type === MSG.CONTINUATION) {
      const cc = f.cursor(data, `${what} continuation message`);
      blocks.push([cc.address(), cc.length()]);
    }
    // Null and continuation messages are kept for the version 1 count.
    out.push({ type, flags, data });
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
