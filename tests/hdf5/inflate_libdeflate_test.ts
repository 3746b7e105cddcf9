// libdeflate beside node:zlib (lib/hdf5/inflate_into.ts): the same bytes and
// the same errors for every gzip chunk of the h5py-written fixtures, for
// every single-byte change and every truncation of stored mask streams; the
// checks libdeflate's zlib decoder makes itself (header, Adler-32, length);
// and how the inflater is chosen (environment, permissions, workers), each
// in a fresh process. Under CI=true a missing libdeflate fails.
import assert from "node:assert/strict";
import { deflateSync } from "node:zlib";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ChunkedDataset } from "../../lib/hdf5/chunks.ts";
import { FILTER } from "../../lib/hdf5/filters.ts";
import {
  libdeflateInflateInto,
  zlibInflateInto,
} from "../../lib/hdf5/inflate_into.ts";
import {
  LIBDEFLATE_RESULT,
  libdeflateCandidates,
  openLibdeflate,
} from "../../lib/hdf5/libdeflate.ts";
import { scopedTempDir } from "../_support/helpers.ts";

const FIXTURES = fileURLToPath(new URL("../fixtures/", import.meta.url));

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
const present = libdeflatePresent();
const test = (name: string, fn: () => void | Promise<void>) =>
  Deno.test({ name, ignore: !present, fn });

/** "bytes:<...>" or "error:<message>": what an inflater answers. */
function outcome(
  inflate: (input: Uint8Array, out: Uint8Array) => void,
  input: Uint8Array,
  size: number,
): string {
  const out = new Uint8Array(size);
  try {
    inflate(input, out);
    return `bytes:${Buffer.from(out).toString("base64")}`;
  } catch (err) {
    return `error:${(err as Error).message}`;
  }
}

/**
 * Both inflaters' answer, required to be the same, with one exception:
 * libdeflate decodes a few streams zlib calls invalid (codes the format
 * leaves unused) and, when their Adler-32 and length hold, gives the
 * `original` bytes; then it answers "lenient".
 */
function sameAnswer(
  input: Uint8Array,
  size: number,
  what: string,
  original?: string,
): string {
  const z = outcome(zlibInflateInto, input, size);
  const l = outcome(libdeflateInflateInto, input, size);
  if (l !== z && original && l === original && z.startsWith("error:")) {
    return "lenient";
  }
  assert.equal(l, z, what);
  return z;
}

function ellipse(w: number, h: number): Uint8Array {
  const m = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (((x - w / 2) / (w / 3)) ** 2 + ((y - h / 2) / (h / 4)) ** 2 <= 1) {
        m[y * w + x] = 1;
      }
    }
  }
  return m;
}

/** Every h5py-written .h5 under tests/fixtures. */
async function fixtureFiles(): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(dir)) {
      const p = join(dir, e.name);
      if (e.isDirectory) await walk(p);
      else if (e.name.endsWith(".h5")) out.push(p);
    }
  };
  await walk(FIXTURES);
  return out.sort();
}

/** The zlib streams of a file's gzip chunks and their inflated sizes. */
function gzipStreams(path: string): { stream: Uint8Array; size: number }[] {
  let opened;
  try {
    opened = ChunkedDataset.open(path, "masks");
  } catch {
    return []; // No masks dataset (the stimulus archives).
  }
  if (!("reader" in opened)) return [];
  const d = opened.reader;
  try {
    const filters = d.filters;
    const at = filters.findIndex((f) => f.id === FILTER.DEFLATE);
    if (at < 0) return [];
    // Only shuffle (size-keeping) before deflate, fletcher32 after it.
    if (filters.slice(0, at).some((f) => f.id !== FILTER.SHUFFLE)) return [];
    if (filters.slice(at + 1).some((f) => f.id !== FILTER.FLETCHER32)) {
      return [];
    }
    const trailer = filters.length - at - 1;
    const out: { stream: Uint8Array; size: number }[] = [];
    using file = Deno.openSync(path);
    for (const c of d.chunks()) {
      if (c.filterMask & (1 << at)) continue;
      const bytes = new Uint8Array(c.size);
      file.seekSync(c.address, Deno.SeekMode.Start);
      file.readSync(bytes);
      out.push({
        stream: bytes.subarray(0, bytes.length - 4 * trailer),
        size: d.chunkBytes,
      });
    }
    return out;
  } finally {
    d.close();
  }
}

