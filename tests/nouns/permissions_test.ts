// Without read access to WordNet's folder in Deno's npm cache, describeNouns
// fails with a message naming the folder and the flag to give, in a real
// child process whose permissions deny exactly that folder.
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { wordnetFolder } from "../../lib/deps.ts";
import { DENO_DIR, scopedTempDir } from "../_support/helpers.ts";

Deno.test("describeNouns: no read access to WordNet's folder is an error saying which folder and what flag", async () => {
  const { path } = await wordnetFolder();
  await using tmp = await scopedTempDir("seg-nouns-perm-");
  const script = join(tmp.path, "describe.ts");
  const mod = pathToFileURL(
    join(
      dirname(fileURLToPath(import.meta.url)),
      "..",
      "..",
      "lib",
      "nouns",
      "mod.ts",
    ),
  ).href;
  await Deno.writeTextFile(
    script,
    `import { describeNouns } from ${JSON.stringify(mod)};
try {
  await describeNouns(["dog"]);
  console.log("no error");
} catch (e) {
  console.log("ERROR " + (e as Error).message);
}
`,
  );
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--allow-ffi",
      "--allow-env",
      "--allow-sys",
      "--allow-read",
      `--deny-read=${path}`,
      script,
    ],
    env: { DENO_DIR, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const line = stdout.split("\n").find((l) => l.startsWith("ERROR "));
  assert.ok(line, stdout);
  assert.ok(
    line.includes(`Could not read WordNet's index.noun from ${path}`),
    line,
  );
  assert.match(line, /Run with -A, or with --allow-read on that folder\.$/);
});
