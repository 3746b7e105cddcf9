/**
 * pRF-weighted object regressors: for each population receptive field
 * (an isotropic 2-D Gaussian in degrees of visual angle) and each image,
 * the share of the pRF's weight that falls inside the union of the
 * image's selected masks.
 *
 * @module
 */

import { pl } from "../../deps.ts";
import { checkFrame, checkOptions, isFrame } from "../../base/args.ts";
import type { AnalysisSource, Selection } from "../source/analysis_source.ts";
import { selectedRows } from "../source/analysis_source.ts";
import type { Intervals } from "../masks/runs.ts";
import type { ScanOptions } from "../source/scan.ts";
import { filterMasks, type MaskFilter } from "../mask_filter.ts";
import type { VisualField } from "../visual_field.ts";
import { MASK_FILTER_OPTIONS } from "../mask_filter.ts";

/** One pRF: centre and size in degrees (x right, y up, from fixation). */
export interface Prf {
  /** Horizontal position of the centre, degrees (right of fixation positive). */
  x_deg: number;
  /** Vertical position of the centre, degrees (above fixation positive). */
  y_deg: number;
  /** Standard deviation of the Gaussian, degrees. */
  sigma_deg: number;
  /**
   * A compressive exponent (the CSS model's `n`): the overlap is raised to
   * it.
   *
   * @default {1}
   */
  exponent?: number;
}

/** Options for {@link prfOverlap}. */
export interface PrfOverlapOptions extends ScanOptions, MaskFilter {
  /**
   * One block of values per noun (`"noun"`): the union is taken over each
   * noun's masks separately. Without it, over all selected masks.
   *
   * @default {undefined} (one union per image)
   */
  by?: "noun";
}

/** The option spec of {@link PrfOverlapOptions}. */
export const PRF_OVERLAP_OPTIONS = {
  onProgress: "function",
  signal: "signal",
  ...MASK_FILTER_OPTIONS,
  by: ["noun"],
} as const;

/** What {@link prfOverlap} returns. */
export interface PrfOverlap {
  /**
   * Overlaps, dense: `values[(g * prfs + p) * images.length + i]` for group
   * `g`, pRF `p` (in the order given) and image `i` (in `images`' order).
   */
  values: Float32Array;
  /** The images, in `seg.images()` order (every image with masks). */
  images: string[];
  /** The groups (nouns with `by: "noun"`), or `null` without `by`. */
  groups: string[] | null;
  /** Number of pRFs. */
  prfs: number;
  /**
   * The same values as a long Polars frame: `prf`, `image_name`, `group`
   * (with `by`), `overlap`; built on first access.
   */
  readonly frame: pl.DataFrame;
}

/**
 * For each pRF and image, the share of the pRF's weight inside the union
 * of the image's selected masks (per noun with `by: "noun"`):
 *
 * `overlap = (Σ over union pixels of w) / (Σ over all stimulus pixels of w)`,
 * raised to the pRF's `exponent` when it has one, where `w` is the
 * Gaussian's integral over the pixel's square (exact, separable: a
 * difference of normal CDFs along x times one along y). The weight is
 * normalised by the part of the pRF that falls on the stimulus, so a pRF
 * half outside the image whose inner half is covered gets 1. Computed at
 * full resolution from the masks' runs: no grid, no resolution to choose.
 *
 * Pixels map to degrees by the reader's {@link VisualField} (fixation at
 * the image centre, 9.2 degrees wide, y up, by default).
 *
 * @throws {TypeError} When `prfs` lacks `x_deg`, `y_deg` or `sigma_deg`.
 * @throws {RangeError} When a value is not finite, a sigma not positive,
 * or a noun of the filter is not in the data.
 */
