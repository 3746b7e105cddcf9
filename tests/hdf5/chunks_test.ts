/**
 * Tests of the fast HDF5 chunk reader (lib/hdf5/chunks.ts) on real files:
 * the fixtures written by tests/fixtures/make_layout_fixtures.py (h5py) and
 * files h5wasm writes at run time. h5wasm's slice() is the independent
 * oracle for every row; truth.json (SHA-256 of the data h5py wrote) is the
 * second one.
 */

import assert from "node:assert/strict";
import { deflateSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import type { H5 } from "../../lib/deps.ts";
import { h5wasmReady } from "../../lib/hdf5/h5wasm.ts";
import {
  ChunkedDataset,
  decodeChunk,
  readVlenBytes,
} from "../../lib/hdf5/chunks.ts";

const LAYOUTS = fileURLToPath(new URL("../fixtures/layouts/", import.meta.url));

interface Truth {
  shape: number[];
  dtype: string;
  sha256: string;
  /** "read-fast": read here but not by h5wasm (lzf); "error": a clear error. */
  expect: "read" | "read-fast" | "refuse" | "error";
}
const TRUTH: Record<string, Record<string, Truth>> = JSON.parse(
  Deno.readTextFileSync(LAYOUTS + "truth.json"),
).files;
const VLEN: Record<string, string[]> = JSON.parse(
  Deno.readTextFileSync(LAYOUTS + "vlen.json"),
);

const h5wasm = await h5wasmReady();
type Dataset = H5.Dataset;
type Group = H5.Group;
type H5WasmFile = H5.File;

function open(path: string, name = "masks"): ChunkedDataset {
  const opened = ChunkedDataset.open(path, name);
  if ("unsupported" in opened) {
    throw new Error(`unexpectedly refused: ${opened.unsupported}`);
  }
  return opened.reader;
}

async function sha256(parts: Uint8Array[]): Promise<string> {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  const digest = await crypto.subtle.digest("SHA-256", all);
  return Array.from(
    new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("");
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Row `r` of `name` as h5wasm reads it, as raw bytes. */
function h5wasmRow(file: H5WasmFile, name: string, r: number): Uint8Array {
  const ds = file.get(name) as Dataset;
  const value = ds.slice([[r, r + 1]]);
  assert.ok(ArrayBuffer.isView(value), `h5wasm slice of ${name} row ${r}`);
  return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

/** Every row equals h5wasm's; returns the rows. */
function compareWithH5wasm(path: string, name: string): Uint8Array[] {
  const file = new h5wasm.File(path, "r");
  try {
    using ds = open(path, name);
    const rows: Uint8Array[] = [];
    for (let r = 0; r < ds.length; r++) {
      const fast = ds.readRow(r);
      assert.equal(fast.length, ds.rowBytes);
      assert.deepEqual(
        fast,
        h5wasmRow(file, name, r),
        `${path} ${name} row ${r}`,
      );
      rows.push(fast);
    }
    return rows;
  } finally {
    file.close();
  }
}

function tempDir(): string {
  return Deno.makeTempDirSync({ prefix: "hdf5_chunks_test_" });
}

// ------------------------------------------------------ h5py fixtures --

const readable = Object.entries(TRUTH).flatMap(([file, sets]) =>
  Object.entries(sets).filter(([, t]) => t.expect === "read").map((
    [name, t],
  ) => ({ file, name, t }))
);
const refused = Object.entries(TRUTH).flatMap(([file, sets]) =>
  Object.entries(sets).filter(([, t]) => t.expect === "refuse").map((
    [name],
  ) => ({ file, name }))
);

const onlyHere = Object.entries(TRUTH).flatMap(([file, sets]) =>
  Object.entries(sets).filter(([, t]) => t.expect === "read-fast").map((
    [name, t],
  ) => ({ file, name, t }))
);
const errors = Object.entries(TRUTH).flatMap(([file, sets]) =>
  Object.entries(sets).filter(([, t]) => t.expect === "error").map((
    [name],
  ) => ({ file, name }))
);

Deno.test("fixture list covers the layouts", () => {
  assert.ok(readable.length >= 60, `${readable.length} readable datasets`);
  assert.ok(refused.length >= 2, `${refused.length} refused datasets`);
  assert.ok(onlyHere.length >= 1 && errors.length >= 1);
});

for (const { file, name, t } of onlyHere) {
  Deno.test(`h5py fixture ${file} "${name}": rows equal truth (h5wasm cannot decode it)`, async () => {
    using ds = open(LAYOUTS + file, name);
    const rows = Array.from({ length: ds.length }, (_, r) => ds.readRow(r));
    assert.equal(await sha256(rows), t.sha256, "SHA-256 of all rows");
  });
}

for (const { file, name } of errors) {
  Deno.test(`h5py fixture ${file} "${name}": a clear error, never a fallback`, () => {
    assert.throws(
      () => ChunkedDataset.open(LAYOUTS + file, name),
      (err: Error) => {
        assert.ok(err.message.includes(file), err.message);
        assert.match(err.message, /filter \d+ \(\w+\) is not supported/);
        return true;
      },
    );
  });
}

for (const { file, name, t } of readable) {
  Deno.test(`h5py fixture ${file} "${name}": rows equal h5wasm and truth`, async () => {
    const path = LAYOUTS + file;
    const rows = compareWithH5wasm(path, name);
    assert.equal(await sha256(rows), t.sha256, "SHA-256 of all rows");
    using ds = open(path, name);
    assert.deepEqual([...ds.shape], t.shape);
    assert.equal(ds.elementSize, Number(t.dtype.slice(2)));
    // `out` gets the same bytes as a fresh array.
    const out = new Uint8Array(ds.rowBytes).fill(0xee);
    assert.equal(ds.readRow(ds.length - 1, out), out);
    assert.deepEqual(out, rows[rows.length - 1]);
  });
}

for (const { file, name } of refused) {
  Deno.test(`h5py fixture ${file} "${name}": refused with a reason`, () => {
    const opened = ChunkedDataset.open(LAYOUTS + file, name);
    assert.ok("unsupported" in opened, "expected a refusal");
    assert.equal(typeof opened.unsupported, "string");
    assert.ok(opened.unsupported.length > 0);
    assert.ok(opened.unsupported.includes(file), opened.unsupported);
  });
}

Deno.test("layout metadata: index types, chunk shapes, filters, fill value", () => {
  const expect: [string, string, string | null, number[] | null, number[]][] = [
    ["v0_rows_gzip_shuffle.h5", "chunked", "btree1", [1, 12, 10], [2, 1]],
    ["v0_tiles.h5", "chunked", "btree1", [1, 5, 4], [2, 1]],
    ["v0_fletcher32.h5", "chunked", "btree1", [2, 5, 4], [2, 1, 3]],
    ["v0_contiguous.h5", "contiguous", null, null, []],
    ["v0_compact.h5", "compact", null, null, []],
    ["v1_deep_btree.h5", "chunked", "btree1", [1, 5, 4], [2, 1]],
    ["v2_rows.h5", "chunked", "btree1", [1, 12, 10], [2, 1]],
    ["latest_farray.h5", "chunked", "fixed-array", [1, 12, 10], [2, 1]],
    ["latest_farray_paged.h5", "chunked", "fixed-array", [1, 2, 3], [1]],
    ["latest_earray.h5", "chunked", "extensible-array", [1, 12, 10], [2, 1]],
    [
      "latest_earray_unlim_dim2.h5",
      "chunked",
      "extensible-array",
      [2, 5, 4],
      [],
    ],
    ["latest_btree2_deep.h5", "chunked", "btree2", [1, 2, 2], [1]],
    ["latest_single.h5", "chunked", "single", [7, 12, 10], []],
    ["latest_single_gzip.h5", "chunked", "single", [7, 12, 10], [2, 1]],
    ["latest_implicit.h5", "chunked", "implicit", [2, 5, 4], []],
    ["latest_contiguous.h5", "contiguous", null, null, []],
    ["latest_compact.h5", "compact", null, null, []],
  ];
  for (const [file, layout, index, chunk, filters] of expect) {
    using ds = open(LAYOUTS + file);
    assert.equal(ds.layout, layout, file);
    assert.equal(ds.chunkIndex, index, file);
    assert.deepEqual(ds.chunkShape ? [...ds.chunkShape] : null, chunk, file);
    assert.deepEqual(ds.filters.map((f) => f.id), filters, file);
    assert.equal(ds.dtypeClass, 0, file);
    assert.equal(ds.rowBytes, ds.shape.slice(1).reduce((a, b) => a * b, 1));
  }
  using fill = open(LAYOUTS + "v0_fill.h5");
  assert.deepEqual([...fill.fillValue], [3]);
  using plain = open(LAYOUTS + "v0_tiles.h5");
  assert.deepEqual([...plain.fillValue], [0]);
  // Shuffle records the element size as client data.
  using u16 = open(LAYOUTS + "v0_uint16_shuffle.h5");
  assert.equal(u16.elementSize, 2);
  assert.deepEqual(u16.filters[0].clientData, [2]);
});

Deno.test("unwritten chunks read as the fill value", () => {
  using unwritten = open(LAYOUTS + "v0_unwritten.h5");
  assert.equal(unwritten.chunks().length, 6);
  assert.ok(unwritten.readRow(4).every((b) => b === 0));
  assert.ok(unwritten.readRow(3).some((b) => b === 1));
  using fill = open(LAYOUTS + "latest_fill.h5");
  assert.ok(fill.readRow(3).every((b) => b === 3), "row 3 was never written");
  const row1 = fill.readRow(1);
  assert.ok(row1.includes(1) && !row1.includes(3));
  using empty = open(LAYOUTS + "v0_empty.h5");
  assert.deepEqual(empty.chunks(), []);
  assert.ok(empty.readRow(6).every((b) => b === 0));
});

Deno.test("rows read in any order (band cache) match h5wasm", () => {
  for (
    const file of ["v0_multi_rows.h5", "v0_big_last_chunk.h5", "v2_tiles.h5"]
  ) {
    const path = LAYOUTS + file;
    const ref = new h5wasm.File(path, "r");
    try {
      using ds = open(path);
      for (const r of [6, 0, 3, 4, 5, 1, 2, 2, 6, 0]) {
        assert.deepEqual(
          ds.readRow(r),
          h5wasmRow(ref, "masks", r),
          `${file} row ${r}`,
        );
      }
    } finally {
      ref.close();
    }
  }
});

Deno.test("chunks() is sorted by address, clonable, and decodeChunk rebuilds rows", () => {
  for (
    const file of [
      "v0_tiles.h5",
      "latest_earray_deep.h5",
      "latest_btree2_deep.h5",
    ]
  ) {
    const path = LAYOUTS + file;
    using ds = open(path);
    const chunks = ds.chunks();
    assert.ok(chunks.length > 0);
    for (let i = 1; i < chunks.length; i++) {
      assert.ok(chunks[i].address > chunks[i - 1].address, `${file} order`);
    }
    assert.deepEqual(structuredClone(chunks), chunks);
    // Rebuild row 0 the way a worker would: stored bytes + decodeChunk.
    const chunk = ds.chunkShape!;
    const bytes = Deno.readFileSync(path);
    const row = new Uint8Array(ds.rowBytes);
    for (const c of chunks.filter((c) => c.offset[0] === 0)) {
      const decoded = decodeChunk(
        bytes.subarray(c.address, c.address + c.size),
        [...ds.filters],
        c.filterMask,
        ds.chunkBytes,
      );
      for (let y = 0; y < chunk[1] && c.offset[1] + y < ds.shape[1]; y++) {
        for (let x = 0; x < chunk[2] && c.offset[2] + x < ds.shape[2]; x++) {
          row[(c.offset[1] + y) * ds.shape[2] + c.offset[2] + x] =
            decoded[y * chunk[2] + x];
        }
      }
    }
    assert.deepEqual(row, ds.readRow(0), file);
    // chunks() hands out copies.
    chunks[0].offset[0] = 99;
    assert.notEqual(ds.chunks()[0].offset[0], 99);
    // forEachChunk visits the same chunks, in no particular order.
    const visited: unknown[] = [];
    ds.forEachChunk((c) => visited.push(structuredClone(c)));
    const byAddress = (a: unknown, b: unknown) =>
      (a as { address: number }).address - (b as { address: number }).address;
    assert.deepEqual(visited.sort(byAddress), ds.chunks(), file);
  }
});

Deno.test("decodeChunk: general unshuffle, fletcher32, filter mask, errors", () => {
  // 10 bytes of 4-byte elements: two shuffled elements plus 2 trailing bytes.
  const shuffled = new Uint8Array([1, 5, 2, 6, 3, 7, 4, 8, 9, 10]);
  const shuffle = [{ id: 2, name: "", flags: 0, clientData: [4] }];
  assert.deepEqual(
    decodeChunk(shuffled, shuffle, 0, 10),
    new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
  );
  // Bit 0 of the mask: the shuffle was skipped for this chunk.
  assert.deepEqual(decodeChunk(shuffled, shuffle, 1, 10), shuffled);
  const deflate = [{ id: 1, name: "deflate", flags: 0, clientData: [4] }];
  const data = new Uint8Array(100).map((_, i) => i % 3);
  assert.deepEqual(decodeChunk(deflateSync(data), deflate, 0, 100), data);
  assert.throws(
    () => decodeChunk(deflateSync(data), deflate, 0, 120),
    /decodes to 100 bytes, expected 120/,
  );
  assert.throws(
    () => decodeChunk(new Uint8Array([1, 2, 3, 4]), deflate, 0, 100),
    /fails to inflate/,
  );
  assert.throws(
    () =>
      decodeChunk(
        data,
        [{ id: 32015, name: "", flags: 0, clientData: [] }],
        0,
        100,
      ),
    (err: Error) =>
      err instanceof TypeError && /filter 32015 \(zstd\)/.test(err.message),
  );
  // fletcher32 of the real fixture verifies; a flipped byte fails.
  using ds = open(LAYOUTS + "v0_fletcher32.h5");
  const c = ds.chunks()[0];
  const stored = Deno.readFileSync(LAYOUTS + "v0_fletcher32.h5").slice(
    c.address,
    c.address + c.size,
  );
  assert.equal(
    decodeChunk(stored, [...ds.filters], c.filterMask, ds.chunkBytes).length,
    40,
  );
  stored[3] ^= 0xff;
  assert.throws(
    () => decodeChunk(stored, [...ds.filters], c.filterMask, ds.chunkBytes),
    /Fletcher-32/,
  );
});

Deno.test("dataset names: nested paths, missing names, groups", () => {
  const path = LAYOUTS + "names.h5";
  using nested = open(path, "group/inner/masks");
  assert.deepEqual([...nested.shape], [7, 12, 10]);
  using leading = open(path, "/group/inner/masks");
  assert.deepEqual(leading.readRow(2), nested.readRow(2));
  assert.throws(() => ChunkedDataset.open(path, "nope"), (err: Error) => {
    assert.ok(
      err.message.includes(path) && err.message.includes('"nope"'),
      err.message,
    );
    return true;
  });
  assert.throws(
    () => ChunkedDataset.open(path, "group"),
    /"group" is a group, not a dataset/,
  );
  // A soft link is followed, as HDF5 follows it.
  using soft = open(path, "soft");
  assert.deepEqual(soft.readRow(3), nested.readRow(3));
  // Many symbol table nodes and a deep group B-tree (superblock 1, K=2).
  using deep = open(LAYOUTS + "v1_deep_btree.h5", "pad11");
  assert.deepEqual(deep.readRow(2), new Uint8Array([11]));
});

Deno.test("vlen: bytes with NULs and strings through the global heap", () => {
  for (const file of ["vlen.h5", "vlen_latest.h5"]) {
    const path = LAYOUTS + file;
    for (const name of ["images", "images_chunked", "captions"]) {
      using ds = open(path, name);
      assert.equal(ds.dtypeClass, 9);
      assert.equal(ds.vlen?.kind, name === "captions" ? "string" : "sequence");
      assert.equal(ds.length, VLEN[name].length);
      for (let i = 0; i < ds.length; i++) {
        assert.equal(
          hex(ds.readVlen(i)),
          VLEN[name][i],
          `${file} ${name}[${i}]`,
        );
      }
    }
    {
      using images = open(path, "images");
      assert.equal(images.length, 7);
    }
    const jpeg = readVlenBytes(path, "images", 0);
    assert.deepEqual([...jpeg.subarray(0, 4)], [0xff, 0xd8, 0xff, 0xe0]);
    assert.ok(
      jpeg.indexOf(0) > 0 && jpeg.indexOf(0) < 10,
      "keeps embedded NULs",
    );
    assert.deepEqual(readVlenBytes(path, "images", 1), new Uint8Array(3));
    assert.equal(readVlenBytes(path, "images", 2).length, 0);
    // h5wasm reads NUL-free strings the same.
    const ref = new h5wasm.File(path, "r");
    try {
      const captions = (ref.get("captions") as Dataset).value as string[];
      captions.forEach((s, i) =>
        assert.deepEqual(
          readVlenBytes(path, "captions", i),
          new TextEncoder().encode(s),
        )
      );
    } finally {
      ref.close();
    }
    using masks = open(path, "masks");
    assert.throws(() => masks.readVlen(0), TypeError);
  }
});

// ------------------------------------------------ h5wasm-written files --

Deno.test("h5wasm-written files: every chunk shape reads as h5wasm reads it", () => {
  const dir = tempDir();
  try {
    const [N, H, W] = [9, 13, 11];
    const data = new Uint8Array(N * H * W);
    let seed = 12345;
    for (let i = 0; i < data.length; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      data[i] = (seed >>> 16) % 7 < 2 ? 1 : 0;
    }
    for (let r = 0; r < N; r++) data[r * H * W + r * W + r] = 1; // rows differ
    type Args = Parameters<Group["create_dataset"]>[0];
    const variants: [
      string,
      "earliest" | "latest" | undefined,
      Partial<Args>,
    ][] = [
      ["rows_gzip", undefined, { chunks: [1, H, W], compression: 4 }],
      ["multi_rows_gzip", undefined, { chunks: [4, H, W], compression: 4 }],
      ["tiles_gzip", undefined, { chunks: [1, 5, 4], compression: 4 }],
      ["tiles_shuffle", undefined, {
        chunks: [2, 5, 4],
        compression: 2,
        compression_opts: [],
      }],
      ["rows_plain", undefined, { chunks: [2, H, W] }],
      ["contiguous", undefined, {}],
      ["latest_farray", "latest", { chunks: [1, H, W], compression: 4 }],
      ["latest_earray", "latest", {
        chunks: [2, H, W],
        compression: 4,
        maxshape: [null, H, W],
      }],
      ["latest_btree2", "latest", {
        chunks: [3, 5, 4],
        compression: 4,
        maxshape: [null, null, null],
      }],
      ["latest_single", "latest", { chunks: [N, H, W], compression: 4 }],
    ];
    const seen = new Set<string>();
    for (const [label, libver, opts] of variants) {
      const path = `${dir}/${label}.h5`;
      const w = new h5wasm.File(path, "w", libver ? { libver } : undefined);
      w.create_dataset({
        name: "masks",
        data,
        shape: [N, H, W],
        dtype: "<B",
        ...opts,
      });
      w.close();
      const head = Deno.readFileSync(path).subarray(0, 9);
      assert.deepEqual([...head.subarray(0, 8)], [
        0x89,
        0x48,
        0x44,
        0x46,
        0x0d,
        0x0a,
        0x1a,
        0x0a,
      ]);
      assert.ok(
        head[8] === (libver === "latest" ? 3 : 2),
        `${label}: superblock ${head[8]}`,
      );
      using ds = open(path);
      seen.add(`${ds.layout}/${ds.chunkIndex}`);
      const rows = compareWithH5wasm(path, "masks");
      rows.forEach((row, r) =>
        assert.deepEqual(
          row,
          data.subarray(r * H * W, (r + 1) * H * W),
          `${label} row ${r}`,
        )
      );
    }
    assert.deepEqual([...seen].sort(), [
      "chunked/btree1",
      "chunked/btree2",
      "chunked/extensible-array",
      "chunked/fixed-array",
      "chunked/single",
      "contiguous/null",
    ]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

// ------------------------------------------------------------- errors --

Deno.test("a corrupt chunk is an Error naming file and row; other rows still read", () => {
  const dir = tempDir();
  try {
    const path = `${dir}/corrupt.h5`;
    Deno.copyFileSync(LAYOUTS + "v0_rows_gzip_shuffle.h5", path);
    const good = compareWithH5wasm(path, "masks");
    {
      using ds = open(path);
      const c = ds.chunks().find((c) => c.offset[0] === 3)!;
      const bytes = Deno.readFileSync(path);
      bytes.fill(0xaa, c.address + 2, c.address + c.size);
      Deno.writeFileSync(path, bytes);
    }
    using ds = open(path);
    assert.throws(() => ds.readRow(3), (err: Error) => {
      assert.equal(err.constructor, Error);
      assert.ok(err.message.includes(path), err.message);
      assert.ok(err.message.includes("row 3"), err.message);
      assert.ok(err.message.includes('"masks"'), err.message);
      assert.ok(err.cause instanceof Error);
      return true;
    });
    for (const r of [0, 1, 2, 4, 5, 6]) {
      assert.deepEqual(ds.readRow(r), good[r]);
    }
    assert.throws(() => ds.readRow(3), /row 3/, "the failure is not cached");

    // A valid zlib stream of the wrong length is an error, never a wrong mask.
    const path2 = `${dir}/short.h5`;
    Deno.copyFileSync(LAYOUTS + "v0_gzip_only.h5", path2);
    {
      using ds2 = open(path2);
      const c = ds2.chunks().find((c) => c.offset[0] === 5)!;
      const short = deflateSync(new Uint8Array(10));
      assert.ok(short.length <= c.size);
      const bytes = Deno.readFileSync(path2);
      bytes.set(short, c.address);
      Deno.writeFileSync(path2, bytes);
    }
    using ds2 = open(path2);
    assert.throws(
      () => ds2.readRow(5),
      /row 5.*decodes to 10 bytes, expected 120/,
    );
    assert.equal(ds2.readRow(4).length, 120);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a truncated file is an Error at open naming the file", () => {
  const dir = tempDir();
  try {
    for (
      const file of [
        "v0_rows_gzip_shuffle.h5",
        "latest_farray.h5",
        "v2_rows.h5",
      ]
    ) {
      const path = `${dir}/${file}`;
      const bytes = Deno.readFileSync(LAYOUTS + file);
      Deno.writeFileSync(path, bytes.subarray(0, bytes.length - 100));
      assert.throws(() => ChunkedDataset.open(path, "masks"), (err: Error) => {
        assert.equal(
          err.message,
          `${path} is truncated: HDF5 end-of-file address is ${bytes.length} bytes but the file has ${
            bytes.length - 100
          }; download it again`,
        );
        return true;
      });
    }
    const notHdf5 = `${dir}/not.h5`;
    Deno.writeTextFileSync(notHdf5, "hello");
    assert.throws(
      () => ChunkedDataset.open(notHdf5, "masks"),
      /not\.h5: not an HDF5 file/,
    );
    assert.throws(
      () => ChunkedDataset.open(`${dir}/missing.h5`, "masks"),
      Deno.errors.NotFound,
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("out-of-range rows are RangeErrors naming the valid range", () => {
  const path = LAYOUTS + "v0_tiles.h5";
  using ds = open(path);
  for (const bad of [-1, 7, 100, 1.5, NaN]) {
    assert.throws(() => ds.readRow(bad), (err: Error) => {
      assert.ok(err instanceof RangeError);
      assert.ok(
        err.message.includes(path) && err.message.includes("0..6"),
        err.message,
      );
      return true;
    });
  }
  assert.throws(() => ds.readRow(0, new Uint8Array(5)), RangeError);
});

Deno.test("close is idempotent; a closed reader refuses to read", () => {
  const ds = open(LAYOUTS + "v0_rows_gzip_shuffle.h5");
  assert.equal(ds.readRow(0).length, 120);
  ds.close();
  ds.close();
  ds[Symbol.dispose]();
  assert.throws(() => ds.readRow(0), /was closed/);
  assert.throws(() => ds.chunks(), /was closed/);
  assert.throws(() => ds.forEachChunk(() => {}), /was closed/);
});
