// Web Worker: inflates stored chunks (one mask each) and either returns the
// mask bytes or only its statistics (so 1 MB masks need not travel back).
import { decodeChunk } from "../hdf5/filters.ts";
import type { FilterInfo } from "../hdf5/format.ts";
import { maskStats } from "./_mask_stats.ts";
import { checkBinaryMask } from "./_mask_check.ts";

/** A task for the worker. */
export interface WorkerTask {
  id: number;
  kind: "decode" | "stats";
  stored: Uint8Array;
  filters: FilterInfo[];
  filterMask: number;
  width: number;
  height: number;
}

/** The worker's answer. */
export interface WorkerResult {
  id: number;
  data?: Uint8Array;
  stats?: Float64Array;
  error?: string;
}

// The worker scope, typed here: JSR bans the `deno.worker` lib directive.
const scope = self as unknown as {
  onmessage: (event: MessageEvent<WorkerTask>) => void;
  postMessage(message: WorkerResult, transfer?: Transferable[]): void;
};

scope.onmessage = (event: MessageEvent<WorkerTask>) => {
  const t = event.data;
  try {
    let data = checkBinaryMask(decodeChunk(
      t.stored,
      t.filters,
      t.filterMask,
      t.width * t.height,
    ));
    if (t.kind === "decode") {
      // Transfer a buffer of exactly this mask (inflate may hand back a view).
      if (data.byteOffset !== 0 || data.byteLength !== data.buffer.byteLength) {
        data = data.slice();
      }
      scope.postMessage({ id: t.id, data } satisfies WorkerResult, [
        data.buffer as ArrayBuffer,
      ]);
    } else {
      const stats = maskStats(data, t.width, t.height);
      scope.postMessage({ id: t.id, stats } satisfies WorkerResult, [
        stats.buffer as ArrayBuffer,
      ]);
    }
  } catch (err) {
    scope.postMessage(
      {
        id: t.id,
        error: err instanceof Error ? err.message : String(err),
      } satisfies WorkerResult,
    );
  }
};
