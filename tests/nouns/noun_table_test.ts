// nounTable, withNouns, groupOf and nounCounts({ by }) on the synthetic
// sample and on the h5py-written analysis fixture; the cache in the user
// cache dir; overrides from a frame and a CSV file, and their errors.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describeNouns, pl, Segmentations } from "../../mod.ts";
import { groupOf, nounTable, withNouns } from "../../lib/reader/noun_table.ts";
import { nounCounts } from "../../lib/reader/noun_counts.ts";
import {
  copyOfDataDir,
  scopedTempDir,
  smallSampleDir,
  withEnv,
} from "../_support/helpers.ts";
import { ANALYSIS_FIXTURE } from "../_support/analysis_fixture.ts";

const sampleDir = await smallSampleDir();

/** Runs `fn` with a fresh, private user cache dir; returns the nouns cache's files too. */
async function withCache<T>(
  fn: (files: () => string[], home: string) => Promise<T>,
): Promise<T> {
  await using home = await scopedTempDir("seg-nouns-cache-");
  const dir = join(home.path, "laion-fmri-segmentations", "nouns");
  const files = () => {
    try {
      return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    } catch {
      return [];
    }
  };
  return await withEnv(
    { XDG_CACHE_HOME: home.path },
    () => fn(files, home.path),
  );
}

Deno.test("nounTable: one row per distinct noun with describeNouns' columns and the counts of nounCounts", async () => {
  using seg = await Segmentations.open({ dataDir: sampleDir });
  await withCache(async () => {
    const table = await nounTable(seg.metadata);
    assert.deepEqual(table.columns, [
      "noun",
      "head",
      "term",
      "supersense",
      "category",
      "masks",
      "images",
    ]);
    const counts = nounCounts(seg.metadata);
    assert.equal(table.height, counts.height);
    assert.deepEqual(
      table.select("noun", "masks", "images").toRecords(),
      counts.toRecords(),
    );
    const nouns = table.getColumn("noun").toArray() as string[];
    const described = await describeNouns(nouns);
    assert.deepEqual(
      table.select("noun", "head", "term", "supersense", "category")
        .toRecords(),
      described.toRecords(),
    );
    const row = (noun: string) =>
      table.filter(pl.col("noun").eq(pl.lit(noun))).toRecords()[0];
    assert.deepEqual(
      [
        row("short , pale pink polished nails").head,
        row("short , pale pink polished nails").category,
      ],
      ["nail", "body"],
    );
    assert.equal(row("young woman in a red coat").term, "young woman");
    assert.equal(row("young woman in a red coat").head, "woman");
  });
});

Deno.test("nounTable: counts the rows of frame, described from the whole metadata", async () => {
  using seg = await Segmentations.open({ dataDir: sampleDir });
  await withCache(async () => {
    const confident = seg.metadata.filter(pl.col("score").gt(0.6));
    const table = await nounTable(seg.metadata, { frame: confident });
    assert.deepEqual(
      table.select("noun", "masks", "images").toRecords(),
      nounCounts(confident).toRecords(),
    );
    const stranger = pl.DataFrame({
      noun: ["zebra crossing"],
      image_name: ["x.jpg"],
    });
    await assert.rejects(
      nounTable(seg.metadata, { frame: stranger }),
      /nouns that metadata lacks \("zebra crossing"\)/,
    );
  });
});

Deno.test("nounTable: cached in the user cache dir by the nouns' content; a warm call reads the cache", async () => {
  using seg = await Segmentations.open({ dataDir: sampleDir });
  await withCache(async (files, home) => {
    const cold = await nounTable(seg.metadata);
    const written = files();
    assert.equal(written.length, 1);
    assert.match(written[0], /^nouns-[0-9a-f]{32}\.json$/);
    // A marked cache proves the warm call reads it rather than computing.
    const path = join(home, "laion-fmri-segmentations", "nouns", written[0]);
    const json = JSON.parse(Deno.readTextFileSync(path));
    const i = json.noun.indexOf("bird");
    json.category[i] = "food";
    Deno.writeTextFileSync(path, JSON.stringify(json));
    const warm = await nounTable(seg.metadata);
    const bird = (t: pl.DataFrame) =>
      t.filter(pl.col("noun").eq(pl.lit("bird"))).getColumn("category")
        .toArray()[0];
    assert.equal(bird(cold), "animal");
    assert.equal(bird(warm), "food");
    assert.equal(
      bird(await nounTable(seg.metadata, { cache: false })),
      "animal",
    );
    // A damaged cache is computed anew and rewritten.
    Deno.writeTextFileSync(path, "{ not json");
    assert.equal(bird(await nounTable(seg.metadata)), "animal");
    assert.equal(
      JSON.parse(Deno.readTextFileSync(path)).noun.length,
      cold.height,
    );
    // Other nouns (an edited CSV) are another key: never a stale answer.
    const edited = seg.metadata.withColumns(
      pl.when(pl.col("noun").eq(pl.lit("bird"))).then(pl.lit("hot dog"))
        .otherwise(pl.col("noun")).alias("noun"),
    );
    const table = await nounTable(edited);
    assert.equal(files().length, 2);
    assert.deepEqual(
      table.filter(pl.col("noun").eq(pl.lit("hot dog"))).select(
        "head",
        "category",
      ).toRecords(),
      [{ head: "hot dog", category: "food" }],
    );
    // Overrides are part of the key.
    const overrides = pl.DataFrame({ noun: ["bird"], category: ["other"] });
    assert.equal(bird(await nounTable(seg.metadata, { overrides })), "other");
    assert.equal(files().length, 3);
  });
});

