// Web Worker of the reader's decode pool (lib/reader/_pool.ts): inflates
// stored chunks (one mask each) and returns the mask bytes or only their
// statistics (so 1 MB masks need not travel back for stats()).
/// <reference lib="deno.worker" />
import { type DecodeTask, runDecodeTask } from "./_decode_task.ts";
import type { DecodeResult } from "./_decode_task.ts";

/**
 * The first message: shared memory through which the calling thread sees,
 * without waiting for a message, that this worker is loaded and which tasks
 * it has finished.
 */
export interface WorkerInit {
  init: true;
  /** One flag per lane; this worker sets its own to 1 once loaded. */
  ready: Int32Array;
  /** One counter per lane: tasks this worker has finished. */
  finished: Int32Array;
  /** Task `id` finished: slot `id % done.length` holds `id + 1`. */
  done: Int32Array;
  lane: number;
}

/** A task for the worker. */
export interface WorkerTask extends DecodeTask {
  id: number;
}

/** The worker's answer to task `id`. */
export interface WorkerResult extends DecodeResult {
  id: number;
}

let shared: WorkerInit | undefined;

self.onmessage = (event: MessageEvent<WorkerTask | WorkerInit>) => {
  const message = event.data;
  if ("init" in message) {
    shared = message;
    Atomics.store(message.ready, message.lane, 1);
    return;
  }
  const result: WorkerResult = { id: message.id, ...runDecodeTask(message) };
  if (shared) {
    Atomics.add(shared.finished, shared.lane, 1);
    Atomics.store(
      shared.done,
      message.id % shared.done.length,
      message.id + 1,
    );
  }
  const transfer = result.data?.buffer ?? result.stats?.buffer;
  self.postMessage(result, transfer ? [transfer as ArrayBuffer] : []);
};
