// Every answer right or an error (issue 21), on h5py-written files: every
// bulk reader refuses a damaged row naming the file and the row, while the
// other rows stay readable; wide tables keep every row they stand for;
// nouns, options and image names are checked; COCO ids do not depend on
// the selection.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  meanMask,
  nounHeatmap,
  pl,
  Segmentations,
  show,
  StimulusArchive,
} from "../../mod.ts";
import { ANALYSIS_FIXTURE } from "../_support/analysis_fixture.ts";
import {
  copyOfDataDir,
  H5PY_FIXTURE,
  h5pyAvailable,
  PYTHON,
  tempDirAtExit,
  withEnv,
} from "../_support/helpers.ts";

const H5 = "task-images_desc-segmentations.h5";
const CSV = "task-images_desc-segmentations_metadata.csv";

/** The damaged files of tests/fixtures/make_table_damage.py, by case: the row each damages. */
const CASES = {
  value_255: 3,
  unwritten_5: 5,
  fletcher_5: 5,
  adler_5: 5,
} as const;
type Case = keyof typeof CASES;

const damaged: Promise<string> = (async () => {
  assert.ok(await h5pyAvailable(), "h5py writes the damaged files");
  const out = await tempDirAtExit("seg-damage-");
  const run = await new Deno.Command(PYTHON, {
    args: [
      new URL("../fixtures/make_table_damage.py", import.meta.url).pathname,
      join(ANALYSIS_FIXTURE, "stimuli", H5),
      out,
    ],
    stderr: "piped",
  }).output();
  assert.equal(run.code, 0, new TextDecoder().decode(run.stderr));
  return out;
})();

/** A data dir with the analysis fixture's CSV and the damaged HDF5 file of `name`. */
async function damagedDataDir(name: Case): Promise<string> {
  const dir = await copyOfDataDir(ANALYSIS_FIXTURE, [CSV]);
  await Deno.copyFile(
    join(await damaged, `${name}.h5`),
    join(dir, "stimuli", H5),
  );
  return dir;
}

/** Rejects with an error naming the file and `row`. */
async function namesRow(
  label: string,
  h5: string,
  row: number,
  fn: () => Promise<unknown>,
): Promise<void> {
  await assert.rejects(fn, (err: Error) => {
    assert.ok(
      err.message.includes(h5),
      `${label}: names the file: ${err.message}`,
    );
    assert.match(err.message, new RegExp(`\\brow ${row}\\b`), label);
    return true;
  }, label);
}

for (const [name, row] of Object.entries(CASES) as [Case, number][]) {
  for (const reader of ["auto", "h5wasm"] as const) {
    Deno.test(`${name} (${reader} reader): every bulk reader refuses row ${row}, naming the file; other rows stay readable`, async () => {
      const dataDir = await damagedDataDir(name);
      const cacheHome = await tempDirAtExit("seg-cache-");
      await withEnv({ XDG_CACHE_HOME: cacheHome }, async () => {
        using seg = await Segmentations.open({ dataDir, reader });
        const h5 = seg.paths.h5;
        const noun = seg.metadata.filter(pl.col("mask_row").eq(row))
          .getColumn("noun").get(0) as string;
        await namesRow(
          "row()",
          h5,
          row,
          () => Promise.resolve().then(() => seg.row(row)),
        );
        await namesRow(
          "stats()",
          h5,
          row,
          () => seg.stats(undefined, { cache: false }),
        );
        await namesRow("coverage()", h5, row, () => seg.coverage());
        await namesRow(
          "coverage({ wide })",
          h5,
          row,
          () => seg.coverage(undefined, { wide: true, cache: false }),
        );
        await namesRow("grids()", h5, row, () => seg.grids());
        await namesRow("toCoco()", h5, row, () => seg.toCoco());
        await namesRow("masks()", h5, row, async () => {
          for await (const _ of seg.masks()) { /* read them all */ }
        });
        await namesRow(
          "meanMask()",
          h5,
          row,
          () => meanMask(seg, noun, { progress: false }),
        );
        await namesRow(
          "nounHeatmap()",
          h5,
          row,
          () => nounHeatmap(seg, noun, { progress: false }),
        );
        // Nothing was cached from a refused file.
        // (The file digest's memo is not a table.)
        const cached = [...walk(cacheHome)].filter((p) =>
          !p.includes("/digests/")
        );
        assert.deepEqual(cached, [], "no cache of a refused table");

        // The other rows: exactly the clean fixture's answers.
        using clean = await Segmentations.open({ dataDir: ANALYSIS_FIXTURE });
        const others = seg.metadata.filter(pl.col("mask_row").neq(row));
        assert.deepEqual(seg.row(0).data, clean.row(0).data);
        assert.deepEqual(
          (await seg.coverage(others)).toRecords(),
          (await clean.coverage(others)).toRecords(),
        );
        const rows = others.getColumn("mask_row").toArray() as number[];
        assert.deepEqual(
          (await seg.grids(rows, { size: 4 })).data,
          (await clean.grids(rows, { size: 4 })).data,
        );
        const a = await seg.toCoco(others), b = await clean.toCoco(others);
        assert.deepEqual(a.annotations, b.annotations);
        assert.deepEqual(
          (await seg.stats(others, { cache: false })).toRecords(),
          (await clean.stats(others, { cache: false })).toRecords(),
        );
      });
    });
  }
}

