// stats(): per-mask statistics with identifying columns, cached by content in
// the user's cache directory; the data folder stays untouched.
import assert from "node:assert/strict";
import { join } from "node:path";
import { Mask, pl, Segmentations } from "../../../mod.ts";
import { ChunkedDataset } from "../../../lib/hdf5/chunks.ts";
import {
  copyOfDataDir,
  copyOfH5pyFixture,
  DENO_DIR,
  smallSampleDir,
  withEnv,
} from "../../_support/helpers.ts";

const H5 = "task-images_desc-segmentations.h5";
const CSV = "task-images_desc-segmentations_metadata.csv";

/** Statistics computed independently, straight from the mask bytes. */
function expected(data: Uint8Array, width: number) {
  let area = 0, sx = 0, sy = 0, x0 = Infinity, y0 = Infinity, x1 = -1, y1 = -1;
  data.forEach((v, i) => {
    if (!v) return;
    const x = i % width, y = Math.floor(i / width);
    area++, sx += x, sy += y;
    x0 = Math.min(x0, x),
      y0 = Math.min(y0, y),
      x1 = Math.max(x1, x + 1),
      y1 = Math.max(y1, y + 1);
  });
  return { area, bbox: [x0, y0, x1, y1], cx: sx / area, cy: sy / area };
}

/** Every file under `dir` with its size and mtime, to prove nothing changed. */
async function snapshot(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for await (const e of Deno.readDir(d)) {
      const p = join(d, e.name);
      if (e.isDirectory) await walk(p);
      else {
        const info = await Deno.stat(p);
        out.push(`${p} ${info.size} ${info.mtime?.getTime()}`);
      }
    }
  };
  await walk(dir);
  return out.sort();
}

async function listFiles(dir: string): Promise<string[]> {
  try {
    return (await snapshot(dir)).map((l) => l.split(" ")[0].slice(dir.length))
      .sort();
  } catch {
    return [];
  }
}

/** A sample copy and an empty user cache dir (XDG_CACHE_HOME), both removed after `fn`. */
async function withCopyAndCache(
  fn: (dir: string, cache: string) => Promise<void>,
): Promise<void> {
  const dir = await copyOfDataDir(await smallSampleDir(), [H5, CSV]);
  const cache = await Deno.makeTempDir({ prefix: "seg-cache-" });
  try {
    await withEnv({ XDG_CACHE_HOME: cache }, () => fn(dir, cache));
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(cache, { recursive: true });
  }
}

Deno.test("stats() matches the masks, with identifying columns, integer pixel columns and exact fractions", async () => {
  using seg = await Segmentations.open({ dataDir: await smallSampleDir() });
  const stats = await seg.stats(undefined, { workers: 1, cache: false });
  assert.deepEqual(stats.columns, [
    "mask_row",
    "image_name",
    "noun",
    "instance_id",
    "score",
    "area",
    "area_fraction",
    "bbox_x0",
    "bbox_y0",
    "bbox_x1",
    "bbox_y1",
    "centroid_x",
    "centroid_y",
    "box_mismatch",
    "centroid_x_deg",
    "centroid_y_deg",
    "eccentricity_deg",
    "polar_angle_deg",
    "mean_eccentricity_deg",
    "area_deg2",
    "foveal_fraction",
  ]);
  const types = Object.fromEntries(
    stats.columns.map((c) => [c, stats.getColumn(c).dtype.variant]),
  );
  assert.equal(types.area, "Int64");
  assert.equal(types.instance_id, "Int64");
  for (const c of ["bbox_x0", "bbox_y0", "bbox_x1", "bbox_y1"]) {
    assert.equal(types[c], "Int32", c);
  }
  assert.equal(stats.height, seg.length);
  const pixels = seg.width * seg.height;
  for (const r of stats.toRecords()) {
    const mask = seg.row(Number(r.mask_row));
    const e = expected(mask.data, seg.width);
    assert.equal(r.image_name, mask.imageName);
    assert.equal(r.noun, mask.noun);
    assert.equal(Number(r.instance_id), mask.instance);
    assert.equal(r.score, mask.score);
    assert.equal(Number(r.area), e.area);
    // Correctly rounded: what area / pixels prints, not a near neighbour.
    assert.equal(r.area_fraction, e.area / pixels);
    assert.deepEqual([r.bbox_x0, r.bbox_y0, r.bbox_x1, r.bbox_y1], e.bbox);
    assert.ok(
      Math.abs((r.centroid_x as number) - e.cx) < 1e-9 &&
        Math.abs((r.centroid_y as number) - e.cy) < 1e-9,
    );
    const box = mask.info!.box;
    const differs = box
      ? e.bbox.some((v, k) => Math.abs(v - box[k]) > 2)
      : null;
    assert.equal(r.box_mismatch, differs, `row ${r.mask_row}`);
  }
  assert.ok(
    stats.getColumn("box_mismatch").toArray().includes(true),
    "the sample has some jittered boxes",
  );
  // A selection comes back in selection order with its own identity.
  const some = await seg.stats([5, 2, 7], { cache: false });
  assert.deepEqual(some.getColumn("mask_row").toArray().map(Number), [5, 2, 7]);
  assert.deepEqual(
    some.getColumn("noun").toArray(),
    [5, 2, 7].map((r) => seg.row(r).noun),
  );
});

