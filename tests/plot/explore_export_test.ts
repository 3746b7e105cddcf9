/// <reference lib="dom" />
// The explorer in nbconvert's HTML export of the quickstart notebook, as
// someone receiving the exported file sees it: the view's script runs in the
// exported page, without a kernel or a server, and filters by noun.
import assert from "node:assert/strict";
import { join } from "node:path";
import { ensureSample } from "../../lib/data/sample/sample.ts";
import { Segmentations } from "../../lib/notebook/segmentations.ts";
import {
  checkTools,
  ensureDenoKernel,
  errorOutputs,
  executeNotebook,
  NOTEBOOKS,
  notebookToHtml,
  run,
  tempDir,
} from "../_support/jupyter.ts";
import { launchChromium } from "../_support/browser.ts";

const tools = await checkTools(
  ["jupyter", "chromium"],
  "tests/plot/explore_export_test.ts",
);

Deno.test({
  name: "explore: works in nbconvert's HTML export of the quickstart notebook",
  ignore: tools.ignore,
  sanitizeResources: false,
  async fn() {
    tools.assertPresent();
    await ensureDenoKernel();
    const root = await tempDir("seg-export-");
    const dataDir = await ensureSample(join(root, "sample"));
    await Deno.mkdir(join(root, "config"));
    const { nb, path, missing } = await executeNotebook(
      join(NOTEBOOKS, "quickstart.ipynb"),
      {
        ...Deno.env.toObject(),
        LAION_FMRI_DATA_DIR: dataDir,
        XDG_CONFIG_HOME: join(root, "config"),
      },
      (nb) =>
        nb.cells.some((c) =>
            (c.outputs ?? []).some((o) =>
              String(o.data?.["text/html"] ?? "").includes("seg-explore")
            )
          )
          ? []
          : ["the explorer"],
    );
    assert.deepEqual(errorOutputs(nb), []);
    assert.deepEqual(missing, []);
    const page = await notebookToHtml(path);

    using seg = await Segmentations.open({ dataDir });
    const noun = seg.nounCounts().getColumn("noun").get(0) as string;
    const chromium = (await run("which", ["chromium"]))?.stdout.trim() ||
      "chromium";
    await using browser = await launchChromium(chromium, join(root, "profile"));
    const tab = await browser.browser.newPage();
    const errors: string[] = [];
    tab.on("pageerror", (e) => errors.push(String(e)));
    // The export loads no network resource this test needs: the view is inline.
    await tab.goto(`file://${page}`, { waitUntil: "domcontentloaded" });
    await tab.waitForSelector(".seg-explore[data-ready]", { timeout: 30_000 });
    const all = Number(
      await tab.$eval(".seg-explore", (e) => e.getAttribute("data-visible")),
    );
    assert.equal(all, Math.min(40, seg.images().length));
    await tab.type(".seg-x-noun", noun);
    const withNoun = Number(
      await tab.$eval(".seg-explore", (e) => e.getAttribute("data-visible")),
    );
    assert.equal(
      withNoun,
      seg.imagesWith({ anyOf: [noun] }).filter((i) =>
        seg.images().slice(0, 40).includes(i)
      ).length,
    );
    assert.deepEqual(
      errors.filter((e) => !/require|define|jquery|MathJax/i.test(e)),
      [],
    );
  },
});