export async function prfOverlap(
  source: AnalysisSource,
  field: VisualField,
  prfs: pl.DataFrame | readonly Prf[],
  selection: Selection | undefined,
  options: PrfOverlapOptions = {},
): Promise<PrfOverlap> {
  checkOptions("seg.prfOverlap", options, PRF_OVERLAP_OPTIONS);
  const p = readPrfs(prfs);
  const frame = selection === undefined || Array.isArray(selection)
    ? undefined
    : selection as pl.DataFrame;
  const passing = new Set(
    (filterMasks(frame ?? source.metadata, options, {
      fn: "seg.prfOverlap",
      where: frame ? "the selection" : "the data",
    }).getColumn("mask_row").toArray() as number[]).map(Number),
  );
  const rows = selectedRows(source, selection);
  const images = source.images();
  const imageIndex = new Map(images.map((name, i) => [name, i]));
  const byNoun = options.by === "noun";
  const groupIndex = new Map<string, number>();
  // The masks of each (group, image), by HDF5 row.
  const members = new Map<number, number[]>();
  const keyOf = new Map<number, number[]>();
  for (let k = 0; k < rows.maskRow.length; k++) {
    const row = rows.maskRow[k];
    if (rows.csvRow[k] < 0 || !passing.has(row)) continue;
    const i = imageIndex.get(rows.image[k]);
    if (i === undefined) continue;
    let g = 0;
    if (byNoun) {
      g = groupIndex.get(rows.noun[k]) ?? -1;
      if (g < 0) groupIndex.set(rows.noun[k], g = groupIndex.size);
    }
    const key = g * images.length + i;
    const list = members.get(key);
    if (list) list.push(row);
    else members.set(key, [row]);
    const keys = keyOf.get(row);
    if (keys) keys.push(key);
    else keyOf.set(row, [key]);
  }
  const groups = byNoun ? [...groupIndex.keys()] : null;
  const G = byNoun ? groups!.length : 1;
  const P = p.x.length, I = images.length;
  const values = new Float32Array(G * P * I);
  const tables = gaussianTables(field, p);
  // Each mask's runs until its (group, image) union is complete.
  const pending = new Map<number, Intervals[]>();
  const remaining = new Map<number, number>();
  for (const [key, list] of members) remaining.set(key, list.length);
  for await (
    const [row, intervals] of source.scan([...keyOf.keys()], {
      onProgress: options.onProgress,
      signal: options.signal,
    })
  ) {
    for (const key of keyOf.get(row)!) {
      const parts = pending.get(key) ?? [];
      parts.push(intervals);
      pending.set(key, parts);
      const left = remaining.get(key)! - 1;
      remaining.set(key, left);
      if (left > 0) continue;
      pending.delete(key);
      const g = Math.floor(key / I), i = key - g * I;
      const segments = rowSegments(
        unionIntervals(parts),
        field.width,
        field.height,
      );
      overlapInto(tables, segments, values, g * P * I + i, I);
    }
  }
  // The compressive exponent, where given.
  for (let q = 0; q < P; q++) {
    const n = p.exponent[q];
    if (n === 1) continue;
    for (let g = 0; g < G; g++) {
      const at = (g * P + q) * I;
      for (let i = 0; i < I; i++) values[at + i] = values[at + i] ** n;
    }
  }
  let long: pl.DataFrame | undefined;
  return {
    values,
    images,
    groups,
    prfs: P,
    get frame() {
      return long ??= longFrame(values, images, groups, P);
    },
  };
}

