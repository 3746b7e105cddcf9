// Every Polars DataFrame a user evaluates in the Deno kernel shows its table:
// a notebook of 200+ DataFrame cells (metadata slices, filters, nounCounts,
// stats, forImage, empty frames) executed ONCE by nbconvert with the Deno
// kernel, no retries; plus the rendering itself, outside any kernel.
import assert from "node:assert/strict";
import { join } from "node:path";
import { pl } from "../../lib/deps.ts";
import { ensureSample } from "../../lib/data/sample/sample.ts";
import { Segmentations } from "../../lib/notebook/segmentations.ts";
import {
  dtypeName,
  frameBundle,
  installFrameDisplay,
} from "../../lib/notebook/frame_display.ts";
import {
  checkTools,
  codeCells,
  ensureDenoKernel,
  errorOutputs,
  executeNotebook,
  joined,
  ROOT,
  tempDir,
  writeNotebook,
} from "../_support/jupyter.ts";

const tools = await checkTools(["jupyter"], "tests/notebook/frames_test.ts");

Deno.test("frames: the table reads like Python Polars', everything escaped", () => {
  const frame = pl.DataFrame({
    "<b>name</b>": ["<script>alert(1)</script>", null, 'say "hi" & go'],
    score: [0.5, 1, 0.123456789],
    n: [1, 2, 3],
  }).withColumns(pl.col("n").cast(pl.Int64), pl.lit(true).alias("ok"));
  const { "text/html": html, "text/plain": text } = frameBundle(frame);
  assert.match(html, /<small>shape: \(3, 4\)<\/small>/);
  assert.match(
    html,
    /<thead><tr><th>&lt;b&gt;name&lt;\/b&gt;<\/th><th>score<\/th><th>n<\/th><th>ok<\/th><\/tr><tr><td>str<\/td><td>f64<\/td><td>i64<\/td><td>bool<\/td><\/tr><\/thead>/,
  );
  assert.ok(
    html.includes("<td>&quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;</td>"),
  );
  assert.ok(html.includes("<td>&quot;say &quot;hi&quot; &amp; go&quot;</td>"));
  assert.ok(!html.includes("<script>"), "no live markup from the data");
  assert.ok(html.includes("<td>null</td><td>1.0</td><td>2</td><td>true</td>"));
  assert.ok(html.includes("<td>0.123457</td>"));
  assert.match(text, /^shape: \(3, 4\)\n┌/);
  assert.match(text, /│ --- /);
});

Deno.test("frames: long and wide frames show head and tail around ellipses", () => {
  const long = pl.DataFrame({ x: Array.from({ length: 25 }, (_, i) => i) })
    .withColumns(pl.col("x").cast(pl.Int64));
  const html = frameBundle(long)["text/html"];
  const rows = [...html.matchAll(/<tr><td>([^<]*)<\/td><\/tr>/g)].map((m) =>
    m[1]
  );
  // dtype row, 5 head rows, the ellipsis row, 5 tail rows.
  assert.deepEqual(rows, [
    "i64",
    "0",
    "1",
    "2",
    "3",
    "4",
    "&hellip;",
    "20",
    "21",
    "22",
    "23",
    "24",
  ]);
  const small = frameBundle(long, { maxRows: 3 })["text/html"];
  assert.deepEqual(
    [...small.matchAll(/<tr><td>([^<]*)<\/td><\/tr>/g)].map((m) => m[1]),
    ["i64", "0", "1", "&hellip;", "24"],
  );
  const wide = pl.DataFrame(
    Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`c${i}`, [i]])),
  );
  const w = frameBundle(wide, { maxCols: 4 })["text/html"];
  assert.match(
    w,
    /<tr><th>c0<\/th><th>c1<\/th><th>&hellip;<\/th><th>c7<\/th><th>c8<\/th><\/tr>/,
  );
  assert.match(w, /<small>shape: \(1, 9\)<\/small>/);
});

Deno.test("frames: empty frames, nulls, lists and dates", () => {
  const empty = pl.DataFrame({ a: [1] }).clear();
  const html = frameBundle(empty)["text/html"];
  assert.match(html, /<small>shape: \(0, 1\)<\/small>/);
  assert.match(html, /<tbody><\/tbody>/);
  assert.equal(
    frameBundle(pl.DataFrame({}))["text/html"].includes("shape: (0, 0)"),
    true,
  );
  const mixed = pl.DataFrame({
    l: [["a", "<b>"]],
    d: [new Date(Date.UTC(2024, 0, 2))],
  })
    .withColumns(
      pl.col("d").cast(pl.Date).alias("day"),
      pl.lit(null).alias("z"),
    );
  assert.deepEqual(mixed.dtypes.map(dtypeName), [
    "list[str]",
    "datetime[ms]",
    "date",
    "null",
  ]);
  const m = frameBundle(mixed)["text/html"];
  assert.ok(m.includes("<td>[&quot;a&quot;, &quot;&lt;b&gt;&quot;]</td>"), m);
  assert.ok(
    m.includes("<td>2024-01-02 00:00:00</td><td>2024-01-02</td><td>null</td>"),
    m,
  );
});

