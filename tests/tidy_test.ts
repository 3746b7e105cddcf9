// The guard behind `deno task test`: the suite runs with TMPDIR set to a
// private folder, and the run fails when a test leaves anything there.
import assert from "node:assert/strict";
import { join } from "node:path";
import { ROOT, run } from "./_support/jupyter.ts";
import { scopedTempDir } from "./_support/helpers.ts";

const RUNNER = join(ROOT, "tests", "_support", "run_tests.ts");

async function runWith(test: string): Promise<{ code: number; out: string }> {
  await using dir = await scopedTempDir("seg-tidy-");
  const file = join(dir.path, "probe_test.ts");
  await Deno.writeTextFile(file, test);
  const result = await run(Deno.execPath(), ["run", "-A", RUNNER, file], {
    env: { ...Deno.env.toObject(), NO_COLOR: "1" },
    timeoutMs: 120_000,
  });
  assert.ok(result);
  return { code: result.code, out: result.stdout + result.stderr };
}

Deno.test("tidy: a test that leaves a temp dir fails the run, naming it", async () => {
  const { code, out } = await runWith(
    `Deno.test("leaks", async () => { await Deno.makeTempDir({ prefix: "left-behind-" }); });`,
  );
  assert.notEqual(code, 0);
  assert.match(
    out,
    /error: the tests left 1 entry in their temp dir: left-behind-\w+\./,
  );
});

Deno.test("tidy: a test that removes what it creates passes, and TMPDIR is private", async () => {
  const { code, out } = await runWith(
    `Deno.test("tidy", async () => {
      const tmp = Deno.env.get("TMPDIR") ?? "";
      if (!/seg-tests-tmp-/.test(tmp)) throw new Error("TMPDIR is " + tmp);
      const dir = await Deno.makeTempDir();
      if (!dir.startsWith(tmp)) throw new Error(dir);
      await Deno.remove(dir);
    });`,
  );
  assert.equal(code, 0, out);
  assert.match(out, /temp dir check: the tests left nothing behind\./);
});
