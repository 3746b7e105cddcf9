// Streaming over many masks: the calling thread reads stored chunks in file
// order (cheap positional reads) and decodes some itself; the reader's
// worker pool (lib/reader/stream/_pool.ts) inflates the rest. Results come back in
// order with a bounded number in flight.
import type { ChunkPlan as Plan, MaskSource } from "../source/mask_source.ts";
import {
  type DecodeResult,
  type DecodeTask,
  runDecodeTask,
} from "./_decode_task.ts";
import { type DegreeParams, degreeTables, maskStats } from "../masks/stats.ts";
import { DecodePool, type RingSlot } from "./_pool.ts";

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
   * Web Workers that decode alongside the calling thread (which counts as
   * one lane); 0 decodes on the calling thread only. The workers belong to
   * the reader: started on first need, shared by every stream, ended by
   * `close()`.
   *
   * By default one lane per core. Left at its default, a `masks()` stream
   * without `reuse` that finds the workers not started decodes on the
   * calling thread alone and starts them as it ends, for the next stream
   * (faster on a first scan, measured); passing `workers` starts them at
   * once.
   *
   * @default {navigator.hardwareConcurrency - 1}
   */
  workers?: number;
  /** Called as masks are delivered (about every 1% and at the end). */
  onProgress?: (progress: StreamProgress) => void;
  /** Stops the stream: the iterator throws the signal's reason. */
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

// A cold pool is started only for selections at least this long: below it,
// the calling thread is done before workers have loaded. A warm pool helps
// any selection of two masks or more.
const MIN_ROWS_TO_START_POOL = 48;
// COLD_POOL_WAITS: a stream that hands out every mask in a new buffer
// (masks() without reuse) and finds the pool cold decodes on this thread
// alone and starts the pool when it ends. Measured on 2 cores, a first
// masks() over 1,500 rows ran at 5.0-5.3x h5py alone and 2.8-4.2x with a
// worker starting (its loading and first pages compete with this thread's);
// once warm, a worker made the next scans faster (whole file 10.4-12.2x
// against 7.6-8.5x). Such a worker writes into a ring of shared memory and
// this thread copies each mask out: a buffer handed back by a worker is
// freed only by full collections, even when dropped at once (a bare round
// trip of 1 MB buffers: 18 per 3,000), while a copy made here dies young.
// Masks per message to a worker: a message costs about as much as
// inflating a mask, so workers get them in batches.
const BATCH = 8;
// Batches queued at a worker: enough that it never waits for the calling
// thread between two of them.
const DEPTH = 2;
// Masks the calling thread may decode ahead of the next to deliver while a
// worker (perhaps descheduled on a busy machine) holds that one. With the
// workers' batches this bounds memory (1 MB per decoded mask).
const AHEAD = 8;
// Stored chunks close together in file order are read at once (one read
// instead of a seek and a read each; a system call is what reading a chunk
// costs): at most this many bytes per read, across gaps of at most MAX_GAP.
const READ_BYTES = 1 << 20;
const MAX_GAP = 1 << 14;
// How long the calling thread decodes before it lets timers, progress
// displays and abort signals run (a timer turn costs up to 4 ms).
const YIELD_MS = 100;

/** What a delivered slot holds instead of its mask. */
const DELIVERED: DecodeResult = Object.freeze({});

/**
 * The default number of workers: one lane per core, the caller included.
 */
export function defaultWorkers(): number {
  return Math.max(0, (navigator.hardwareConcurrency ?? 2) - 1);
}

/**
 * The streaming half of a reader: one worker pool for all its streams,
 * started on first need and ended by {@link close}; the file and its chunk
 * plan are the source's.
 */
export class MaskStreamer {
  readonly #source: MaskSource;
  readonly #path: string;
  #pool: DecodePool | undefined;
  #closed: Error | undefined;
  #workerResults = 0;
  /** Bytes of the file from `start`, read ahead (`bytes` views `#readBuffer`). */
  #window: { start: number; bytes: Uint8Array } | undefined;
  #readBuffer: Uint8Array | undefined;

  constructor(source: MaskSource, path: string) {
    this.#source = source;
    this.#path = path;
  }

