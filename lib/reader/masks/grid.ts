// Area-weighted pooling of one mask onto a size x size grid. Cell j of an
// axis of n pixels spans [j * n / size, (j + 1) * n / size); in units of
// 1 / size pixel every boundary is an integer, so the weights (overlap of a
// pixel with a cell, divided by the cell's extent) are exact ratios and a
// grid sums to area / cell area whether or not size divides n.

/** Per pixel of one axis: the cells it overlaps and its share of each. */
export interface AxisWeights {
  /** Entries of pixel p: start[p] .. start[p + 1]. */
  start: Int32Array;
  cell: Int32Array;
  weight: Float64Array;
}

const axisCache = new Map<string, AxisWeights>();

/** The weights of an axis of `n` pixels cut into `size` cells (cached). */
export function axisWeights(n: number, size: number): AxisWeights {
  const key = `${n}/${size}`;
  const cached = axisCache.get(key);
  if (cached) return cached;
  const start = new Int32Array(n + 1);
  const cells: number[] = [];
  const weights: number[] = [];
  for (let p = 0; p < n; p++) {
    start[p] = cells.length;
    // Pixel p spans [p * size, (p + 1) * size), cell j spans [j * n, (j + 1) * n).
    const lo = p * size, hi = lo + size;
    for (let j = Math.floor(lo / n); j < size && j * n < hi; j++) {
      const overlap = Math.min(hi, (j + 1) * n) - Math.max(lo, j * n);
      if (overlap > 0) {
        cells.push(j);
        weights.push(overlap / n);
      }
    }
  }
  start[n] = cells.length;
  const result = {
    start,
    cell: Int32Array.from(cells),
    weight: Float64Array.from(weights),
  };
  if (axisCache.size > 64) axisCache.clear();
  axisCache.set(key, result);
  return result;
}

/** Checks a grid size: a positive integer. */
export function checkGridSize(size: number): void {
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(
      `Grid size must be a positive integer, got ${size}; pass e.g. { size: 32 }.`,
    );
  }
}

/**
 * Pools the row-major `height x width` mask `data` (non-zero = set) into
 * `out[offset .. offset + size * size)`, row-major: each cell holds the
 * fraction of its area the mask covers.
 */
export function poolMask(
  data: Uint8Array,
  width: number,
  height: number,
  size: number,
  out: Float32Array,
  offset = 0,
): void {
  const xs = axisWeights(width, size);
  const ys = axisWeights(height, size);
  const grid = new Float64Array(size * size);
  const row = new Float64Array(size);
  const words = width % 4 === 0 && data.byteOffset % 4 === 0
    ? new Uint32Array(data.buffer, data.byteOffset, (width * height) >>> 2)
    : null;
  for (let y = 0; y < height; y++) {
    const base = y * width;
    let any = false;
    if (words) {
      // Masks are mostly background: skip empty 4-pixel words.
      for (let w = base >>> 2, end = (base + width) >>> 2; w < end; w++) {
        if (words[w] === 0) continue;
        for (let x = (w << 2) - base, k = 0; k < 4; k++, x++) {
          if (data[base + x] === 0) continue;
          any = true;
          for (let e = xs.start[x]; e < xs.start[x + 1]; e++) {
            row[xs.cell[e]] += xs.weight[e];
          }
        }
      }
    } else {
      for (let x = 0; x < width; x++) {
        if (data[base + x] === 0) continue;
        any = true;
        for (let e = xs.start[x]; e < xs.start[x + 1]; e++) {
          row[xs.cell[e]] += xs.weight[e];
        }
      }
    }
    if (!any) continue;
    for (let e = ys.start[y]; e < ys.start[y + 1]; e++) {
      const at = ys.cell[e] * size, wy = ys.weight[e];
      for (let j = 0; j < size; j++) grid[at + j] += wy * row[j];
    }
    row.fill(0);
  }
  for (let i = 0; i < grid.length; i++) out[offset + i] = grid[i];
}

/**
 * {@link poolMask} for a mask given as its set pixels: ascending row-major
 * `[start, end)` pairs. Costs the number of runs, not of pixels: each row
 * segment adds its exact overlap with each cell it touches.
 */
export function poolIntervals(
  intervals: Int32Array,
  width: number,
  height: number,
  size: number,
  out: Float32Array,
  offset = 0,
): void {
  const ys = axisWeights(height, size);
  const grid = new Float64Array(size * size);
  const row = new Float64Array(size);
  let current = -1;
  const flush = () => {
    for (let e = ys.start[current]; e < ys.start[current + 1]; e++) {
      const at = ys.cell[e] * size, wy = ys.weight[e];
      for (let j = 0; j < size; j++) grid[at + j] += wy * row[j];
    }
    row.fill(0);
  };
  for (let k = 0; k < intervals.length; k += 2) {
    let s = intervals[k];
    const end = intervals[k + 1];
    while (s < end) {
      const y = Math.floor(s / width);
      const x0 = s - y * width;
      const x1 = Math.min(width, x0 + (end - s));
      if (y !== current) {
        if (current >= 0) flush();
        current = y;
      }
      // In units of 1 / size pixel: segment [x0 * size, x1 * size), cell j
      // [j * width, (j + 1) * width); the overlap over width is the share.
      const lo = x0 * size, hi = x1 * size;
      for (let j = Math.floor(lo / width); j < size && j * width < hi; j++) {
        const overlap = Math.min(hi, (j + 1) * width) - Math.max(lo, j * width);
        if (overlap > 0) row[j] += overlap / width;
      }
      s += x1 - x0;
    }
  }
  if (current >= 0) flush();
  for (let i = 0; i < grid.length; i++) out[offset + i] = grid[i];
}
