// plotNounFrequency({ by: "category" | "head" | "supersense" }): bars per
// group with the counts of nounCounts; the earlier by: "masks" | "images"
// spelling still counts per noun; labels from the data are escaped.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  nounCounts,
  nounTable,
  pl,
  plotNounFrequency,
  Segmentations,
  withNouns,
} from "../../mod.ts";
import { scopedTempDir, smallSampleDir, withEnv } from "../_support/helpers.ts";

const sampleDir = await smallSampleDir();

async function inCache<T>(fn: () => Promise<T>): Promise<T> {
  await using home = await scopedTempDir("seg-nouns-cache-");
  return await withEnv({ XDG_CACHE_HOME: join(home.path, "c") }, fn);
}

/** The bars' labels and their numbers, top to bottom, read from the SVG. */
function bars(figure: { outerHTML: string }): [string, number][] {
  const html = figure.outerHTML;
  const titles = [
    ...html.matchAll(/<title>([^<]*?): (\d+) masks in (\d+) images/g),
  ];
  return titles.map((m) => [m[1], Number(m[2])]);
}

Deno.test('plotNounFrequency({ by: "category" }): one bar per category, masks as nounCounts counts them', async () => {
  using seg = await Segmentations.open({ dataDir: sampleDir });
  await inCache(async () => {
    const joined = await withNouns(seg.metadata);
    const figure = plotNounFrequency(joined, { by: "category" });
    const counts = nounCounts(joined, { by: "category" }).toRecords() as {
      category: string;
      masks: number;
    }[];
    assert.deepEqual(bars(figure), counts.map((r) => [r.category, r.masks]));
    assert.match(figure.outerHTML, /Most frequent categories, by masks/);
    assert.match(
      figure.outerHTML,
      /masks per category · top \d+ of \d+ categories/,
    );
    assert.match(figure.outerHTML, /distinct nouns/);
    // The same from the described nouns of seg.metadata.
    const table = await nounTable(seg.metadata);
    assert.deepEqual(
      bars(plotNounFrequency(seg.metadata, { by: "category", nouns: table })),
      bars(figure),
    );
    // Counting images re-sorts by images.
    const byImages = plotNounFrequency(joined, {
      by: "head",
      count: "images",
      top: 5,
    });
    const heads = nounCounts(joined, { by: "head" }).sort(["images", "head"], [
      true,
      false,
    ])
      .head(5).toRecords() as { head: string; masks: number }[];
    assert.deepEqual(bars(byImages), heads.map((r) => [r.head, r.masks]));
    assert.match(byImages.outerHTML, /Most frequent head nouns, by images/);
  });
});

Deno.test('plotNounFrequency: by "images" is still the count per noun; by and count must agree; missing labels named', async () => {
  using seg = await Segmentations.open({ dataDir: sampleDir });
  const legacy = plotNounFrequency(seg.metadata, { by: "images", top: 5 });
  const modern = plotNounFrequency(seg.metadata, { count: "images", top: 5 });
  assert.equal(legacy.outerHTML, modern.outerHTML);
  assert.throws(
    () => plotNounFrequency(seg.metadata, { by: "images", count: "masks" }),
    /plotNounFrequency: by "images" \(the earlier spelling of count\) disagrees with count "masks"; give count alone/,
  );
  assert.throws(
    () => plotNounFrequency(seg.metadata, { by: "category" }),
    /^TypeError: plotNounFrequency: by "category" needs each noun's category: pass a frame from await seg.withNouns\(frame\)/,
  );
  assert.throws(
    () => plotNounFrequency(seg.metadata, { by: "kind" as never }),
    /plotNounFrequency/,
  );
});

Deno.test("plotNounFrequency({ by: 'head' }): a head from the user's overrides escaped, phrases without one a (none) bar", async () => {
  await inCache(async () => {
    const frame = pl.DataFrame({
      noun: ["two dogs", "dog", "blurry", "very", "thing"],
      image_name: ["a.jpg", "a.jpg", "b.jpg", "c.jpg", "c.jpg"],
    });
    const overrides = pl.DataFrame({
      noun: ["thing"],
      head: ["<b>bold</b> & co"],
    });
    const joined = await withNouns(frame, { overrides });
    const figure = plotNounFrequency(joined, { by: "head" });
    const html = figure.outerHTML;
    assert.ok(!html.includes("<b>"), html);
    assert.ok(html.includes("&lt;b&gt;bold&lt;/b&gt; &amp; co"), html);
    assert.deepEqual(
      bars(figure).map(([label, masks]) => `${label} ${masks}`).sort(),
      ["&lt;b&gt;bold&lt;/b&gt; &amp; co 1", "(none) 2", "dog 2"],
    );
  });
});
