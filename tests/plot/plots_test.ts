// The chart helpers: SVG snapshots (numbers rounded), escaping of data
// strings, nounCounts / imagesWith against counts made here from the CSV,
// the heatmap's exact mean, and progress reporting.
import { tempDirAtExit } from "../_support/helpers.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { csvField, splitCsvLine } from "../../lib/data/csv.ts";
import {
  type JupyterDisplayFn,
  NotebookProgress,
} from "../../lib/display/jupyter.ts";
import { headlessDocument } from "../../lib/plot/_document.ts";
import { imagesWith, nounCounts } from "../../lib/reader/noun_counts.ts";
import { meanMask, nounHeatmap } from "../../lib/plot/noun_heatmap.ts";
import { plotNounFrequency } from "../../lib/plot/noun_frequency.ts";
import { plotScores } from "../../lib/plot/scores.ts";
import { writeSample } from "../../lib/data/sample/sample.ts";
import { Segmentations } from "../../lib/notebook/segmentations.ts";
import { show } from "../../lib/plot/show.ts";
import { pl } from "../../lib/deps.ts";
import { parseHTML } from "../../lib/deps.ts";

const SNAPSHOTS = join(import.meta.dirname!, "snapshots");
const UPDATE = Deno.env.get("UPDATE_SNAPSHOTS") === "1";

let sample: Promise<string> | undefined;
/** The deterministic small sample: 6 images, 64 x 64 masks, no stimuli. */
function sampleDir(): Promise<string> {
  sample ??= (async () => {
    const dir = await tempDirAtExit("seg-plots-");
    await writeSample(dir, { images: 6, size: 64, stimuli: false });
    return dir;
  })();
  return sample;
}

interface CsvRow {
  mask_row: number;
  image_name: string;
  noun: string;
  score: number;
  localized: number;
}

/** The CSV's rows, parsed here rather than through the library's reader. */
async function csvRows(dataDir: string): Promise<CsvRow[]> {
  const text = await Deno.readTextFile(
    join(dataDir, "stimuli", "task-images_desc-segmentations_metadata.csv"),
  );
  const [header, ...lines] = text.trim().split("\n").map(splitCsvLine);
  const col = (name: string) => header.indexOf(name);
  return lines.map((f) => ({
    mask_row: Number(f[col("mask_row")]),
    image_name: f[col("image_name")],
    noun: f[col("noun")],
    score: Number(f[col("score")]),
    localized: Number(f[col("localized")]),
  }));
}

/**
 * The figure's `<svg>` elements (colour ramp, chart) with every decimal
 * rounded to 1 digit and embedded images reduced to their type and size, so
 * the snapshot holds the figure's structure rather than floating-point or
 * encoder noise. Swatch legends and titles are HTML: checked as text.
 */
function normalizedSvg(
  figure: {
    tagName: string;
    outerHTML: string;
    querySelectorAll(s: string): ArrayLike<{ outerHTML: string }>;
  },
): string {
  const svgs = figure.tagName.toLowerCase() === "svg"
    ? [figure]
    : Array.from(figure.querySelectorAll(":scope > svg"));
  assert.ok(svgs.length > 0, "the figure has an <svg>");
  const markup = svgs.map((svg) =>
    svg.outerHTML.replace(/^<svg /, '<svg xmlns="http://www.w3.org/2000/svg" ')
  );
  // Several svgs (legend ramp + chart) are wrapped in one to stay one SVG file.
  const joinedSvg = markup.length === 1
    ? markup[0]
    : `<svg xmlns="http://www.w3.org/2000/svg">${markup.join("")}</svg>`;
  return joinedSvg
    .replace(
      /data:image\/(png|jpeg);base64,([A-Za-z0-9+/=]+)/g,
      (_, type: string, data: string) => {
        if (type !== "png") return `data:image/${type};base64,…`;
        const head = Uint8Array.from(
          atob(data.slice(0, 44)),
          (c) => c.charCodeAt(0),
        );
        const view = new DataView(head.buffer);
        return `data:image/png;base64,…(${view.getUint32(16)}x${
          view.getUint32(20)
        })`;
      },
    )
    .replace(/-?\d+\.\d+/g, (m) => {
      const r = Number(m).toFixed(1);
      return r === "-0.0" ? "0.0" : r;
    })
    .replace(/></g, ">\n<") + "\n";
}