  /** Masks (or statistics) the workers have delivered, over all streams. */
  get workerResults(): number {
    return this.#workerResults;
  }

  /** Workers loaded and ready. */
  get readyWorkers(): number {
    return this.#pool?.ready ?? 0;
  }

  /**
   * Ends the pool and every pending stream: a stream waiting for a worker
   * rejects with `reason`, one resumed later throws it. Safe twice.
   */
  close(reason: Error): void {
    if (this.#closed) return;
    this.#closed = reason;
    this.#pool?.close(reason);
    this.#window = this.#readBuffer = undefined;
  }

  /**
   * Reads `rows` in file order, yielding each with its position in `rows`;
   * `kind: "stats"` returns statistics only. `take` offers memory to decode
   * into (a mask of the stream that its reader has given back).
   */
  async *stream(
    rows: readonly number[],
    kind: "decode" | "stats",
    options: StreamOptions = {},
    take?: () => Uint8Array | undefined,
    degrees?: DegreeParams,
  ): AsyncGenerator<StreamItem> {
    this.checkOpen();
    const total = rows.length;
    const { signal } = options;
    const workers = Math.max(
      0,
      Math.floor(options.workers ?? defaultWorkers()),
    );
    const [, height, width] = this.#source.shape;
    /** Memory for one decoded mask: given back by the reader, or new. */
    const output = (): Uint8Array => {
      const given = take?.();
      return given?.length === width * height
        ? given
        : new Uint8Array(width * height);
    };
    // Bytes read ahead serve one stream only.
    this.#window = undefined;

    // Workers load while this thread builds the plan and starts decoding;
    // a stream of new mask buffers starts a cold pool only when it ends,
    // for the next stream (see COLD_POOL_WAITS).
    let pool: DecodePool | undefined;
    let startAfter = false;
    if (this.#source.oneMaskPerChunk && workers > 0 && total > 1) {
      const warm = (this.#pool?.size ?? 0) > 0;
      if (warm || total >= MIN_ROWS_TO_START_POOL) {
        if (
          !warm && kind === "decode" && !take && options.workers === undefined
        ) startAfter = true;
        else {
          pool = this.#pool ??= new DecodePool();
          pool.grow(workers);
        }
      }
    }
    const byRow = this.#source.plan();
    const order = byRow
      ? [...rows.keys()].sort((a, b) =>
        byRow.address[rows[a]] - byRow.address[rows[b]] || rows[a] - rows[b]
      )
      : [...rows.keys()].sort((a, b) => rows[a] - rows[b]);
    // Where a read starting at position p of `order` ends: the chunks that
    // follow it closely in the file come with it.
    const readEnd = (p: number): number => {
      const { address, size } = byRow!;
      const start = address[rows[order[p]]];
      let end = start + size[rows[order[p]]];
      for (let q = p + 1; q < total; q++) {
        const at = address[rows[order[q]]];
        if (at < 0) continue;
        const e = at + size[rows[order[q]]];
        if (at < start || at - end > MAX_GAP || e - start > READ_BYTES) break;
        end = Math.max(end, e);
      }
      return end;
    };
    const step = Math.max(1, Math.floor(total / 100));
    const report = (done: number) => {
      if (options.onProgress && (done % step === 0 || done === total)) {
        options.onProgress({ done, total });
      }
    };

    // Decoded on this thread: through the stream's own plan, or row by row
    // (other layouts, h5wasm).
    const local = (k: number): DecodeResult => {
      const row = rows[order[k]];
      if (!byRow) {
        const data = this.#source.readRow(row);
        return kind === "decode" ? { data } : {
          stats: maskStats(
            data,
            width,
            height,
            degrees ? degreeTables(degrees, width, height) : undefined,
          ),
        };
      }
      const task = this.#task(byRow, row, kind, () => readEnd(k), degrees);
      if ("result" in task) return task.result;
      if (kind === "decode" && take) task.task.out = output();
      return runDecodeTask(task.task);
    };

    interface Slot {
      result?: DecodeResult;
      promise?: Promise<unknown>;
      /** The pool's batch id, while a worker has it. */
      id?: number;
      /** The ring slot a worker inflates this mask into, until given back. */
      ring?: RingSlot;
    }
    /** Whether the worker has written `slot`'s mask into its ring. */
    const written = (slot: Slot) =>
      slot.ring !== undefined && Atomics.load(slot.ring.status, 0) === 1;
    /**
     * Gives `slot`'s ring slot back if its worker is done with it (the
     * mask written, or failed); otherwise the worker's answer will.
     */
    const release = (slot: Slot) => {
      if (slot.ring && Atomics.load(slot.ring.status, 0) !== 0) {
        pool!.giveSlot(slot.ring);
        slot.ring = undefined;
      }
    };
    /** The mask a worker wrote into its ring, copied out; the ring slot goes back. */
    const copyOut = (slot: Slot): Uint8Array => {
      const ring = slot.ring!;
      const given = take?.();
      let data: Uint8Array;
      if (given?.length === ring.view.length) {
        data = given;
        data.set(ring.view);
      } else {
        // One copy into memory allocated without zeroing: the cheapest
        // new buffer there is (zeroing, mapping and filling one costs
        // about three times as much).
        data = ring.view.slice();
      }
      slot.ring = undefined;
      pool!.giveSlot(ring);
      return data;
    };
    const slots = new Map<number, Slot>();
    const window = workers * BATCH * DEPTH + AHEAD;
    let next = 0;
    let k = 0;
    // Hands the next tasks to loaded workers with room.
    let stopped = false;
    const assign = () => {
      // A pool started meanwhile (by an earlier stream that deferred it)
      // joins as soon as its workers are ready.
      if (!pool && startAfter) pool = this.#pool;
      if (!pool || !byRow) return;
      const slotBytes = kind === "decode" ? width * height : 0;
      while (next < total && next - k < window) {
        const lane = pool.freeLane(DEPTH, workers, slotBytes);
        if (!lane) return;
        const batch: { slot: Slot; task: DecodeTask }[] = [];
        while (
          batch.length < BATCH && next < total && next - k < window
        ) {
          const ring = slotBytes > 0
            ? pool.takeSlot(lane, slotBytes)
            : undefined;
          if (slotBytes > 0 && !ring) break;
          const p = next;
          const made = this.#task(
            byRow,
            rows[order[p]],
            kind,
            () => readEnd(p),
            degrees,
          );
          const slot: Slot = {};
          if ("result" in made) {
            slot.result = made.result;
            if (ring) pool.giveSlot(ring);
          } else {
            if (ring) {
              made.task.ring = [ring.ring, ring.index];
              slot.ring = ring;
            }
            batch.push({ slot, task: made.task });
          }
          slots.set(next++, slot);
        }
        if (batch.length === 0) continue;
        const sent = pool.run(lane, batch.map((b) => b.task));
        const promise = sent.promise.then((results) => {
          batch.forEach((b, i) => {
            if (!stopped && !b.slot.result) {
              // Kept in its ring slot when inPlace: copied out on delivery.
              b.slot.result = results[i];
              this.#workerResults++;
            } else if (b.slot.ring) {
              // Decoded here meanwhile, or the stream ended: the worker is
              // done with the ring slot now.
              pool!.giveSlot(b.slot.ring);
              b.slot.ring = undefined;
            }
          });
        });
        promise.catch(() => {});
        for (const b of batch) {
          b.slot.id = sent.id;
          b.slot.promise = promise;
        }
      }
    };

    let aborted: Promise<never> | undefined;
    if (signal) {
      aborted = new Promise<never>((_, reject) => {
        const onAbort = () => reject(signal.reason);
        if (signal.aborted) onAbort();
        else signal.addEventListener("abort", onAbort, { once: true });
      });
      aborted.catch(() => {});
    }

    let lastYield = performance.now();
    try {
      for (; k < total; k++) {
        signal?.throwIfAborted();
        this.checkOpen();
        assign();
        let slot = slots.get(k);
        if (!slot) {
          // Nobody has it: this thread decodes it.
          slot = { result: local(k) };
          next = k + 1;
        } else {
          // A worker has it. Until it is finished (seen in shared memory),
          // this thread decodes the masks after it; with no room left ahead,
          // it decodes this one itself rather than wait for a slow worker.
          while (!slot.result) {
            if (written(slot)) {
              // Seen in shared memory: no need to wait for the message.
              slot.result = { data: copyOut(slot) };
              this.#workerResults++;
            } else if (pool!.finished(slot.id!)) {
              await (aborted
                ? Promise.race([slot.promise, aborted])
                : slot.promise);
              lastYield = performance.now();
              this.checkOpen();
            } else if (next < total && next - k < window) {
              slots.set(next, { result: local(next) });
              next++;
              assign();
            } else {
              slot.result = local(k);
            }
          }
        }
        slots.delete(k);
        const res = slot.result!;
        if (res.inPlace) res.data = copyOut(slot);
        release(slot);
        // The worker's batch holds this slot until its answer is read: a
        // mask left on it would outlive the young collections that free
        // masks cheaply (measured: 18 full collections per 3,000 masks).
        slot.result = DELIVERED;
        const index = order[k];
        if (res.error) {
          throw new Error(
            `${this.#path}: mask row ${
              rows[index]
            } could not be decoded (${res.error}); the file is corrupt: download it again.`,
          );
        }
        yield { index, maskRow: rows[index], data: res.data, stats: res.stats };
        report(k + 1);
        if (performance.now() - lastYield >= YIELD_MS) {
          await new Promise((r) => setTimeout(r, 0));
          lastYield = performance.now();
        }
      }
    } finally {
      stopped = true;
      for (const slot of slots.values()) release(slot);
      if (startAfter && (this.#pool?.size ?? 0) === 0) {
        this.#startLater(workers);
      }
    }
  }

  /**
   * Starts the pool after the current turn, unless the reader closed first;
   * a script that ends meanwhile does not wait for it (the timer is unref'd).
   */
  #startLater(workers: number): void {
    const timer = setTimeout(() => {
      if (this.#closed) return;
      (this.#pool ??= new DecodePool()).grow(workers);
    }, 0);
    Deno.unrefTimer(timer);
  }

  /** The stored chunk of `row`, read, as a task; or the answer for an unwritten chunk. */
  #task(
    byRow: Plan,
    row: number,
    kind: "decode" | "stats",
    readEnd: () => number,
    degrees: DegreeParams | undefined,
  ):
    | { task: DecodeTask }
    | { result: DecodeResult } {
    const [, height, width] = this.#source.shape;
    const address = byRow.address[row];
    // A row whose chunk was never written is a partial file, not zeros.
    if (address < 0) throw this.#source.unwritten(row);
    const stored = this.#readStored(address, byRow.size[row], row, readEnd);
    return {
      task: {
        kind,
        stored,
        filters: this.#source.filters,
        filterMask: byRow.filterMask[row],
        width,
        height,
        ...(degrees && kind === "stats" ? { degrees } : {}),
      },
    };
  }

  /**
   * The `size` stored bytes at `address` (in a buffer of their own, to be
   * transferred), from the read-ahead window, or read with the chunks up to
   * `readEnd()`.
   */
  #readStored(
    address: number,
    size: number,
    row: number,
    readEnd: () => number,
  ): Uint8Array {
    let w = this.#window;
    if (
      !w || address < w.start || address + size > w.start + w.bytes.length
    ) {
      const want = Math.max(size, Math.min(readEnd() - address, READ_BYTES));
      if ((this.#readBuffer?.length ?? 0) < want) {
        this.#readBuffer = new Uint8Array(Math.max(want, READ_BYTES));
      }
      const into = this.#readBuffer!.subarray(0, want);
      const got = this.#source.readAt(address, into);
      if (got < size) {
        this.#window = undefined;
        throw new Error(
          `${this.#path}: unexpected end of file reading mask row ${row}; the file is truncated: download it again.`,
        );
      }
      w = this.#window = { start: address, bytes: into.subarray(0, got) };
    }
    return w.bytes.slice(address - w.start, address - w.start + size);
  }

  /** Throws the close reason (a new error each time) once closed. */
  checkOpen(): void {
    if (this.#closed) throw new Error(this.#closed.message);
  }
}
