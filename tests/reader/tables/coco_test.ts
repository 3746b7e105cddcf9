// COCO compressed RLE: strings worked out by hand from maskApi.c
// (tests/fixtures/coco_rle.json), strings of every fixture mask from a
// Python port of maskApi.c, round trips, bad input; seg.toCoco().
import assert from "node:assert/strict";
import { join } from "node:path";
import { decodeRle, encodeRle, Mask, pl, Segmentations } from "../../../mod.ts";
import { ANALYSIS_FIXTURE, FIXTURES } from "../../_support/analysis_fixture.ts";
import { smallSampleDir } from "../../_support/helpers.ts";

interface Case {
  name: string;
  rows: string[];
  counts: number[];
  string: string;
}
const cases = (JSON.parse(
  Deno.readTextFileSync(
    join(ANALYSIS_FIXTURE, "..", "coco_rle.json"),
  ),
) as { cases: Case[] }).cases;

function maskOf(rows: string[]): Mask {
  const data = Uint8Array.from(rows.join("").split("").map(Number));
  return new Mask(rows[0].length, rows.length, data, 0);
}

Deno.test("encodeRle gives the strings worked out from maskApi.c's definition", () => {
  for (const c of cases) {
    const rle = encodeRle(maskOf(c.rows));
    assert.deepEqual(rle, {
      size: [c.rows.length, c.rows[0].length],
      counts: c.string,
    }, c.name);
  }
});

Deno.test("decodeRle reads compressed strings and uncompressed counts", () => {
  for (const c of cases) {
    const size: [number, number] = [c.rows.length, c.rows[0].length];
    const want = maskOf(c.rows).data;
    assert.deepEqual(decodeRle({ size, counts: c.string }).data, want, c.name);
    assert.deepEqual(decodeRle({ size, counts: c.counts }).data, want, c.name);
    const m = decodeRle({ size, counts: c.string });
    assert.equal(m.height, size[0]);
    assert.equal(m.width, size[1]);
  }
});

for (const { label, dir, expected } of FIXTURES) {
  Deno.test(`${label}: every mask encodes to the Python maskApi.c port's string and round-trips`, async () => {
    using seg = await Segmentations.open({ dataDir: dir });
    for (let r = 0; r < seg.length; r++) {
      const mask = seg.row(r);
      const rle = encodeRle(mask);
      assert.equal(rle.counts, expected.rle[r], `row ${r}`);
      assert.deepEqual(decodeRle(rle).data, mask.data, `row ${r}`);
    }
  });
}

Deno.test("h5wasm sample: every mask round-trips through RLE", async () => {
  using seg = await Segmentations.open({ dataDir: await smallSampleDir() });
  for await (const mask of seg.masks()) {
    const back = decodeRle(encodeRle(mask));
    assert.deepEqual(back.data, mask.data, String(mask));
  }
});

Deno.test("decodeRle: bad input is a clear error", () => {
  assert.throws(
    () => decodeRle({ size: [2, 2], counts: "02 1" }),
    (e: Error) => e instanceof TypeError && /character 2/.test(e.message),
  );
  assert.throws(
    () => decodeRle({ size: [2, 2], counts: "03" }),
    (e: Error) =>
      e instanceof RangeError && /add up to 3, not 2 x 2 = 4/.test(e.message),
  );
  assert.throws(
    () => decodeRle({ size: [2, 2], counts: "0l" }),
    TypeError,
    "truncated",
  );
  assert.throws(() => decodeRle({ size: [2, 2], counts: [0, 9] }), RangeError);
  assert.throws(
    () => decodeRle({ size: [2] as unknown as [number, number], counts: "4" }),
    TypeError,
  );
  assert.throws(
    () => encodeRle({ width: 3, height: 3, data: new Uint8Array(8) }),
    RangeError,
  );
});

/** Tight [x, y, w, h] of a mask, by a plain loop. */
function bboxOf(mask: Mask): number[] {
  let x0 = Infinity, y0 = Infinity, x1 = -1, y1 = -1;
  for (let y = 0; y < mask.height; y++) {
    for (let x = 0; x < mask.width; x++) {
      if (mask.data[y * mask.width + x]) {
        x0 = Math.min(x0, x);
        y0 = Math.min(y0, y);
        x1 = Math.max(x1, x);
        y1 = Math.max(y1, y);
      }
    }
  }
  return x1 < 0 ? [0, 0, 0, 0] : [x0, y0, x1 - x0 + 1, y1 - y0 + 1];
}

