/**
 * The named cases of issue 16 ("never a wrong mask"), each on small files
 * written by h5py (tests/fixtures/make_damaged.py) and damaged here byte by
 * byte the way the issue describes: every row read is the original mask or
 * an error naming the file; never garbage, never a silent fill.
 */

import { h5pyAvailable, PYTHON } from "../_support/helpers.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ChunkedDataset } from "../../lib/hdf5/chunks.ts";
import { lzfDecompress } from "../../lib/hdf5/filters.ts";
import { lookup3 } from "../../lib/hdf5/checksum.ts";
import {
  type MaskSource,
  openMaskSource,
} from "../../lib/reader/source/mask_source.ts";
import { MaskStreamer } from "../../lib/reader/stream/stream.ts";

const SCRIPT = fileURLToPath(
  new URL("../fixtures/make_damaged.py", import.meta.url),
);

const available = await h5pyAvailable();

let made: Promise<string> | undefined;
/** The h5py files, written once per test process into a temp folder. */
function files(): Promise<string> {
  made ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "damaged-" });
    const out = await new Deno.Command(PYTHON, {
      args: [SCRIPT, dir],
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    globalThis.addEventListener("unload", () => {
      Deno.removeSync(dir, { recursive: true });
    });
    return dir;
  })();
  return made;
}

interface Base {
  bytes: Uint8Array;
  rows: Uint8Array[];
}

async function base(name: string): Promise<Base> {
  const dir = await files();
  const bytes = await Deno.readFile(join(dir, `${name}.h5`));
  const raw = await Deno.readFile(join(dir, `${name}.bin`));
  const n = name.includes("single") ? 5 : name.includes("tiles") ? 40 : 24;
  const size = raw.length / n;
  return {
    bytes,
    rows: Array.from(
      { length: n },
      (_, r) => raw.slice(r * size, (r + 1) * size),
    ),
  };
}

/** Write `bytes` to a temp file, run `use` on its path, remove it. */
async function withFile(
  bytes: Uint8Array,
  use: (path: string) => Promise<void>,
): Promise<void> {
  const path = await Deno.makeTempFile({ suffix: ".h5" });
  try {
    await Deno.writeFile(path, bytes);
    await use(path);
  } finally {
    await Deno.remove(path);
  }
}

/** Every row: the original bytes or an Error naming `path`. */
function readAll(src: MaskSource, path: string, rows: Uint8Array[]) {
  return rows.map((orig, r) => {
    try {
      const got = src.readRow(r);
      assert.deepEqual(got, orig, `row ${r} differs from the original`);
      return "ok";
    } catch (err) {
      if (err instanceof assert.AssertionError) throw err;
      assert.ok((err as Error).message.includes(path), (err as Error).message);
      return "error";
    }
  });
}

function find(bytes: Uint8Array, pattern: number[] | string, from = 0): number {
  const p = typeof pattern === "string"
    ? [...pattern].map((c) => c.charCodeAt(0))
    : pattern;
  outer: for (let i = from; i + p.length <= bytes.length; i++) {
    for (let k = 0; k < p.length; k++) {
      if (bytes[i + k] !== p[k]) continue outer;
    }
    return i;
  }
  return -1;
}

const u64 = (v: number) => {
  const out: number[] = [];
  for (let i = 0, x = v; i < 8; i++, x = Math.floor(x / 256)) out.push(x % 256);
  return out;
};

const test = (name: string, fn: () => Promise<void>) =>
  Deno.test({ name, ignore: !available, fn });

