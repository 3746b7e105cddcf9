// The reader's worker pool: shared by streams, started only when it pays,
// ended by close(), and never keeping a script alive.
import assert from "node:assert/strict";
import { join } from "node:path";
import { Segmentations } from "../../../mod.ts";
import { smallSampleDir, tempDirAtExit } from "../../_support/helpers.ts";
import { writeSample } from "../../../lib/data/sample/sample.ts";

let larger: Promise<string> | undefined;
/** A sample of 8 images at 400 x 400 px, written once per process. */
function largerSampleDir(): Promise<string> {
  return larger ??= (async () => {
    const dir = await tempDirAtExit("seg-sample-400-");
    await writeSample(dir, { images: 8, size: 400 });
    return dir;
  })();
}
import {
  defaultWorkers,
  MaskStreamer,
} from "../../../lib/reader/stream/stream.ts";
import { openMaskSource } from "../../../lib/reader/source/mask_source.ts";

const MOD = new URL("../../../mod.ts", import.meta.url).href;

/** Waits (at most 30 s) until the reader's worker has loaded. */
async function workerLoaded(seg: Segmentations): Promise<void> {
  for (let i = 0; i < 300 && seg.activeWorkers === 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(seg.activeWorkers, 1, "the worker loads");
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Runs `code` (a module importing `Segmentations` from mod.ts) in a fresh `deno run`; returns its exit and time. */
async function runScript(
  code: string,
  args: string[] = ["-A"],
): Promise<
  { code: number; exitLagMs: number; stdout: string; stderr: string }
> {
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(
      file,
      `import { Segmentations } from ${JSON.stringify(MOD)};\n${code}`,
    );
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", ...args, file],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    // A hanging script is the failure this file guards against: kill it.
    const killer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    const out = await child.output();
    const exited = Date.now();
    clearTimeout(killer);
    const stdout = new TextDecoder().decode(out.stdout);
    // The script prints "end <Date.now()>" as its last statement.
    const end = Number(stdout.match(/^end (\d+)$/m)?.[1] ?? NaN);
    return {
      code: out.code,
      exitLagMs: exited - end,
      stdout,
      stderr: new TextDecoder().decode(out.stderr),
    };
  } finally {
    await Deno.remove(file);
  }
}

Deno.test("one pool per reader: started by a long stream, reused by the next, ended by close()", async () => {
  const seg = await Segmentations.open({ dataDir: await smallSampleDir() });
  try {
    assert.equal(seg.activeWorkers, 0, "no worker before the first stream");
    // A short selection is decoded on the calling thread alone.
    const few = await collect(seg.masks([3, 1, 2]));
    assert.deepEqual(few.map((m) => m.maskRow), [1, 2, 3]);
    assert.equal(seg.activeWorkers, 0);
    const all = await collect(seg.masks(undefined, { workers: 1 }));
    assert.equal(all.length, seg.length);
    await workerLoaded(seg);
    // The next streams (masks and stats) use the same worker.
    await collect(seg.masks(undefined, { workers: 1 }));
    await seg.stats(undefined, { workers: 1, cache: false });
    assert.equal(seg.activeWorkers, 1);
    for (const m of all) assert.deepEqual(m.data, seg.row(m.maskRow).data);
    // workers: 0 keeps everything on the calling thread.
    const local = await collect(seg.masks(undefined, { workers: 0 }));
    assert.deepEqual(local.map((m) => m.data), all.map((m) => m.data));
  } finally {
    seg.close();
  }
  assert.equal(seg.activeWorkers, 0, "close() ends the pool");
  seg.close(); // safe twice
});

Deno.test("default lanes: a first masks() decodes alone and starts the pool as it ends; the next streams use it, through the ring, byte for byte", async () => {
  assert.equal(
    defaultWorkers(),
    Math.max(0, navigator.hardwareConcurrency - 1),
  );
  using seg = await Segmentations.open({ dataDir: await smallSampleDir() });
  let sawWorker = false;
  for await (const m of seg.masks()) {
    sawWorker ||= seg.activeWorkers > 0;
    assert.equal(m.data.length, seg.width * seg.height);
  }
  assert.equal(sawWorker, false, "no worker during the first masks()");
  await workerLoaded(seg);
  // Kept masks from the worker's ring stay intact while later masks reuse
  // its slots, and each owns a plain buffer.
  const kept = await collect(seg.masks());
  assert.equal(kept.length, seg.length);
  for (const m of kept) {
    assert.deepEqual(m.data, seg.row(m.maskRow).data, `row ${m.maskRow}`);
    assert.ok(m.data.buffer instanceof ArrayBuffer);
    assert.equal(m.data.byteLength, m.data.buffer.byteLength);
  }
  // Stopped early, the ring's slots come back: the next stream is whole.
  for await (const _ of seg.masks()) break;
  const again = await collect(seg.masks(undefined, { reuse: true }));
  assert.equal(again.length, seg.length);
});

Deno.test("close() rejects a pending next() with a clear 'reader closed' error", async () => {
  const seg = await Segmentations.open({ dataDir: await smallSampleDir() });
  // A warm pool: the next stream's first mask goes to the worker.
  await collect(seg.masks(undefined, { workers: 1 }));
  await workerLoaded(seg);
  const it = seg.masks(undefined, { workers: 1 });
  await it.next();
  const pending = it.next();
  // Whether the mask is with the worker or decoded here, next() has not
  // settled yet: close() now must make it reject.
  seg.close();
  await assert.rejects(() => pending, /Reader closed: .*\.h5 was closed/);
  // A stream resumed after close() throws the same.
  const later = seg.masks(undefined, { workers: 1 });
  await assert.rejects(() => later.next(), /closed/);
});

Deno.test("a script that reads one mask of a stream and closes exits at once", async () => {
  const dir = await smallSampleDir();
  const r = await runScript(`
const seg = await Segmentations.open({ dataDir: ${JSON.stringify(dir)} });
const first = await seg.masks(undefined, { workers: 1 }).next();
console.log("row", first.value.maskRow);
seg.close();
console.log("end", Date.now());
`);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /row 0/);
  assert.ok(r.exitLagMs < 3000, `exited ${r.exitLagMs} ms after its end`);
});

