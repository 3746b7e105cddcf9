/**
 * Issue 22: an absurd row count is refused at open, before anything that
 * grows with it is allocated. h5py writes earliest-format files (version 1
 * object headers carry no checksum) with an unlimited first dimension; one
 * dimension is then patched to 2^30, 2^31 and 2^33 rows, as one damaged
 * byte does. The refusal names the file, the dataset, the claimed shape and
 * what the file can hold; valid files with unwritten chunks still open.
 */

import {
  copyOfH5pyFixture,
  h5pyAvailable,
  PYTHON,
} from "../_support/helpers.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { ChunkedDataset } from "../../lib/hdf5/chunks.ts";
import { checkExtentFits, minBytesPerChunk } from "../../lib/hdf5/extent.ts";
import { openMaskSource } from "../../lib/reader/source/mask_source.ts";
import { SegmentationsReader } from "../../lib/reader/reader.ts";

const available = await h5pyAvailable();
const N = 20, H = 40, W = 48;

const WRITE = `
import sys, h5py, numpy as np
out = sys.argv[1]
rng = np.random.default_rng(3)
m = (rng.random((${N}, ${H}, ${W})) < 0.3).astype(np.uint8)
with h5py.File(out + "/rows.h5", "w") as f:
    f.create_dataset("masks", data=m, chunks=(1, ${H}, ${W}), maxshape=(None, ${H}, ${W}),
                     compression="gzip", shuffle=True)
with h5py.File(out + "/lzf.h5", "w") as f:
    f.create_dataset("masks", data=m, chunks=(4, 20, 24), maxshape=(None, None, None),
                     compression="lzf")
with h5py.File(out + "/contiguous.h5", "w") as f:
    f.create_dataset("masks", data=m)
with h5py.File(out + "/partial.h5", "w") as f:
    d = f.create_dataset("masks", shape=m.shape, dtype=np.uint8, chunks=(1, ${H}, ${W}),
                         maxshape=(None, ${H}, ${W}), compression="gzip")
    d[:15] = m[:15]
with h5py.File(out + "/latest.h5", "w", libver="latest") as f:
    f.create_dataset("masks", data=m, chunks=(1, ${H}, ${W}), maxshape=(None, ${H}, ${W}),
                     compression="gzip")
m.tofile(out + "/rows.bin")
`;