for (const { label, dir, expected } of FIXTURES) {
  Deno.test(`${label}: toCoco gives images, noun categories and one RLE annotation per CSV row`, async () => {
    using seg = await Segmentations.open({ dataDir: dir });
    const coco = await seg.toCoco();
    const meta = seg.metadata.toRecords() as Record<string, unknown>[];
    assert.deepEqual(
      coco.images.map((i) => i.file_name),
      seg.images(),
    );
    for (const image of coco.images) {
      assert.equal(image.width, seg.width);
      assert.equal(image.height, seg.height);
    }
    const nouns = [...new Set(meta.map((r) => r.noun as string))].sort((a, b) =>
      a < b ? -1 : a > b ? 1 : 0
    );
    assert.deepEqual(coco.categories.map((c) => c.name), nouns);
    assert.deepEqual(
      coco.categories.map((c) => c.id),
      nouns.map((_, k) => k + 1),
    );
    // Rows listed in no CSV row (row 30 of the analysis fixture) are not exported.
    assert.equal(coco.annotations.length, meta.length);
    coco.annotations.forEach((a, k) => {
      const r = meta[k];
      const mask = seg.row(Number(r.mask_row));
      assert.equal(a.id, Number(r.mask_row) + 1, "the id is the row + 1");
      assert.equal(a.mask_row, Number(r.mask_row));
      assert.equal(coco.images[a.image_id - 1].file_name, r.image_name);
      assert.equal(coco.categories[a.category_id - 1].name, r.noun);
      assert.equal(a.score, r.score);
      assert.equal(a.instance_id, Number(r.instance_id));
      assert.equal(a.iscrowd, 0);
      assert.equal(a.area, expected.areas[a.mask_row]);
      assert.deepEqual(a.bbox, bboxOf(mask));
      assert.equal(a.segmentation.counts, expected.rle[a.mask_row]);
      assert.deepEqual(decodeRle(a.segmentation).data, mask.data);
    });
    assert.deepEqual(JSON.parse(JSON.stringify(coco)), coco);
  });
}

Deno.test("toCoco: minScore, localizedOnly and a selection", async () => {
  using seg = await Segmentations.open({ dataDir: ANALYSIS_FIXTURE });
  const scores = seg.metadata.getColumn("score").toArray() as number[];
  const high = await seg.toCoco(undefined, { minScore: 0.6 });
  assert.equal(high.annotations.length, scores.filter((s) => s >= 0.6).length);
  assert.ok(high.annotations.every((a) => a.score! >= 0.6));
  const nouns = new Set(high.annotations.map((a) => a.category_id));
  assert.equal(high.categories.length, nouns.size, "only the nouns exported");
  const localized = await seg.toCoco(undefined, { localizedOnly: true });
  const count = Number(seg.metadata.getColumn("localized").sum());
  assert.equal(localized.annotations.length, count);
  const image = seg.images()[1];
  const one = await seg.toCoco(
    seg.metadata.filter(pl.col("image_name").eq(pl.lit(image))),
  );
  // Ids come from the whole data: the second image keeps id 2.
  assert.deepEqual(one.images.map((i) => [i.id, i.file_name]), [[2, image]]);
  assert.equal(one.annotations.length, seg.forImage(image).height);
});

Deno.test("h5wasm sample: toCoco (masks read as runs) matches encodeRle and a plain box of the decoded masks", async () => {
  using seg = await Segmentations.open({ dataDir: await smallSampleDir() });
  const coco = await seg.toCoco();
  assert.equal(coco.annotations.length, seg.metadata.height);
  for (const a of coco.annotations) {
    const mask = seg.row(a.mask_row);
    assert.equal(
      a.segmentation.counts,
      encodeRle(mask).counts,
      `row ${a.mask_row}`,
    );
    assert.deepEqual(a.bbox, bboxOf(mask), `row ${a.mask_row}`);
    assert.equal(a.area, mask.area);
  }
});
