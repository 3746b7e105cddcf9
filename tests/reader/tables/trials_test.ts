// seg.trials(): a BIDS events TSV (written by the fixture script) or a
// Polars frame, trial by trial, with empty answers for subject-unique images.
import assert from "node:assert/strict";
import { join } from "node:path";
import { MaskNotFoundError, pl, Segmentations } from "../../../mod.ts";
import { ANALYSIS_FIXTURE, FIXTURES } from "../../_support/analysis_fixture.ts";

const EVENTS = join(ANALYSIS_FIXTURE, "events.tsv");

/** The events file's labels, read without the module. */
function labels(): string[] {
  return Deno.readTextFileSync(EVENTS).trim().split("\n").slice(1).map((l) =>
    l.split("\t")[3]
  );
}

Deno.test("trials: an events TSV's labels name images with or without extension", async () => {
  using seg = await Segmentations.open({ dataDir: ANALYSIS_FIXTURE });
  const trials = seg.trials(EVENTS);
  const raw = labels();
  assert.equal(trials.length, raw.length);
  assert.equal(trials.imageColumn, "label");
  assert.deepEqual(trials.table.columns, [
    "onset",
    "duration",
    "trial_type",
    "label",
  ]);
  const images = new Set(seg.images());
  raw.forEach((label, t) => {
    const image = [label, `${label}.jpg`].find((n) => images.has(n));
    assert.equal(trials.hasImage(t), image !== undefined, `trial ${t}`);
    if (image) {
      assert.equal(trials.imageName(t), image);
      assert.deepEqual(trials.nouns(t), seg.nouns(image));
      assert.deepEqual(
        trials.nouns(t, { localizedOnly: false }),
        seg.nouns(image, { localizedOnly: false }),
      );
      assert.deepEqual(
        trials.forImage(t).toRecords(),
        seg.forImage(image).toRecords(),
      );
      const noun = seg.nouns(image)[0];
      assert.equal(trials.get(t, noun).maskRow, seg.get(image, noun).maskRow);
    } else {
      // Subject-unique images and n/a: empty answers, not errors.
      assert.deepEqual(trials.nouns(t), []);
      assert.equal(trials.forImage(t).height, 0);
      assert.deepEqual(trials.forImage(t).columns, seg.metadata.columns);
      assert.equal(trials.imageName(t), label === "n/a" ? null : label);
      assert.throws(() => trials.get(t, "person"), MaskNotFoundError);
    }
  });
  assert.match(String(trials), /8 trials, 5 with masks/);
  assert.throws(() => trials.hasImage(8), RangeError);
  assert.throws(() => trials.nouns(-1), RangeError);
});

Deno.test("trials: coverage is one row per (trial, noun), wide one row per trial", async () => {
  using seg = await Segmentations.open({ dataDir: ANALYSIS_FIXTURE });
  const trials = seg.trials(EVENTS);
  const want = FIXTURES[1].expected.coverage.localized;
  const long = await trials.coverage({ cache: false });
  assert.deepEqual(long.columns, [
    "trial",
    "image_name",
    "noun",
    "masks",
    "pixels",
    "fraction",
  ]);
  const expectedRows = [...Array(trials.length).keys()].flatMap((t) =>
    want.filter((r) => r.image_name === trials.imageName(t)).map((r) => [
      t,
      r.image_name,
      r.noun,
      r.pixels,
    ])
  );
  assert.deepEqual(
    (long.toRecords() as Record<string, unknown>[]).map((r) => [
      Number(r.trial),
      r.image_name,
      r.noun,
      Number(r.pixels),
    ]),
    expectedRows,
  );
  const wide = await trials.coverage({ wide: true, cache: false });
  assert.equal(wide.height, trials.length);
  assert.deepEqual(wide.columns.slice(0, 2), ["trial", "image_name"]);
  const records = wide.toRecords() as Record<string, unknown>[];
  for (let t = 0; t < trials.length; t++) {
    for (const noun of wide.columns.slice(2)) {
      const hit = want.find((r) =>
        r.image_name === trials.imageName(t) && r.noun === noun
      );
      assert.ok(
        Math.abs((records[t][noun] as number) - (hit?.fraction ?? 0)) < 1e-12,
      );
    }
  }
  // The same image shown twice gives the same row twice.
  assert.deepEqual(
    wide.columns.slice(2).map((n) => records[0][n]),
    wide.columns.slice(2).map((n) => records[5][n]),
  );
});

Deno.test("trials: a Polars frame with an image_name column", async () => {
  using seg = await Segmentations.open({ dataDir: ANALYSIS_FIXTURE });
  const [a, b] = seg.images();
  const trials = seg.trials(
    pl.DataFrame({ image_name: [b, "unique_sub-02_0007.jpg", b, a] }),
  );
  assert.equal(trials.imageColumn, "image_name");
  assert.deepEqual([0, 1, 2, 3].map((t) => trials.hasImage(t)), [
    true,
    false,
    true,
    true,
  ]);
  const wide = await trials.coverage({
    wide: true,
    value: "masks",
    localizedOnly: false,
  });
  assert.equal(wide.height, 4);
  const nouns = new Set([
    ...seg.nouns(a, { localizedOnly: false }),
    ...seg.nouns(b, { localizedOnly: false }),
  ]);
  assert.deepEqual(new Set(wide.columns.slice(2)), nouns);
  const records = wide.toRecords() as Record<string, unknown>[];
  for (const noun of nouns) {
    const count =
      seg.forImage(b).filter(pl.col("noun").eq(pl.lit(noun))).height;
    assert.equal(Number(records[0][noun]), count);
    assert.equal(Number(records[1][noun]), 0);
  }
});

Deno.test("trials: a BIDS stim_file column of paths", async () => {
  using seg = await Segmentations.open({ dataDir: ANALYSIS_FIXTURE });
  const [a] = seg.images();
  const trials = seg.trials(
    pl.DataFrame({
      stim_file: [`stimuli/${a}`, "stimuli/unique_sub-01_0009.jpg"],
    }),
  );
  assert.equal(trials.imageColumn, "stim_file");
  assert.equal(trials.imageName(0), a);
  assert.deepEqual(trials.nouns(0), seg.nouns(a));
  assert.equal(trials.hasImage(1), false);
});

Deno.test("trials: a table without an image column, or an unreadable file, is a TypeError", async () => {
  using seg = await Segmentations.open({ dataDir: ANALYSIS_FIXTURE });
  assert.throws(
    () => seg.trials(pl.DataFrame({ onset: [0], stim: ["x"] })),
    (e: Error) =>
      e instanceof TypeError &&
      /image_name, label or stim_file/.test(e.message) &&
      /onset, stim/.test(e.message),
  );
  const missing = join(ANALYSIS_FIXTURE, "no-such-events.tsv");
  assert.throws(
    () => seg.trials(missing),
    (e: Error) => e instanceof TypeError && e.message.includes(missing),
  );
});