Deno.test("stats() caches in the user cache dir by default and never writes to the data folder", async () => {
  await withCopyAndCache(async (dir, cache) => {
    const before = await snapshot(dir);
    using seg = await Segmentations.open({ dataDir: dir });
    const first = await seg.stats(undefined, { workers: 1 });
    assert.deepEqual(await snapshot(dir), before, "data folder untouched");
    const cached = (await listFiles(cache)).filter((f) =>
      f.endsWith(".parquet")
    ).sort();
    // The statistics, and the degree sums of this visual field.
    assert.equal(cached.length, 2);
    assert.match(
      cached[1],
      /^\/laion-fmri-segmentations\/stats\/[0-9a-f]{16}-task-images_desc-segmentations\.stats-v2-[0-9a-f]{32}\.parquet$/,
    );
    assert.match(
      cached[0],
      /^\/laion-fmri-segmentations\/stats\/[0-9a-f]{16}-task-images_desc-segmentations\.stats-deg-v1-[0-9a-f]{32}-[0-9a-f]{16}\.parquet$/,
    );
    // Another reader answers from the cache: no mask is decoded.
    using again = await Segmentations.open({ dataDir: dir });
    let decoded = 0;
    const second = await again.stats(undefined, {
      onProgress: () => decoded++,
    });
    assert.equal(decoded, 0);
    assert.deepEqual(second.toRecords(), first.toRecords());
    const some = await again.stats([4, 1], { onProgress: () => decoded++ });
    assert.equal(decoded, 0);
    assert.deepEqual(some.getColumn("mask_row").toArray().map(Number), [4, 1]);
    assert.deepEqual(await snapshot(dir), before, "data folder untouched");
  });
});

Deno.test('stats() with cache: "data" writes beside the data; cache: false writes nowhere', async () => {
  await withCopyAndCache(async (dir, cache) => {
    using seg = await Segmentations.open({ dataDir: dir });
    await seg.stats(undefined, { cache: false });
    assert.deepEqual(await listFiles(cache), []);
    assert.deepEqual(await listFiles(join(dir, "stimuli")), [
      `/${H5}`,
      `/${CSV}`,
    ]);
    const first = await seg.stats(undefined, { cache: "data" });
    const beside = (await listFiles(join(dir, "stimuli"))).filter((f) =>
      f.endsWith(".parquet")
    );
    assert.equal(beside.length, 2);
    assert.match(
      beside.sort()[1],
      /^\/task-images_desc-segmentations\.stats-v2-/,
    );
    // The user-cache default also reads a cache beside the data.
    using again = await Segmentations.open({ dataDir: dir });
    let decoded = 0;
    const second = await again.stats(undefined, {
      onProgress: () => decoded++,
    });
    assert.equal(decoded, 0);
    assert.deepEqual(second.toRecords(), first.toRecords());
    await assert.rejects(
      () => again.stats(undefined, { cache: "yes" as never }),
      /cache must be one of true, false, "user", "data"; got the string "yes"/,
    );
  });
});