function* walk(dir: string): Generator<string> {
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* walk(path);
    else yield path;
  }
}

Deno.test("wide coverage: one row per image of seg.images(), also an image without a localized mask", async () => {
  const dataDir = await copyOfDataDir(ANALYSIS_FIXTURE);
  // Image 2005 loses every localized mask: the matrix keeps its row, zeros.
  const csvPath = join(dataDir, "stimuli", CSV);
  const lines = (await Deno.readTextFile(csvPath)).split("\n");
  const edited = lines.map((line) =>
    line.includes("cluster_2005_i1.jpg")
      ? line.replace(/,1,(shared_[^,]*\.png)$/, ",0,$1")
      : line
  );
  assert.notDeepEqual(edited, lines, "the edit applies");
  await Deno.writeTextFile(csvPath, edited.join("\n"));
  using seg = await Segmentations.open({ dataDir });
  const images = seg.images();
  assert.ok(images.includes("shared_12rep_LAION_cluster_2005_i1.jpg"));
  const wide = await seg.coverage(undefined, { wide: true, cache: false });
  assert.deepEqual(wide.getColumn("image_name").toArray(), images);
  const row = images.indexOf("shared_12rep_LAION_cluster_2005_i1.jpg");
  const values = wide.row(row).slice(1) as number[];
  assert.ok(values.every((v) => v === 0), "a row of zeros");
  // Long table: that image has no (localized) entries.
  const long = await seg.coverage(undefined, { cache: false });
  assert.ok(
    !(long.getColumn("image_name").toArray() as string[]).includes(images[row]),
  );
  // A score filter: every image keeps its row too.
  const high = await seg.coverage(undefined, { wide: true, minScore: 0.9 });
  assert.deepEqual(high.getColumn("image_name").toArray(), images);
  // A selection: its images, in seg.images() order.
  const two = seg.metadata.filter(
    pl.col("image_name").isIn([images[3], images[0]]),
  );
  const sel = await seg.coverage(two, { wide: true });
  assert.deepEqual(sel.getColumn("image_name").toArray(), [
    images[0],
    images[3],
  ]);
  // Trials: one row per trial, in event order.
  const events = pl.DataFrame({
    onset: [0, 4, 8, 12],
    image_name: [images[2], "unique_sub-01_0001.jpg", images[row], images[2]],
  });
  const trials = await seg.trials(events).coverage({ wide: true });
  assert.equal(trials.height, 4);
  assert.deepEqual(trials.getColumn("trial").toArray(), [0, 1, 2, 3]);
});