test("libdeflate's zlib decoder checks the header, the Adler-32 and the length itself", () => {
  const path = libdeflateCandidates().find((p) => {
    try {
      openLibdeflate(p).close();
      return true;
    } catch {
      return false;
    }
  });
  assert.ok(path, "a candidate loads");
  using lib = openLibdeflate(path);
  const mask = ellipse(300, 200);
  const z = new Uint8Array(deflateSync(mask));
  const run = (input: Uint8Array, size = mask.length) => {
    const out = new Uint8Array(size);
    const r = lib.zlibDecompress(input, out);
    return {
      ...r,
      same: r.written === mask.length && out.every((v, i) => v === mask[i]),
    };
  };
  assert.deepEqual(run(z), {
    result: LIBDEFLATE_RESULT.SUCCESS,
    written: mask.length,
    same: true,
  });
  // Each byte of the big-endian Adler-32 trailer, changed: refused, though
  // the deflate data inflates.
  for (let k = 1; k <= 4; k++) {
    const bad = z.slice();
    bad[bad.length - k] ^= 0x10;
    assert.equal(
      run(bad).result,
      LIBDEFLATE_RESULT.BAD_DATA,
      `Adler byte ${k}`,
    );
  }
  const header = (cmf: number, flg: number) => {
    const bad = z.slice();
    bad[0] = cmf;
    bad[1] = flg;
    return run(bad).result;
  };
  const fix = (cmf: number, flg: number) =>
    flg + (31 - ((cmf * 256 + flg) % 31)) % 31;
  // Method 7 instead of 8, a window over 32 KiB, a preset dictionary, a
  // broken check: all refused.
  assert.equal(header(0x77, fix(0x77, 0x00)), LIBDEFLATE_RESULT.BAD_DATA);
  assert.equal(header(0x88, fix(0x88, 0x00)), LIBDEFLATE_RESULT.BAD_DATA);
  assert.equal(header(0x78, fix(0x78, 0x20)), LIBDEFLATE_RESULT.BAD_DATA);
  assert.equal(header(0x78, z[1] ^ 1), LIBDEFLATE_RESULT.BAD_DATA);
  // More room than the stream fills: success with the true length (which
  // inflateInto refuses); less room: INSUFFICIENT_SPACE.
  assert.equal(run(z, mask.length + 1).written, mask.length);
  assert.equal(
    run(z, mask.length - 1).result,
    LIBDEFLATE_RESULT.INSUFFICIENT_SPACE,
  );
  lib.close();
  lib.close(); // safe twice
  assert.throws(() => run(z), /is closed/);
});

test("both inflaters: the same bytes for every gzip chunk of the h5py fixtures", async () => {
  let chunks = 0, files = 0;
  for (const path of await fixtureFiles()) {
    const streams = gzipStreams(path);
    if (streams.length > 0) files++;
    for (const [i, { stream, size }] of streams.entries()) {
      const answer = sameAnswer(stream, size, `${path} chunk ${i}`);
      assert.ok(answer.startsWith("bytes:"), `${path} chunk ${i}: ${answer}`);
      chunks++;
    }
  }
  // The layouts, the real-format file and the analysis fixture.
  assert.ok(files >= 20, `${files} files with gzip chunks`);
  assert.ok(chunks >= 500, `${chunks} chunks`);
});