Deno.test("nounTable: the h5py-written analysis fixture (quoted comma, accents, a number as noun)", async () => {
  const dataDir = await copyOfDataDir(ANALYSIS_FIXTURE);
  using seg = await Segmentations.open({ dataDir });
  await withCache(async () => {
    const table = await nounTable(seg.metadata);
    const by = Object.fromEntries(
      (table.toRecords() as Record<string, unknown>[]).map((r) => [r.noun, r]),
    );
    assert.equal(table.height, 14);
    assert.equal(
      (table.getColumn("masks").toArray() as number[]).reduce((a, b) => a + b),
      seg.metadata.height,
    );
    const pick = (noun: string) => {
      const r = by[noun] as Record<string, unknown>;
      return [r.head, r.supersense, r.category];
    };
    assert.deepEqual(pick("person"), ["person", "noun.Tops", "person"]);
    assert.deepEqual(pick("dog"), ["dog", "noun.animal", "animal"]);
    assert.deepEqual(pick("car"), ["car", "noun.artifact", "vehicle"]);
    assert.deepEqual(pick("tree"), ["tree", "noun.plant", "plant"]);
    assert.deepEqual(pick("sky"), ["sky", "noun.object", "place"]);
    assert.deepEqual(pick("road"), ["road", "noun.artifact", "place"]);
    assert.deepEqual(pick("sign"), ["sign", "noun.communication", "text"]);
    assert.deepEqual(pick('hat, "red"'), ["hat", "noun.artifact", "clothing"]);
    // "7" has no noun; "café crème" is not in WordNet: a head, no sense.
    assert.deepEqual(pick("7"), [null, null, "other"]);
    assert.deepEqual(pick("café crème"), ["crème", null, "other"]);
    assert.equal((by["café crème"] as Record<string, unknown>).term, null);
  });
});

Deno.test("withNouns: adds head, term, supersense and category to each row, order kept", async () => {
  using seg = await Segmentations.open({ dataDir: sampleDir });
  await withCache(async () => {
    const frame = seg.metadata.filter(pl.col("score").gt(0.5)).sort("score");
    const joined = await withNouns(seg.metadata, { frame });
    assert.deepEqual(joined.columns, [
      ...frame.columns,
      "head",
      "term",
      "supersense",
      "category",
    ]);
    assert.deepEqual(
      joined.select(...frame.columns).toRecords(),
      frame.toRecords(),
    );
    const described = await describeNouns(frame.getColumn("noun"));
    assert.deepEqual(
      joined.select("noun", "head", "term", "supersense", "category")
        .toRecords(),
      described.toRecords(),
    );
    await assert.rejects(
      withNouns(joined),
      /already has head, term, supersense, category; pass a frame without them/,
    );
    await assert.rejects(
      withNouns(seg.metadata, { by: "category" } as never),
      /unknown option "by"/,
    );
  });
});

