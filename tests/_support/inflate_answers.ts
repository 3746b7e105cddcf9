// What the reader answers for every row of some files, under whichever
// inflater this process chose (LAION_FMRI_INFLATE): run as a subprocess by
// tests/hdf5/inflate_both_test.ts once per inflater, which then requires the
// two outputs to be identical. Per row: "sha256:<hex>" of the mask, or
// "error:<message>" with the file's path replaced by <file>.
//
// Usage: deno run -A inflate_answers.ts JOB.json  (prints JSON to stdout)
// JOB: { files: string[], stream: boolean, mutants?: { summary: string,
//        scratch: string } }: `mutants` names tests/fixtures/mutants.py's
// summary.json and a file path to write each mutant to.
import { createHash } from "node:crypto";
import { describeInflater } from "../../lib/hdf5/inflate_into.ts";
import { openMaskSource } from "../../lib/reader/source/mask_source.ts";
import { MaskStreamer } from "../../lib/reader/stream/stream.ts";

interface Job {
  files: string[];
  stream: boolean;
  mutants?: { summary: string; scratch: string };
}

const job: Job = JSON.parse(await Deno.readTextFile(Deno.args[0]));
const sha = (b: Uint8Array) =>
  "sha256:" + createHash("sha256").update(b).digest("hex");
const failed = (err: unknown, path: string) =>
  "error:" + (err instanceof Error ? err.message : String(err))
    .replaceAll(path, "<file>");

/** Every row read one by one, then (when asked) streamed by workers. */
async function answers(
  path: string,
  stream: boolean,
): Promise<{ rows: string[]; streamed: string[]; fromWorkers: number }> {
  const rows: string[] = [], streamed: string[] = [];
  let fromWorkers = 0;
  let src;
  try {
    src = await openMaskSource(path, "masks");
  } catch (err) {
    return { rows: [failed(err, path)], streamed, fromWorkers };
  }
  try {
    const n = src.shape[0];
    for (let r = 0; r < n; r++) {
      try {
        rows.push(sha(src.readRow(r)));
      } catch (err) {
        rows.push(failed(err, path));
      }
    }
    if (stream && src.reader === "chunks") {
      const streamer = new MaskStreamer(src, path);
      try {
        const all = Array.from({ length: n }, (_, r) => r);
        // Warm the pool first: a cold one leaves short streams to the
        // calling thread, and the workers' answers are the point here.
        try {
          for await (const _ of streamer.stream(all, "stats", { workers: 2 })) {
            // drain
          }
        } catch {
          // The answers below record the error.
        }
        // (A cold pool starts only for long selections: 48 rows.)
        for (let i = 0; n >= 48 && i < 250 && streamer.readyWorkers < 1; i++) {
          await new Promise((r) => setTimeout(r, 20));
        }
        const before = streamer.workerResults;
        for (const kind of ["decode", "stats"] as const) {
          try {
            for await (
              const item of streamer.stream(all, kind, { workers: 2 })
            ) {
              streamed.push(
                item.data
                  ? sha(item.data)
                  : `stats:${Array.from(item.stats ?? []).join(",")}`,
              );
            }
          } catch (err) {
            streamed.push(failed(err, path));
          }
        }
        fromWorkers = streamer.workerResults - before;
      } finally {
        streamer.close(new Error("done"));
      }
    }
  } finally {
    src.close();
  }
  return { rows, streamed, fromWorkers };
}

/** The inflater a decode worker chose, asked of a fresh one. */
async function workerInflater(): Promise<string> {
  const worker = new Worker(
    new URL("../../lib/reader/stream/_mask_worker.ts", import.meta.url),
    { type: "module" },
  );
  try {
    return await new Promise<string>((resolve, reject) => {
      worker.onmessage = (e) => resolve(String(e.data.inflater));
      worker.onerror = (e) => reject(new Error(e.message));
      worker.postMessage({ inflater: true });
    });
  } finally {
    worker.terminate();
  }
}

const out: {
  inflater: string;
  worker: string;
  files: Record<string, Awaited<ReturnType<typeof answers>>>;
  mutants: string[][];
} = {
  inflater: describeInflater(),
  worker: await workerInflater(),
  files: {},
  mutants: [],
};
for (const path of job.files) out.files[path] = await answers(path, job.stream);
if (job.mutants) {
  const summary = JSON.parse(await Deno.readTextFile(job.mutants.summary)) as {
    files: Record<string, { path: string }>;
    mutants: { file: string; offset: number; xor: number }[];
  };
  const base = new Map<string, Uint8Array>();
  for (const [name, info] of Object.entries(summary.files)) {
    base.set(name, await Deno.readFile(info.path));
  }
  for (const m of summary.mutants) {
    const bytes = base.get(m.file)!.slice();
    bytes[m.offset] ^= m.xor;
    await Deno.writeFile(job.mutants.scratch, bytes);
    out.mutants.push((await answers(job.mutants.scratch, false)).rows);
  }
}
console.log(JSON.stringify(out));
