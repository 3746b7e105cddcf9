// Web Worker of the reader's decode pool (lib/reader/stream/_pool.ts): inflates
// batches of stored chunks (one mask each) and returns the mask bytes or
// only their statistics (so 1 MB masks need not travel back for stats()).
// Batches, because a message costs about as much as inflating a mask.
import { type DecodeTask, runDecodeTask } from "./_decode_task.ts";
import type { DecodeResult } from "./_decode_task.ts";
import { describeInflater } from "../../hdf5/decode.ts";

/**
 * The first message: shared memory through which the calling thread sees,
 * without waiting for a message, that this worker is loaded and which tasks
 * it has finished.
 */
export interface WorkerInit {
  init: true;
  /** One flag per lane; this worker sets its own to 1 once loaded. */
  ready: Int32Array;
  /** One counter per lane: batches this worker has finished. */
  finished: Int32Array;
  /** Batch `id` finished: slot `id % done.length` holds `id + 1`. */
  done: Int32Array;
  lane: number;
}

/** Shared memory the worker inflates masks into, slot by slot. */
export interface WorkerRing {
  ring: {
    id: number;
    buffer: SharedArrayBuffer;
    /** Per slot: the worker sets 1 once the mask is written, 2 if it failed. */
    status: Int32Array;
    slotBytes: number;
  };
}

/** A batch of tasks for the worker. */
export interface WorkerTask {
  id: number;
  tasks: DecodeTask[];
}

/**
 * Asks which inflater this worker uses; it answers `{ inflater }` (see
 * lib/hdf5/inflate_into.ts). The pool never asks; tests do, to see that
 * workers chose what the calling thread chose.
 */
export interface WorkerInflaterProbe {
  inflater: true;
}

/** The worker's answers to batch `id`, in order. */
export interface WorkerResult {
  id: number;
  results: DecodeResult[];
}

let shared: WorkerInit | undefined;
const rings = new Map<number, WorkerRing["ring"]>();

// The worker scope, typed here: JSR bans the `deno.worker` lib directive.
const scope = self as unknown as {
  onmessage: (
    event: MessageEvent<
      WorkerTask | WorkerInit | WorkerRing | WorkerInflaterProbe
    >,
  ) => void;
  postMessage(
    message: WorkerResult | { inflater: string },
    transfer: Transferable[],
  ): void;
};

scope.onmessage = (
  event: MessageEvent<
    WorkerTask | WorkerInit | WorkerRing | WorkerInflaterProbe
  >,
) => {
  const message = event.data;
  if ("inflater" in message) {
    scope.postMessage({ inflater: describeInflater() }, []);
    return;
  }
  if ("ring" in message) {
    rings.set(message.ring.id, message.ring);
    return;
  }
  if ("init" in message) {
    shared = message;
    Atomics.store(message.ready, message.lane, 1);
    return;
  }
  // A mask written into shared memory stays there: its status says so at
  // once, and the answer only repeats it.
  const results = message.tasks.map((task): DecodeResult => {
    const ring = task.ring && rings.get(task.ring[0]);
    if (!task.ring) return runDecodeTask(task);
    if (!ring) return { error: "the worker has no such ring" };
    const slot = task.ring[1];
    task.out = new Uint8Array(
      ring.buffer,
      slot * ring.slotBytes,
      ring.slotBytes,
    );
    const r = runDecodeTask(task);
    // Written means in the slot: runDecodeTask answers in `out` when given.
    const inSlot = r.data !== undefined && r.data === task.out;
    Atomics.store(ring.status, slot, inSlot ? 1 : 2);
    return inSlot ? { inPlace: true } : r.error ? r : {
      error: "the worker answered outside its ring slot",
    };
  });
  if (shared) {
    Atomics.add(shared.finished, shared.lane, 1);
    Atomics.store(
      shared.done,
      message.id % shared.done.length,
      message.id + 1,
    );
  }
  const transfer: ArrayBuffer[] = [];
  for (const r of results) {
    const buffer = r.data?.buffer ?? r.stats?.buffer;
    if (buffer instanceof ArrayBuffer) transfer.push(buffer);
  }
  scope.postMessage(
    { id: message.id, results } satisfies WorkerResult,
    transfer,
  );
};
