// The notebooks, executed top to bottom by real Jupyter (nbconvert) with the
// Deno kernel, on a fresh synthetic sample; the expected values are computed
// here from the CSV, independently of the library's helpers.
import assert from "node:assert/strict";
import { join } from "node:path";
import { ensureSample } from "../../lib/data/sample.ts";
import { Segmentations } from "../../lib/notebook/segmentations.ts";
import {
  checkTools,
  codeCells,
  ensureDenoKernel,
  errorOutputs,
  executeNotebook,
  joined,
  type Notebook,
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
        if (!outputsOf(nb).some((o) => o.data?.["image/png"])) {
          lacks.push("the mask PNG");
        }
        const overlays = html.filter((h) => h.includes("seg-masks"));
        if (overlays.length < 2) lacks.push("both overlays");
        if (!streamText(nb).includes("First image with it:")) {
          lacks.push("the printed noun and image");
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

    const png = outputsOf(nb).find((o) => o.data?.["image/png"])!;
    assert.match(
      joined(png.data!["text/plain"]),
      new RegExp(`${want.image} ${want.topNoun} #0`),
    );

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
    const scores = htmlOutputs(nb).find((h) => h.includes("Detector scores"))!;
    assert.match(scores, /not localized/);
    assert.match(
      streamText(nb),
      new RegExp(
        `${want.bothCount} images have both "${want.topNoun}" and "${want.secondNoun}"`,
      ),
    );
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
    ];
    const env = {
      ...want.env,
      XDG_CACHE_HOME: await tempDir("seg-nb-cache-"),
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
        if (!outputsOf(nb).some((o) => o.data?.["image/png"])) {
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