test("unknown filter (ids 32015, 32001, 307): an error naming id and name, never an h5wasm fallback", async () => {
  const { bytes } = await base("v0_rows_gzip");
  // Version 1 filter pipeline entry: id 1, name length 8, ..., "deflate\0".
  const at = find(bytes, "deflate\0") - 8;
  assert.equal(bytes[at], 1);
  for (
    const [id, name] of [[32015, "zstd"], [32001, "blosc"], [
      307,
      "bzip2",
    ]] as const
  ) {
    const b = bytes.slice();
    b[at] = id & 0xff;
    b[at + 1] = id >> 8;
    await withFile(b, async (path) => {
      for (const reader of ["auto", "chunks"] as const) {
        await assert.rejects(
          () => openMaskSource(path, "masks", { reader }),
          (err: Error) => {
            assert.ok(err.message.includes(path), err.message);
            assert.match(
              err.message,
              new RegExp(`filter ${id} \\(deflate\\) is not supported`),
            );
            return true;
          },
        );
      }
      // The name stored in the file wins; without one, the registered name.
      b.set(new TextEncoder().encode("\0\0\0\0\0\0\0\0"), at + 8);
      await Deno.writeFile(path, b);
      await assert.rejects(
        () => openMaskSource(path, "masks"),
        new RegExp(`filter ${id} \\(${name}\\) is not supported`),
      );
      // Forced h5wasm: HDF5 cannot apply the filter either; refused at open
      // naming it, never "corrupt" (and never the heap garbage h5wasm's
      // slice() hands back for a failed read).
      await assert.rejects(
        () => openMaskSource(path, "masks", { reader: "h5wasm" }),
        (err: Error) => {
          assert.ok(err.message.startsWith(`${path}: `), err.message);
          assert.match(
            err.message,
            new RegExp(
              `filter ${id} \\(${name}\\), which the h5wasm reader cannot decode, nor can the default reader`,
            ),
          );
          return true;
        },
      );
    });
  }
});

test("lzf (h5py's filter 32000) decodes on the fast path, row-wise and auto-chunked", async () => {
  for (const name of ["v0_rows_lzf", "latest_auto_lzf"]) {
    const { bytes, rows } = await base(name);
    await withFile(bytes, async (path) => {
      const src = await openMaskSource(path, "masks");
      try {
        assert.equal(src.reader, "chunks");
        rows.forEach((orig, r) =>
          assert.deepEqual(src.readRow(r), orig, `${name} row ${r}`)
        );
      } finally {
        src.close();
      }
    });
  }
  // The format: literal runs and back references, overlapping ones included.
  assert.deepEqual(
    lzfDecompress(new Uint8Array([2, 1, 0, 1, 0x60, 1]), 8),
    new Uint8Array([1, 0, 1, 0, 1, 0, 1, 0, 1].slice(0, 8)),
  );
  assert.throws(
    () => lzfDecompress(new Uint8Array([0x20, 5]), 4),
    /back reference points before the start/,
  );
  assert.throws(
    () => lzfDecompress(new Uint8Array([1, 1, 1]), 4),
    /decodes to 2 bytes, expected 4/,
  );
});

test("a file served by the h5wasm fallback with one chunk byte flipped: that row is an error, the others intact", async () => {
  const { bytes, rows } = await base("latest_dense_gzip");
  await withFile(bytes, async (path) => {
    // Find row 1's chunk through the intact file, then damage a copy.
    const src = await openMaskSource(path, "masks");
    assert.equal(src.reader, "h5wasm");
    src.close();
  });
  // Row 1's stored chunk: the second zlib stream (0x78 0x5e/0x9c/0x01...) in file order.
  let at = -1;
  for (let i = 0, seen = 0; i < bytes.length - 1; i++) {
    if (bytes[i] === 0x78 && [0x01, 0x5e, 0x9c, 0xda].includes(bytes[i + 1])) {
      if (seen++ === 1) {
        at = i;
        break;
      }
    }
  }
  assert.ok(at > 0);
  const b = bytes.slice();
  b[at + 10] ^= 0x55;
  await withFile(b, async (path) => {
    const src = await openMaskSource(path, "masks");
    try {
      assert.equal(src.reader, "h5wasm");
      const outcome = readAll(src, path, rows);
      assert.equal(
        outcome.filter((o) => o === "error").length,
        1,
        outcome.join(),
      );
      assert.equal(outcome.indexOf("error"), 1);
    } finally {
      src.close();
    }
  });
});