test("both inflaters: the same answer for every single-byte change and every truncation of a stored mask", () => {
  const real = gzipStreams(
    join(FIXTURES, "h5py", "stimuli", "task-images_desc-segmentations.h5"),
  );
  assert.ok(real.length > 0);
  const cases = [
    real[0],
    real[real.length - 1],
    { stream: new Uint8Array(deflateSync(ellipse(1000, 1000))), size: 1e6 },
    {
      stream: new Uint8Array(deflateSync(ellipse(64, 48), { level: 1 })),
      size: 64 * 48,
    },
  ];
  const tally = new Map<string, number>();
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
  for (const [c, { stream, size }] of cases.entries()) {
    const count = (answer: string) => {
      const key = answer.startsWith("bytes:") ? "bytes" : answer.slice(0, 60);
      tally.set(key, (tally.get(key) ?? 0) + 1);
    };
    const original = sameAnswer(stream, size, `case ${c}`);
    // Every value at every byte of the small streams, three at the others.
    for (let at = 0; at < stream.length; at++) {
      const xors = stream.length <= 200
        ? Array.from({ length: 255 }, (_, k) => k + 1)
        : [1, 0x80, 1 + (rand() % 255)];
      for (const xor of xors) {
        const bad = stream.slice();
        bad[at] ^= xor;
        const answer = sameAnswer(
          bad,
          size,
          `case ${c} byte ${at} ^ ${xor}`,
          original,
        );
        // Adler-32 and length: a changed stream decodes to its mask or fails.
        if (answer.startsWith("bytes:")) {
          assert.equal(answer, original, `case ${c} byte ${at} ^ ${xor}`);
        }
        count(answer);
      }
    }
    for (let len = 0; len < stream.length; len++) {
      count(
        sameAnswer(stream.subarray(0, len), size, `case ${c} cut to ${len}`),
      );
    }
    // Bytes after the stream's end are ignored by both (HDF5 does too).
    const padded = new Uint8Array(stream.length + 3);
    padded.set(stream);
    padded.set([1, 2, 3], stream.length);
    assert.ok(
      sameAnswer(padded, size, `case ${c} padded`).startsWith("bytes:"),
    );
    // A wrong expected size, either way.
    assert.match(
      sameAnswer(stream, size + 1, "short"),
      /^error:chunk decodes to/,
    );
    assert.match(
      sameAnswer(stream, size - 1, "long"),
      /^error:chunk decodes to more than/,
    );
  }
  console.log(
    [...tally].map(([k, n]) => `${String(n).padStart(6)}  ${k}`).join("\n"),
  );
  // Both refuse the damage zlib can see (a header, a Huffman table, the
  // Adler-32) with zlib's words; libdeflate's leniency is rare.
  const lenient = tally.get("lenient") ?? 0;
  const all = [...tally.values()].reduce((a, b) => a + b, 0);
  assert.ok(lenient < all / 100, `${lenient} of ${all} lenient`);
  const kinds = [...tally.keys()].join(" | ");
  assert.match(kinds, /incorrect data check/);
  assert.match(kinds, /incorrect header check/);
  assert.match(kinds, /unexpected end of file/);
});

/** describeInflater() of a fresh process and of a decode worker it starts. */
async function choiceIn(
  env: Record<string, string>,
  permissions: string[] = ["-A"],
): Promise<{ main: string; worker: string; inflate: string }> {
  const inflateUrl = new URL("../../lib/hdf5/inflate_into.ts", import.meta.url);
  const workerUrl = new URL(
    "../../lib/reader/stream/_mask_worker.ts",
    import.meta.url,
  );
  const script = `
    import { deflateSync } from "node:zlib";
    import { describeInflater, inflateInto } from ${
    JSON.stringify(String(inflateUrl))
  };
    const w = new Worker(${
    JSON.stringify(String(workerUrl))
  }, { type: "module" });
    const worker = await new Promise((resolve) => {
      w.onmessage = (e) => resolve(e.data.inflater);
      w.postMessage({ inflater: true });
    });
    w.terminate();
    let inflate = "ok";
    try {
      inflateInto(deflateSync(new Uint8Array(8).fill(1)), new Uint8Array(8));
    } catch (err) {
      inflate = err.message;
    }
    console.log(JSON.stringify({ main: describeInflater(), worker, inflate }));
  `;
  return JSON.parse(await runScript(script, env, permissions));
}

/** stdout of `script` run in a fresh process with exactly `env` added. */
async function runScript(
  script: string,
  env: Record<string, string>,
  permissions: string[] = ["-A"],
): Promise<string> {
  await using tmp = await scopedTempDir("inflate-choice-");
  const file = join(tmp.path, "choice.ts");
  await Deno.writeTextFile(file, script);
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(Deno.env.toObject())) {
    if (!k.startsWith("LAION_FMRI_INFLATE") && k !== "LAION_FMRI_LIBDEFLATE") {
      clean[k] = v;
    }
  }
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", ...permissions, file],
    env: { ...clean, ...env },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout);
}

