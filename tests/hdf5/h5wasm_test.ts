/**
 * Issue 22, forced `reader: "h5wasm"`: the same guarantees as the default
 * reader where it can. h5wasm reads a chunk its index does not list (never
 * written, or lost to a damaged B-tree key) as the fill value, so rows are
 * checked against this package's chunk-index reader; a filter h5wasm lacks
 * (lzf) is said to be one, never "corrupt". Files written by h5py
 * (tests/fixtures/make_layout_fixtures.py), damaged here.
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { ChunkedDataset } from "../../lib/hdf5/chunks.ts";
import { openH5MaskDataset } from "../../lib/hdf5/h5wasm.ts";

const LAYOUTS = fileURLToPath(
  new URL("../fixtures/layouts/", import.meta.url),
);

function fastRows(path: string): Uint8Array[] {
  const opened = ChunkedDataset.open(path, "masks");
  assert.ok("reader" in opened);
  using ds = opened.reader;
  return Array.from({ length: ds.length }, (_, r) => {
    try {
      return ds.readRow(r);
    } catch {
      return new Uint8Array(0);
    }
  });
}

async function withBytes<T>(
  bytes: Uint8Array,
  use: (path: string) => Promise<T>,
): Promise<T> {
  const path = await Deno.makeTempFile({ suffix: ".h5" });
  try {
    await Deno.writeFile(path, bytes);
    return await use(path);
  } finally {
    await Deno.remove(path);
  }
}

Deno.test("h5wasm: an lzf file is not called corrupt; the error names the default reader", async () => {
  const path = LAYOUTS + "v0_lzf.h5";
  await assert.rejects(openH5MaskDataset(path, "masks"), (err: Error) => {
    assert.ok(err.message.startsWith(`${path}: `), err.message);
    assert.match(err.message, /filter 32000 \(lzf\)/);
    assert.match(
      err.message,
      /h5wasm reader cannot decode \(h5py writes it; the file is not corrupt\)/,
    );
    assert.match(err.message, /reader: "auto"/);
    assert.doesNotMatch(err.message, /download it again/);
    return true;
  });
});

Deno.test("h5wasm: an unwritten chunk is an error for its row only", async () => {
  const path = LAYOUTS + "v0_unwritten.h5";
  const fast = fastRows(path);
  const ds = await openH5MaskDataset(path, "masks");
  try {
    assert.equal(ds.unchecked, null);
    for (let r = 0; r < ds.shape[0]; r++) {
      if (r === 4) {
        assert.throws(() => ds.readRow(r), (err: Error) => {
          assert.ok(err.message.startsWith(`${path}: mask row 4 `));
          assert.match(err.message, /never written/);
          return true;
        });
      } else assert.deepEqual(ds.readRow(r), fast[r], `row ${r}`);
    }
  } finally {
    ds.close();
    ds.close();
  }
});

Deno.test("h5wasm: a damaged B-tree key makes its rows errors, never the fill value", async () => {
  // v0 (B-tree v1) node: 24-byte prefix, then key, child, key, ... with
  // 40-byte keys (size, filter mask, 4 offsets) for a 3-D dataset.
  const bytes = await Deno.readFile(LAYOUTS + "v0_rows_gzip_shuffle.h5");
  const fast = fastRows(LAYOUTS + "v0_rows_gzip_shuffle.h5");
  // The chunk B-tree (node type 1), not the root group's (type 0).
  const text = new TextDecoder("latin1").decode(bytes);
  let tree = text.indexOf("TREE");
  while (tree >= 0 && bytes[tree + 4] !== 1) {
    tree = text.indexOf("TREE", tree + 1);
  }
  assert.ok(tree > 0);
  for (
    const [label, at, xor] of [
      ["element offset of key 2", tree + 24 + 2 * 48 + 32, 0x09],
      ["dimension 2 offset of key 3", tree + 24 + 3 * 48 + 24 + 2, 0x30],
      ["row offset of key 5", tree + 24 + 5 * 48 + 8, 0x6e],
    ] as const
  ) {
    const b = bytes.slice();
    b[at] ^= xor;
    await withBytes(b, async (path) => {
      let errors = 0;
      try {
        const ds = await openH5MaskDataset(path, "masks");
        try {
          for (let r = 0; r < ds.shape[0]; r++) {
            try {
              assert.deepEqual(ds.readRow(r), fast[r], `${label}: row ${r}`);
            } catch (err) {
              if (err instanceof assert.AssertionError) throw err;
              assert.ok((err as Error).message.startsWith(`${path}: `));
              errors++;
            }
          }
        } finally {
          ds.close();
        }
      } catch (err) {
        if (err instanceof assert.AssertionError) throw err;
        assert.ok((err as Error).message.includes(path));
        errors++;
      }
      assert.ok(errors > 0, `${label}: the damage is reported`);
    });
  }
});

Deno.test("h5wasm: scaleoffset (h5wasm decodes it) still gets the index checks", async () => {
  const path = LAYOUTS + "v0_scaleoffset.h5";
  const ds = await openH5MaskDataset(path, "masks");
  try {
    assert.equal(ds.unchecked, null);
    assert.equal(ds.readRow(0).length, 12 * 10);
  } finally {
    ds.close();
  }
});

Deno.test("h5wasm: dense link storage is read by h5wasm alone, and says what it does not check", async () => {
  const path = LAYOUTS + "latest_dense_links.h5";
  const ds = await openH5MaskDataset(path, "masks");
  try {
    assert.ok(ds.unchecked?.startsWith(`dataset "masks" in ${path}`));
    assert.match(
      ds.unchecked!,
      /unwritten chunk .* fill value \(0\), undetected/,
    );
    assert.equal(ds.readRow(6).length, 12 * 10);
  } finally {
    ds.close();
  }
});