Deno.test("stats() on a read-only data folder works and writes only to the user cache", async () => {
  await withCopyAndCache(async (dir, cache) => {
    const before = await snapshot(dir);
    // Root ignores file modes: Deno's permissions make the folder read-only.
    const script = await Deno.makeTempFile({ suffix: ".ts" });
    try {
      await Deno.writeTextFile(
        script,
        `import { Segmentations } from ${
          JSON.stringify(new URL("../../../mod.ts", import.meta.url).href)
        };
using seg = await Segmentations.open({ dataDir: ${JSON.stringify(dir)} });
try {
  Deno.writeTextFileSync(${
          JSON.stringify(join(dir, "stimuli", "probe.txt"))
        }, "x");
  console.log("data folder writable");
} catch (e) { console.log("data folder read-only:", e.name); }
const a = await seg.stats();
const b = await seg.stats(undefined, { cache: "data" });
console.log("rows", a.height, b.height);
`,
      );
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-read",
          `--allow-write=${cache}`,
          "--allow-env",
          "--allow-ffi",
          "--allow-sys",
          script,
        ],
        env: { XDG_CACHE_HOME: cache, DENO_DIR },
      }).output();
      const stdout = new TextDecoder().decode(out.stdout);
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      assert.match(stdout, /data folder read-only: NotCapable/);
      assert.match(stdout, /rows (\d+) \1/);
    } finally {
      await Deno.remove(script);
    }
    assert.deepEqual(await snapshot(dir), before, "data folder untouched");
    assert.equal(
      (await listFiles(cache)).filter((f) => f.endsWith(".parquet")).length,
      2,
      "the statistics and the degree sums",
    );
  });
});

/**
 * Swaps the chunk index entries (stored size, filter mask, address) of rows
 * `a` and `b` in place: the file keeps its size, every row still decodes,
 * but rows `a` and `b` now hold each other's masks.
 */
async function swapChunks(h5: string, a: number, b: number): Promise<void> {
  const opened = ChunkedDataset.open(h5, "masks");
  assert.ok("reader" in opened);
  const chunks = opened.reader.chunks();
  opened.reader.close();
  const ca = chunks.find((c) => c.offset[0] === a)!;
  const cb = chunks.find((c) => c.offset[0] === b)!;
  const bytes = await Deno.readFile(h5);
  const view = new DataView(bytes.buffer);
  // A version 1 B-tree key: size u32, filter mask u32, offsets (rank + 1) u64,
  // then the child's address u64.
  const find = (c: typeof ca) => {
    const key = new Uint8Array(48);
    const k = new DataView(key.buffer);
    k.setUint32(0, c.size, true);
    k.setUint32(4, c.filterMask, true);
    c.offset.forEach((o, d) => k.setBigUint64(8 + 8 * d, BigInt(o), true));
    k.setBigUint64(40, BigInt(c.address), true);
    const at: number[] = [];
    for (let i = 0; i + 48 <= bytes.length; i++) {
      let j = 0;
      while (j < 48 && bytes[i + j] === key[j]) j++;
      if (j === 48) at.push(i);
    }
    assert.equal(at.length, 1, `one index entry for row ${c.offset[0]}`);
    return at[0];
  };
  const pa = find(ca), pb = find(cb);
  for (const [p, c] of [[pa, cb], [pb, ca]] as const) {
    view.setUint32(p, c.size, true);
    view.setUint32(p + 4, c.filterMask, true);
    view.setBigUint64(p + 40, BigInt(c.address), true);
  }
  await Deno.writeFile(h5, bytes);
}

