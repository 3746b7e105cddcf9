// The reader's decode pool: Web Workers started on first need, kept between
// streams (starting one costs 50-300 ms), ended by the reader's close().
// An idle pool never keeps a script alive: a worker holds the event loop only
// while it has tasks in flight, and the whole pool ends after a while idle.
import type { DecodeResult, DecodeTask } from "./_decode_task.ts";
import type {
  WorkerInit,
  WorkerResult,
  WorkerRing,
  WorkerTask,
} from "./_mask_worker.ts";

const WORKER_URL = new URL("./_mask_worker.ts", import.meta.url);

// Deno keeps the event loop alive while a Web Worker exists. Its Worker has
// a ref/unref switch (what node:worker_threads' `unref()` uses) as the one
// method under an unnamed symbol on Worker.prototype; when a Deno release
// drops it, the pool falls back to ending idle workers quickly.
const REF: symbol | undefined = Object.getOwnPropertySymbols(
  globalThis.Worker?.prototype ?? {},
).find((s) =>
  s.description === undefined &&
  typeof (Worker.prototype as unknown as Record<symbol, unknown>)[s] ===
    "function"
);

/** Whether idle workers can be detached from the event loop (see {@link REF}). */
export const CAN_UNREF_WORKERS = REF !== undefined;

/** How long an idle pool lives before its workers end. */
const IDLE_MS = CAN_UNREF_WORKERS ? 60_000 : 1_000;
/** Most lanes a pool starts (shared "ready" flags are sized for this). */
const MAX_WORKERS = 64;
/** Task ids whose "finished" flags are kept (far more than can be in flight). */
const DONE_SLOTS = 4096;
/** Masks a worker's ring holds: its queue plus answers not yet delivered. */
const RING_SLOTS = 32;

/**
 * Rings of ended pools, lent to the next pool's workers: each holds
 * RING_SLOTS masks (32 MB at 1000 x 1000), and a ring left to the garbage
 * collector outlives many reader open / close cycles. Only a ring whose
 * slots were all given back is kept (a slot comes back once its worker
 * wrote it), so no old worker or stream can still touch it; spares are
 * dropped after SPARE_MS unused, so memory returns once readers stop.
 */
const spares: Ring[] = [];
const MAX_SPARES = Math.max(2, navigator.hardwareConcurrency ?? 2);
const SPARE_MS = 5_000;
let spareTimer: ReturnType<typeof setTimeout> | undefined;

function keepSpare(ring: Ring): void {
  if (spares.length >= MAX_SPARES) return;
  spares.push(ring);
  if (spareTimer !== undefined) clearTimeout(spareTimer);
  spareTimer = setTimeout(() => {
    spares.length = 0;
    spareTimer = undefined;
  }, SPARE_MS);
  Deno.unrefTimer(spareTimer);
}

function takeSpare(slotBytes: number): Ring | undefined {
  const k = spares.findIndex((r) => r.slotBytes === slotBytes);
  return k < 0 ? undefined : spares.splice(k, 1)[0];
}

/** Spare rings held (see {@link keepSpare}); for tests. */
export function spareRings(): number {
  return spares.length;
}

/** One worker of the pool. */
export interface Lane {
  readonly index: number;
  readonly worker: Worker;
  /** Tasks sent and not answered yet. */
  inFlight: number;
  /** Tasks sent since the worker started. */
  sent: number;
  /** Whether the worker currently holds the event loop. */
  held: boolean;
  dead: boolean;
  /** Shared memory the worker inflates masks into (see {@link DecodePool.takeSlot}). */
  ring?: Ring;
}

/** Equal slots of shared memory, each free or lent to one task. */
interface Ring {
  /** Names the ring in tasks: the worker got the memory once, with this id. */
  id: number;
  slotBytes: number;
  buffer: SharedArrayBuffer;
  /** Per slot: 0 while lent, 1 once the mask is written, 2 if it failed. */
  status: Int32Array;
  free: number[];
}

/** A slot of a worker's ring, lent to one task. */
export interface RingSlot {
  lane: Lane;
  /** The ring's id and the slot's index in it, for the worker. */
  ring: number;
  index: number;
  /** Where the worker writes the mask. */
  view: Uint8Array;
  /** The worker sets `status[0]` to 1 once `view` holds the mask. */
  status: Int32Array;
}

interface Pending {
  lane: Lane;
  resolve: (r: DecodeResult[]) => void;
  reject: (e: Error) => void;
}