async function assertSnapshot(name: string, actual: string): Promise<void> {
  const path = join(SNAPSHOTS, `${name}.svg`);
  if (UPDATE) {
    await Deno.mkdir(SNAPSHOTS, { recursive: true });
    await Deno.writeTextFile(path, actual);
    return;
  }
  let expected: string;
  try {
    expected = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new Error(
        `Snapshot ${path} is missing; write it with UPDATE_SNAPSHOTS=1 deno test -A tests/plots_test.ts`,
      );
    }
    throw err;
  }
  assert.equal(
    actual,
    expected,
    `${name} differs from ${path} (UPDATE_SNAPSHOTS=1 rewrites it after a deliberate change)`,
  );
}

Deno.test("plotNounFrequency: snapshot of the top nouns by masks, and by images of a filtered frame", async () => {
  using seg = await Segmentations.open({ dataDir: await sampleDir() });
  const byMasks = plotNounFrequency(seg.metadata);
  await assertSnapshot("noun_frequency_masks", normalizedSvg(byMasks));
  const confident = seg.metadata.filter(pl.col("score").gt(0.5));
  const byImages = plotNounFrequency(confident, { by: "images", top: 5 });
  await assertSnapshot("noun_frequency_images_top5", normalizedSvg(byImages));

  // Bars sorted, labelled with their counts, as nounCounts says.
  const counts = nounCounts(confident).sort(["images", "noun"], [true, false])
    .head(5).toRecords() as { noun: string; images: number }[];
  const ticks = [
    ...byImages.querySelectorAll('g[aria-label="y-axis tick label"] text'),
  ].map((t) => t.textContent);
  assert.deepEqual(ticks, counts.map((c) => c.noun));
  const values = [...byImages.querySelectorAll('g[aria-label="text"] text')]
    .map((t) => Number(t.textContent));
  assert.deepEqual(values, counts.map((c) => c.images));
  assert.equal(byImages.querySelectorAll('g[aria-label="bar"] rect').length, 5);
  assert.match(byImages.textContent!, /Most frequent nouns, by images/);
  // Counts tick at whole numbers only, from 0 up to the largest count.
  for (const figure of [byMasks, byImages]) {
    const xTicks = [
      ...figure.querySelectorAll('g[aria-label="x-axis tick label"] text'),
    ].map((t) => t.textContent!);
    assert.ok(xTicks.length >= 2, `x ticks: ${xTicks}`);
    assert.equal(xTicks[0], "0");
    for (const t of xTicks) assert.match(t, /^\d[\d,]*$/, `integer tick ${t}`);
  }

  assert.throws(() => plotNounFrequency(seg.metadata, { top: 0 }), RangeError);
  assert.throws(
    () => plotNounFrequency(seg.metadata, { by: "pixels" as "masks" }),
    RangeError,
  );
  assert.throws(
    () => plotNounFrequency(seg.metadata.select("score")),
    /^TypeError: plotNounFrequency: the frame has no "noun" column/,
  );
  // Something else than a frame: one line naming the call.
  assert.throws(
    () => plotNounFrequency(seg as never),
    /^TypeError: plotNounFrequency: frame must be a Polars DataFrame \(e\.g\. seg\.metadata or a filter of it\); got a Segmentations\.$/,
  );
  assert.throws(
    () => plotScores(seg.images() as never),
    /^TypeError: plotScores: frame must be a Polars DataFrame .*; got an array of \d+ items\.$/,
  );
  // An empty frame draws an empty chart rather than failing.
  const none = plotNounFrequency(seg.metadata.filter(pl.col("score").gt(2)));
  assert.match(none.textContent!, /top 0 of 0 nouns/);
});