test("the choice: node:zlib by default, libdeflate when asked for, node:zlib without FFI; workers choose the same", async () => {
  const libdeflate = {
    main: "libdeflate 1.x",
    worker: "libdeflate 1.x",
    inflate: "ok",
  };
  const zlib = { main: "node:zlib", worker: "node:zlib", inflate: "ok" };
  assert.deepEqual(await choiceIn({}), zlib);
  assert.deepEqual(await choiceIn({ LAION_FMRI_INFLATE: "auto" }), zlib);
  assert.deepEqual(
    await choiceIn({ LAION_FMRI_INFLATE: "libdeflate" }),
    libdeflate,
  );
  assert.deepEqual(
    await choiceIn({ LAION_FMRI_INFLATE: " LibDeflate " }),
    libdeflate,
  );
  assert.deepEqual(await choiceIn({ LAION_FMRI_INFLATE: "zlib" }), zlib);
  assert.deepEqual(await choiceIn({ LAION_FMRI_INFLATE: "node:zlib" }), zlib);
  // No FFI permission: node:zlib, and no prompt (--no-prompt would fail a
  // request instead of asking).
  const noFfi = ["--allow-read", "--allow-env"];
  assert.deepEqual(await choiceIn({}, noFfi), zlib);
});

test("the choice: what is asked for and cannot be had is an error naming the variable, never a silent node:zlib", async () => {
  await using tmp = await scopedTempDir("inflate-lib-");
  // A copy of the system's library, named by LAION_FMRI_LIBDEFLATE, loads.
  const system = libdeflateCandidates().find((p) => {
    try {
      return p.startsWith("/") && Deno.statSync(p).isFile;
    } catch {
      return false;
    }
  });
  if (system) {
    const copy = join(tmp.path, "copy-of-libdeflate.so");
    await Deno.copyFile(system, copy);
    const got = await choiceIn({ LAION_FMRI_LIBDEFLATE: copy });
    assert.equal(got.main, "libdeflate 1.x");
    assert.equal(got.worker, "libdeflate 1.x");
    // Forcing node:zlib wins over a library path.
    assert.equal(
      (await choiceIn({
        LAION_FMRI_LIBDEFLATE: copy,
        LAION_FMRI_INFLATE: "zlib",
      })).main,
      "node:zlib",
    );
  }
  const missing = join(tmp.path, "no-such-libdeflate.so");
  const notLib = join(tmp.path, "not-a-library.so");
  await Deno.writeTextFile(notLib, "not ELF");
  for (
    const [env, perms, pattern] of [
      [
        { LAION_FMRI_INFLATE: "fast" },
        ["-A"],
        /LAION_FMRI_INFLATE="fast" is not an inflater: use "zlib"/,
      ],
      [
        { LAION_FMRI_LIBDEFLATE: missing },
        ["-A"],
        /LAION_FMRI_LIBDEFLATE=.*no-such-libdeflate\.so asks for libdeflate, but libdeflate does not load/,
      ],
      [
        { LAION_FMRI_LIBDEFLATE: notLib },
        ["-A"],
        /not-a-library\.so asks for libdeflate.*point LAION_FMRI_LIBDEFLATE at a libdeflate shared library/,
      ],
      [
        { LAION_FMRI_INFLATE: "libdeflate" },
        ["--allow-read", "--allow-env"],
        /LAION_FMRI_INFLATE=libdeflate asks for libdeflate, but libdeflate needs FFI access.*--allow-ffi/,
      ],
    ] as const
  ) {
    const got = await choiceIn(env, [...perms]);
    assert.match(got.main, /^none: /, JSON.stringify(env));
    assert.match(got.main, pattern);
    // Every inflate gives that error, in the workers too.
    assert.equal(`none: ${got.inflate}`, got.main);
    assert.equal(got.worker, got.main);
  }
});

test("the reader's summary names the inflater in use", async () => {
  const mod = new URL("../../mod.ts", import.meta.url);
  const data = join(FIXTURES, "h5py");
  const script = `
    import { Segmentations } from ${JSON.stringify(String(mod))};
    using seg = await Segmentations.open({ dataDir: ${JSON.stringify(data)} });
    const bundle = seg[Symbol.for("Jupyter.display")]();
    console.log(JSON.stringify(bundle));
  `;
  for (
    const [env, name] of [
      [{}, "node:zlib"],
      [{ LAION_FMRI_INFLATE: "libdeflate" }, "libdeflate 1.x"],
    ] as const
  ) {
    const bundle = JSON.parse(await runScript(script, env));
    assert.match(
      bundle["text/plain"],
      new RegExp(
        `reader: chunks \\(the fast chunk reader; inflater: ${name}\\)`,
      ),
    );
    assert.ok(bundle["text/html"].includes(`inflater: ${name}`));
  }
});