Deno.test("a script that drops a stream without return() or close() still exits", async () => {
  const dir = await smallSampleDir();
  const r = await runScript(`
const seg = await Segmentations.open({ dataDir: ${JSON.stringify(dir)} });
const it = seg.masks(undefined, { workers: 1 });
await it.next();
await it.next();
const stats = await seg.stats(undefined, { cache: false, workers: 1 });
console.log("stats", stats.height);
globalThis.addEventListener("unload", () => console.log("unloaded"));
console.log("end", Date.now());
`);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /stats \d+\nend \d+\nunloaded/);
  // The pool ends after a minute idle; exiting at once shows it never held the process.
  assert.ok(r.exitLagMs < 3000, `exited ${r.exitLagMs} ms after its end`);
});

Deno.test("masks a worker decoded are row()'s bytes, each in a plain buffer of its own, still intact when kept", async () => {
  // Masks large enough that the calling thread cannot decode them all
  // before the worker answers, even on a busy machine.
  const h5 = join(
    await largerSampleDir(),
    "stimuli",
    "task-images_desc-segmentations.h5",
  );
  const source = await openMaskSource(h5, "masks");
  const streamer = new MaskStreamer(source, h5);
  try {
    const all = Array.from({ length: source.shape[0] }, (_, i) => i);
    for await (const _ of streamer.stream(all, "decode", { workers: 1 })) {
      // warms the pool
    }
    for (let i = 0; i < 300 && streamer.readyWorkers === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(streamer.readyWorkers, 1, "the worker loads");
    // Many masks, every row several times, all kept.
    const rows = Array.from(
      { length: 20 * all.length },
      (_, i) => i % all.length,
    );
    const before = streamer.workerResults;
    const kept: { row: number; data: Uint8Array }[] = [];
    for await (const item of streamer.stream(rows, "decode", { workers: 1 })) {
      kept.push({ row: item.maskRow, data: item.data! });
    }
    const byWorker = streamer.workerResults - before;
    assert.ok(
      byWorker > 64,
      `the worker decoded ${byWorker} masks`,
    );
    assert.equal(kept.length, rows.length);
    const [, height, width] = source.shape;
    for (const { row, data } of kept) {
      assert.ok(
        !(data.buffer instanceof SharedArrayBuffer),
        "a mask owns plain memory",
      );
      assert.equal(
        data.buffer.byteLength,
        width * height,
        "and all of its buffer",
      );
      assert.deepEqual(data, source.readRow(row));
    }
  } finally {
    streamer.close(new Error("closed"));
    source.close();
  }
});
