// Streaming (Web Workers) and per-mask statistics on real files.
import assert from "node:assert/strict";
import { join } from "node:path";
import { pl, Segmentations } from "../../mod.ts";
import { ChunkedDataset } from "../../lib/hdf5/chunks.ts";
import {
  copyOfDataDir,
  copyOfH5pyFixture,
  H5PY_FIXTURE,
  smallSampleDir,
} from "../_support/helpers.ts";

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

Deno.test("masks() streams every mask in file order, identical to row(), through workers", async () => {
  using seg = await Segmentations.open({ dataDir: await smallSampleDir() });
  assert.ok(seg.length >= 24, "enough masks for the worker path");
  const progress: number[] = [];
  const masks = await collect(
    seg.masks(undefined, {
      workers: 2,
      onProgress: (p) => progress.push(p.done),
    }),
  );
  assert.deepEqual(
    masks.map((m) => m.maskRow),
    Array.from({ length: seg.length }, (_, i) => i),
  );
  for (const m of masks) assert.deepEqual(m.data, seg.row(m.maskRow).data);
  assert.equal(masks[3].noun, seg.row(3).noun);
  assert.equal(progress.at(-1), seg.length);
});

Deno.test("masks() of a Polars selection frame yields exactly its rows, in file order", async () => {
  using seg = await Segmentations.open({ dataDir: await smallSampleDir() });
  const frame = seg.metadata.filter(
    pl.col("score").gt(0.5).and(pl.col("localized").eq(1)),
  );
  const want = (frame.getColumn("mask_row").toArray() as (number | bigint)[])
    .map(Number).sort((a, b) => a - b);
  const got = await collect(seg.masks(frame, { workers: 2 }));
  assert.deepEqual(got.map((m) => m.maskRow), want);
  for (const m of got) assert.ok(m.score! > 0.5 && m.info!.localized);
  // A shuffled array of rows comes back in file order too.
  const rows = [...want].reverse();
  assert.deepEqual(
    (await collect(seg.masks(rows, { workers: 2 }))).map((m) => m.maskRow),
    want,
  );
});

Deno.test("masks() on chunks of several masks (read row by row) keeps order and bytes", async () => {
  using seg = await Segmentations.open({ dataDir: H5PY_FIXTURE });
  const got = await collect(seg.masks([9, 0, 4, 3]));
  assert.deepEqual(got.map((m) => m.maskRow), [0, 3, 4, 9]);
  for (const m of got) assert.deepEqual(m.data, seg.row(m.maskRow).data);
});

Deno.test("masks() stops on abort and on break, ending its workers", async () => {
  using seg = await Segmentations.open({ dataDir: await smallSampleDir() });
  const controller = new AbortController();
  let seen = 0;
  await assert.rejects(async () => {
    for await (
      const _ of seg.masks(undefined, { workers: 2, signal: controller.signal })
    ) {
      if (++seen === 5) controller.abort();
    }
  }, (err: Error) => err.name === "AbortError");
  assert.equal(seen, 5);
  let n = 0;
  for await (const _ of seg.masks(undefined, { workers: 2 })) {
    if (++n === 3) break;
  }
  assert.equal(n, 3);
  // The test sanitizers fail this test if a worker or file were left open.
});

Deno.test("masks() rejects rows outside the file and frames without mask_row", async () => {
  using seg = await Segmentations.open({ dataDir: await smallSampleDir() });
  await assert.rejects(() => collect(seg.masks([0, seg.length])), RangeError);
  await assert.rejects(
    () => collect(seg.masks(seg.metadata.select("noun"))),
    /no mask_row column/,
  );
});

Deno.test("a corrupted chunk met by a worker is an error naming the file and row", async () => {
  const dir = await copyOfDataDir(await smallSampleDir(), [
    "task-images_desc-segmentations.h5",
    "task-images_desc-segmentations_metadata.csv",
  ]);
  const h5 = join(dir, "stimuli", "task-images_desc-segmentations.h5");
  const opened = ChunkedDataset.open(h5, "masks");
  assert.ok("reader" in opened);
  const chunk = opened.reader.chunks().find((c) => c.offset[0] === 30)!;
  opened.reader.close();
  const bytes = await Deno.readFile(h5);
  bytes.fill(0x55, chunk.address + 2, chunk.address + chunk.size - 2);
  await Deno.writeFile(h5, bytes);
  using seg = await Segmentations.open({ dataDir: dir });
  await assert.rejects(
    () => collect(seg.masks(undefined, { workers: 2 })),
    (err: Error) => {
      assert.ok(err.message.includes(h5), err.message);
      assert.match(err.message, /mask row 30\b/);
      return true;
    },
  );
});

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

Deno.test("stats() matches the masks, flags box mismatches, and is cached by size and mtime", async () => {
  const dir = await copyOfDataDir(await smallSampleDir(), [
    "task-images_desc-segmentations.h5",
    "task-images_desc-segmentations_metadata.csv",
  ]);
  using seg = await Segmentations.open({ dataDir: dir });
  const stats = await seg.stats(undefined, { workers: 2 });
  assert.deepEqual(stats.columns, [
    "mask_row",
    "area",
    "area_fraction",
    "bbox_x0",
    "bbox_y0",
    "bbox_x1",
    "bbox_y1",
    "centroid_x",
    "centroid_y",
    "box_mismatch",
  ]);
  assert.equal(stats.height, seg.length);
  for (const r of stats.toRecords()) {
    const mask = seg.row(Number(r.mask_row));
    const e = expected(mask.data, seg.width);
    assert.equal(Number(r.area), e.area);
    assert.ok(
      Math.abs(
        (r.area_fraction as number) - e.area / (seg.width * seg.height),
      ) < 1e-12,
    );
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
  // Cached next to the data, keyed by size and mtime.
  const files = [...Deno.readDirSync(join(dir, "stimuli"))].map((e) => e.name)
    .filter((n) => n.endsWith(".parquet"));
  assert.equal(files.length, 1);
  assert.match(
    files[0],
    /^task-images_desc-segmentations\.stats-\d+-\d+\.parquet$/,
  );
  // A selection is answered from the cache, in selection order.
  const some = await seg.stats([5, 2, 7]);
  assert.deepEqual(some.getColumn("mask_row").toArray().map(Number), [5, 2, 7]);
  assert.deepEqual(
    some.getColumn("area").toArray(),
    [5, 2, 7].map((r) => BigInt(expected(seg.row(r).data, seg.width).area)).map(
      Number,
    ),
  );
  // A touched HDF5 file gets a new cache, and the stale one goes.
  const h5 = join(dir, "stimuli", "task-images_desc-segmentations.h5");
  await Deno.utime(h5, new Date(), new Date(Date.now() + 5000));
  await seg.stats();
  const after = [...Deno.readDirSync(join(dir, "stimuli"))].map((e) => e.name)
    .filter((n) => n.endsWith(".parquet"));
  assert.equal(after.length, 1);
  assert.notEqual(after[0], files[0]);
});

Deno.test("stats() on the h5py fixture: each mask is its CSV box, so no mismatch", async () => {
  const dir = await copyOfH5pyFixture();
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
  assert.equal(
    [...Deno.readDirSync(join(dir, "stimuli"))].filter((e) =>
      e.name.endsWith(".parquet")
    ).length,
    0,
  );
});
