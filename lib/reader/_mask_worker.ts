// Web Worker of the reader's decode pool (lib/reader/_pool.ts): inflates
// stored chunks (one mask each) and returns the mask bytes or only their
// statistics (so 1 MB masks need not travel back for stats()).
/// <reference lib="deno.worker" />
import { type DecodeTask, runDecodeTask } from "./_decode_task.ts";
import type { DecodeResult } from "./_decode_task.ts";

/** The first message: where to say "ready" without a round trip. */
export interface WorkerInit {
  init: true;
  /** Shared flags, one per lane; this worker sets its own to 1 once loaded. */
  ready: Int32Array;
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

self.onmessage = (event: MessageEvent<WorkerTask | WorkerInit>) => {
  const message = event.data;
  if ("init" in message) {
    Atomics.store(message.ready, message.lane, 1);
    return;
  }
  const result: WorkerResult = { id: message.id, ...runDecodeTask(message) };
  const transfer = result.data?.buffer ?? result.stats?.buffer;
  self.postMessage(result, transfer ? [transfer as ArrayBuffer] : []);
};
