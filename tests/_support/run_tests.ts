// `deno task test`: the whole suite (or the files given) with TMPDIR set to a
// fresh private folder, then a check that the tests left nothing in it. A
// private folder, because other programs use the system temp dir meanwhile.
const tmp = await Deno.makeTempDir({ prefix: "seg-tests-tmp-" });
const child = new Deno.Command(Deno.execPath(), {
  args: ["test", "-A", "--doc", ...Deno.args],
  env: { TMPDIR: tmp },
  stdin: "inherit",
  stdout: "piped",
  stderr: "inherit",
}).spawn();
// Pass the output through, keeping its end for deno test's summary line.
let tail = "";
const decoder = new TextDecoder();
for await (const chunk of child.stdout) {
  await Deno.stdout.write(chunk);
  tail = (tail + decoder.decode(chunk, { stream: true })).slice(-4096);
}
const { code } = await child.status;
// deno test's summary ("ok | 484 passed | 0 failed (3m34s)"), restated as
// the plain "N passed, N failed" line CI logs are read for.
// deno-lint-ignore no-control-regex -- colour codes in deno test's output
const plain = tail.replace(/\x1b\[[0-9;]*m/g, "");
const summary = [
  ...plain.matchAll(/(\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed/g),
].at(-1);
const left: string[] = [];
for await (const entry of Deno.readDir(tmp)) left.push(entry.name);
await Deno.remove(tmp, { recursive: true });
if (left.length > 0) {
  console.error(
    `error: the tests left ${left.length} entr${
      left.length === 1 ? "y" : "ies"
    } in their temp dir: ${
      left.sort().join(", ")
    }. Every test removes what it creates (await using, try/finally, or tests/_support/helpers.ts).`,
  );
  Deno.exit(code || 1);
}
console.log("temp dir check: the tests left nothing behind.");
if (summary) console.log(`tests: ${summary[1]} passed, ${summary[2]} failed`);
Deno.exit(code);