Deno.test("coverage with minScore and nouns: the one filter, checked", async () => {
  using seg = await Segmentations.open({ dataDir: ANALYSIS_FIXTURE });
  const cups = await seg.coverage(undefined, { nouns: ["cup"] });
  assert.deepEqual([...new Set(cups.getColumn("noun").toArray())], ["cup"]);
  const all = await seg.coverage(undefined, { cache: false });
  assert.deepEqual(
    cups.toRecords(),
    all.filter(pl.col("noun").eq(pl.lit("cup"))).toRecords(),
  );
  const high = await seg.coverage(undefined, { minScore: 0.9 });
  const byHand = await seg.coverage(
    seg.metadata.filter(pl.col("score").gtEq(0.9)),
  );
  assert.deepEqual(high.toRecords(), byHand.toRecords());
  await assert.rejects(
    () => seg.coverage(undefined, { nouns: ["cups"] }),
    (e: Error) =>
      e instanceof RangeError && /Did you mean "cup"/.test(e.message),
  );
});

Deno.test("nouns are checked: a typo is an error with the closest nouns, never an empty answer", async () => {
  using seg = await Segmentations.open({ dataDir: ANALYSIS_FIXTURE });
  const image = seg.images()[0];
  const cases: [string, () => unknown][] = [
    ["imagesWith allOf", () => seg.imagesWith({ allOf: ["persn"] })],
    ["imagesWith anyOf", () => seg.imagesWith({ anyOf: ["Person"] })],
    ["imagesWith noneOf", () => seg.imagesWith({ noneOf: ["persn"] })],
    ["toCoco nouns", () => seg.toCoco(undefined, { nouns: ["persn"] })],
    ["show nouns", () => show(seg, image, { nouns: ["persn"] })],
    ["seg.show nouns", () => seg.show(image, { nouns: ["Person"] })],
    ["nounHeatmap", () => nounHeatmap(seg, "persn", { progress: false })],
    ["meanMask", () => meanMask(seg, "Person", { progress: false })],
  ];
  for (const [label, fn] of cases) {
    await assert.rejects(
      async () => await fn(),
      (e: Error) => {
        assert.ok(e instanceof RangeError, `${label}: ${e}`);
        assert.match(e.message, /Did you mean "person"/, label);
        return true;
      },
      label,
    );
  }
  // A noun of the data that this image lacks: show says so.
  await assert.rejects(
    () => seg.show(image, { nouns: ["dog"] }),
    (e: Error) => e.message.includes(image) && e.message.includes('"dog"'),
  );
  // Right nouns still answer.
  assert.ok(seg.imagesWith({ allOf: ["person"] }).length > 0);
  assert.equal(
    seg.imagesWith({ noneOf: ["person"] }).length,
    seg.images().length - seg.imagesWith({ anyOf: ["person"] }).length,
  );
});

Deno.test("image names: a near miss of an image with masks warns once; other names stay quiet empty answers", async () => {
  using seg = await Segmentations.open({ dataDir: ANALYSIS_FIXTURE });
  const image = seg.images()[0];
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => warnings.push(args.join(" "));
  try {
    const stem = image.replace(/\.jpg$/, "");
    assert.equal(seg.forImage(stem).height, 0);
    assert.deepEqual(seg.nouns(stem), []);
    assert.deepEqual(seg.nouns(image.toUpperCase()), []);
    assert.equal(warnings.length, 2, warnings.join("\n"));
    assert.ok(warnings[0].includes(`Did you mean ${JSON.stringify(image)}`));
    // A subject-unique stimulus, or another instance of the cluster: no warning.
    assert.deepEqual(seg.nouns("unique_sub-01_LAION_cluster_0001_i0.jpg"), []);
    assert.deepEqual(seg.nouns(image.replace("_i0.jpg", "_i3.jpg")), []);
    assert.equal(warnings.length, 2, warnings.join("\n"));
  } finally {
    console.warn = warn;
  }
});