let made: Promise<string> | undefined;
function files(): Promise<string> {
  made ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "extent-" });
    const out = await new Deno.Command(PYTHON, {
      args: ["-c", WRITE, dir],
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

/** Offsets of the dataspace's dimension `dim` (8-byte little-endian dims). */
function dimOffsets(bytes: Uint8Array, shape: number[], dim: number): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const found: number[] = [];
  for (let i = 0; i + 8 * shape.length <= bytes.length; i++) {
    if (
      shape.every((d, k) => view.getBigUint64(i + 8 * k, true) === BigInt(d))
    ) {
      found.push(i + 8 * dim);
    }
  }
  return found;
}

/**
 * `bytes` with dimension `dim` of the dataspace set to `value` (in both the
 * current and the maximum dimensions when the maximum repeats the shape).
 */
function claim(bytes: Uint8Array, dim: number, value: bigint): Uint8Array {
  const at = dimOffsets(bytes, [N, H, W], dim);
  assert.ok(at.length === 1 || at.length === 2, "one dataspace with the shape");
  const out = bytes.slice();
  for (const a of at) new DataView(out.buffer).setBigUint64(a, value, true);
  return out;
}

async function withFile<T>(
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

for (const file of ["rows", "lzf", "contiguous"]) {
  for (const rows of [2n ** 30n, 2n ** 31n, 2n ** 33n]) {
    Deno.test({
      name:
        `${file}: a dataspace claiming ${rows} rows is refused at open, naming file, dataset, shape and what fits`,
      ignore: !available,
      async fn() {
        const bytes = await Deno.readFile(join(await files(), `${file}.h5`));
        await withFile(claim(bytes, 0, rows), async (path) => {
          const rss0 = Deno.memoryUsage().rss;
          const t0 = performance.now();
          const expect = (err: unknown) => {
            assert.ok(err instanceof Error);
            assert.ok(err.message.startsWith(`${path}: `), err.message);
            assert.match(err.message, /dataset "masks" claims shape/);
            assert.ok(
              err.message.includes(`[${rows},${H},${W}]`),
              err.message,
            );
            assert.match(err.message, /the file holds \d+ bytes: room for/);
            assert.match(err.message, /corrupt/);
            return true;
          };
          assert.throws(() => ChunkedDataset.open(path, "masks"), expect);
          for (const reader of ["auto", "chunks", "h5wasm"] as const) {
            await assert.rejects(
              openMaskSource(path, "masks", { reader }),
              expect,
            );
          }
          // Refused cheaply: nothing sized by the claim was allocated.
          const grown = Deno.memoryUsage().rss - rss0;
          assert.ok(grown < 256 * 1024 ** 2, `RSS grew by ${grown} bytes`);
          assert.ok(performance.now() - t0 < 5_000);
        });
      },
    });
  }
}

Deno.test({
  name: "a damaged width or height is refused at open as well",
  ignore: !available,
  async fn() {
    const bytes = await Deno.readFile(join(await files(), "lzf.h5"));
    // A width of 2^20 spans 43,691 chunks per band in a file of a few KB.
    await withFile(claim(bytes, 2, 2n ** 20n), async (path) => {
      assert.throws(
        () => ChunkedDataset.open(path, "masks"),
        (err: Error) =>
          err.message.startsWith(`${path}: `) &&
          err.message.includes(`claims shape [${N},${H},${2 ** 20}]`),
      );
      await assert.rejects(openMaskSource(path, "masks"), /claims shape/);
    });
  },
});

Deno.test({
  name:
    "valid files open: unwritten chunks (5 of 20), a fitting larger claim, a checksummed header",
  ignore: !available,
  async fn() {
    const dir = await files();
    const raw = await Deno.readFile(join(dir, "rows.bin"));
    {
      using ds = (ChunkedDataset.open(join(dir, "partial.h5"), "masks") as {
        reader: ChunkedDataset;
      }).reader;
      assert.equal(ds.length, N);
      assert.deepEqual(ds.readRow(14), raw.subarray(14 * H * W, 15 * H * W));
      assert.equal(ds.rowStored(15), false);
    }
    // 30 rows claimed, 20 stored: 10 unwritten chunks, which fit the file.
    const bytes = await Deno.readFile(join(dir, "rows.h5"));
    await withFile(claim(bytes, 0, 30n), (path) => {
      const opened = ChunkedDataset.open(path, "masks");
      assert.ok("reader" in opened);
      using ds = opened.reader;
      assert.equal(ds.length, 30);
      assert.deepEqual(ds.readRow(3), raw.subarray(3 * H * W, 4 * H * W));
      assert.equal(ds.rowStored(25), false);
      return Promise.resolve();
    });
    // A version 2 object header: a damaged dimension fails its checksum.
    const latest = await Deno.readFile(join(dir, "latest.h5"));
    await withFile(claim(latest, 0, 2n ** 33n), (path) => {
      assert.throws(
        () => ChunkedDataset.open(path, "masks"),
        (err: Error) =>
          err.message.startsWith(`${path}: `) && /checksum/.test(err.message),
      );
      return Promise.resolve();
    });
  },
});

Deno.test("minBytesPerChunk: a lower bound through the filters", () => {
  const base = {
    path: "f.h5",
    name: "masks",
    fileSize: 0,
    shape: [10, 1000, 1000],
    maxShape: [Infinity, 1000, 1000],
    elementSize: 1,
    layout: "chunked" as const,
    chunk: [1, 1000, 1000],
    indexBytesPerChunk: 48,
  };
  const info = (ids: number[]) => ({
    ...base,
    filters: ids.map((id) => ({ id, name: "", flags: 0, clientData: [] })),
  });
  // Unfiltered chunks are stored whole; deflate keeps at least 1/1032.
  assert.equal(minBytesPerChunk(info([])), 1_000_000 + 48);
  assert.equal(minBytesPerChunk(info([2, 1])), 968 + 48);
  assert.equal(minBytesPerChunk(info([32000, 1])), 1 + 48);
  // Ten such chunks fit in exactly ten times that.
  checkExtentFits({ ...info([2, 1]), fileSize: 10 * (968 + 48) });
  assert.throws(
    () => checkExtentFits({ ...info([2, 1]), fileSize: 10 * (968 + 48) - 1 }),
    /f\.h5: dataset "masks" claims shape \[10,1000,1000\].*room for 9 rows at most/,
  );
  // An empty dataset always fits.
  checkExtentFits({ ...info([]), shape: [0, 1000, 1000] });
});

Deno.test("Segmentations.open on a data dir whose mask count claims 2^33 rows: refused at once, naming the file", async () => {
  // The h5py-written data dir (tests/fixtures/make_h5py_fixture.py): 10
  // masks of 24 x 32, with the maximum repeating the shape.
  const dir = await copyOfH5pyFixture();
  const h5 = join(dir, "stimuli", "task-images_desc-segmentations.h5");
  const bytes = await Deno.readFile(h5);
  const at = dimOffsets(bytes, [10, 24, 32], 0);
  assert.equal(at.length, 2, "current and maximum dimensions");
  for (const a of at) {
    new DataView(bytes.buffer).setBigUint64(a, 2n ** 33n, true);
  }
  await Deno.writeFile(h5, bytes);
  for (const reader of ["auto", "h5wasm"] as const) {
    const rss0 = Deno.memoryUsage().rss;
    const t0 = performance.now();
    await assert.rejects(
      SegmentationsReader.open({ dataDir: dir, reader }),
      (err: Error) => {
        assert.ok(err.message.startsWith(`${h5}: `), err.message);
        assert.match(err.message, /claims shape \[8589934592,24,32\]/);
        return true;
      },
    );
    const grown = Deno.memoryUsage().rss - rss0;
    assert.ok(grown < 256 * 1024 ** 2, `${reader}: RSS grew by ${grown} bytes`);
    assert.ok(performance.now() - t0 < 5_000, reader);
  }
});
