// seg.coverage() against numpy's union areas on h5py-written fixtures
// (overlapping instances count once), its wide pivot, selections, and the
// whole-file cache (in the user cache dir, never the data folder).
import assert from "node:assert/strict";
import { join } from "node:path";
import { pl, Segmentations } from "../../../mod.ts";
import { ANALYSIS_FIXTURE, FIXTURES } from "../../_support/analysis_fixture.ts";
import { copyOfDataDir, withEnv } from "../../_support/helpers.ts";

type Row = Record<string, unknown>;

function close(a: number, b: number, what: string) {
  assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} != ${b}`);
}

for (const { label, dir, expected } of FIXTURES) {
  for (const variant of ["localized", "all"] as const) {
    Deno.test(`${label}: coverage(${variant}) equals numpy's union areas, row by row`, async () => {
      using seg = await Segmentations.open({ dataDir: dir });
      const table = await seg.coverage(undefined, {
        localizedOnly: variant === "localized",
        cache: false,
      });
      assert.deepEqual(table.columns, [
        "image_name",
        "noun",
        "masks",
        "pixels",
        "fraction",
      ]);
      const rows = table.toRecords() as Row[];
      const want = expected.coverage[variant];
      assert.equal(rows.length, want.length);
      rows.forEach((r, i) => {
        const w = want[i];
        assert.equal(r.image_name, w.image_name);
        assert.equal(r.noun, w.noun);
        assert.equal(
          Number(r.masks),
          w.masks,
          `${w.image_name} ${w.noun} masks`,
        );
        assert.equal(
          Number(r.pixels),
          w.pixels,
          `${w.image_name} ${w.noun} pixels`,
        );
        close(r.fraction as number, w.fraction, `${w.image_name} ${w.noun}`);
      });
    });
  }

  Deno.test(`${label}: coverage wide is one row per image, one column per noun, 0 where absent`, async () => {
    using seg = await Segmentations.open({ dataDir: dir });
    const want = expected.coverage.localized;
    const wide = await seg.coverage(undefined, { wide: true, cache: false });
    const images = [...new Set(want.map((r) => r.image_name))];
    const nouns = [...new Set(want.map((r) => r.noun))].sort((a, b) =>
      a < b ? -1 : a > b ? 1 : 0
    );
    assert.deepEqual(wide.columns, ["image_name", ...nouns]);
    assert.deepEqual(wide.getColumn("image_name").toArray(), images);
    const records = wide.toRecords() as Row[];
    for (const [i, image] of images.entries()) {
      for (const noun of nouns) {
        const hit = want.find((r) => r.image_name === image && r.noun === noun);
        close(
          records[i][noun] as number,
          hit?.fraction ?? 0,
          `${image} ${noun}`,
        );
      }
    }
    const pixels = await seg.coverage(undefined, {
      wide: true,
      value: "pixels",
      cache: false,
    });
    const hit = want[0];
    assert.equal(
      Number((pixels.toRecords() as Row[])[0][hit.noun]),
      hit.pixels,
    );
  });
}

Deno.test("coverage: a selection counts only its masks; rows and frames agree", async () => {
  using seg = await Segmentations.open({ dataDir: ANALYSIS_FIXTURE });
  const want = FIXTURES[1].expected.coverage.all;
  const image = want[0].image_name;
  const frame = seg.metadata.filter(pl.col("image_name").eq(pl.lit(image)));
  const byFrame = await seg.coverage(frame, { localizedOnly: false });
  const rows = (frame.getColumn("mask_row").toArray() as bigint[]).map(Number);
  const byRows = await seg.coverage(rows, { localizedOnly: false });
  const mine = want.filter((r) => r.image_name === image);
  assert.deepEqual(
    (byFrame.toRecords() as Row[]).map((r) => [r.noun, Number(r.pixels)]),
    mine.map((r) => [r.noun, r.pixels]),
  );
  assert.deepEqual(byRows.toRecords(), byFrame.toRecords());
  // Only one of the two overlapping "person" masks: its own area.
  const person = frame.filter(pl.col("noun").eq(pl.lit("person")))
    .sort("instance_id").head(1);
  const one = await seg.coverage(person);
  assert.equal(
    Number(one.getColumn("pixels").get(0)),
    seg.get(image, "person", 0).area,
  );
  // The HDF5 row no CSV row lists belongs to no image: left out.
  assert.equal((await seg.coverage([seg.length - 1])).height, 0);
  await assert.rejects(() => seg.coverage([seg.length]), RangeError);
});

Deno.test("coverage: the h5wasm reader, chosen at open, gives the same table", async () => {
  using seg = await Segmentations.open({ dataDir: ANALYSIS_FIXTURE });
  using forced = await Segmentations.open({
    dataDir: ANALYSIS_FIXTURE,
    reader: "h5wasm",
  });
  assert.equal(forced.reader, "h5wasm");
  const a = await seg.coverage(undefined, { cache: false });
  const b = await forced.coverage(undefined, { cache: false });
  assert.deepEqual(a.toRecords(), b.toRecords());
});

Deno.test("coverage: the whole file's table is cached in the user cache dir, keyed by both files", async () => {
  const dataDir = await copyOfDataDir(ANALYSIS_FIXTURE);
  const cacheHome = await Deno.makeTempDir({ prefix: "seg-cache-" });
  try {
    await withEnv({ XDG_CACHE_HOME: cacheHome }, async () => {
      const stimuli = join(dataDir, "stimuli");
      const before = [...Deno.readDirSync(stimuli)].map((e) => e.name).sort();
      const cacheDir = join(cacheHome, "laion-fmri-segmentations", "coverage");
      const cached = () => {
        try {
          return [...Deno.readDirSync(cacheDir)].map((e) => e.name).sort();
        } catch {
          return [];
        }
      };
      let first: pl.DataFrame;
      {
        using seg = await Segmentations.open({ dataDir });
        first = await seg.coverage();
      }
      assert.equal(cached().length, 1, "one cache file");
      assert.deepEqual(
        [...Deno.readDirSync(stimuli)].map((e) => e.name).sort(),
        before,
        "nothing written into the data folder",
      );
      // The cached table answers every variant.
      {
        using seg = await Segmentations.open({ dataDir });
        const again = await seg.coverage(undefined, { localizedOnly: false });
        const fresh = await seg.coverage(undefined, {
          localizedOnly: false,
          cache: false,
        });
        assert.deepEqual(again.toRecords(), fresh.toRecords());
        assert.deepEqual((await seg.coverage()).toRecords(), first.toRecords());
      }
      assert.equal(cached().length, 1);
      // A changed CSV (same size, other content) is a new key: never stale.
      const csv = join(stimuli, "task-images_desc-segmentations_metadata.csv");
      const text = await Deno.readTextFile(csv);
      await Deno.writeTextFile(csv, text.replace(",person,", ",humán,"));
      {
        using seg = await Segmentations.open({ dataDir });
        const changed = await seg.coverage();
        assert.ok(
          (changed.getColumn("noun").toArray() as string[]).includes("humán"),
        );
      }
      assert.equal(cached().length, 2);
      // A corrupt cache file is recomputed, not trusted.
      for (const name of cached()) {
        await Deno.writeTextFile(join(cacheDir, name), "not parquet");
      }
      using seg = await Segmentations.open({ dataDir });
      assert.ok((await seg.coverage()).height > 0);
    });
  } finally {
    await Deno.remove(dataDir, { recursive: true });
    await Deno.remove(cacheHome, { recursive: true });
  }
});
