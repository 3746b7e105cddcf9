/**
 * Masks pooled onto coarse grids: per-cell covered fractions, the spatial
 * regressors of encoding models (e.g. a 32 x 32 grid per mask).
 *
 * @module
 */

import {
  type AnalysisSource,
  type Selection,
  selectionRows,
} from "../source/analysis_source.ts";
import { checkGridSize, poolIntervals } from "../masks/grid.ts";
import type { ScanOptions } from "../source/scan.ts";

/** Options for {@link SegmentationsReader.grids}. */
export interface GridsOptions extends ScanOptions {
  /**
   * Cells per side: each mask becomes `size x size` cells. Any positive
   * integer; it need not divide the mask's width or height.
   *
   * @default {32}
   */
  size?: number;
}

/** The pooled grids of a selection: what {@link SegmentationsReader.grids} returns. */
export interface MaskGrids {
  /** Cells per side. */
  size: number;
  /** HDF5 row of each grid, in selection order. */
  maskRows: Int32Array;
  /**
   * `maskRows.length x size x size` covered fractions (0 to 1), row-major:
   * grid `i` is `data.subarray(i * size * size, (i + 1) * size * size)`, its
   * cell `(row, col)` at `row * size + col`.
   */
  data: Float32Array;
}

/**
 * Pools the selected masks onto `size x size` grids (see
 * {@link SegmentationsReader.grids}).
 *
 * @throws {RangeError} For a size that is not a positive integer or a mask
 * row outside the file.
 */
export async function maskGrids(
  source: AnalysisSource,
  selection: Selection | undefined,
  options: GridsOptions = {},
): Promise<MaskGrids> {
  const size = options.size ?? 32;
  checkGridSize(size);
  const maskRows = selectionRows(source, selection);
  const cells = size * size;
  const data = new Float32Array(maskRows.length * cells);
  // Where each HDF5 row goes (a row may be selected twice).
  const slots = new Map<number, number[]>();
  maskRows.forEach((r, i) => {
    const list = slots.get(r);
    if (list) list.push(i);
    else slots.set(r, [i]);
  });
  const unique = [...slots.keys()];
  const place = (maskRow: number, pool: (offset: number) => void) => {
    const at = slots.get(maskRow)!;
    pool(at[0] * cells);
    for (let k = 1; k < at.length; k++) {
      data.copyWithin(at[k] * cells, at[0] * cells, (at[0] + 1) * cells);
    }
  };
  const { width, height } = source;
  const scan = source.scan(unique, {
    onProgress: options.onProgress,
    signal: options.signal,
  });
  for await (const [row, intervals] of scan) {
    place(row, (at) => poolIntervals(intervals, width, height, size, data, at));
  }
  return { size, maskRows, data };
}
