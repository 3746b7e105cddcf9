// The shipped notebooks as a person sees them: Debian's classic Jupyter
// Notebook server on loopback with the Deno kernel, each notebook opened in
// headless Chromium, Cell > Run All, then what the page shows: no error, every
// image decoded and every SVG with a size, tables present, and no second
// output with content after a table or figure. It also measures how many
// plain results and printed lines the live front-end loses (README,
// "Troubleshooting") and prints the numbers. Every process it starts (the
// server, its kernels, Chromium) is stopped by pid, also on failure.
import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ensureSample, writeSample } from "../../lib/data/sample/sample.ts";
import {
  checkLiveTools,
  copyNotebooks,
  launchChromium,
  type LiveCell,
  type LiveOutput,
  runLive,
  startNotebookServer,
} from "../_support/browser.ts";
import {
  ensureDenoKernel,
  NOTEBOOKS,
  ROOT,
  tempDir,
  writeNotebook,
} from "../_support/jupyter.ts";

const tools = await checkLiveTools("tests/notebook/live_test.ts");

const isProgress = (o: LiveOutput) => o.html.includes("laion-fmri-progress");
const showsTable = (o: LiveOutput) =>
  /<table[^>]*class="dataframe"/.test(o.html);
const showsFigure = (o: LiveOutput) =>
  /<figure|<svg|class="seg-mask"|class="seg-summary"/.test(o.html);

/** Outputs a reader sees: streams, errors, and data with some content. */
function visible(outputs: LiveOutput[]): LiveOutput[] {
  return outputs.filter((o) =>
    o.output_type === "stream" || o.output_type === "error" ||
    o.mimes.length > 0
  );
}

/** What is wrong with one executed notebook, as lines (empty: all well). */
function problems(name: string, cells: LiveCell[]): string[] {
  const out: string[] = [];
  let tables = 0, figures = 0;
  cells.forEach((cell, i) => {
    const where = `${name} cell ${i + 1} (${
      cell.source.trim().split("\n").at(-1)
    })`;
    if (cell.executionCount === null) out.push(`${where}: never ran`);
    for (const o of cell.outputs) {
      if (o.output_type === "error") out.push(`${where}: ${o.error}`);
    }
    for (const x of cell.rendered.explorers) {
      if (!x.ready) out.push(`${where}: the explorer's script did not run`);
      else if (x.cards === 0) out.push(`${where}: the explorer shows no image`);
    }
    for (const img of cell.rendered.images) {
      if (!img.decoded) out.push(`${where}: an image did not decode`);
      else if (!(img.width > 0)) out.push(`${where}: an image has no width`);
    }
    for (const svg of cell.rendered.svgs) {
      if (!(svg.width > 0 && svg.height > 0)) {
        out.push(`${where}: an SVG of ${svg.width} x ${svg.height}`);
      }
    }
    const shown = visible(cell.outputs).filter((o) =>
      o.output_type !== "stream" && !isProgress(o)
    );
    const main = shown.filter((o) => showsTable(o) || showsFigure(o));
    tables += cell.rendered.tables > 0 && main.some(showsTable) ? 1 : 0;
    figures += main.filter((o) => !showsTable(o)).length;
    if (main.length > 0 && shown.length !== 1) {
      out.push(
        `${where}: ${shown.length} outputs with content (${
          shown.map((o) => `${o.output_type}: ${o.text.slice(0, 40)}`).join(
            "; ",
          )
        }), expected the table or figure alone`,
      );
    }
  });
  if (tables === 0) out.push(`${name}: no table shown`);
  if (figures === 0) out.push(`${name}: no figure shown`);
  return out;
}