test("latest format: a flipped bit in the fixed array count or a v2 B-tree record fails its checksum", async () => {
  {
    const { bytes } = await base("latest_rows_gzip");
    const at = find(bytes, "FAHD");
    const b = bytes.slice();
    b[at + 8] ^= 0x01; // element count, bit 0
    await withFile(b, async (path) => {
      await assert.rejects(
        () => openMaskSource(path, "masks"),
        (err: Error) => {
          assert.ok(err.message.includes(path), err.message);
          assert.match(
            err.message,
            /fixed array header at address \d+ fails its checksum/,
          );
          return true;
        },
      );
    });
  }
  {
    const { bytes, rows } = await base("latest_btree2_gzip");
    const at = find(bytes, "BTLF");
    const b = bytes.slice();
    // Record 0: address (8 bytes), size, filter mask, then the coordinates.
    b[at + 6 + 8] ^= 0x04;
    await withFile(b, async (path) => {
      const src = await openMaskSource(path, "masks");
      try {
        const outcome = readAll(src, path, rows);
        assert.ok(outcome.every((o) => o === "error"), outcome.join());
        assert.throws(
          () => src.readRow(0),
          /v2 B-tree leaf node at address \d+ fails its checksum/,
        );
      } finally {
        src.close();
      }
    });
  }
  // The checksum is Jenkins' lookup3 as HDF5 computes it.
  assert.equal(lookup3(new Uint8Array()), 0xdeadbeef);
  assert.equal(
    lookup3(new TextEncoder().encode("Four score and seven years ago")),
    0x17770551,
  );
});

/**
 * The chunk B-tree leaf of a v0 file ("TREE", type 1) and where its key `k`
 * starts: keys of 40 bytes (size, filter mask, 4 offsets), each followed by
 * an 8-byte child address.
 */
function chunkLeaf(bytes: Uint8Array) {
  let node = -1;
  for (let i = find(bytes, "TREE"); i >= 0; i = find(bytes, "TREE", i + 1)) {
    if (bytes[i + 4] === 1) {
      node = i;
      break;
    }
  }
  assert.ok(node > 0, "chunk B-tree node");
  return { node, keyAt: (k: number) => node + 8 + 16 + k * (40 + 8) };
}

test("v1 B-tree: a key's dim-0 offset off the chunk grid still finds its chunk (as HDF5 does); a key out of order is an error", async () => {
  const { bytes, rows } = await base("v0_tiles_gzip");
  const { keyAt } = chunkLeaf(bytes);
  // Find a key whose dim-0 offset is 8 (the second band of chunks).
  let k = 0;
  while (bytes[keyAt(k) + 8] !== 8) k++;
  {
    const b = bytes.slice();
    b[keyAt(k) + 8] ^= 0x01; // 8 -> 9: inside the same chunk
    await withFile(b, async (path) => {
      const src = await openMaskSource(path, "masks");
      try {
        assert.ok(readAll(src, path, rows).every((o) => o === "ok"));
      } finally {
        src.close();
      }
    });
  }
  {
    const b = bytes.slice();
    b[keyAt(k) + 8 + 3] ^= 0x10; // a high bit: the key jumps past the next one
    await withFile(b, async (path) => {
      const src = await openMaskSource(path, "masks");
      try {
        const outcome = readAll(src, path, rows);
        assert.ok(outcome.includes("error"));
        assert.throws(() => src.readRow(9), /out of order/);
      } finally {
        src.close();
      }
      // Listing every chunk names the damage, both ways.
      const opened = ChunkedDataset.open(path, "masks");
      assert.ok("reader" in opened);
      using ds = opened.reader;
      const why =
        /out of order.*rows outside the damaged part can still be read one by one/;
      assert.throws(() => ds.chunks(), why);
      assert.throws(() => ds.forEachChunk(() => {}), why);
    });
  }
});

