// The one bulk read of the analysis tables (coverage, grids, COCO): each
// selected row's set pixels, in file order, through the reader's own mask
// source, so a table sees exactly what row() would (stored, checksummed,
// binary) or an error naming the file and the row.
import type { MaskSource } from "./mask_source.ts";
import type { Intervals } from "../masks/runs.ts";
import type { StreamProgress } from "../stream/stream.ts";

/** Options of the analysis tables' scans. */
export interface ScanOptions {
  /** Called as masks are read (about every 1% and at the end). */
  onProgress?: (progress: StreamProgress) => void;
  /** Stops the scan: the call rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** How long the scan runs before it lets timers, progress and interrupts run. */
const YIELD_MS = 30;

/**
 * The set pixels of each of `rows` (no repeats), in file order, as
 * `[row, intervals]`.
 */
export async function* scanIntervals(
  source: MaskSource,
  rows: readonly number[],
  options: ScanOptions = {},
): AsyncGenerator<[number, Intervals]> {
  const { signal, onProgress } = options;
  signal?.throwIfAborted();
  const plan = source.plan();
  const order = [...rows];
  if (plan) {
    order.sort((a, b) => plan.address[a] - plan.address[b] || a - b);
  } else order.sort((a, b) => a - b);
  const total = order.length;
  const step = Math.max(1, Math.floor(total / 100));
  let last = performance.now();
  for (let k = 0; k < total; k++) {
    yield [order[k], source.readIntervals(order[k])];
    const done = k + 1;
    if (onProgress && (done % step === 0 || done === total)) {
      onProgress({ done, total });
    }
    if (performance.now() - last > YIELD_MS) {
      await new Promise((r) => setTimeout(r, 0));
      last = performance.now();
    }
    signal?.throwIfAborted();
  }
}
