// The notebooks, executed top to bottom by real Jupyter (nbconvert) with the
// Deno kernel, on a fresh synthetic sample; the expected values are computed
// here from the CSV, independently of the library's helpers.
import { DENO_DIR } from "../_support/helpers.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { ensureSample } from "../../lib/data/sample/sample.ts";
import { Segmentations } from "../../lib/notebook/segmentations.ts";
import {
  checkTools,
  codeCells,
  ensureDenoKernel,
  errorOutputs,
  executeNotebook,
  joined,
  type Notebook,
  type NotebookOutput,
  NOTEBOOKS,
  tempDir,
} from "../_support/jupyter.ts";

const tools = await checkTools(["jupyter"], "tests/notebook/notebooks_test.ts");

/** What the notebooks should pick from the data: computed from raw rows. */
interface Expected {
  dataDir: string;
  env: Record<string, string>;
  topNoun: string;
  secondNoun: string;
  image: string;
  imageNouns: string[];
  topCount: number;
  bothCount: number;
  /** For seg's summary: masks (HDF5 rows), images and nouns in the CSV. */
  masks: number;
  images: number;
  nouns: number;
}

let expected: Promise<Expected> | undefined;
function setup(): Promise<Expected> {
  expected ??= (async () => {
    tools.assertPresent();
    await ensureDenoKernel();
    const root = await tempDir("seg-notebooks-");
    const dataDir = await ensureSample(join(root, "sample"));
    const config = join(root, "config");
    await Deno.mkdir(config);
    using seg = await Segmentations.open({ dataDir });
    const rows = seg.metadata.toRecords() as {
      image_name: string;
      noun: string;
      localized: number;
    }[];
    const localized = rows.filter((r) => r.localized === 1);
    const counts = new Map<string, number>();
    for (const r of localized) {
      counts.set(r.noun, (counts.get(r.noun) ?? 0) + 1);
    }
    const ranked = [...counts].sort((a, b) =>
      b[1] - a[1] || (a[0] < b[0] ? -1 : 1)
    );
    const [topNoun, topCount] = ranked[0];
    const secondNoun = ranked[1][0];
    const image = localized.find((r) => r.noun === topNoun)!.image_name;
    const imageNouns = [
      ...new Set(
        localized.filter((r) => r.image_name === image).map((r) => r.noun),
      ),
    ];
    const nounsOf = new Map<string, Set<string>>();
    for (const r of localized) {
      if (!nounsOf.has(r.image_name)) nounsOf.set(r.image_name, new Set());
      nounsOf.get(r.image_name)!.add(r.noun);
    }
    const bothCount =
      [...nounsOf.values()].filter((s) => s.has(topNoun) && s.has(secondNoun))
        .length;
    const masks = seg.length;
    const images = new Set(rows.map((r) => r.image_name)).size;
    const nouns = new Set(rows.map((r) => r.noun)).size;
    return {
      dataDir,
      env: {
        ...Deno.env.toObject(),
        LAION_FMRI_DATA_DIR: dataDir,
        XDG_CONFIG_HOME: config,
      },
      topNoun,
      secondNoun,
      image,
      imageNouns,
      topCount,
      bothCount,
      masks,
      images,
      nouns,
    };
  })();
  return expected;
}

function outputsOf(nb: Notebook) {
  return codeCells(nb).flatMap((c) => c.outputs);
}

function htmlOutputs(nb: Notebook): string[] {
  return outputsOf(nb).map((o) => joined(o.data?.["text/html"])).filter(
    Boolean,
  );
}

function streamText(nb: Notebook): string {
  return outputsOf(nb).filter((o) => o.output_type === "stream").map((o) =>
    joined(o.text)
  ).join("");
}

const swatch = (noun: string) => new RegExp(`</svg>${noun}</span>`);

/**
 * What a reader sees of a cell's outputs: streams, errors, and results or
 * displays with some data. A result with an empty bundle (what our display
 * hooks leave after displaying) renders as nothing in JupyterLab.
 */
function visible(outputs: NotebookOutput[]): NotebookOutput[] {
  return outputs.filter((o) =>
    o.output_type === "stream" || o.output_type === "error" ||
    Object.keys(o.data ?? {}).length > 0
  );
}

function cellOf(nb: Notebook, start: string) {
  const cell = codeCells(nb).find((c) => c.source.startsWith(start));
  assert.ok(cell, `a cell starting with ${start}`);
  return cell;
}