Deno.test("plotScores: snapshots of the histogram, whole and split by localized", async () => {
  using seg = await Segmentations.open({ dataDir: await sampleDir() });
  const all = plotScores(seg.metadata, { bins: 10 });
  await assertSnapshot("scores", normalizedSvg(all));
  const split = plotScores(seg.metadata, { byLocalized: true, bins: 10 });
  await assertSnapshot("scores_by_localized", normalizedSvg(split));
  assert.deepEqual(
    [...split.querySelectorAll("span[class*=swatch]")].map((s) =>
      s.textContent
    ),
    ["localized", "not localized"],
  );
  // The bars add up to the masks.
  const titles = [...all.querySelectorAll("rect title")].map((t) =>
    Number(t.textContent!.split(" ")[0])
  );
  assert.equal(titles.reduce((a, b) => a + b, 0), seg.metadata.height);
  assert.throws(() => plotScores(seg.metadata, { bins: 0 }), RangeError);
  // Few masks: the count axis still ticks at whole numbers (no 0.5).
  for (const byLocalized of [false, true]) {
    const few = plotScores(seg.metadata.head(3), { byLocalized });
    const yTicks = [
      ...few.querySelectorAll('g[aria-label="y-axis tick label"] text'),
    ].map((t) => t.textContent!);
    assert.ok(yTicks.length >= 2, `y ticks: ${yTicks}`);
    for (const t of yTicks) assert.match(t, /^\d+$/, `integer tick ${t}`);
  }
});

