// A researcher's own folder, outside this checkout and with no deno.json:
// a script importing mod.ts by absolute path and by file:// URL, the CLI run
// by path, and a notebook executed there by Jupyter with the Deno kernel all
// work: Web Workers (seg.masks), the h5wasm fallback and the figures included.
// (An https URL of the repository's raw files works the same way but cannot
// be tested here: no network.)
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { Segmentations } from "../../lib/notebook/segmentations.ts";
import { ensureSample } from "../../lib/data/sample/sample.ts";
import { DENO_DIR, H5PY_FIXTURE, tempDirAtExit } from "../_support/helpers.ts";
import {
  checkTools,
  codeCells,
  ensureDenoKernel,
  errorOutputs,
  executeNotebook,
  joined,
  ROOT,
  run,
  writeNotebook,
} from "../_support/jupyter.ts";

const tools = await checkTools(
  ["jupyter"],
  "tests/notebook/from_anywhere_test.ts",
);
const MOD = join(ROOT, "mod.ts");

/** A fresh folder outside the checkout, with no Deno config in it or above it. */
async function userFolder(): Promise<string> {
  const dir = await Deno.realPath(
    await tempDirAtExit("seg-user-"),
  );
  assert.ok(!dir.startsWith(ROOT), `${dir} is inside the checkout`);
  for (let d = dir;; d = dirname(d)) {
    for (const name of ["deno.json", "deno.jsonc", "package.json"]) {
      const found = await Deno.stat(join(d, name)).then(
        () => true,
        () => false,
      );
      assert.ok(
        !found,
        `${join(d, name)} exists: the folder must have no config`,
      );
    }
    if (dirname(d) === d) break;
  }
  return dir;
}

function envFor(dir: string, dataDir?: string): Record<string, string> {
  return {
    ...Deno.env.toObject(),
    NO_COLOR: "1",
    XDG_CACHE_HOME: join(dir, "cache"),
    DENO_DIR,
    XDG_CONFIG_HOME: join(dir, "config"),
    ...(dataDir ? { LAION_FMRI_DATA_DIR: dataDir } : {}),
  };
}

/** The analysis script a user writes; `SPEC` is how it names mod.ts. */
const SCRIPT = `import { ensureSample, pl, Segmentations } from SPEC;

const results = [];
for (const dataDir of [await ensureSample(), Deno.args[0]]) {
  using seg = await Segmentations.open({ dataDir });
  let streamed = 0, area = 0;
  // 30 masks and 2 workers: enough for the Web Worker path (24 and up).
  for await (const mask of seg.masks(seg.metadata.filter(pl.col("mask_row").lt(30)), { workers: 2 })) {
    streamed++;
    area += mask.area;
  }
  using slow = await Segmentations.open({ dataDir, reader: "h5wasm" });
  const rows = seg.metadata.getColumn("mask_row").toArray().map(Number);
  const sameMasks = rows.every((r) => {
    const a = seg.row(r).data, b = slow.row(r).data;
    return a.length === b.length && a.every((v, i) => v === b[i]);
  });
  const image = seg.images()[0];
  // The h5py fixture's stimuli are not real JPEGs: draw its masks alone.
  const figure = await seg.show(image, { stimulus: results.length === 0 });
  results.push({
    dataDir, reader: seg.reader, slowReader: slow.reader, streamed, area, sameMasks,
    masks: seg.length, figure: figure.outerHTML.includes("seg-masks") && figure.outerHTML.includes(image),
  });
}
console.log(JSON.stringify(results));
`;