/** The pRFs as columns, checked. */
function readPrfs(
  prfs: pl.DataFrame | readonly Prf[],
): {
  x: Float64Array;
  y: Float64Array;
  sigma: Float64Array;
  exponent: Float64Array;
} {
  const fn = "seg.prfOverlap";
  let x: number[], y: number[], s: number[], n: number[];
  if (isFrame(prfs)) {
    const frame = prfs as pl.DataFrame;
    checkFrame(fn, "prfs", frame, { columns: ["x_deg", "y_deg", "sigma_deg"] });
    const col = (c: string) =>
      (frame.getColumn(c).cast(pl.Float64).toArray() as (number | null)[])
        .map((v) => v ?? NaN);
    x = col("x_deg");
    y = col("y_deg");
    s = col("sigma_deg");
    n = frame.columns.includes("exponent") ? col("exponent") : x.map(() => 1);
  } else if (Array.isArray(prfs)) {
    const list = prfs as readonly Prf[];
    x = list.map((d) => d?.x_deg);
    y = list.map((d) => d?.y_deg);
    s = list.map((d) => d?.sigma_deg);
    n = list.map((d) => d?.exponent ?? 1);
  } else {
    throw new TypeError(
      `${fn}: prfs must be a Polars DataFrame with columns x_deg, y_deg, sigma_deg (and optionally exponent), ` +
        `or an array of { x_deg, y_deg, sigma_deg }.`,
    );
  }
  for (let i = 0; i < x.length; i++) {
    const bad = !Number.isFinite(x[i])
      ? "x_deg"
      : !Number.isFinite(y[i])
      ? "y_deg"
      : !(s[i] > 0 && Number.isFinite(s[i]))
      ? "sigma_deg"
      : !(n[i] > 0 && Number.isFinite(n[i]))
      ? "exponent"
      : undefined;
    if (bad) {
      throw new RangeError(
        `${fn}: pRF ${i} has ${bad} ${
          JSON.stringify(
            bad === "x_deg"
              ? x[i]
              : bad === "y_deg"
              ? y[i]
              : bad === "sigma_deg"
              ? s[i]
              : n[i],
          )
        }; positions must be finite, sigma and exponent positive.`,
      );
    }
  }
  return {
    x: Float64Array.from(x),
    y: Float64Array.from(y),
    sigma: Float64Array.from(s),
    exponent: Float64Array.from(n),
  };
}

/**
 * The normal CDF of every pRF at every column edge, the weight of every row
 * for every pRF (both pRF-minor, so the inner loop over pRFs reads memory in
 * order), and each pRF's weight on the whole stimulus.
 */
interface GaussianTables {
  P: number;
  W: number;
  H: number;
  /** `(W + 1) x P`: CDF at column edge e. */
  cdfX: Float64Array;
  /** `H x P`: weight of row y (y down). */
  rowW: Float64Array;
  /** Σ over the stimulus, per pRF. */
  total: Float64Array;
  /** Scratch sums, per pRF. */
  sum: Float64Array;
}

function gaussianTables(
  field: VisualField,
  p: { x: Float64Array; y: Float64Array; sigma: Float64Array },
): GaussianTables {
  const { width: W, height: H, degreesPerPixel: k } = field;
  const [fx, fy] = field.fixation;
  const P = p.x.length;
  const cdfX = new Float64Array((W + 1) * P);
  const rowW = new Float64Array(H * P);
  const total = new Float64Array(P);
  for (let q = 0; q < P; q++) {
    const s = p.sigma[q];
    for (let e = 0; e <= W; e++) {
      cdfX[e * P + q] = normalCdf(((e - fx) * k - p.x[q]) / s);
    }
    let sum = 0;
    let above = normalCdf((fy * k - p.y[q]) / s);
    for (let y = 0; y < H; y++) {
      const below = normalCdf(((fy - y - 1) * k - p.y[q]) / s);
      rowW[y * P + q] = above - below;
      sum += above - below;
      above = below;
    }
    total[q] = sum * (cdfX[W * P + q] - cdfX[q]);
  }
  return { P, W, H, cdfX, rowW, total, sum: new Float64Array(P) };
}

/** A union as runs inside one row each: `y`, `[x0, x1)`, rows ascending. */
interface Segments {
  y: Int32Array;
  x0: Int32Array;
  x1: Int32Array;
}