/**
 * Web Workers that run {@link DecodeTask}s. Workers start in the
 * background; {@link DecodePool.freeLane} offers only loaded ones, so a
 * caller decodes on its own thread until they are ready.
 */
export class DecodePool {
  #lanes: Lane[] = [];
  #ready = new Int32Array(new SharedArrayBuffer(4 * MAX_WORKERS));
  #finished = new Int32Array(new SharedArrayBuffer(4 * MAX_WORKERS));
  #done = new Int32Array(new SharedArrayBuffer(4 * DONE_SLOTS));
  #pending = new Map<number, Pending>();
  #nextId = 0;
  #nextRing = 0;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  /** Workers started and not ended (loaded or still loading). */
  get size(): number {
    return this.#lanes.length;
  }

  /** Workers loaded and ready for tasks. */
  get ready(): number {
    return this.#lanes.filter((l) =>
      !l.dead && Atomics.load(this.#ready, l.index) === 1
    ).length;
  }

  /** Starts workers until there are `count` (at most 64). */
  grow(count: number): void {
    if (this.#closed) return;
    count = Math.min(count, MAX_WORKERS);
    while (this.#lanes.length < count) {
      const index = this.#freeIndex();
      Atomics.store(this.#ready, index, 0);
      Atomics.store(this.#finished, index, 0);
      const worker = new Worker(WORKER_URL, { type: "module" });
      const lane: Lane = {
        index,
        worker,
        inFlight: 0,
        sent: 0,
        held: true,
        dead: false,
      };
      hold(lane, false);
      worker.onmessage = (e: MessageEvent<WorkerResult>) => this.#answer(e);
      worker.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        this.#fail(lane, new Error(`A mask worker failed: ${e.message}`));
      };
      worker.postMessage(
        {
          init: true,
          ready: this.#ready,
          finished: this.#finished,
          done: this.#done,
          lane: index,
        } satisfies WorkerInit,
      );
      this.#lanes.push(lane);
    }
    this.#armIdle();
  }

  /**
   * A loaded worker among the first `limit` with fewer than `depth` tasks
   * not yet finished, the least busy first; `undefined` when none. Read from
   * shared memory: a worker is fed again as soon as it is done, even while
   * the calling thread is too busy to receive its answers.
   */
  freeLane(
    depth: number,
    limit: number,
    slotBytes = 0,
  ): Lane | undefined {
    let best: Lane | undefined;
    let bestQueued = depth;
    const n = Math.min(limit, this.#lanes.length);
    for (let i = 0; i < n; i++) {
      const lane = this.#lanes[i];
      if (lane.dead || Atomics.load(this.#ready, lane.index) !== 1) continue;
      if (slotBytes > 0 && !this.#hasSlot(lane, slotBytes)) continue;
      const queued = lane.sent - Atomics.load(this.#finished, lane.index);
      if (queued < bestQueued) {
        best = lane;
        bestQueued = queued;
      }
    }
    return best;
  }

  /**
   * A slot of `slotBytes` bytes in `lane`'s ring of shared memory, for its
   * worker to inflate one mask into; `undefined` when all are lent. The
   * calling thread copies each mask out into a buffer of its own as soon as
   * the slot's status says it is written, without waiting for the worker's
   * message: a buffer handed back by a worker is freed only by full
   * collections, not cheap young ones (measured on 2 cores), which costs
   * more than the copy.
   */
  takeSlot(lane: Lane, slotBytes: number): RingSlot | undefined {
    if (!this.#hasSlot(lane, slotBytes)) return undefined;
    const ring = lane.ring!;
    const slot = ring.free.pop()!;
    Atomics.store(ring.status, slot, 0);
    return {
      lane,
      ring: ring.id,
      index: slot,
      view: new Uint8Array(ring.buffer, slot * slotBytes, slotBytes),
      status: ring.status.subarray(slot, slot + 1),
    };
  }

  /**
   * Returns a slot from {@link takeSlot}; only once its worker is done
   * with it (status set, or its answer received).
   */
  giveSlot(slot: RingSlot): void {
    const ring = slot.lane.ring;
    if (!ring || slot.view.buffer !== ring.buffer) return;
    ring.free.push(slot.view.byteOffset / ring.slotBytes);
  }

  #hasSlot(lane: Lane, slotBytes: number): boolean {
    if (lane.ring?.slotBytes !== slotBytes) {
      const spare = takeSpare(slotBytes);
      spare?.status.fill(0);
      const ring: Ring = {
        id: this.#nextRing++,
        slotBytes,
        buffer: spare?.buffer ?? new SharedArrayBuffer(slotBytes * RING_SLOTS),
        status: spare?.status ??
          new Int32Array(new SharedArrayBuffer(4 * RING_SLOTS)),
        free: Array.from({ length: RING_SLOTS }, (_, i) => RING_SLOTS - 1 - i),
      };
      lane.ring = ring;
      // Sent once; tasks name a slot by ring id and index.
      lane.worker.postMessage(
        {
          ring: {
            id: ring.id,
            buffer: ring.buffer,
            status: ring.status,
            slotBytes,
          },
        } satisfies WorkerRing,
      );
    }
    return lane.ring.free.length > 0;
  }

  /** Whether task `id` is finished (its answer may still be on its way). */
  finished(id: number): boolean {
    return Atomics.load(this.#done, id % DONE_SLOTS) === id + 1;
  }

  /**
   * Sends `task` to `lane` (its stored bytes are transferred). The promise
   * never goes unhandled: a caller that stopped listening loses nothing.
   */
  run(
    lane: Lane,
    tasks: DecodeTask[],
  ): { id: number; promise: Promise<DecodeResult[]> } {
    const id = this.#nextId;
    this.#nextId = (this.#nextId + 1) % 0x40000000;
    if (this.#closed || lane.dead) {
      const promise = Promise.reject(new Error("the decode pool has ended"));
      promise.catch(() => {});
      return { id, promise };
    }
    const promise = new Promise<DecodeResult[]>((resolve, reject) => {
      this.#pending.set(id, { lane, resolve, reject });
    });
    promise.catch(() => {});
    lane.sent++;
    if (lane.inFlight++ === 0) hold(lane, true);
    this.#disarmIdle();
    lane.worker.postMessage(
      { id, tasks } satisfies WorkerTask,
      // Masks go into the lane's ring: only the stored bytes travel.
      tasks.map((t) => t.stored.buffer as ArrayBuffer),
    );
    return { id, promise };
  }

  /** Ends every worker; pending tasks reject with `reason`. Safe twice. */
  close(reason: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#end(reason);
  }

  #answer(e: MessageEvent<WorkerResult>): void {
    const { id, results } = e.data;
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    const lane = pending.lane;
    if (--lane.inFlight === 0) {
      hold(lane, false);
      this.#armIdle();
    }
    pending.resolve(results);
  }

  #fail(lane: Lane, error: Error): void {
    lane.dead = true;
    lane.worker.terminate();
    this.#lanes = this.#lanes.filter((l) => l !== lane);
    for (const [id, p] of this.#pending) {
      if (p.lane !== lane) continue;
      this.#pending.delete(id);
      p.reject(error);
    }
    this.#armIdle();
  }

  #end(reason: Error): void {
    this.#disarmIdle();
    for (const lane of this.#lanes) {
      lane.dead = true;
      lane.worker.terminate();
      const ring = lane.ring;
      lane.ring = undefined;
      // Every slot back: each task's worker wrote its slot and is done
      // with it (answers may still be on their way: they touch no slot).
      if (ring && ring.free.length === RING_SLOTS) keepSpare(ring);
    }
    this.#lanes = [];
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(reason);
  }

  #freeIndex(): number {
    const used = new Set(this.#lanes.map((l) => l.index));
    let i = 0;
    while (used.has(i)) i++;
    return i;
  }

  // An idle pool ends after IDLE_MS; the timer itself never holds the
  // process (Deno.unrefTimer), so a finished script exits at once.
  #armIdle(): void {
    if (this.#closed || this.#idleTimer !== undefined) return;
    if (this.#lanes.length === 0 || this.#pending.size > 0) return;
    const timer = setTimeout(() => {
      this.#idleTimer = undefined;
      if (this.#pending.size === 0) {
        this.#end(new Error("the decode pool has ended"));
      }
    }, IDLE_MS);
    Deno.unrefTimer(timer);
    this.#idleTimer = timer;
  }

  #disarmIdle(): void {
    if (this.#idleTimer === undefined) return;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }
}

/** Lets `lane`'s worker hold the event loop (`on`) or not. */
function hold(lane: Lane, on: boolean): void {
  if (!REF || lane.held === on) return;
  lane.held = on;
  (lane.worker as unknown as Record<symbol, (on: boolean) => void>)[REF](on);
}
