// Per-mask statistics in one pass, a 4-byte word at a time: masks are mostly
// background (empty words are skipped) and inside a mask mostly runs of 1
// (full words are counted whole), so this is several times faster than a
// byte loop.

/** Indexes into the array {@link maskStats} returns. */
export const STAT = {
  AREA: 0,
  X0: 1,
  Y0: 2,
  X1: 3,
  Y1: 4,
  CX: 5,
  CY: 6,
  /** With degree tables: the sum of the pixels' eccentricities (degrees). */
  ECC_SUM: 7,
  /** With degree tables: the pixels whose centres lie within the foveal radius. */
  WITHIN: 8,
} as const;

/**
 * How pixels map to degrees, as plain numbers (a worker builds its tables
 * from them): fixation `(fx, fy)` in pixels, `k` degrees per pixel, and the
 * foveal radius in degrees.
 */
export interface DegreeParams {
  fx: number;
  fy: number;
  k: number;
  radius: number;
}

/**
 * Row-wise prefix sums over pixel centres (`width + 1` values a row): of
 * the eccentricity, and of the count within the radius; a run's sum is
 * two lookups.
 */
export interface DegreeTables {
  key: string;
  ecc: Float64Array;
  within: Int32Array;
}

let lastTables: DegreeTables | undefined;

/** The tables for `params` over a `width` x `height` image (the last ones are kept). */
export function degreeTables(
  params: DegreeParams,
  width: number,
  height: number,
): DegreeTables {
  const { fx, fy, k, radius } = params;
  const key = [fx, fy, k, radius, width, height].join(",");
  if (lastTables?.key === key) return lastTables;
  const ecc = new Float64Array((width + 1) * height);
  const within = new Int32Array((width + 1) * height);
  for (let y = 0; y < height; y++) {
    const dy = (fy - y - 0.5) * k;
    const row = y * (width + 1);
    let sum = 0, count = 0;
    for (let x = 0; x < width; x++) {
      const dx = (x + 0.5 - fx) * k;
      const e = Math.sqrt(dx * dx + dy * dy);
      sum += e;
      if (e <= radius) count++;
      ecc[row + x + 1] = sum;
      within[row + x + 1] = count;
    }
  }
  return (lastTables = { key, ecc, within });
}

const FULL = 0x01010101;

/**
 * Area (pixels set), pixel bbox (x1, y1 exclusive) and centroid (mean pixel
 * index, as numpy/scipy compute it); bbox and centroid are NaN for an empty mask.
 */
export function maskStats(
  data: Uint8Array,
  width: number,
  height: number,
  degrees?: DegreeTables,
): Float64Array {
  let area = 0, sx = 0, sy = 0, eccSum = 0, within = 0;
  const ecc = degrees?.ecc, fov = degrees?.within;
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  const n = width * height;
  if (data.byteOffset % 4 === 0 && width % 4 === 0) {
    // Rows of whole words: no division per pixel.
    const words = new Uint32Array(data.buffer, data.byteOffset, n >>> 2);
    const perRow = width >>> 2;
    for (let y = 0; y < height; y++) {
      let rowArea = 0, rowSx = 0, first = -1, last = -1;
      const base = y * perRow;
      const groups = perRow & ~3;
      for (let k = 0; k < perRow; k++) {
        // Background: four empty words (16 pixels) at a time.
        while (
          k < groups && (k & 3) === 0 &&
          (words[base + k] | words[base + k + 1] | words[base + k + 2] |
              words[base + k + 3]) === 0
        ) k += 4;
        if (k >= perRow) break;
        const word = words[base + k];
        if (word === 0) continue;
        const x = k << 2;
        if (word === FULL) {
          rowArea += 4;
          rowSx += 4 * x + 6;
          if (first < 0) first = x;
          last = x + 3;
          continue;
        }
        const i = y * width + x;
        for (let j = 0; j < 4; j++) {
          if (data[i + j] === 0) continue;
          rowArea++;
          rowSx += x + j;
          if (first < 0) first = x + j;
          last = x + j;
        }
      }
      if (rowArea === 0) continue;
      if (ecc) {
        // A row's set pixels are mostly one span: one lookup pair; a row
        // with holes is summed span by span.
        const at = y * (width + 1);
        if (rowArea === last - first + 1) {
          eccSum += ecc[at + last + 1] - ecc[at + first];
          within += fov![at + last + 1] - fov![at + first];
        } else {
          const i0 = y * width;
          let s = -1;
          for (let x = first; x <= last + 1; x++) {
            const set = x <= last && data[i0 + x] !== 0;
            if (set) {
              if (s < 0) s = x;
            } else if (s >= 0) {
              eccSum += ecc[at + x] - ecc[at + s];
              within += fov![at + x] - fov![at + s];
              s = -1;
            }
          }
        }
      }
      area += rowArea;
      sx += rowSx;
      sy += rowArea * y;
      if (first < x0) x0 = first;
      if (last > x1) x1 = last;
      if (y < y0) y0 = y;
      y1 = y;
    }
  } else {
    for (let i = 0; i < n; i++) {
      if (data[i] === 0) continue;
      const y = Math.floor(i / width);
      const x = i - y * width;
      if (ecc) {
        const at = y * (width + 1) + x;
        eccSum += ecc[at + 1] - ecc[at];
        within += fov![at + 1] - fov![at];
      }
      area++;
      sx += x;
      sy += y;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  const out = new Float64Array(9);
  out[STAT.AREA] = area;
  if (area === 0) out.fill(NaN, 1, 7);
  else {
    out.set([x0, y0, x1 + 1, y1 + 1, sx / area, sy / area], 1);
  }
  out[STAT.ECC_SUM] = ecc ? eccSum : NaN;
  out[STAT.WITHIN] = ecc ? within : NaN;
  return out;
}