/** The union of several masks' intervals (each ascending), merged. */
export function unionIntervals(parts: readonly Intervals[]): Intervals {
  if (parts.length === 1) return parts[0];
  const n = parts.reduce((a, p) => a + p.length / 2, 0);
  // start * 2^22 + end: one native numeric sort orders the runs by start
  // (indices of a mask of up to 2^22 pixels).
  const keys = new Float64Array(n);
  let k = 0;
  for (const p of parts) {
    for (let i = 0; i < p.length; i += 2) keys[k++] = p[i] * 4194304 + p[i + 1];
  }
  keys.sort();
  const out = new Int32Array(2 * n);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const s = Math.floor(keys[i] / 4194304), e = keys[i] - s * 4194304;
    if (m > 0 && s <= out[m - 1]) {
      if (e > out[m - 1]) out[m - 1] = e;
    } else {
      out[m++] = s;
      out[m++] = e;
    }
  }
  return out.subarray(0, m);
}

/** Intervals split at row ends. */
function rowSegments(intervals: Intervals, W: number, _H: number): Segments {
  // Each interval adds one segment per row it reaches into.
  let n = 0;
  for (let i = 0; i < intervals.length; i += 2) {
    n += Math.floor((intervals[i + 1] - 1) / W) - Math.floor(intervals[i] / W) +
      1;
  }
  const y = new Int32Array(n), x0 = new Int32Array(n), x1 = new Int32Array(n);
  let k = 0;
  for (let i = 0; i < intervals.length; i += 2) {
    let s = intervals[i];
    const end = intervals[i + 1];
    while (s < end) {
      const row = Math.floor(s / W);
      const a = s - row * W;
      const b = Math.min(W, a + (end - s));
      y[k] = row;
      x0[k] = a;
      x1[k++] = b;
      s += b - a;
    }
  }

  return { y, x0, x1 };
}

/** `values[at + q * stride]` = the share of pRF q's weight on `segments`. */
function overlapInto(
  t: GaussianTables,
  seg: Segments,
  values: Float32Array,
  at: number,
  stride: number,
): void {
  const n = seg.y.length;
  if (n === 0) return;
  const { P, cdfX, rowW, total, sum } = t;
  sum.fill(0);
  for (let j = 0; j < n; j++) {
    const r = seg.y[j] * P, a = seg.x0[j] * P, b = seg.x1[j] * P;
    for (let q = 0; q < P; q++) {
      sum[q] += rowW[r + q] * (cdfX[b + q] - cdfX[a + q]);
    }
  }
  for (let q = 0; q < P; q++) {
    if (total[q] > 0) values[at + q * stride] = sum[q] / total[q];
  }
}

/** The standard normal CDF (erfc after W. J. Cody; absolute error below 1e-15 where it matters here). */
function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** erfc by Numerical Recipes' Chebyshev fit (relative error < 1.2e-7), refined enough for weights summed to 1e-3. */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(
    -z * z - 1.26551223 +
      t * (1.00002368 +
          t * (0.37409196 +
              t * (0.09678418 +
                  t * (-0.18628806 +
                      t * (0.27886807 +
                          t * (-1.13520398 +
                              t *
                                (1.48851587 +
                                  t * (-0.82215223 + t * 0.17087277)))))))),
  );
  return x >= 0 ? r : 2 - r;
}

function longFrame(
  values: Float32Array,
  images: string[],
  groups: string[] | null,
  P: number,
): pl.DataFrame {
  const I = images.length, G = groups ? groups.length : 1;
  const n = G * P * I;
  const prf = new Int32Array(n), image = new Array<string>(n);
  const group = groups ? new Array<string>(n) : undefined;
  for (let g = 0, k = 0; g < G; g++) {
    for (let q = 0; q < P; q++) {
      for (let i = 0; i < I; i++, k++) {
        prf[k] = q;
        image[k] = images[i];
        if (group) group[k] = groups![g];
      }
    }
  }
  return pl.DataFrame([
    pl.Series("prf", prf, pl.Int32),
    pl.Series("image_name", image, pl.Utf8),
    ...(group ? [pl.Series("group", group, pl.Utf8)] : []),
    pl.Series("overlap", Float64Array.from(values)),
  ]);
}