Deno.test({
  name:
    "live notebook: every shipped notebook runs in Jupyter Notebook in Chromium, and lost outputs are measured",
  ignore: tools.ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    tools.assertPresent();
    await ensureDenoKernel();
    const root = await tempDir("seg-live-");
    const dataDir = await ensureSample(join(root, "sample"));
    const dirs = Object.fromEntries(
      await Promise.all(
        ["notebooks", "config", "cache", "runtime", "profile"].map(
          async (d) => {
            await Deno.mkdir(join(root, d));
            return [d, join(root, d)] as const;
          },
        ),
      ),
    );
    const names = await copyNotebooks(
      NOTEBOOKS,
      dirs.notebooks,
      pathToFileURL(join(ROOT, "mod.ts")).href,
    );
    assert.deepEqual(names, [
      "analysis.ipynb",
      "nouns.ipynb",
      "quickstart.ipynb",
    ]);
    const plainCells = 200, printCells = 100;
    const generated: string[] = [];
    for (let i = 0; i < plainCells; i++) generated.push(`${i} * 7 + 1`);
    for (let i = 0; i < printCells; i++) {
      generated.push(`console.log("line ${i} of the print cells")`);
    }
    await writeNotebook(join(dirs.notebooks, "lost_outputs.ipynb"), generated);
    // Long calls show one progress output, updated in place; a cached
    // answer shows none. A sample of about 1,800 masks: whole-file calls on
    // one thread take about a second.
    const big = await writeSample(join(root, "big"), {
      images: 240,
      stimuli: false,
    });
    const bigTotal = big.masks.toLocaleString("en-US");
    await writeNotebook(join(dirs.notebooks, "progress.ipynb"), [
      `import { Segmentations } from ${
        JSON.stringify(pathToFileURL(join(ROOT, "mod.ts")).href)
      };\nconst seg = await Segmentations.open({ dataDir: ${
        JSON.stringify(big.dataDir)
      } });\nconst many = Array.from({ length: 8000 }, (_, i) => i % seg.length);`,
      `const stats = await seg.stats(undefined, { cache: false, workers: 0 });\nstats.head(2)`,
      `await seg.stats(); // writes the whole file's cache\nseg.metadata.head(1)`,
      `const cached = await seg.stats();\ncached.head(2)`,
      `const coco = await seg.toCoco();\nseg.metadata.head(1)`,
      `let n = 0;\nfor await (const mask of seg.masks(many)) n += mask.width > 0 ? 1 : 0;\nseg.metadata.head(1)`,
      `let quiet = 0;\nawait seg.stats(undefined, { cache: false, workers: 0, onProgress: () => quiet++ });\nseg.metadata.head(1)`,
    ]);

    await using server = await startNotebookServer(
      dirs.notebooks,
      dirs.runtime,
      {
        ...Deno.env.toObject(),
        LAION_FMRI_DATA_DIR: dataDir,
        XDG_CONFIG_HOME: dirs.config,
        LAION_FMRI_CACHE_DIR: dirs.cache,
      },
    );
    await using chrome = await launchChromium(tools.chromium, dirs.profile);
    assert.ok(server.pid > 0 && chrome.pid > 0);

    for (const name of names) {
      await t.step(name, async () => {
        const cells = await runLive(server, chrome, name);
        assert.ok(cells.length >= 5, `${name}: ${cells.length} code cells`);
        assert.deepEqual(problems(name, cells), []);
        if (name === "quickstart.ipynb") {
          assert.ok(
            cells.some((c) => c.rendered.explorers.length === 1),
            "the explorer runs in the live notebook",
          );
        }
        const empty = cells.reduce((n, c) => n + c.rendered.emptyPrompts, 0);
        console.log(
          `${name}: ${cells.length} cells, ${
            cells.reduce((n, c) => n + c.rendered.images.length, 0)
          } images and ${
            cells.reduce((n, c) => n + c.rendered.svgs.length, 0)
          } SVGs rendered, ${empty} empty Out[n] prompts (results {})`,
        );
      });
    }

    await t.step(
      "long calls show one progress line; cached ones none",
      async () => {
        const cells = await runLive(server, chrome, "progress.ipynb");
        const errors = cells.flatMap((c) =>
          c.outputs.filter((o) => o.output_type === "error").map((o) => o.error)
        );
        assert.deepEqual(errors, []);
        const progressOf = (i: number) => cells[i].outputs.filter(isProgress);
        for (
          const [i, label, total] of [
            [1, "seg.stats", bigTotal],
            [4, "seg.toCoco", bigTotal],
            [5, "seg.masks", "8,000"],
          ] as const
        ) {
          const lines = progressOf(i);
          assert.equal(lines.length, 1, `${label}: one progress output`);
          assert.match(
            lines[0].text,
            new RegExp(`^${label.replace(".", "\\.")}: ${total} masks in \\d`),
            `${label}: its closing line`,
          );
        }
        assert.deepEqual(
          progressOf(3),
          [],
          "a cached answer shows no progress",
        );
        assert.deepEqual(
          progressOf(6),
          [],
          "a caller's onProgress replaces it",
        );
        // The table is still the one output besides the progress line.
        assert.deepEqual(
          problems("progress.ipynb", cells).filter((p) =>
            !/no figure shown/.test(p)
          ),
          [],
        );
      },
    );

    await t.step(
      "lost outputs of plain results and printed lines",
      async () => {
        const cells = await runLive(server, chrome, "lost_outputs.ipynb", {
          settleMs: 3000,
        });
        assert.equal(cells.length, plainCells + printCells);
        const m = countLost(cells, plainCells);
        assert.deepEqual(m.wrong, [], "only the cells' own values");
        console.log(
          `live Jupyter Notebook ${
            (await notebookVersion()) ?? "?"
          } with Deno ${Deno.version.deno}'s kernel, one run: lost ${m.lostResults} of ${plainCells} plain results (${m.movedResults} shown under a later cell), ${m.lostPrints} of ${printCells} printed lines (${m.movedPrints} under a later cell)`,
        );
      },
    );
  },
});

