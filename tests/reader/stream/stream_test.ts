// Streaming (the calling thread and the reader's Web Workers) on real files;
// statistics in stats_test.ts, the worker pool in pool_test.ts.
import assert from "node:assert/strict";
import { join } from "node:path";
import { type Mask, pl, Segmentations } from "../../../mod.ts";
import { ChunkedDataset } from "../../../lib/hdf5/chunks.ts";
import {
  copyOfDataDir,
  H5PY_FIXTURE,
  smallSampleDir,
} from "../../_support/helpers.ts";

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

/** A copy of the small sample whose row 30 has its stored chunk overwritten. */
async function sampleWithRow30Corrupt(): Promise<{ dir: string; h5: string }> {
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
  return { dir, h5 };
}

Deno.test("a corrupted chunk met by a stream is an error naming the file and row", async () => {
  const { dir, h5 } = await sampleWithRow30Corrupt();
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

Deno.test("a corrupted chunk met with a warm worker: the error names the row, and the next streams are whole and right", async () => {
  const { dir, h5 } = await sampleWithRow30Corrupt();
  using seg = await Segmentations.open({ dataDir: dir });
  const good = Array.from({ length: seg.length }, (_, i) => i).filter((r) =>
    r !== 30
  );
  await collect(seg.masks(good, { workers: 1 }));
  for (let i = 0; i < 300 && seg.activeWorkers === 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(seg.activeWorkers, 1, "the worker loads");
  for (let round = 0; round < 3; round++) {
    await assert.rejects(
      () => collect(seg.masks([30, ...good.slice(30, 60)], { workers: 1 })),
      (err: Error) => {
        assert.ok(err.message.includes(h5), err.message);
        assert.match(err.message, /mask row 30\b.*download it again/);
        return true;
      },
    );
    const again = await collect(seg.masks(good, { workers: 1 }));
    assert.equal(again.length, good.length);
    for (const m of again) {
      assert.deepEqual(m.data, seg.row(m.maskRow).data, `row ${m.maskRow}`);
    }
  }
});

Deno.test("masks({ reuse: true }) yields row()'s bytes; asking for the next mask detaches the previous one", async () => {
  using seg = await Segmentations.open({ dataDir: await smallSampleDir() });
  const all = Array.from({ length: seg.length }, (_, i) => i);
  // The calling thread alone, then with a warm worker, many masks each.
  for (const workers of [0, 1]) {
    if (workers === 1) {
      await collect(seg.masks(undefined, { workers: 1 }));
      for (let i = 0; i < 300 && seg.activeWorkers === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(seg.activeWorkers, 1, "the worker loads");
    }
    const rows = [...all, ...all, ...all, ...all];
    const kept: Mask[] = [];
    const views: Uint8Array[] = [];
    let n = 0;
    for await (const mask of seg.masks(rows, { workers, reuse: true })) {
      assert.deepEqual(
        mask.data,
        seg.row(mask.maskRow).data,
        `row ${mask.maskRow}`,
      );
      assert.equal(mask.area, seg.row(mask.maskRow).area);
      if (n++ % 7 === 0) {
        kept.push(mask);
        views.push(mask.data.subarray(5, 50));
      }
    }
    assert.equal(n, rows.length);
    // Every kept mask but the last was given back: empty, and an error to use.
    for (const [i, mask] of kept.entries()) {
      if (i === kept.length - 1 && (n - 1) % 7 === 0) continue;
      assert.equal(mask.data.length, 0);
      assert.equal(views[i].length, 0, "a view of it is detached too");
      assert.throws(
        () => mask.area,
        (err: Error) =>
          err instanceof TypeError && /reuse: true/.test(err.message) &&
          /mask\.data\.slice\(\)/.test(err.message),
      );
      assert.throws(() => mask.bbox(), TypeError);
      assert.throws(() => mask.toPng(), TypeError);
    }
  }
});

Deno.test("masks({ reuse: true }) leaves alone a mask whose buffer was transferred away", async () => {
  using seg = await Segmentations.open({ dataDir: await smallSampleDir() });
  let n = 0;
  for await (
    const mask of seg.masks([0, 1, 2, 3], { workers: 0, reuse: true })
  ) {
    const expected = seg.row(mask.maskRow).data;
    assert.deepEqual(mask.data, expected);
    if (n++ === 1) {
      const buffer = mask.data.buffer as ArrayBuffer;
      const moved = structuredClone(buffer, { transfer: [buffer] });
      assert.deepEqual(new Uint8Array(moved), expected);
    }
  }
  assert.equal(n, 4);
});

Deno.test("masks() refuses a reuse option that is not a boolean", async () => {
  using seg = await Segmentations.open({ dataDir: await smallSampleDir() });
  await assert.rejects(
    () => collect(seg.masks([0], { reuse: "yes" as unknown as boolean })),
    (err: Error) => err instanceof TypeError && /reuse/.test(err.message),
  );
});