Deno.test("groupOf: the label of each row under each grouping", async () => {
  using seg = await Segmentations.open({ dataDir: sampleDir });
  await withCache(async () => {
    const joined = await withNouns(seg.metadata);
    for (const by of ["head", "category", "supersense"] as const) {
      const labels = await groupOf(seg.metadata, by);
      assert.equal(labels.name, by);
      assert.deepEqual(labels.toArray(), joined.getColumn(by).toArray());
      // A frame that already has the column is answered from it.
      assert.deepEqual(
        (await groupOf(joined, by)).toArray(),
        joined.getColumn(by).toArray(),
      );
    }
    assert.deepEqual(
      (await groupOf(seg.metadata, "noun")).toArray(),
      seg.metadata.getColumn("noun").toArray(),
    );
    // The overrides alone as third argument, as a frame or a CSV path.
    const overrides = pl.DataFrame({ noun: ["bird"], category: ["other"] });
    const viaFrame = (await groupOf(seg.metadata, "category", overrides))
      .toArray();
    const nouns = seg.metadata.getColumn("noun").toArray();
    const plain = joined.getColumn("category").toArray();
    assert.deepEqual(
      viaFrame,
      plain.map((c, i) => (nouns[i] === "bird" ? "other" : c)),
    );
    await using tmp = await scopedTempDir("seg-overrides-");
    const csv = join(tmp.path, "o.csv");
    Deno.writeTextFileSync(csv, "noun,category\nbird,other\n");
    assert.deepEqual(
      (await groupOf(seg.metadata, "category", csv)).toArray(),
      viaFrame,
    );
    await assert.rejects(
      groupOf(seg.metadata, "kind" as never),
      /groupOf: by must be one of "noun", "head", "category", "supersense"; got the string "kind"/,
    );
  });
});

Deno.test("nounCounts({ by }): masks, images and distinct nouns per group, equal to a hand count", async () => {
  using seg = await Segmentations.open({ dataDir: sampleDir });
  await withCache(async () => {
    const joined = await withNouns(seg.metadata);
    const table = await nounTable(seg.metadata);
    for (const by of ["head", "category", "supersense"] as const) {
      const counts = nounCounts(joined, { by });
      assert.deepEqual(counts.columns, [by, "masks", "images", "nouns"]);
      assert.deepEqual(
        nounCounts(seg.metadata, { by, nouns: table }).toRecords(),
        counts.toRecords(),
      );
      // By hand: a map from label to masks, image set and noun set.
      const labels = joined.getColumn(by).toArray() as (string | null)[];
      const images = joined.getColumn("image_name").toArray() as string[];
      const nouns = joined.getColumn("noun").toArray() as string[];
      const hand = new Map<
        string | null,
        { masks: number; images: Set<string>; nouns: Set<string> }
      >();
      labels.forEach((l, i) => {
        let g = hand.get(l);
        if (!g) {
          hand.set(l, g = { masks: 0, images: new Set(), nouns: new Set() });
        }
        g.masks++;
        g.images.add(images[i]);
        g.nouns.add(nouns[i]);
      });
      const rows = counts.toRecords() as Record<string, unknown>[];
      assert.equal(rows.length, hand.size);
      for (const r of rows) {
        const g = hand.get(r[by] as string | null)!;
        assert.deepEqual(
          [r.masks, r.images, r.nouns],
          [g.masks, g.images.size, g.nouns.size],
          `${by} ${r[by]}`,
        );
      }
      const masks = rows.map((r) => r.masks as number);
      assert.deepEqual(masks, [...masks].sort((a, b) => b - a));
    }
    assert.throws(
      () => nounCounts(seg.metadata, { by: "category" }),
      /nounCounts: by "category" needs each noun's category: pass a frame from await seg.withNouns\(frame\), or \{ nouns: await seg.nounTable\(\) \}/,
    );
    assert.throws(
      () => nounCounts(seg.metadata, { by: "colour" as never }),
      /by must be one of "noun", "head", "category", "supersense"; got the string "colour"/,
    );
    assert.throws(
      () => nounCounts(seg.metadata, { top: 3 } as never),
      /unknown option "top"/,
    );
    assert.deepEqual(
      nounCounts(seg.metadata, { by: "noun" }).toRecords(),
      nounCounts(seg.metadata).toRecords(),
    );
  });
});

Deno.test("overrides: a frame or a CSV file wins over the computed head, sense and category", async () => {
  await using tmp = await scopedTempDir("seg-overrides-");
  const phrases = ["mouse", "grey mouse", "delicate floral nail art", "dog"];
  const csv = join(tmp.path, "overrides.csv");
  Deno.writeTextFileSync(
    csv,
    "noun,head,category,supersense\n" +
      "mouse,,,noun.artifact\n" +
      "delicate floral nail art,nail art,body,\n" +
      "DOG,puppy,,\n",
  );
  for (const overrides of [csv, pl.readCSV(csv, { inferSchemaLength: 0 })]) {
    const frame = await describeNouns(phrases, { overrides });
    assert.deepEqual(frame.toRecords(), [
      {
        noun: "mouse",
        head: "mouse",
        term: "mouse",
        supersense: "noun.artifact",
        category: "object",
      },
      {
        noun: "grey mouse",
        head: "mouse",
        term: "mouse",
        supersense: "noun.animal",
        category: "animal",
      },
      {
        noun: "delicate floral nail art",
        head: "nail art",
        term: null,
        supersense: null,
        category: "body",
      },
      // Matched ignoring case; a new head is looked up anew.
      {
        noun: "dog",
        head: "puppy",
        term: "puppy",
        supersense: "noun.animal",
        category: "animal",
      },
    ]);
  }
});

