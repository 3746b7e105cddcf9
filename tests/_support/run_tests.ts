// `deno task test`: the whole suite (or the files given) with TMPDIR set to a
// fresh private folder, then a check that the tests left nothing in it. A
// private folder, because other programs use the system temp dir meanwhile.
const tmp = await Deno.makeTempDir({ prefix: "seg-tests-tmp-" });
const { code } = await new Deno.Command(Deno.execPath(), {
  args: ["test", "-A", "--doc", ...Deno.args],
  env: { TMPDIR: tmp },
  stdin: "inherit",
  stdout: "inherit",
  stderr: "inherit",
}).spawn().status;
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
Deno.exit(code);
