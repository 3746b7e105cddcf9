// `deno task cli export-coco OUT.json [--min-score S]`: the real command in a
// subprocess, on the h5py-written analysis fixture.
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { decodeRle, Segmentations } from "../../mod.ts";
import { main } from "../../lib/cli/main.ts";
import { ANALYSIS_FIXTURE } from "../_support/analysis_fixture.ts";

const MAIN = fileURLToPath(new URL("../../lib/cli/main.ts", import.meta.url));

async function cli(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return {
    code: out.code,
    stdout: text.decode(out.stdout),
    stderr: text.decode(out.stderr),
  };
}

Deno.test("cli export-coco writes a COCO file with the masks scoring at least S", async () => {
  const dir = await Deno.makeTempDir({ prefix: "seg-coco-" });
  try {
    const out = join(dir, "masks.json");
    const run = await cli([
      "export-coco",
      out,
      "--min-score",
      "0.6",
      "--data-dir",
      ANALYSIS_FIXTURE,
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), out);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), [
      "masks.json",
    ], "no partial file left");
    const coco = JSON.parse(await Deno.readTextFile(out));
    using seg = await Segmentations.open({ dataDir: ANALYSIS_FIXTURE });
    const scores = seg.metadata.getColumn("score").toArray() as number[];
    assert.equal(
      coco.annotations.length,
      scores.filter((s) => s >= 0.6).length,
    );
    for (const a of coco.annotations) {
      assert.ok(a.score >= 0.6);
      assert.deepEqual(
        decodeRle(a.segmentation).data,
        seg.row(a.mask_row).data,
      );
    }
    assert.deepEqual(Object.keys(coco).sort(), [
      "annotations",
      "categories",
      "images",
      "info",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli export-coco: bad usage exits 2 with a one-line error", async () => {
  const lines: string[] = [];
  const err = (l: string) => lines.push(l);
  assert.equal(
    await main(["export-coco", "--data-dir", ANALYSIS_FIXTURE], {
      stderr: err,
    }),
    2,
  );
  assert.match(lines.pop()!, /^error: export-coco: missing argument OUT\.json/);
  assert.equal(
    await main([
      "export-coco",
      "x.json",
      "--min-score",
      "high",
      "--data-dir",
      ANALYSIS_FIXTURE,
    ], { stderr: err }),
    2,
  );
  assert.match(lines.pop()!, /--min-score must be a number, got "high"/);
  const help: string[] = [];
  await main(["--help"], { stdout: (l) => help.push(l) });
  assert.ok(
    help.some((l) => l.includes("export-coco OUT.json [--min-score S]")),
  );
});

Deno.test("cli export-coco: an unwritable OUT is an error naming it", async () => {
  const lines: string[] = [];
  const out = join(ANALYSIS_FIXTURE, "no-such-dir", "x.json");
  const code = await main(
    ["export-coco", out, "--data-dir", ANALYSIS_FIXTURE],
    { stderr: (l) => lines.push(l) },
  );
  assert.equal(code, 1);
  assert.ok(lines[0].startsWith(`error: cannot write ${out}`), lines[0]);
});
