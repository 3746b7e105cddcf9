// Streaming over many masks: the main thread reads stored chunks in file
// order (cheap positional reads), Web Workers inflate them (the expensive
// part), results come back in order with a bounded number in flight.
import type { MaskSource } from "./_mask_source.ts";
import { decodeChunk } from "../hdf5/filters.ts";
import { maskStats } from "./_mask_stats.ts";
import { checkBinaryMask } from "./_mask_check.ts";
import type { WorkerResult, WorkerTask } from "./_mask_worker.ts";
import type { ChunkLocation } from "../hdf5/chunk_index.ts";

/** Progress of a stream. */
export interface StreamProgress {
  /** Masks delivered so far. */
  done: number;
  /** Masks in the stream. */
  total: number;
}

/** Options for the streaming readers. */
export interface StreamOptions {
  /**
   * Web Workers that inflate masks; 0 reads on the calling thread.
   *
   * @default {navigator.hardwareConcurrency}
   */
  workers?: number;
  /** Called as masks are delivered (about every 1% and at the end). */
  onProgress?: (progress: StreamProgress) => void;
  /** Stops the stream: the iterator throws the signal's reason and the workers end. */
  signal?: AbortSignal;
}

/** One delivered item: the mask's bytes, or only its statistics. */
export interface StreamItem {
  /** Position in the requested `rows`. */
  index: number;
  maskRow: number;
  data?: Uint8Array;
  stats?: Float64Array;
}

// Below this many masks, starting Workers costs more than it saves.
const MIN_ROWS_FOR_WORKERS = 24;
const IN_FLIGHT_PER_WORKER = 4;

/**
 * Reads `rows` of `source` in file order, yielding each with its position
 * in `rows`. `kind: "stats"` returns statistics only.
 */
export async function* streamRows(
  source: MaskSource,
  path: string,
  rows: readonly number[],
  kind: "decode" | "stats",
  options: StreamOptions = {},
): AsyncGenerator<StreamItem> {
  const [, height, width] = source.shape;
  const total = rows.length;
  const plan = chunkPlan(source, rows);
  const order = plan
    ? [...rows.keys()].sort((a, b) =>
      (plan[a]?.address ?? -1) - (plan[b]?.address ?? -1) || rows[a] - rows[b]
    )
    : [...rows.keys()].sort((a, b) => rows[a] - rows[b]);
  const step = Math.max(1, Math.floor(total / 100));
  const report = (done: number) => {
    if (options.onProgress && (done % step === 0 || done === total)) {
      options.onProgress({ done, total });
    }
  };
  const signal = options.signal;
  const workerCount = Math.max(
    0,
    Math.floor(options.workers ?? navigator.hardwareConcurrency ?? 2),
  );

  if (!plan || workerCount === 0 || total < MIN_ROWS_FOR_WORKERS) {
    for (let k = 0; k < total; k++) {
      signal?.throwIfAborted();
      const index = order[k];
      const data = source.readRow(rows[index]);
      yield kind === "decode" ? { index, maskRow: rows[index], data } : {
        index,
        maskRow: rows[index],
        stats: maskStats(data, width, height),
      };
      report(k + 1);
      // Let timers, progress displays and abort signals run.
      if (k % 32 === 31) await new Promise((r) => setTimeout(r, 0));
    }
    return;
  }

  const file = Deno.openSync(path, { read: true });
  const filters = source.chunked!.filters.map((f) => ({ ...f }));
  const fill = source.chunked!.fillValue;
  const workers: Worker[] = [];
  const results = new Map<number, WorkerResult>();
  let wake: (() => void) | null = null;
  let failure: Error | null = null;
  const onAbort = () => wake?.();
  signal?.addEventListener("abort", onAbort);
  try {
    for (let i = 0; i < workerCount; i++) {
      const w = new Worker(new URL("./_mask_worker.ts", import.meta.url), {
        type: "module",
      });
      w.onmessage = (e: MessageEvent<WorkerResult>) => {
        results.set(e.data.id, e.data);
        wake?.();
      };
      w.onerror = (e) => {
        e.preventDefault();
        failure = new Error(`A mask worker failed: ${e.message}`);
        wake?.();
      };
      workers.push(w);
    }
    // The calling thread decodes every (workers + 1)-th mask itself: it
    // would otherwise mostly wait, and on a 2-core machine that is a third
    // of the decoding capacity.
    const lanes = workerCount + 1;
    const local = new Map<number, { stored: Uint8Array; filterMask: number }>();
    const maxInFlight = lanes * IN_FLIGHT_PER_WORKER;
    let sent = 0;
    const send = (k: number) => {
      const index = order[k];
      const chunk = plan[index];
      if (!chunk) {
        // Never written: every value is the fill value.
        const data = new Uint8Array(width * height).fill(fill[0] ?? 0);
        results.set(
          k,
          kind === "decode"
            ? { id: k, data }
            : { id: k, stats: maskStats(data, width, height) },
        );
        return;
      }
      const stored = new Uint8Array(chunk.size);
      file.seekSync(chunk.address, Deno.SeekMode.Start);
      for (let got = 0; got < chunk.size;) {
        const n = file.readSync(stored.subarray(got));
        if (n === null || n === 0) {
          throw new Error(
            `${path}: unexpected end of file reading mask row ${
              rows[index]
            }; the file is truncated.`,
          );
        }
        got += n;
      }
      const task: WorkerTask = {
        id: k,
        kind,
        stored,
        filters,
        filterMask: chunk.filterMask,
        width,
        height,
      };
      if (k % lanes === workerCount) {
        local.set(k, { stored, filterMask: chunk.filterMask });
      } else workers[k % lanes].postMessage(task, [stored.buffer]);
    };
    const decodeHere = (k: number) => {
      const { stored, filterMask } = local.get(k)!;
      local.delete(k);
      try {
        const data = checkBinaryMask(
          decodeChunk(stored, filters, filterMask, width * height),
        );
        results.set(
          k,
          kind === "decode"
            ? { id: k, data }
            : { id: k, stats: maskStats(data, width, height) },
        );
      } catch (err) {
        results.set(k, { id: k, error: (err as Error).message });
      }
    };
    for (let k = 0; k < total; k++) {
      while (sent < total && sent - k < maxInFlight) send(sent++);
      if (local.has(k)) decodeHere(k);
      while (!results.has(k)) {
        signal?.throwIfAborted();
        if (failure) throw failure;
        await new Promise<void>((r) => (wake = r));
        wake = null;
      }
      signal?.throwIfAborted();
      const res = results.get(k)!;
      results.delete(k);
      const index = order[k];
      if (res.error) {
        throw new Error(
          `${path}: mask row ${
            rows[index]
          } could not be decoded (${res.error}); the file is corrupt: download it again.`,
        );
      }
      yield { index, maskRow: rows[index], data: res.data, stats: res.stats };
      report(k + 1);
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    for (const w of workers) w.terminate();
    file.close();
  }
}

/**
 * The stored chunk of each requested row, when every chunk holds exactly
 * one whole mask (the real layout); `null` otherwise (read row by row).
 */
function chunkPlan(
  source: MaskSource,
  rows: readonly number[],
): (ChunkLocation | undefined)[] | null {
  const reader = source.chunked;
  if (!reader || reader.layout !== "chunked") return null;
  const [, height, width] = source.shape;
  const c = reader.chunkShape!;
  if (c[0] !== 1 || c[1] !== height || c[2] !== width) return null;
  const byRow = new Map<number, ChunkLocation>();
  for (const chunk of reader.chunks()) byRow.set(chunk.offset[0], chunk);
  return rows.map((r) => byRow.get(r));
}
