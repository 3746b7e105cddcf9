// The reader under each inflater, in a fresh process per inflater
// (LAION_FMRI_INFLATE=zlib, =libdeflate): every row of every h5py-written
// fixture and damaged file, read one by one on the calling thread and
// streamed by the decode workers, and every row of the mutation test's
// mutants (tests/fixtures/mutants.py, the same count and seed as
// tests/hdf5/mutation_test.ts), must get the same answer: the same mask or
// the same error. The named damage cases (tests/hdf5/damaged_test.ts) pass
// under each inflater too. Under CI=true a missing libdeflate fails.
import assert from "node:assert/strict";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { libdeflateInflateInto } from "../../lib/hdf5/inflate_into.ts";
import { h5pyAvailable, PYTHON, scopedTempDir } from "../_support/helpers.ts";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const ANSWERS = here("../_support/inflate_answers.ts");
const FIXTURES = here("../fixtures/");
const MUTANTS = { count: 2400, seed: 16 };

/** Whether libdeflate loads here; under CI=true its absence is a failure. */
function libdeflatePresent(): boolean {
  try {
    libdeflateInflateInto(deflateSync(new Uint8Array(4)), new Uint8Array(4));
    return true;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    if (Deno.env.get("CI") === "true") {
      throw new Error(
        `libdeflate is required under CI=true (.ci/run installs libdeflate0): ${why}`,
      );
    }
    console.warn(`libdeflate tests skipped: ${why}`);
    return false;
  }
}
const ready = libdeflatePresent() && await h5pyAvailable();

async function h5Files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) out.push(...await h5Files(p));
    else if (e.name.endsWith(".h5")) out.push(p);
  }
  return out.sort();
}

async function python(args: string[]): Promise<void> {
  const out = await new Deno.Command(PYTHON, {
    args,
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
}

interface Answers {
  inflater: string;
  worker: string;
  files: Record<
    string,
    { rows: string[]; streamed: string[]; fromWorkers: number }
  >;
  mutants: string[][];
}

async function answersWith(inflate: string, job: string): Promise<Answers> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ANSWERS, job],
    env: { LAION_FMRI_INFLATE: inflate },
    stdout: "piped",
    stderr: "piped", // h5wasm's diagnostics for the damaged files
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr).slice(-3000));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

Deno.test({
  name:
    "both inflaters: the same answer for every row of the fixtures, the damaged files and the mutants, on the calling thread and in the workers",
  ignore: !ready,
  async fn() {
    await using tmp = await scopedTempDir("inflate-both-");
    const damaged = join(tmp.path, "damaged");
    const mutants = join(tmp.path, "mutants");
    await Deno.mkdir(damaged);
    await Deno.mkdir(mutants);
    await python([join(FIXTURES, "make_damaged.py"), damaged]);
    await python([
      join(FIXTURES, "mutants.py"),
      mutants,
      String(MUTANTS.count),
      String(MUTANTS.seed),
    ]);
    const summary = JSON.parse(
      await Deno.readTextFile(join(mutants, "summary.json")),
    ) as {
      files: Record<string, { rows: string[] }>;
      mutants: { file: string; offset: number; xor: number }[];
    };
    const files = [
      ...await h5Files(FIXTURES),
      ...await h5Files(damaged),
    ];
    const job = join(tmp.path, "job.json");
    await Deno.writeTextFile(
      job,
      JSON.stringify({
        files,
        stream: true,
        mutants: {
          summary: join(mutants, "summary.json"),
          scratch: join(tmp.path, "mutant.h5"),
        },
      }),
    );
    const zlib = await answersWith("zlib", job);
    const libdeflate = await answersWith("libdeflate", job);
    assert.deepEqual([zlib.inflater, zlib.worker], ["node:zlib", "node:zlib"]);
    assert.deepEqual(
      [libdeflate.inflater, libdeflate.worker],
      ["libdeflate 1.x", "libdeflate 1.x"],
    );

    let rows = 0, errors = 0;
    for (const path of files) {
      const z = zlib.files[path], l = libdeflate.files[path];
      assert.deepEqual(l.rows, z.rows, `${path}: rows`);
      assert.deepEqual(l.streamed, z.streamed, `${path}: streamed`);
      rows += z.rows.length;
      errors += z.rows.filter((r) => r.startsWith("error:")).length;
    }
    // The workers answered for some of them under each inflater.
    const fromWorkers = (a: Answers) =>
      Object.values(a.files).reduce((n, f) => n + f.fromWorkers, 0);
    assert.ok(fromWorkers(zlib) > 0, "node:zlib: masks from workers");
    assert.ok(fromWorkers(libdeflate) > 0, "libdeflate: masks from workers");
    assert.ok(files.length >= 60 && rows > 1000 && errors > 0);

    // Mutants: the same answer, or (rarely) libdeflate decodes a stream
    // zlib calls invalid to the original mask, its Adler-32 and length
    // intact: never another mask.
    // The generator adds zeroed pages to the sampled mutants.
    assert.ok(zlib.mutants.length >= MUTANTS.count);
    assert.equal(libdeflate.mutants.length, zlib.mutants.length);
    assert.equal(summary.mutants.length, zlib.mutants.length);
    let lenient = 0, differing = 0;
    for (const [i, m] of summary.mutants.entries()) {
      const z = zlib.mutants[i], l = libdeflate.mutants[i];
      const original = summary.files[m.file].rows;
      for (let r = 0; r < Math.max(z.length, l.length); r++) {
        if (z[r] === l[r]) continue;
        differing++;
        if (
          z[r]?.startsWith("error:") && l[r] === `sha256:${original[r]}`
        ) {
          lenient++;
          continue;
        }
        assert.fail(
          `mutant ${i} (${m.file} byte ${m.offset} ^ ${m.xor}) row ${r}: ` +
            `node:zlib ${z[r]?.slice(0, 200)}, libdeflate ${
              l[r]?.slice(0, 200)
            }`,
        );
      }
    }
    console.log(
      `${files.length} files, ${rows} rows (${errors} errors), ${MUTANTS.count} mutants: ` +
        `the same answers; ${lenient} mutant rows libdeflate read as the original mask where node:zlib refused`,
    );
    assert.equal(differing, lenient);
  },
});

for (const inflate of ["zlib", "libdeflate"]) {
  Deno.test({
    name:
      `the named damage cases (damaged_test.ts) pass with LAION_FMRI_INFLATE=${inflate}`,
    ignore: !ready,
    async fn() {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["test", "-A", here("./damaged_test.ts")],
        env: { LAION_FMRI_INFLATE: inflate, NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout) +
        new TextDecoder().decode(out.stderr);
      assert.ok(out.success, text.slice(-4000));
      assert.match(text, /ok \| \d+ passed \| 0 failed/);
    },
  });
}