Deno.test("nounHeatmap: snapshot, title with the count, exact mean at the chosen resolution", async () => {
  const dataDir = await sampleDir();
  using seg = await Segmentations.open({ dataDir });
  const rows = await csvRows(dataDir);
  const counts = new Map<string, number>();
  for (const r of rows.filter((r) => r.localized === 1)) {
    counts.set(r.noun, (counts.get(r.noun) ?? 0) + 1);
  }
  const [noun, n] =
    [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0];

  const progress: { done: number; total: number }[] = [];
  const figure = await nounHeatmap(seg, noun, {
    width: 200,
    onProgress: (p) => progress.push(p),
  });
  await assertSnapshot("heatmap", normalizedSvg(figure));
  assert.equal(
    figure.querySelector("h2")?.textContent,
    `${noun}: mean of ${n} masks`,
  );
  assert.deepEqual(
    progress,
    Array.from({ length: n }, (_, i) => ({ done: i + 1, total: n })),
  );

  // The mean, computed here from the masks, for whole pixels and for 5 x 5
  // cells (64 is not a multiple of 5: the last cells are 4 pixels wide).
  const masks = rows.filter((r) => r.noun === noun && r.localized === 1).map((
    r,
  ) => seg.row(r.mask_row));
  for (const k of [1, 5]) {
    const mean = await meanMask(seg, noun, { cellSize: k });
    assert.equal(mean.count, n);
    assert.deepEqual([mean.width, mean.height], [
      Math.ceil(64 / k),
      Math.ceil(64 / k),
    ]);
    for (let cy = 0; cy < mean.height; cy++) {
      for (let cx = 0; cx < mean.width; cx++) {
        let covered = 0, pixels = 0;
        for (const m of masks) {
          for (let y = cy * k; y < Math.min(64, (cy + 1) * k); y++) {
            for (let x = cx * k; x < Math.min(64, (cx + 1) * k); x++) {
              covered += m.data[y * 64 + x];
              pixels++;
            }
          }
        }
        const got = mean.values[cy * mean.width + cx];
        assert.ok(
          Math.abs(got - covered / pixels) < 1e-12,
          `cell (${cx}, ${cy}) at k=${k}: ${got} != ${covered / pixels}`,
        );
      }
    }
    assert.equal(mean.max, Math.max(...mean.values));
  }

  // Errors name the function called (not the nested meanMask) and suggest
  // the closest nouns.
  await assert.rejects(
    () => nounHeatmap(seg, "unicorn"),
    /^RangeError: nounHeatmap: the data has no noun "unicorn"\. \(\d+ nouns there; seg\.nounCounts\(\)/,
  );
  await assert.rejects(
    () => nounHeatmap(seg, noun.toUpperCase()),
    new RegExp(
      `nounHeatmap: the data has no noun "${noun.toUpperCase()}"\\. Did you mean "${noun}"\\?`,
    ),
  );
  await assert.rejects(
    () => meanMask(seg, "unicorn"),
    /^RangeError: meanMask: the data has no noun "unicorn"/,
  );
  await assert.rejects(
    () => nounHeatmap(seg, noun, { minScore: 2 }),
    /^RangeError: nounHeatmap: none of the \d+ masks of .* pass the filters/,
  );
  await assert.rejects(
    () => nounHeatmap(seg, seg.metadata as never),
    /^TypeError: nounHeatmap: noun must be a string; got a DataFrame \(\d+ rows x 11 columns\)\./,
  );
  const controller = new AbortController();
  await assert.rejects(
    () =>
      nounHeatmap(seg, noun, {
        signal: controller.signal,
        onProgress: () => controller.abort(new Error("enough")),
      }),
    /enough/,
  );
});

Deno.test("nounCounts: masks and images per noun, as counted from the CSV", async () => {
  const dataDir = await sampleDir();
  using seg = await Segmentations.open({ dataDir });
  const rows = await csvRows(dataDir);
  const expect = (subset: CsvRow[]) => {
    const by = new Map<string, { masks: number; images: Set<string> }>();
    for (const r of subset) {
      const e = by.get(r.noun) ?? { masks: 0, images: new Set() };
      e.masks++;
      e.images.add(r.image_name);
      by.set(r.noun, e);
    }
    return [...by].map(([noun, e]) => ({
      noun,
      masks: e.masks,
      images: e.images.size,
    })).sort((a, b) => b.masks - a.masks || (a.noun < b.noun ? -1 : 1));
  };
  const all = nounCounts(seg.metadata);
  assert.deepEqual(all.columns, ["noun", "masks", "images"]);
  assert.ok(all.getColumn("masks").dtype.equals(pl.Int64));
  assert.ok(all.getColumn("images").dtype.equals(pl.Int64));
  assert.deepEqual(all.toRecords(), expect(rows));
  assert.deepEqual(seg.nounCounts().toRecords(), expect(rows));
  const confident = seg.metadata.filter(pl.col("score").gt(0.5));
  assert.deepEqual(
    seg.nounCounts(confident).toRecords(),
    expect(rows.filter((r) => r.score > 0.5)),
  );
  assert.equal(nounCounts(seg.metadata.clear()).height, 0);
  assert.throws(() => nounCounts(seg.metadata.select("score")), TypeError);
});

Deno.test("imagesWith: anyOf / allOf / noneOf, as found from the CSV", async () => {
  const dataDir = await sampleDir();
  using seg = await Segmentations.open({ dataDir });
  const rows = await csvRows(dataDir);
  const expect = (
    subset: CsvRow[],
    q: { anyOf?: string[]; allOf?: string[]; noneOf?: string[] },
  ) => {
    const order: string[] = [];
    const nouns = new Map<string, Set<string>>();
    for (const r of subset) {
      if (!nouns.has(r.image_name)) {
        order.push(r.image_name);
        nouns.set(r.image_name, new Set());
      }
      nouns.get(r.image_name)!.add(r.noun);
    }
    return order.filter((image) => {
      const has = nouns.get(image)!;
      return (!q.anyOf?.length || q.anyOf.some((n) => has.has(n))) &&
        (q.allOf ?? []).every((n) => has.has(n)) &&
        !(q.noneOf ?? []).some((n) => has.has(n));
    });
  };
  const localized = rows.filter((r) => r.localized === 1);
  const nouns = [...new Set(localized.map((r) => r.noun))];
  const [a, b, c] = nouns;
  const queries = [
    {},
    { anyOf: [a] },
    { anyOf: [a, b] },
    { allOf: [a, b] },
    { noneOf: [a] },
    { anyOf: [b, c], noneOf: [a] },
    { allOf: [a], anyOf: [b, c] },
  ];
  for (const q of queries) {
    const want = expect(localized, q);
    assert.deepEqual(seg.imagesWith(q), want, JSON.stringify(q));
    assert.deepEqual(imagesWith(seg.metadata, q), want, JSON.stringify(q));
  }
  // A noun the data does not have is an error, not [] (or every image).
  for (const q of [{ anyOf: ["unicorn"] }, { noneOf: ["unicorn"] }]) {
    assert.throws(() => seg.imagesWith(q), RangeError, JSON.stringify(q));
    assert.throws(() => imagesWith(seg.metadata, q), RangeError);
  }
  // By default an image has a noun exactly when seg.nouns(image) lists it.
  for (const image of seg.images()) {
    for (const noun of nouns) {
      assert.equal(
        seg.imagesWith({ allOf: [noun] }).includes(image),
        seg.nouns(image).includes(noun),
      );
    }
  }
  // Whole-image masks count with localizedOnly: false.
  const background = rows.find((r) => r.localized === 0)!.noun;
  assert.deepEqual(seg.imagesWith({ anyOf: [background] }), []);
  assert.deepEqual(
    seg.imagesWith({ anyOf: [background] }, { localizedOnly: false }),
    expect(rows, { anyOf: [background] }),
  );
  // Any filtered frame.
  const confident = seg.metadata.filter(pl.col("score").gt(0.6));
  assert.deepEqual(
    seg.imagesWith({ anyOf: [a, b] }, { frame: confident }),
    expect(localized.filter((r) => r.score > 0.6), { anyOf: [a, b] }),
  );
  assert.deepEqual(
    imagesWith(confident, { anyOf: [a, b] }),
    seg.imagesWith({ anyOf: [a, b] }, { frame: confident }),
  );
  assert.throws(
    () => seg.imagesWith({ anyOf: a as unknown as string[] }),
    /anyOf must be an array of nouns/,
  );
  // A frame or a mixed array is described in one line, never printed.
  assert.throws(
    () => seg.imagesWith({ allOf: seg.metadata as never }),
    /^TypeError: imagesWith: allOf must be an array of nouns, e\.g\. \{ allOf: \["face"\] \}; got a DataFrame \(\d+ rows x 11 columns\)\.$/,
  );
  assert.throws(
    () => seg.imagesWith({ noneOf: [a, 3] as never }),
    /got an array of 2 items whose item 1 is the number 3\.$/,
  );
});

/** A copy of a sample whose data carries markup in nouns and an image name. */
async function hostileSample(): Promise<
  { dataDir: string; image: string; nouns: [string, string] }
> {
  const dataDir = await tempDirAtExit("seg-escape-");
  await writeSample(dataDir, { images: 3, size: 64, stimuli: true });
  const script = "<script>alert(1)</script>";
  const quoted = 'a&b "q"';
  const image = '<img src=x onerror="alert(2)">.jpg';
  const csv = join(
    dataDir,
    "stimuli",
    "task-images_desc-segmentations_metadata.csv",
  );
  const [header, ...lines] = (await Deno.readTextFile(csv)).trim().split("\n")
    .map(splitCsvLine);
  const iNoun = header.indexOf("noun"), iImage = header.indexOf("image_name");
  const first = lines[0][iImage];
  const localizedNouns = [
    ...new Set(
      lines.filter((f) =>
        f[iImage] === first && f[header.indexOf("localized")] === "1"
      )
        .map((f) => f[iNoun]),
    ),
  ];
  const rename = new Map([
    [localizedNouns[0], script],
    [localizedNouns[1], quoted],
  ]);
  const out = lines.map((f) => {
    const g = [...f];
    g[iNoun] = rename.get(f[iNoun]) ?? f[iNoun];
    if (f[iImage] === first) g[iImage] = image;
    return g.map(csvField).join(",");
  });
  await Deno.writeTextFile(
    csv,
    [header.join(","), ...out].join("\n") + "\n",
  );
  // The stimulus archive names the same image.
  const stimuliCsv = join(dataDir, "stimuli", "task-images_metadata.csv");
  const stimuliLines = (await Deno.readTextFile(stimuliCsv)).trim().split(
    "\n",
  );
  await Deno.writeTextFile(
    stimuliCsv,
    stimuliLines.map((line) => {
      const [name, ...rest] = splitCsvLine(line);
      return name === first ? [image, ...rest].map(csvField).join(",") : line;
    }).join("\n") + "\n",
  );
  return { dataDir, image, nouns: [script, quoted] };
}

Deno.test("escaping: nouns and image names with markup come out as text, end to end", async () => {
  const { dataDir, image, nouns } = await hostileSample();
  using seg = await Segmentations.open({ dataDir });
  assert.deepEqual(seg.nouns(image).slice(0, 2), nouns);

  const figures = {
    show: await show(seg, image),
    frequency: plotNounFrequency(seg.metadata),
    heatmap: await nounHeatmap(seg, nouns[0], { width: 200 }),
    heatmapQuoted: await nounHeatmap(seg, nouns[1], { width: 200 }),
    scores: plotScores(seg.metadata, { byLocalized: true }),
  };
  assert.ok(figures.show.querySelector("g.seg-stimulus"), "stimulus found");
  for (const [name, figure] of Object.entries(figures)) {
    const bundle = await (figure as unknown as Record<
      symbol,
      () => Promise<Record<string, string>>
    >)[Symbol.for("Jupyter.display")]();
    for (const html of [figure.outerHTML, bundle["text/html"]]) {
      assert.ok(!html.includes("<script>"), `${name}: raw <script>`);
      assert.ok(!html.includes("<img src"), `${name}: raw <img>`);
      assert.ok(!html.includes("a&b"), `${name}: raw &`);
    }
  }
  const escapedScript = "&lt;script&gt;alert(1)&lt;/script&gt;";
  for (const name of ["show", "frequency", "heatmap"] as const) {
    assert.ok(
      figures[name].outerHTML.includes(escapedScript),
      `${name} shows the noun as text`,
    );
  }
  assert.ok(figures.show.outerHTML.includes("a&amp;b"));
  assert.ok(figures.heatmapQuoted.outerHTML.includes("a&amp;b"));
  assert.ok(
    figures.show.outerHTML.includes(
      '&lt;img src=x onerror="alert(2)"&gt;.jpg',
    ) ||
      figures.show.outerHTML.includes(
        "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;.jpg",
      ),
    "the image name is text",
  );
  // The DOM gives back the original strings.
  const legend = [...figures.show.querySelectorAll("span[class*=swatch]")].map(
    (s) => s.textContent,
  );
  assert.deepEqual(legend.slice(0, 2), nouns);
  assert.equal(figures.show.querySelector("h2")?.textContent, image);

  // So do the reader's summary and a mask's titled display.
  const displays = {
    seg: (seg as unknown as Record<symbol, () => Record<string, string>>)[
      Symbol.for("Jupyter.display")
    ].call(seg),
    mask: seg.get(image, nouns[0]).display().bundle(),
    maskQuoted: seg.get(image, nouns[1]).display().bundle(),
  };
  for (const [name, bundle] of Object.entries(displays)) {
    const html = bundle["text/html"];
    assert.ok(!html.includes("<script>"), `${name}: raw <script>`);
    assert.ok(!html.includes("<img src=x"), `${name}: raw <img>`);
    assert.ok(!html.includes("a&b"), `${name}: raw &`);
  }
  assert.ok(displays.seg["text/html"].includes(escapedScript));
  assert.ok(displays.mask["text/html"].includes(escapedScript));
  assert.ok(displays.maskQuoted["text/html"].includes("a&amp;b &quot;q&quot;"));
  assert.ok(
    displays.mask["text/html"].includes(
      "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;.jpg",
    ),
  );

  // The notebook progress line escapes its label too.
  const sent: Record<string, string>[] = [];
  const line = new NotebookProgress(nouns[0], (b) => {
    sent.push(b);
    return Promise.resolve();
  }, 0);
  await line.update(1, 2);
  assert.ok(sent[0]["text/html"].includes(escapedScript));
  assert.ok(!sent[0]["text/html"].includes("<script>"));
});

Deno.test("NotebookProgress: one output, created then updated in place", async () => {
  const calls: {
    bundle: Record<string, string>;
    options: Parameters<JupyterDisplayFn>[1];
  }[] = [];
  const display: JupyterDisplayFn = (bundle, options) => {
    calls.push({ bundle, options });
    return Promise.resolve();
  };
  const line = new NotebookProgress("face: mean of 3 masks", display, 0);
  await line.update(1, 3);
  await line.update(3, 3);
  await line.finish("done in 0.1 s");
  assert.equal(calls.length, 3);
  assert.deepEqual(calls.map((c) => c.options.update), [false, true, true]);
  assert.equal(new Set(calls.map((c) => c.options.display_id)).size, 1);
  assert.ok(calls.every((c) => c.options.raw));
  assert.equal(
    calls[1].bundle["text/plain"],
    "face: mean of 3 masks: 3/3 masks",
  );
  assert.match(calls[1].bundle["text/html"], /<progress value="3" max="3"/);
  assert.equal(
    calls[2].bundle["text/plain"],
    "face: mean of 3 masks: done in 0.1 s",
  );

  // Quick runs show nothing; outside a kernel there is no display at all.
  const quiet: unknown[] = [];
  const slow = new NotebookProgress("x", (b) => {
    quiet.push(b);
    return Promise.resolve();
  }, 60_000);
  await slow.update(1, 1);
  await slow.finish("done");
  assert.deepEqual(quiet, []);
  await new NotebookProgress("x").update(1, 1); // no Deno.jupyter here: a no-op
  // A failing display never breaks the work it reports on.
  await new NotebookProgress("x", () => Promise.reject(new Error("gone")), 0)
    .update(1, 2);
});

Deno.test("headless document: Plot's canvas works, and resizing replaces the backing canvas", () => {
  const document = headlessDocument() as unknown as {
    createElement(name: string): {
      width: number;
      height: number;
      getContext(kind: string): {
        createImageData(w: number, h: number): { data: Uint8ClampedArray };
        putImageData(image: unknown, x: number, y: number): void;
      } | null;
      toDataURL(): string;
    };
  };
  const canvas = document.createElement("canvas");
  assert.deepEqual([canvas.width, canvas.height], [300, 150]);
  canvas.width = 3;
  canvas.height = 2;
  const ctx = canvas.getContext("2d")!;
  const image = ctx.createImageData(3, 2);
  image.data.fill(255);
  ctx.putImageData(image, 0, 0);
  const url = canvas.toDataURL();
  assert.match(url, /^data:image\/png;base64,/);
  const bytes = Uint8Array.from(atob(url.slice(22)), (c) => c.charCodeAt(0));
  const view = new DataView(bytes.buffer);
  assert.deepEqual([view.getUint32(16), view.getUint32(20)], [3, 2]);
  assert.equal(canvas.getContext("webgl"), null);
  // Other elements stay linkedom's.
  assert.equal(
    (document.createElement("div") as unknown as { tagName: string }).tagName,
    "DIV",
  );
});

Deno.test("document option: figures are built in the document given", async () => {
  using seg = await Segmentations.open({ dataDir: await sampleDir() });
  const { document } = parseHTML(
    "<!DOCTYPE html><html><body></body></html>",
  ) as unknown as {
    document: {
      createElement(n: string): unknown;
      createElementNS(ns: string, n: string): unknown;
    };
  };
  const owned = (figure: unknown) =>
    (figure as { ownerDocument: unknown }).ownerDocument === document;
  assert.ok(owned(plotNounFrequency(seg.metadata, { document })));
  assert.ok(owned(plotScores(seg.metadata, { document })));
  // Rasters need a canvas: the headless document provides one.
  const headless = headlessDocument();
  const figure = await show(seg, seg.images()[0], { document: headless });
  assert.ok(
    (figure as unknown as { ownerDocument: unknown }).ownerDocument ===
      headless,
  );
  const heatmap = await nounHeatmap(seg, seg.nouns(seg.images()[0])[0], {
    document: headless,
    width: 200,
  });
  assert.match(heatmap.outerHTML, /data:image\/png;base64,/);
});