Deno.test({
  name:
    "from anywhere: a script importing mod.ts by path and by file URL, from a folder with no config",
  sanitizeResources: false,
  async fn() {
    const dir = await userFolder();
    try {
      for (const spec of [MOD, pathToFileURL(MOD).href]) {
        const script = join(dir, "analysis.ts");
        await Deno.writeTextFile(
          script,
          SCRIPT.replace("SPEC", JSON.stringify(spec)),
        );
        const out = await run(Deno.execPath(), [
          "run",
          "-A",
          "analysis.ts",
          H5PY_FIXTURE,
        ], {
          cwd: dir,
          env: envFor(dir),
        });
        assert.ok(out, "deno runs");
        assert.equal(out.code, 0, `${spec}:\n${out.stderr}`);
        const [sample, h5py] = JSON.parse(out.stdout.trim().split("\n").pop()!);
        for (const r of [sample, h5py]) {
          // Checked against this process's own read of the same files.
          using seg = await Segmentations.open({ dataDir: r.dataDir });
          // The CSV's mask rows below 30, each read by its own HDF5 row.
          const listed = new Set(
            seg.metadata.getColumn("mask_row").toArray().map(Number),
          );
          let area = 0, n = 0;
          for (let row = 0; row < 30; row++) {
            if (!listed.has(row)) continue;
            area += seg.row(row).area;
            n++;
          }
          assert.equal(
            r.streamed,
            n,
            `${spec}: masks streamed from ${r.dataDir}`,
          );
          assert.equal(r.area, area);
          assert.equal(r.masks, seg.length);
          assert.equal(r.slowReader, "h5wasm");
          assert.equal(r.sameMasks, true, "h5wasm and the chunk reader agree");
          assert.equal(r.figure, true, "seg.show drew the overlay");
        }
        assert.equal(sample.reader, "chunks");
        assert.equal(
          sample.streamed,
          30,
          "the sample's 30 masks went through the workers",
        );
        assert.ok(
          sample.dataDir.startsWith(join(dir, "cache")),
          sample.dataDir,
        );
        await Deno.stat(join(dir, "deno.lock")).then(
          () => assert.fail("a deno.lock appeared in the user's folder"),
          () => {},
        );
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "from anywhere: the CLI run by path from a folder with no config",
  sanitizeResources: false,
  async fn() {
    const dir = await userFolder();
    try {
      const out = await run(
        Deno.execPath(),
        ["run", "-A", join(ROOT, "lib", "cli", "main.ts"), "info"],
        { cwd: dir, env: envFor(dir, H5PY_FIXTURE) },
      );
      assert.ok(out);
      assert.equal(out.code, 0, out.stderr);
      using seg = await Segmentations.open({ dataDir: H5PY_FIXTURE });
      assert.match(out.stdout, new RegExp(`^masks +${seg.length}$`, "m"));
      assert.match(
        out.stdout,
        new RegExp(H5PY_FIXTURE.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")),
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "from anywhere: a notebook in the user's folder, run by Jupyter with the Deno kernel",
  ignore: tools.ignore,
  sanitizeResources: false,
  async fn() {
    tools.assertPresent();
    await ensureDenoKernel();
    const dir = await userFolder();
    try {
      // A cell whose last act is console.log ends with one turn of the
      // event loop: without it the Deno kernel can send the text after the
      // cell went idle, and nbconvert drops it (12-17 of 300 such cells
      // measured; 0 of 600 with the turn). README, "Troubleshooting".
      const turn = "\nawait new Promise((r) => setTimeout(r, 0));";
      const cells = [
        `import { pl, Segmentations } from ${
          JSON.stringify(MOD)
        };\nconst seg = await Segmentations.open();`,
        `const byUrl = await import(${
          JSON.stringify(pathToFileURL(MOD).href)
        });\nconsole.log("same module by URL:", byUrl.Segmentations === Segmentations);${turn}`,
        `seg.metadata.head(3)`,
        `let streamed = 0;\nfor await (const mask of seg.masks(seg.metadata.head(30), { workers: 2 })) streamed += mask.width === seg.width ? 1 : 0;\nconsole.log("streamed", streamed);${turn}`,
        `const slow = await Segmentations.open({ reader: "h5wasm" });\nconsole.log("fallback", slow.reader, slow.row(0).area === seg.row(0).area);${turn}`,
        `await seg.show(seg.images()[0])`,
      ];
      const path = join(dir, "my_analysis.ipynb");
      await writeNotebook(path, cells);
      const sample = await ensureSample(join(dir, "sample"));
      const { nb } = await executeNotebook(
        path,
        envFor(dir, sample),
        () => [],
        { cwd: dir },
      );
      assert.deepEqual(errorOutputs(nb), []);
      const outputs = codeCells(nb).flatMap((c) => c.outputs);
      const text = outputs.filter((o) => o.output_type === "stream").map((o) =>
        joined(o.text)
      ).join("");
      assert.match(text, /same module by URL: true/);
      assert.match(text, /streamed 30/);
      assert.match(text, /fallback h5wasm true/);
      const html = outputs.map((o) => joined(o.data?.["text/html"])).join("\n");
      assert.match(html, /<small>shape: \(3, 11\)<\/small>/);
      assert.match(html, /seg-masks/);
      assert.match(html, /class="seg-stimulus"/, "drawn over the stimulus");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
