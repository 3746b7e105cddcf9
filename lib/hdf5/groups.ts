/**
 * Group traversal: link messages, symbol tables (local heap, version 1
 * B-tree of symbol nodes) and path lookup. Private module.
 *
 * @module
 */

import { type H5File, UNDEFINED_ADDRESS, Unsupported } from "./file.ts";
import {
  findMessage,
  type Message,
  MSG,
  readObjectHeader,
} from "./object_header.ts";

/** A link found in a group: an object's header address, or a soft link's path. */
type Found = number | { soft: string } | undefined;

/** HDF5's default limit on soft links followed in one lookup (H5L_NUM_LINKS). */
const MAX_SOFT_LINKS = 16;

/**
 * Object header address of the object at slash-separated `name` (relative to
 * the root group). Hard and soft links are followed; external links and
 * dense (fractal heap) link storage are {@linkcode Unsupported}.
 */
export function resolvePath(f: H5File, name: string): number {
  const split = (p: string) => p.split("/").filter((x) => x.length > 0);
  let parts = split(name);
  if (parts.length === 0) {
    throw new Unsupported(`"${name}" names the root group, not a dataset`);
  }
  let hops = 0;
  let address = f.rootAddress;
  let at: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const messages = readObjectHeader(f, address);
    const found: Found = lookupLink(f, messages, parts[i]);
    if (found === undefined) {
      const where = at.length === 0 ? "the root group" : `"${at.join("/")}"`;
      throw f.error(
        `no object "${parts[i]}" in ${where}; check the dataset name`,
      );
    }
    if (typeof found === "number") {
      address = found;
      at.push(parts[i]);
      continue;
    }
    if (++hops > MAX_SOFT_LINKS) {
      throw f.error(
        `more than ${MAX_SOFT_LINKS} soft links followed resolving "${name}" (a loop?); check the file`,
      );
    }
    // Restart the walk from the root with the link's target in place.
    const target = found.soft.startsWith("/")
      ? split(found.soft)
      : [...at, ...split(found.soft)];
    parts = [...target, ...parts.slice(i + 1)];
    if (parts.length === 0) {
      throw new Unsupported(`"${name}" links to the root group`);
    }
    address = f.rootAddress;
    at = [];
    i = -1;
  }
  return address;
}

function lookupLink(
  f: H5File,
  messages: Message[],
  name: string,
): Found {
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
    if (linkType === 1) {
      const n = c.u16();
      return { soft: new TextDecoder().decode(c.bytesAt(n)) };
    }
    if (linkType !== 0) {
      throw new Unsupported(
        `"${name}" is ${
          linkType === 64 ? "an external" : `a type ${linkType}`
        } link`,
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
): Found {
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
  const seen = new Set<number>();
  const visit = (node: number, depth: number): Found => {
    if (depth > 64 || seen.has(node)) {
      throw f.error("group B-tree is too deep or loops; the file is corrupt");
    }
    seen.add(node);
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
      const version = head.u8();
      head.skip(1);
      const count = head.u16();
      if (version !== 1) {
        throw f.error(`${what} has version ${version}; the file is corrupt`);
      }
      const c = f.cursor(
        f.read(child.address + 8, count * entrySize, what),
        what,
      );
      // HDF5 decodes every entry of a node before looking one up, and
      // refuses the node for an unknown cache type in any of them.
      const entries: {
        nameOffset: number;
        objectAddress: number;
        cacheType: number;
        scratch: Uint8Array;
      }[] = [];
      for (let i = 0; i < count; i++) {
        const nameOffset = c.uint(f.sizeOfOffsets);
        const objectAddress = c.address();
        const cacheType = c.u32();
        c.skip(4);
        const scratch = c.bytesAt(16);
        if (cacheType > 2) {
          throw f.error(
            `${what}: entry ${i} has cache type ${cacheType} (0-2 are valid); the file is corrupt`,
          );
        }
        entries.push({ nameOffset, objectAddress, cacheType, scratch });
      }
      for (const { nameOffset, objectAddress, cacheType, scratch } of entries) {
        if (nameAt(nameOffset) !== name) continue;
        if (cacheType === 2) {
          // The scratch pad holds the offset of the link's path in the heap.
          return { soft: nameAt(f.cursor(scratch, what).u32()) };
        }
        if (objectAddress === UNDEFINED_ADDRESS) {
          throw f.error(`"${name}" has no object address; the file is corrupt`);
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
 * are `keySize` bytes: its level, (left key, child address) pairs and the
 * key right of the last child.
 */
export function readBtree1Node(
  f: H5File,
  address: number,
  nodeType: number,
  keySize: number,
): { level: number; children: Btree1Child[]; lastKey: Uint8Array } {
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
  return { level, children, lastKey: c.bytesAt(keySize) };
}