Deno.test("overrides: a bad table is an error naming the file and line, and what to do", async () => {
  await using tmp = await scopedTempDir("seg-overrides-");
  const write = (name: string, text: string) => {
    const path = join(tmp.path, name);
    Deno.writeTextFileSync(path, text);
    return path;
  };
  const cases: [string, RegExp][] = [
    [
      write("a.csv", "noun,category\ndog,animal\ncat,pet\n"),
      /a\.csv, line 3 \("cat"\) has category "pet"; use one of face, body, person, animal, food, plant, vehicle, clothing, place, text, object, other/,
    ],
    [
      write("b.csv", "noun,colour\ndog,brown\n"),
      /b\.csv has columns noun, colour; it needs a "noun" column and may have only head, category, supersense besides/,
    ],
    [
      write("c.csv", "noun,category\ndog,animal\nDog,animal\n"),
      /c\.csv, line 3 repeats the noun "Dog"; keep one row per noun/,
    ],
    [
      write("d.csv", "noun,supersense\ndog,animal\n"),
      /d\.csv, line 2 \("dog"\) has supersense "animal"; use a WordNet noun file: noun\.Tops/,
    ],
    [
      write("e.csv", "noun,head\ndog,\n"),
      /e\.csv, line 2 \("dog"\) corrects nothing: give a head, category or supersense/,
    ],
    [
      join(tmp.path, "missing.csv"),
      /could not read the override table .*missing\.csv/,
    ],
  ];
  for (const [path, message] of cases) {
    await assert.rejects(describeNouns(["dog"], { overrides: path }), message);
  }
  await assert.rejects(
    describeNouns(["dog"], {
      overrides: pl.DataFrame({ noun: ["dog"], category: ["beast"] }),
    }),
    /the override frame, row 0 \("dog"\) has category "beast"/,
  );
});

Deno.test("describeNouns: one row per phrase as given, repeats kept; bad input named", async () => {
  const frame = await describeNouns(["two dogs", "two dogs", "", "Teddy Bear"]);
  assert.deepEqual(frame.getColumn("noun").toArray(), [
    "two dogs",
    "two dogs",
    "",
    "Teddy Bear",
  ]);
  assert.deepEqual(frame.getColumn("head").toArray(), [
    "dog",
    "dog",
    null,
    "teddy bear",
  ]);
  assert.deepEqual(frame.getColumn("category").toArray(), [
    "animal",
    "animal",
    "other",
    "object",
  ]);
  const empty = await describeNouns([]);
  assert.equal(empty.height, 0);
  assert.deepEqual(empty.columns, [
    "noun",
    "head",
    "term",
    "supersense",
    "category",
  ]);
  await assert.rejects(
    describeNouns(["dog", null] as never),
    /describeNouns: phrase 1 is null, not a string/,
  );
  await assert.rejects(
    describeNouns("dog" as never),
    /expected an array of noun phrases or a Polars Series/,
  );
  await assert.rejects(
    describeNouns(["dog"], { override: [] } as never),
    /unknown option "override"; the only option is overrides/,
  );
});

Deno.test("frames with a head column keep head(n), and the notebook's table display works on them", async () => {
  const { frameBundle } = await import("../../lib/notebook/frame_display.ts");
  using seg = await Segmentations.open({ dataDir: sampleDir });
  await withCache(async () => {
    const table = await nounTable(seg.metadata);
    assert.equal(typeof table.head, "function");
    assert.equal(table.head(3).height, 3);
    assert.equal(table.head(-2).height, table.height - 2);
    assert.deepEqual(
      table.head(2).getColumn("head").toArray(),
      table.getColumn("head").toArray().slice(0, 2),
    );
    const joined = await withNouns(seg.metadata);
    assert.equal(joined.filter(pl.col("score").gt(0)).head(4).height, 4);
    const html = frameBundle(table, { maxRows: 4 })["text/html"];
    assert.match(html, /<small>shape: \(\d+, 7\)<\/small>/);
    assert.match(html, />head</);
  });
});