Deno.test("frames: outside the kernel nothing changes", async () => {
  assert.equal(await installFrameDisplay(), false);
  const frame = pl.DataFrame({ a: [1] });
  const hook = (frame as unknown as Record<symbol, () => unknown>)[
    Symbol.for("Jupyter.display")
  ];
  // nodejs-polars' own hook, which returns its bundle synchronously.
  const bundle = hook.call(frame) as Record<string, string>;
  assert.ok(bundle["text/html"].includes("<table"));
  assert.ok("application/vnd.dataresource+json" in bundle);
});

/** One notebook cell: its code, and the same expression evaluated here. */
type Cell = [
  code: string,
  frame: (seg: Segmentations) => Promise<pl.DataFrame> | pl.DataFrame,
];

function cells(seg: Segmentations): Cell[] {
  const out: Cell[] = [];
  const images = seg.images();
  for (let i = 0; i < 70; i++) {
    const at = (i * 7) % Math.max(1, seg.metadata.height - 3);
    out.push([`seg.metadata.slice(${at}, 3)`, (s) => s.metadata.slice(at, 3)]);
  }
  for (let i = 0; i < 40; i++) {
    const t = (i / 40).toFixed(3);
    out.push([
      `seg.metadata.filter(pl.col("score").gt(${t}))`,
      (s) => s.metadata.filter(pl.col("score").gt(Number(t))),
    ]);
  }
  for (let i = 0; i < 25; i++) {
    const n = 10 + i * 9;
    out.push([
      `seg.nounCounts(seg.metadata.head(${n}))`,
      (s) => s.nounCounts(s.metadata.head(n)),
    ]);
  }
  for (let i = 0; i < 25; i++) {
    const at = (i * 5) % Math.max(1, seg.metadata.height - 4);
    out.push([
      `await seg.stats(seg.metadata.slice(${at}, 4))`,
      (s) => s.stats(s.metadata.slice(at, 4)),
    ]);
  }
  for (let i = 0; i < 30; i++) {
    const image = images[i % images.length];
    out.push([
      `seg.forImage(${JSON.stringify(image)})`,
      (s) => s.forImage(image),
    ]);
  }
  for (let i = 0; i < 10; i++) {
    out.push(
      i % 2
        ? [
          `seg.forImage("not-a-shared-image-${i}.jpg")`,
          (s) => s.forImage(`not-a-shared-image-${i}.jpg`),
        ]
        : [
          `seg.metadata.filter(pl.col("score").gt(2))`,
          (s) => s.metadata.filter(pl.col("score").gt(2)),
        ],
    );
  }
  return out;
}

Deno.test({
  name:
    "frames: a notebook of 200 DataFrame cells shows every table, run once with no retries",
  ignore: tools.ignore,
  sanitizeResources: false,
  async fn() {
    tools.assertPresent();
    await ensureDenoKernel();
    const root = await tempDir("seg-frames-");
    const dataDir = await ensureSample(join(root, "sample"));
    using seg = await Segmentations.open({ dataDir });
    const list = cells(seg);
    assert.ok(list.length >= 200, `${list.length} cells`);
    const expected: string[] = [];
    for (const [, frame] of list) {
      const f = await frame(seg);
      expected.push(`<small>shape: (${f.height}, ${f.width})</small>`);
    }
    assert.ok(expected.some((e) => e.includes("(0, ")), "some empty frames");

    const setup = `import { pl, Segmentations } from ${
      JSON.stringify(join(ROOT, "mod.ts"))
    };\nconst seg = await Segmentations.open({ dataDir: ${
      JSON.stringify(dataDir)
    } });`;
    const path = join(root, "frames.ipynb");
    await writeNotebook(path, [setup, ...list.map(([code]) => code)]);
    const { nb } = await executeNotebook(path, Deno.env.toObject(), () => []);
    assert.deepEqual(errorOutputs(nb), []);
    const executed = codeCells(nb).slice(1);
    assert.equal(executed.length, list.length);
    const lacking: string[] = [];
    executed.forEach((cell, i) => {
      const tables = cell.outputs.filter((o) =>
        o.output_type === "display_data" &&
        joined(o.data?.["text/html"]).includes(
          '<table border="1" class="dataframe">',
        )
      );
      const html = tables.map((o) => joined(o.data!["text/html"])).join("");
      if (tables.length !== 1 || !html.includes(expected[i])) {
        lacking.push(`${cell.source} (${tables.length} tables)`);
      }
      // The table is the cell's one output: no `shape:` line as its result.
      const echoes = cell.outputs.filter((o) =>
        o.output_type === "execute_result" &&
        Object.keys(o.data ?? {}).length > 0
      );
      if (echoes.length > 0) {
        lacking.push(`${cell.source} (a result besides the table)`);
      }
    });
    assert.deepEqual(
      lacking,
      [],
      `${lacking.length} of ${executed.length} cells lack their table`,
    );
  },
});
