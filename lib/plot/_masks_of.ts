// The one function through which figures read one image's masks.
import type { Mask } from "../reader/masks/mask.ts";
import type { SegmentationsReader } from "../reader/reader.ts";

/** Options of {@link masksOf}. */
export interface MasksOfOptions {
  /** Stops the reading (the generator throws the signal's reason). */
  signal?: AbortSignal;
}

/**
 * The masks of HDF5 rows `rows`, in that order (one image's masks; the
 * whole-dataset helpers stream through `seg.masks`, which decodes in Web
 * Workers in file order). Yields to the event loop every few milliseconds so a kernel stays
 * responsive (progress outputs, interrupts) during long runs.
 */
export async function* masksOf(
  seg: SegmentationsReader,
  rows: readonly number[],
  options: MasksOfOptions = {},
): AsyncGenerator<Mask> {
  const { signal } = options;
  let lastYield = performance.now();
  for (const row of rows) {
    signal?.throwIfAborted();
    yield seg.row(row);
    if (performance.now() - lastYield > 30) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      lastYield = performance.now();
    }
  }
  signal?.throwIfAborted();
}