Deno.test("options are checked: unknown names get a did-you-mean, options in the selection's place get 'options go second'", async () => {
  using seg = await Segmentations.open({ dataDir: H5PY_FIXTURE });
  const typo = async (
    label: string,
    fn: () => unknown,
    pattern: RegExp,
  ) => {
    await assert.rejects(async () => await fn(), (e: Error) => {
      assert.ok(e instanceof TypeError, `${label}: ${e}`);
      assert.match(e.message, pattern, label);
      return true;
    }, label);
  };
  await typo(
    "toCoco",
    () => seg.toCoco(undefined, { min_score: 0.5 } as never),
    /seg\.toCoco: unknown option "min_score".*did you mean "minScore"/,
  );
  await typo(
    "coverage",
    () => seg.coverage(undefined, { wdie: true } as never),
    /did you mean "wide"/,
  );
  await typo(
    "coverage workers",
    () => seg.coverage(undefined, { workers: 2 } as never),
    /unknown option "workers"/,
  );
  await typo(
    "grids",
    () => seg.grids(undefined, { sise: 4 } as never),
    /did you mean "size"/,
  );
  const trials = seg.trials(pl.DataFrame({ image_name: seg.images() }));
  await typo(
    "trials.coverage",
    () => trials.coverage({ wdie: true } as never),
    /trials\.coverage: unknown option "wdie".*did you mean "wide"/,
  );
  await typo(
    "trials.nouns",
    () => trials.nouns(0, { localizedonly: false } as never),
    /did you mean "localizedOnly"/,
  );
  await typo(
    "mask.display",
    () => seg.row(0).display({ sise: 300 } as never),
    /mask\.display: unknown option "sise".*did you mean "size"/,
  );
  await typo(
    "options first",
    () => seg.coverage({ wide: true } as never),
    /Options go second: seg\.coverage\(undefined, \{"wide":true\}\)/,
  );
  await typo(
    "options first (toCoco)",
    () => seg.toCoco({ minScore: 0.5 } as never),
    /Options go second/,
  );
  assert.throws(
    () => seg.row(1.5),
    (e: Error) =>
      e instanceof RangeError && /must be an integer/.test(e.message),
  );
});

Deno.test("stimulus image options are checked", async () => {
  using images = new StimulusArchive(H5PY_FIXTURE);
  const name = images.names()[0];
  await assert.rejects(
    () => images.image(name, { asDisplay: false } as never),
    /images\.image: unknown option "asDisplay".*did you mean "asDisplayed"/,
  );
  assert.throws(
    () => new StimulusArchive(H5PY_FIXTURE, { readr: "h5wasm" } as never),
    /did you mean "reader"/,
  );
});

Deno.test("COCO ids come from the whole data: exports of parts merge into the whole export", async () => {
  using seg = await Segmentations.open({ dataDir: ANALYSIS_FIXTURE });
  const whole = await seg.toCoco();
  const [a, b] = [seg.images()[3], seg.images()[1]];
  const parts = await Promise.all(
    [a, b].map((image) =>
      seg.toCoco(seg.metadata.filter(pl.col("image_name").eq(pl.lit(image))))
    ),
  );
  const byId = <T extends { id: number }>(items: T[]) =>
    [...new Map(items.map((x) => [x.id, x])).values()].sort((x, y) =>
      x.id - y.id
    );
  const merged = {
    images: byId(parts.flatMap((p) => p.images)),
    categories: byId(parts.flatMap((p) => p.categories)),
    annotations: byId(parts.flatMap((p) => p.annotations)),
  };
  const names = new Set([a, b]);
  const expected = {
    images: whole.images.filter((i) => names.has(i.file_name)),
    annotations: byId(
      whole.annotations.filter((x) =>
        names.has(whole.images.find((i) => i.id === x.image_id)!.file_name)
      ),
    ),
  };
  const categoryIds = new Set(expected.annotations.map((x) => x.category_id));
  assert.deepEqual(merged.images, expected.images);
  assert.deepEqual(merged.annotations, expected.annotations);
  assert.deepEqual(
    merged.categories,
    whole.categories.filter((c) => categoryIds.has(c.id)),
  );
  // Annotation ids are unique across the merge.
  assert.equal(
    new Set(merged.annotations.map((x) => x.id)).size,
    merged.annotations.length,
  );
});

Deno.test("a data dir pointed at the stimuli/ folder itself names its parent", async () => {
  const dataDir = await copyOfDataDir(ANALYSIS_FIXTURE);
  await assert.rejects(
    () => Segmentations.open({ dataDir: join(dataDir, "stimuli") }),
    (e: Error) =>
      e instanceof Deno.errors.NotFound &&
      e.message.includes("stimuli/ folder itself") &&
      e.message.includes(JSON.stringify(dataDir)),
  );
});