test("v1 B-tree: a chunk size past the file, or reaching into the next chunk, is an error naming the chunk; the other rows still read", async () => {
  const { bytes, rows } = await base("v0_tiles_gzip");
  const { node, keyAt } = chunkLeaf(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  // Chunks in file order: the first (followed by another), and the last.
  const used = view.getUint16(node + 6, true);
  const addressOf = (k: number) =>
    Number(view.getBigUint64(keyAt(k) + 40, true));
  const keys = Array.from({ length: used }, (_, k) => k).sort((a, b) =>
    addressOf(a) - addressOf(b)
  );
  const gap = addressOf(keys[1]) - addressOf(keys[0]);
  for (
    const [k, size, why] of [
      [
        keys.at(-1)!,
        0x7fff_ffff,
        /does not fit the file \(\d+ bytes\) or a chunk/,
      ],
      [
        keys[0],
        gap + 1,
        /overlaps the chunk at \[\d+,\d+,\d+\] \(file byte \d+\)/,
      ],
    ] as const
  ) {
    const b = bytes.slice();
    new DataView(b.buffer).setUint32(keyAt(k), size, true);
    await withFile(b, (path) => {
      const opened = ChunkedDataset.open(path, "masks");
      assert.ok("reader" in opened);
      using ds = opened.reader;
      const chunkRow = Number(view.getBigUint64(keyAt(k) + 8, true));
      assert.throws(
        () => ds.readRow(chunkRow),
        new RegExp(`chunk at element offset \\[${chunkRow},.*${why.source}`),
      );
      assert.throws(() => ds.chunks(), why);
      // A row no damaged chunk touches is still its bytes.
      const other = rows.findIndex((_, r) => {
        try {
          ds.readRow(r);
          return true;
        } catch {
          return false;
        }
      });
      assert.ok(other >= 0, "some row still reads");
      assert.deepEqual(ds.readRow(other), rows[other]);
      return Promise.resolve();
    });
  }
});

test("absurd shapes are refused at open, before any allocation sized by them: a mask count with its top byte set (4,278,190,104), a width of 268,435,504", async () => {
  const { bytes } = await base("v0_rows_gzip");
  // Version 1 dataspace, rank 3, max dims present: (24, 40, 48) twice.
  const at = find(bytes, [
    1,
    3,
    1,
    0,
    0,
    0,
    0,
    0,
    ...u64(24),
    ...u64(40),
    ...u64(48),
  ]);
  assert.ok(at > 0);
  const cases: [string, number, number, RegExp][] = [
    [
      "mask count",
      0,
      24 + 0xff000000,
      /claims shape \[4278190104,40,48\].*room for 131 rows|exceed its maximum/,
    ],
    ["width", 2, 48 + 2 ** 28, /budget|claims shape|exceed its maximum/],
  ];
  for (const [label, dim, value, pattern] of cases) {
    for (const both of [false, true]) {
      const b = bytes.slice();
      b.set(u64(value), at + 8 + 8 * dim);
      if (both) b.set(u64(value), at + 8 + 24 + 8 * dim);
      await withFile(b, async (path) => {
        const t0 = performance.now();
        const before = Deno.memoryUsage().rss;
        // Refused at open: the reader layer sizes per-mask tables by it.
        await assert.rejects(
          openMaskSource(path, "masks"),
          (err: Error) => {
            assert.ok(err.message.includes(path), err.message);
            assert.match(err.message, pattern, `${label}: ${err.message}`);
            return true;
          },
        );
        const ms = performance.now() - t0;
        assert.ok(ms < 3000, `${label}: ${ms} ms`);
        assert.ok(
          Deno.memoryUsage().rss - before < 200 * 1024 ** 2,
          `${label}: memory`,
        );
      });
    }
  }
});

test("masks are binary: a stored 2 is an error naming the row, in row(), masks() and stats()", async () => {
  const { bytes, rows } = await base("v0_not_binary");
  await withFile(bytes, async (path) => {
    const src = await openMaskSource(path, "masks");
    try {
      assert.deepEqual(src.readRow(2), rows[2]);
      assert.throws(() => src.readRow(3), (err: Error) => {
        assert.ok(err.message.includes(path), err.message);
        assert.match(err.message, /mask row 3 holds the value 2/);
        return true;
      });
      // The streaming path decodes in Workers and on the calling thread.
      const all = [...rows.keys()];
      for (const kind of ["decode", "stats"] as const) {
        for (const workers of [0, 2]) {
          const streamer = new MaskStreamer(src, path);
          try {
            await assert.rejects(async () => {
              for await (const _ of streamer.stream(all, kind, { workers })) {
                // drain
              }
            }, /mask row 3\b.*value 2|value 2.*/);
          } finally {
            streamer.close(new Error("test done"));
          }
        }
      }
    } finally {
      src.close();
    }
  });
});

test("a latest-format single-chunk file of 5 masks reads intact (the SIGSEGV report), also through h5wasm", async () => {
  const { bytes, rows } = await base("latest_single_gzip");
  await withFile(bytes, async (path) => {
    for (const reader of ["auto", "h5wasm"] as const) {
      const src = await openMaskSource(path, "masks", { reader });
      try {
        assert.ok(readAll(src, path, rows).every((o) => o === "ok"));
      } finally {
        src.close();
      }
    }
    const opened = ChunkedDataset.open(path, "masks");
    assert.ok("reader" in opened);
    using ds = opened.reader;
    assert.equal(ds.chunkIndex, "single");
  });
});

test("a damaged base address in an earliest-format superblock is refused, as HDF5 refuses it; a user block still opens", async () => {
  const { bytes, rows } = await base("v0_rows_lzf");
  // Version 0 superblock: the base address is the 8 bytes at 24.
  assert.deepEqual([...bytes.subarray(24, 32)], u64(0));
  const b = bytes.slice();
  b[25] ^= 0xe0; // base address 57,344: the end of the file before its start
  await withFile(b, async (path) => {
    assert.throws(
      () => ChunkedDataset.open(path, "masks"),
      (err: Error) =>
        err.message.startsWith(`${path}: `) &&
        /base address 57344/.test(err.message),
    );
    await assert.rejects(openMaskSource(path, "masks"), /base address 57344/);
  });
  // A base address inside the file only moves its end, as in HDF5.
  const c = bytes.slice();
  c[24] ^= 0x10;
  await withFile(c, async (path) => {
    const src = await openMaskSource(path, "masks");
    try {
      assert.deepEqual(src.readRow(3), rows[3]);
    } finally {
      src.close();
    }
  });
  const userblock = fileURLToPath(
    new URL("../fixtures/layouts/v0_userblock.h5", import.meta.url),
  );
  const opened = ChunkedDataset.open(userblock, "masks");
  assert.ok("reader" in opened);
  opened.reader.close();
});

test("superblock and symbol-table fields HDF5 checks at open are checked too: h5py refuses each of these, and so do we", async () => {
  const { bytes, rows } = await base("v0_rows_lzf");
  const text = new TextDecoder("latin1").decode(bytes);
  const snod = text.indexOf("SNOD");
  assert.ok(snod > 0);
  const cases: [string, [number, number][], RegExp][] = [
    ["free-space version", [[9, 1]], /free-space storage version 1/],
    ["root entry version", [[10, 2]], /root group symbol table entry version/],
    [
      "shared header version",
      [[12, 1]],
      /shared header message format version/,
    ],
    ["group leaf rank", [[16, 0], [17, 0]], /group B-tree ranks 0/],
    ["group internal rank", [[18, 0], [19, 0]], /group B-tree ranks \d+ and 0/],
    ["status flags", [[20, 0x08]], /status flags 8/],
    ["root cache type", [[72, 0x0b]], /cache type 11/],
    [
      "symbol table node version",
      [[snod + 4, 2]],
      /symbol table node .* version 2/,
    ],
    // The first entry's cache type (after its name offset and address).
    [
      "symbol table entry cache type",
      [[snod + 8 + 16, 7]],
      /entry 0 has cache type 7/,
    ],
  ];
  const dir = await Deno.makeTempDir({ prefix: "superblock-" });
  try {
    const paths = cases.map((_, i) => join(dir, `case${i}.h5`));
    for (const [i, [, edits]] of cases.entries()) {
      const b = bytes.slice();
      for (const [at, v] of edits) b[at] = v;
      await Deno.writeFile(paths[i], b);
    }
    const py = await new Deno.Command(PYTHON, {
      args: [
        "-c",
        `import sys, h5py
for p in sys.argv[1:]:
    try:
        h5py.File(p, "r")["masks"][0]
        print("read")
    except Exception:
        print("error")`,
        ...paths,
      ],
      stdout: "piped",
      stderr: "null",
    }).output();
    const h5py = new TextDecoder().decode(py.stdout).trim().split("\n");
    for (const [i, [label, , pattern]] of cases.entries()) {
      assert.equal(h5py[i], "error", `${label}: h5py refuses it`);
      await assert.rejects(openMaskSource(paths[i], "masks"), (err: Error) => {
        assert.ok(err.message.startsWith(`${paths[i]}: `), err.message);
        assert.match(err.message, pattern, `${label}: ${err.message}`);
        return true;
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  // The intact file still reads.
  const src = await openMaskSource(
    join(await files(), "v0_rows_lzf.h5"),
    "masks",
  );
  try {
    assert.deepEqual(src.readRow(0), rows[0]);
  } finally {
    src.close();
  }
});