Deno.test({
  name:
    "notebooks: quickstart.ipynb runs top to bottom and shows table, mask and overlay",
  ignore: tools.ignore,
  sanitizeResources: false,
  async fn() {
    const want = await setup();
    const { nb, missing } = await executeNotebook(
      join(NOTEBOOKS, "quickstart.ipynb"),
      want.env,
      (nb) => {
        const html = htmlOutputs(nb);
        const lacks: string[] = [];
        if (!html.some((h) => h.includes("<table"))) lacks.push("a table");
        if (!html.some((h) => h.includes('class="seg-summary"'))) {
          lacks.push("seg's summary");
        }
        if (html.filter((h) => h.includes('class="seg-mask"')).length < 2) {
          lacks.push("both mask displays");
        }
        const overlays = html.filter((h) => h.includes("seg-masks"));
        if (overlays.length < 2) lacks.push("both overlays");
        if (!streamText(nb).includes("First image with it:")) {
          lacks.push("the printed noun and image");
        }
        if (
          !html.some((h) =>
            /<h2[^>]*>Gallery<\/h2>/.test(h) && h.includes("<image")
          )
        ) {
          lacks.push("the gallery");
        }
        if (!html.some((h) => h.includes('class="seg-explore"'))) {
          lacks.push("the explorer");
        }
        return lacks;
      },
    );
    assert.deepEqual(errorOutputs(nb), [], "no error outputs");
    assert.deepEqual(missing, []);
    assert.match(
      streamText(nb),
      new RegExp(`Data: ${want.dataDir} \\(configured\\)`),
    );
    assert.match(
      streamText(nb),
      new RegExp(`Most frequent noun: ${want.topNoun}\\b`),
    );
    assert.match(
      streamText(nb),
      new RegExp(`First image with it: ${want.image}`),
    );

    // `seg` as the last line: one compact summary, not a text dump.
    const first = cellOf(nb, "import { ensureSample");
    const shown = visible(first.outputs);
    assert.deepEqual(shown.map((o) => o.output_type), [
      "stream",
      "display_data",
    ]);
    const summary = joined(shown[1].data!["text/html"]);
    assert.ok(
      summary.includes(
        `Segmentations · ${want.masks.toLocaleString("en-US")} masks · ${
          want.images.toLocaleString("en-US")
        } images · ${want.nouns.toLocaleString("en-US")} nouns`,
      ),
      summary,
    );
    assert.match(summary, /task-images_desc-segmentations\.h5/);
    assert.match(summary, /reader<\/th><td[^>]*>chunks/);
    assert.ok(joined(shown[1].data!["text/plain"]).split("\n").length <= 8);

    // A mask: shown 320 px wide under its title, then at a chosen size.
    const [maskHtml, smallHtml] = htmlOutputs(nb).filter((h) =>
      h.includes('class="seg-mask"')
    );
    assert.ok(
      maskHtml.includes(`>${want.topNoun} #0</div>`),
      maskHtml.slice(0, 400),
    );
    assert.ok(maskHtml.includes(want.image));
    assert.match(maskHtml, / · score \d\.\d\d · area [\d,]+ px \(/);
    assert.match(maskHtml, /width="320"/);
    assert.match(smallHtml, /width="160"/);
    assert.match(maskHtml, /src="data:image\/png;base64,/);

    // Displays and figures are their cell's only visible output besides
    // printed lines: no summary line as the result.
    const checked: string[] = [];
    for (const cell of codeCells(nb)) {
      const last = cell.source.trim().split("\n").at(-1)!;
      if (
        !/^(mask|mask\.display\(.*\)|await seg\.show\(.*\)|seg)$/.test(last)
      ) {
        continue;
      }
      const results = visible(cell.outputs).filter((o) =>
        o.output_type !== "stream"
      );
      assert.deepEqual(
        results.map((o) => o.output_type),
        ["display_data"],
        `${last}: one display, no result line`,
      );
      checked.push(last);
    }
    assert.equal(checked.length, 5, `checked ${checked.join(", ")}`);

    const [overlay, filtered] = htmlOutputs(nb).filter((h) =>
      h.includes("seg-masks")
    );
    assert.ok(overlay.includes(want.image), "the overlay names its image");
    for (const noun of want.imageNouns) {
      assert.match(overlay, swatch(noun), `legend entry for ${noun}`);
    }
    assert.match(overlay, /class="seg-stimulus"/, "drawn over the stimulus");
    assert.match(overlay, /data:image\/jpeg;base64,/);
    // The filtered overlay keeps only the top noun, without boxes.
    assert.match(filtered, swatch(want.topNoun));
    for (const noun of want.imageNouns.filter((n) => n !== want.topNoun)) {
      assert.doesNotMatch(filtered, swatch(noun));
    }
    assert.doesNotMatch(filtered, /class="seg-boxes"/);
  },
});

Deno.test({
  name:
    "notebooks: nouns.ipynb shows frequencies, scores, a heatmap and a query",
  ignore: tools.ignore,
  sanitizeResources: false,
  async fn() {
    const want = await setup();
    const { nb, missing } = await executeNotebook(
      join(NOTEBOOKS, "nouns.ipynb"),
      want.env,
      (nb) => {
        const html = htmlOutputs(nb).join("\n");
        return [
          "Most frequent nouns, by masks",
          "Most frequent nouns, by images",
          "Most frequent categories, by masks",
          "Detector scores",
          `${want.topNoun}: mean of`,
          ...(want.bothCount > 0 ? ["seg-masks"] : []),
        ].filter((s) => !html.includes(s)).concat(
          streamText(nb).includes("images have both")
            ? []
            : ["the query's line"],
        );
      },
    );
    assert.deepEqual(errorOutputs(nb), [], "no error outputs");
    assert.deepEqual(missing, []);
    const html = htmlOutputs(nb).join("\n");
    assert.ok(
      html.includes(`${want.topNoun}: mean of ${want.topCount} masks`),
      `heatmap title "${want.topNoun}: mean of ${want.topCount} masks"`,
    );
    const frequency = htmlOutputs(nb).find((h) =>
      h.includes("Most frequent nouns, by masks")
    )!;
    assert.match(frequency, new RegExp(`>${want.topNoun}</text>`));
    const categories = htmlOutputs(nb).find((h) =>
      h.includes("Most frequent categories, by masks")
    )!;
    assert.match(categories, />person<\/text>/);
    assert.ok(
      htmlOutputs(nb).some((h) => h.includes(">supersense<")),
      "the described nouns' table",
    );
    const scores = htmlOutputs(nb).find((h) => h.includes("Detector scores"))!;
    assert.match(scores, /not localized/);
    assert.match(
      streamText(nb),
      new RegExp(
        `${want.bothCount} images have both "${want.topNoun}" and "${want.secondNoun}"`,
      ),
    );
    // Each figure is its cell's one output showing it, with no result line
    // (a progress line of the heatmap may sit beside it).
    let figures = 0;
    for (const cell of codeCells(nb)) {
      const shown = visible(cell.outputs).filter((o) =>
        o.output_type !== "stream"
      );
      const withFigure = shown.filter((o) =>
        /<figure|<svg/.test(joined(o.data?.["text/html"]))
      );
      if (withFigure.length === 0) continue;
      figures++;
      assert.deepEqual(
        withFigure.map((o) => o.output_type),
        ["display_data"],
        cell.source,
      );
      assert.deepEqual(
        shown.filter((o) => o.output_type === "execute_result"),
        [],
        `${cell.source}: no result line besides the figure`,
      );
    }
    assert.equal(figures, want.bothCount > 0 ? 6 : 5);
  },
});

Deno.test({
  name:
    "notebooks: analysis.ipynb shows coverage, the regressor matrix, grids, trials and a COCO export",
  ignore: tools.ignore,
  sanitizeResources: false,
  async fn() {
    const want = await setup();
    // Expected values from the raw CSV rows, not from the library's tables.
    using seg = await Segmentations.open({ dataDir: want.dataDir });
    const rows = seg.metadata.toRecords() as {
      image_name: string;
      noun: string;
      localized: number;
    }[];
    const localized = rows.filter((r) => r.localized === 1);
    const pairs = new Set(
      localized.map((r) => `${r.image_name}\u0000${r.noun}`),
    );
    const images = new Set(localized.map((r) => r.image_name));
    const nouns = new Set(localized.map((r) => r.noun));
    const firstImage = rows[0].image_name;
    const ofFirst = rows.filter((r) => r.image_name === firstImage);
    const shown = Math.min(6, new Set(rows.map((r) => r.image_name)).size);
    const lines = [
      `Coverage: ${pairs.size} (image, noun) rows`,
      `Regressor matrix: ${images.size} images x ${nouns.size} nouns`,
      `Mean 8 x 8 grid of ${want.topCount} "${want.topNoun}" masks`,
      `${shown} of 10 trials show images with masks`,
      `COCO: 1 image, ${
        new Set(ofFirst.map((r) => r.noun)).size
      } categories, ${ofFirst.length} annotations`,
      "decodes to the same mask: true",
      `Category regressors: ${images.size} images x `,
      `pRF overlap: 25 pRFs x ${
        new Set(rows.map((r) => r.image_name)).size
      } images`,
    ];
    const env = {
      ...want.env,
      XDG_CACHE_HOME: await tempDir("seg-nb-cache-"),
      DENO_DIR,
    };
    const { nb, missing } = await executeNotebook(
      join(NOTEBOOKS, "analysis.ipynb"),
      env,
      (nb) => {
        const text = streamText(nb);
        const lacks = lines.filter((l) => !text.includes(l));
        if (htmlOutputs(nb).filter((h) => h.includes("<table")).length < 5) {
          lacks.push("the five tables");
        }
        // A mask shows as HTML: its title over the PNG.
        if (!htmlOutputs(nb).some((h) => h.includes("data:image/png"))) {
          lacks.push("the decoded mask's PNG");
        }
        return lacks;
      },
    );
    assert.deepEqual(errorOutputs(nb), [], "no error outputs");
    assert.deepEqual(missing, []);
    assert.match(
      streamText(nb),
      new RegExp(`Data: ${want.dataDir} \\(configured\\)`),
    );
  },
});