async function notebookVersion(): Promise<string | undefined> {
  const out = await new Deno.Command("jupyter", {
    args: ["notebook", "--version"],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(out.stdout).trim() || undefined;
}

/**
 * Lost outputs of the generated notebook (cells 0..plain-1 end with
 * `i * 7 + 1`, the rest print one line each). A late output is the kernel's
 * fault: missing under its cell, and in the live Notebook shown under a later
 * cell instead. Counted; any other text is wrong.
 */
function countLost(cells: LiveCell[], plain: number) {
  const valueOf = (i: number) =>
    i < plain ? String(i * 7 + 1) : `line ${i - plain} of the print cells\n`;
  const values = new Set(cells.map((_, i) => valueOf(i)));
  let lostResults = 0, lostPrints = 0, movedResults = 0, movedPrints = 0;
  const wrong: string[] = [];
  cells.forEach((cell, i) => {
    assert.notEqual(cell.executionCount, null, `cell ${i + 1} ran`);
    const want = valueOf(i);
    const got: string[] = [];
    for (const o of cell.outputs) {
      if (o.output_type === "error") {
        wrong.push(`cell ${i + 1}: ${o.error}`);
        continue;
      }
      // The kernel colours plain results (ANSI codes in text/plain).
      // deno-lint-ignore no-control-regex
      const text = o.text.replace(/\x1b\[[0-9;]*m/g, "");
      // One stream output may hold several cells' lines.
      if (o.output_type === "stream") got.push(...text.split(/(?<=\n)/));
      else got.push(text);
    }
    if (!got.includes(want)) i < plain ? lostResults++ : lostPrints++;
    for (const g of got) {
      if (g === want) continue;
      if (!values.has(g)) wrong.push(`cell ${i + 1}: ${JSON.stringify(g)}`);
      else if (g.startsWith("line ")) movedPrints++;
      else movedResults++;
    }
  });
  return { lostResults, lostPrints, movedResults, movedPrints, wrong };
}
