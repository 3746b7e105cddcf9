// The quickstart notebook, executed by Jupyter, rendered to HTML by nbconvert
// and screenshotted by headless Chromium: the overlay's noun colours must be
// on screen, as must the stimulus image under the masks.
import { tempDirAtExit } from "../_support/helpers.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { NOUN_PALETTE, rgbOf } from "../../lib/plot/_colors.ts";
import { paletteFor } from "../../lib/plot/palette.ts";
import { ensureSample } from "../../lib/data/sample/sample.ts";
import { Segmentations } from "../../lib/notebook/segmentations.ts";
import {
  checkTools,
  countNear,
  decodeImage,
  ensureDenoKernel,
  errorOutputs,
  executeNotebook,
  joined,
  NOTEBOOKS,
  notebookToHtml,
  screenshot,
  tempDir,
} from "../_support/jupyter.ts";

const tools = await checkTools(
  ["jupyter", "chromium"],
  "tests/plot/render_test.ts",
);

Deno.test({
  name:
    "render: quickstart overlay in Chromium shows every legend colour over the stimulus",
  ignore: tools.ignore,
  sanitizeResources: false,
  async fn() {
    tools.assertPresent();
    await ensureDenoKernel();
    const root = await tempDir("seg-render-");
    const dataDir = await ensureSample(join(root, "sample"));
    await Deno.mkdir(join(root, "config"));

    // The overlay's image and nouns, as the notebook picks them.
    let image: string, nouns: string[], colors: string[];
    {
      using seg = await Segmentations.open({ dataDir });
      const rows = (seg.metadata.toRecords() as {
        image_name: string;
        noun: string;
        localized: number;
      }[]).filter((r) => r.localized === 1);
      const counts = new Map<string, number>();
      for (const r of rows) counts.set(r.noun, (counts.get(r.noun) ?? 0) + 1);
      const top = [...counts].sort((a, b) =>
        b[1] - a[1] || (a[0] < b[0] ? -1 : 1)
      )[0][0];
      image = rows.find((r) => r.noun === top)!.image_name;
      nouns = [
        ...new Set(
          rows.filter((r) => r.image_name === image).map((r) => r.noun),
        ),
      ];
      // The dataset's palette, which every figure uses.
      const palette = paletteFor(seg.metadata);
      colors = nouns.map((n) => palette.get(n)!);
    }

    const { nb, path, missing } = await executeNotebook(
      join(NOTEBOOKS, "quickstart.ipynb"),
      {
        ...Deno.env.toObject(),
        LAION_FMRI_DATA_DIR: dataDir,
        XDG_CONFIG_HOME: join(root, "config"),
      },
      // The first overlay, with every noun of the image in its legend.
      (nb) =>
        nb.cells.some((c) =>
            (c.outputs ?? []).some((o) => {
              const html = joined(o.data?.["text/html"]);
              return html.includes("seg-masks") &&
                nouns.every((n) => html.includes(`</svg>${n}</span>`));
            })
          )
          ? []
          : ["the overlay of all nouns"],
    );
    assert.deepEqual(errorOutputs(nb), []);
    assert.deepEqual(missing, []);

    // Only the overlay's output: the gallery and the explorer above and
    // below it show other nouns' colours.
    const executed = JSON.parse(await Deno.readTextFile(path));
    let kept = false;
    for (const cell of executed.cells) {
      const isOverlay = !kept && (cell.outputs ?? []).some((
        o: { data?: Record<string, string | string[]> },
      ) => {
        const h = joined(o.data?.["text/html"]);
        return h.includes("seg-masks") &&
          nouns.every((n) => h.includes(`</svg>${n}</span>`));
      });
      if (isOverlay) kept = true;
      else if (cell.cell_type === "code") cell.outputs = [];
    }
    assert.ok(kept, "the overlay cell");
    const overlayOnly = join(root, "overlay.ipynb");
    await Deno.writeTextFile(overlayOnly, JSON.stringify(executed));
    const html = await notebookToHtml(overlayOnly);
    // Kept after the run, for a person to look at.
    const shots = await tempDirAtExit("seg-screenshot-");
    const png = await screenshot(html, join(shots, "quickstart.png"), {
      width: 1200,
      height: 4000,
    });
    console.log(`screenshot: ${png}`);
    const pixels = await decodeImage(png);
    assert.equal(pixels.width, 1200);

    // Each noun's colour: legend swatch, label chip and outline, unblended.
    nouns.forEach((noun, i) => {
      const n = countNear(pixels, rgbOf(colors[i]));
      assert.ok(n >= 150, `${noun} (${colors[i]}): ${n} pixels, want >= 150`);
    });
    // A palette colour of no noun shown stays (almost) absent: the counts
    // above come from the overlay, not from colours that happen to match.
    const unused = NOUN_PALETTE.filter((c) => !colors.includes(c))[2];
    assert.ok(
      countNear(pixels, rgbOf(unused)) < 50,
      `unused palette colour ${unused} should be absent`,
    );
    // The synthetic stimulus's sky (#87ceeb at the top of each image) is under the masks.
    const sky = countNear(pixels, [0x87, 0xce, 0xeb], 10);
    assert.ok(sky >= 2000, `stimulus sky pixels: ${sky}, want >= 2000`);
  },
});