Deno.test("a file changed keeping its size and mtime is never answered from the old cache", async () => {
  await withCopyAndCache(async (dir) => {
    const h5 = join(dir, "stimuli", H5);
    const info = await Deno.stat(h5);
    let areas: number[];
    {
      using seg = await Segmentations.open({ dataDir: dir });
      const stats = await seg.stats();
      areas = stats.getColumn("area").toArray().map(Number);
    }
    // Rows 1 and 6 trade masks; size and mtime as before.
    assert.notEqual(areas[1], areas[6], "the two masks differ");
    await swapChunks(h5, 1, 6);
    await Deno.utime(h5, info.atime!, info.mtime!);
    const now = await Deno.stat(h5);
    assert.equal(now.size, info.size);
    assert.equal(now.mtime?.getTime(), info.mtime?.getTime());
    {
      using seg = await Segmentations.open({ dataDir: dir });
      assert.equal(seg.row(1).area, areas[6], "row 1 now holds mask 6");
      const stats = await seg.stats();
      const now = stats.getColumn("area").toArray().map(Number);
      assert.equal(now[1], areas[6]);
      assert.equal(now[6], areas[1]);
    }
    // A damaged chunk, size and mtime kept: stats() fails as row() does.
    const opened = ChunkedDataset.open(h5, "masks");
    assert.ok("reader" in opened);
    const chunk = opened.reader.chunks().find((c) => c.offset[0] === 3)!;
    opened.reader.close();
    const bytes = await Deno.readFile(h5);
    bytes.fill(0x55, chunk.address + 2, chunk.address + chunk.size - 2);
    await Deno.writeFile(h5, bytes);
    await Deno.utime(h5, info.atime!, info.mtime!);
    {
      using seg = await Segmentations.open({ dataDir: dir });
      assert.throws(() => seg.row(3));
      await assert.rejects(() => seg.stats(), /mask row 3\b/);
    }
  });
});

Deno.test("stats() on the h5py fixture: each mask is its CSV box, so no mismatch", async () => {
  const dir = await copyOfH5pyFixture();
  try {
    using seg = await Segmentations.open({ dataDir: dir });
    const stats = await seg.stats(seg.metadata, { cache: false });
    const boxes = seg.metadata.select("box_x0", "box_y0", "box_x1", "box_y1")
      .toRecords();
    stats.toRecords().forEach((r, i) => {
      const b = boxes[i];
      const [x0, y0, x1, y1] = b.box_x0 === null
        ? [0, 0, 32, 24]
        : [b.box_x0, b.box_y0, b.box_x1, b.box_y1].map(Number);
      assert.equal(Number(r.area), (x1 - x0) * (y1 - y0));
      assert.equal(r.box_mismatch, b.box_x0 === null ? null : false);
    });
    assert.deepEqual(
      stats.select("image_name", "noun").toRecords(),
      seg.metadata.select("image_name", "noun").toRecords(),
    );
    assert.equal(
      [...Deno.readDirSync(join(dir, "stimuli"))].filter((e) =>
        e.name.endsWith(".parquet")
      ).length,
      0,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("stats() of an empty selection is an empty frame with the columns", async () => {
  using seg = await Segmentations.open({ dataDir: await smallSampleDir() });
  const none = await seg.stats(seg.metadata.filter(pl.lit(false)), {
    cache: false,
  });
  assert.equal(none.height, 0);
  assert.ok(none.columns.includes("image_name"));
});

Deno.test("mask.area and mask.bbox() count every non-zero pixel, at any width and byte offset", () => {
  // A seeded generator: sparse pixels, runs and full rows, values 1 and 255.
  let seed = 7;
  const rand = () =>
    (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (
    const [width, height] of [[1, 1], [3, 5], [8, 8], [13, 7], [1000, 4], [
      37,
      41,
    ]]
  ) {
    for (const offset of [0, 1, 3]) {
      for (let trial = 0; trial < 6; trial++) {
        const buffer = new Uint8Array(width * height + offset);
        const data = buffer.subarray(offset);
        const density = [0, 0.02, 0.5, 1, 0.5, 1][trial];
        for (let i = 0; i < data.length; i++) {
          if (rand() < density) data[i] = trial === 5 ? 255 : 1;
        }
        if (trial === 4) {
          data.fill(
            1,
            Math.floor(data.length / 3),
            Math.floor(data.length / 2),
          );
        }
        let area = 0, x0 = width, y0 = height, x1 = -1, y1 = -1;
        data.forEach((v, i) => {
          if (v === 0) return;
          const x = i % width, y = Math.floor(i / width);
          area++;
          x0 = Math.min(x0, x), y0 = Math.min(y0, y);
          x1 = Math.max(x1, x), y1 = Math.max(y1, y);
        });
        const mask = new Mask(width, height, data, 0);
        const what = `${width}x${height}, offset ${offset}, trial ${trial}`;
        assert.equal(mask.area, area, what);
        assert.deepEqual(
          mask.bbox(),
          area === 0 ? null : [x0, y0, x1 + 1, y1 + 1],
          what,
        );
      }
    }
  }
});
