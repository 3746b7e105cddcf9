/**
 * {@link nounHeatmap}: where in the image a noun's masks fall, as the mean
 * of all of them.
 *
 * @module
 */

import { checkSegArgs } from "./options.ts";
import { Plot } from "../deps.ts";
import { pl } from "../deps.ts";
import { column } from "../reader/frame_columns.ts";
import { requireName } from "../base/suggest.ts";
import {
  checkNouns,
  filterMasks,
  type MaskFilter,
} from "../reader/mask_filter.ts";
import { groupOf, type NounGrouping } from "../reader/noun_table.ts";
import {
  displayable,
  type PlotDocument,
  type PlotFigure,
  styleFigure,
} from "./figure.ts";
import { NotebookProgress } from "../display/jupyter.ts";
import { defaultDocument } from "./_document.ts";
import type { SegmentationsReader } from "../reader/reader.ts";

/** Progress of {@link nounHeatmap}: masks read so far, of how many. */
export interface HeatmapProgress {
  /** Masks accumulated so far. */
  done: number;
  /** Masks to accumulate. */
  total: number;
}

/** Options for {@link meanMask}. */
export interface MeanMaskOptions
  extends Pick<MaskFilter, "localizedOnly" | "minScore"> {
  /**
   * What `noun` names: a noun as written, or a head noun, category or
   * supersense whose masks are averaged together (`meanMask(seg, "animal",
   * { by: "category" })`).
   *
   * @default {"noun"}
   */
  by?: NounGrouping;
  /**
   * Your corrections of the computed labels, for `by` (see `describeNouns`).
   *
   * @default {undefined} (none)
   */
  overrides?: pl.DataFrame | string;
  /**
   * Side of the square pixel cells averaged into one value (1: full
   * resolution). Edge cells may be smaller when it does not divide the size.
   *
   * @default {1}
   */
  cellSize?: number;
  /**
   * Called after each mask with `{ done, total }`.
   *
   * @default {undefined}
   */
  onProgress?: (progress: HeatmapProgress) => void;
  /**
   * Inside a Jupyter notebook (Deno kernel), show a progress line updated in
   * place while the masks are read (runs shorter than half a second show
   * nothing).
   *
   * @default {true}
   */
  progress?: boolean;
  /**
   * Stops reading masks; the promise rejects with the signal's reason.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/** What {@link meanMask} returns: the mean of a noun's masks on a grid of cells. */
export interface MeanMask {
  /** The noun. */
  noun: string;
  /** Masks averaged. */
  count: number;
  /** Side of the square pixel cells. */
  cellSize: number;
  /** Grid width in cells: `ceil(seg.width / cellSize)`. */
  width: number;
  /** Grid height in cells: `ceil(seg.height / cellSize)`. */
  height: number;
  /**
   * Row-major `width * height` values in [0, 1]: the share of the cell's
   * pixels covered, averaged over the masks (the share of masks covering a
   * pixel when `cellSize` is 1).
   */
  values: Float64Array;
  /** The largest value. */
  max: number;
}

/**
 * The mean of all masks of `noun`: each cell is the covered share of its
 * pixels averaged over the masks; exact (integer counts divided once at the
 * end). Masks are read one at a time, so memory stays at one mask plus the grid.
 *
 * @throws {RangeError} When no mask of `noun` passes the filters, or
 * `cellSize` is not a positive integer.
 *
 * @example The share of face masks covering the image centre
 * ```ts
 * import { ensureSample, meanMask, Segmentations } from "../../mod.ts";
 *
 * using seg = await Segmentations.open({ dataDir: await ensureSample() });
 * const mean = await meanMask(seg, "face", { cellSize: 10, minScore: 0.8 });
 * const centre = mean.values[Math.floor(mean.height / 2) * mean.width + Math.floor(mean.width / 2)];
 * console.log(mean.width, centre >= 0 && centre <= 1); // 100 true
 * ```
 */
export function meanMask(
  seg: SegmentationsReader,
  noun: string,
  options: MeanMaskOptions = {},
): Promise<MeanMask> {
  checkSegArgs("meanMask", seg, noun, options);
  return meanMaskFor(seg, noun, options, "meanMask");
}

/** {@link meanMask}, its errors naming `caller` (the function the user called). */
async function meanMaskFor(
  seg: SegmentationsReader,
  noun: string,
  options: MeanMaskOptions,
  caller: string,
): Promise<MeanMask> {
  requireName(noun, caller, "noun", 'Pass one noun, e.g. "face".');
  const {
    localizedOnly = true,
    minScore = 0,
    cellSize: k = 1,
    onProgress,
    progress = true,
    signal,
  } = options;
  if (!Number.isInteger(k) || k < 1) {
    throw new RangeError(
      `${caller}: cellSize must be a positive integer; got ${k}.`,
    );
  }
  // An unknown noun is an error naming the closest ones; then the one
  // filter of every function that takes one.
  const by = options.by ?? "noun";
  let frame: pl.DataFrame;
  let all: number;
  if (by === "noun") {
    frame = filterMasks(seg.metadata, {
      localizedOnly,
      minScore: minScore > 0 ? minScore : undefined,
      nouns: [noun],
    }, { fn: caller });
    all = seg.metadata.filter(pl.col("noun").eq(pl.lit(noun))).height;
  } else {
    // A group of nouns (a head, category or supersense) by its label.
    const labels = await groupOf(seg.metadata, by, {
      overrides: options.overrides,
    });
    checkNouns(
      caller,
      [noun],
      (labels.toArray() as (string | null)[]).filter((l) =>
        l !== null
      ) as string[],
      "the data",
      by,
    );
    const group = seg.metadata.withColumns(labels.alias("__group"))
      .filter(pl.col("__group").eq(pl.lit(noun))).drop("__group");
    all = group.height;
    frame = filterMasks(group, {
      localizedOnly,
      minScore: minScore > 0 ? minScore : undefined,
    }, { fn: caller });
  }
  const rows = column<number>(frame, "mask_row", caller);
  if (rows.length === 0) {
    throw new RangeError(
      `${caller}: none of the ${all} masks of "${noun}" pass the filters` +
        ` (localizedOnly: ${localizedOnly}, minScore: ${minScore}); loosen them.`,
    );
  }

  const W = seg.width, H = seg.height;
  const gw = Math.ceil(W / k), gh = Math.ceil(H / k);
  const colOf = Int32Array.from({ length: W }, (_, x) => Math.floor(x / k));
  // Count of set pixels per cell over all masks: integers, so the mean is exact.
  const sums = new Float64Array(gw * gh);

  const line = new NotebookProgress(
    `${noun}: mean of ${rows.length} masks`,
    progress ? undefined : null,
  );
  const started = performance.now();
  let done = 0;
  // The streaming reader: masks decoded by the reader's worker pool and
  // this thread, in file order.
  // Each mask is added and dropped: its memory serves a later mask.
  // This function draws its own progress line: none from the stream.
  const quiet = { signal, reuse: true, onProgress: () => {} };
  for await (const mask of seg.masks(rows, quiet)) {
    addMask(sums, mask.data, W, H, gw, k, colOf);
    done++;
    onProgress?.({ done, total: rows.length });
    await line.update(done, rows.length);
  }
  await line.finish(
    `done in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );

  const n = rows.length;
  const values = new Float64Array(gw * gh);
  let max = 0;
  for (let cy = 0; cy < gh; cy++) {
    const ch = Math.min(k, H - cy * k);
    for (let cx = 0; cx < gw; cx++) {
      const cw = Math.min(k, W - cx * k);
      const v = sums[cy * gw + cx] / (n * cw * ch);
      values[cy * gw + cx] = v;
      if (v > max) max = v;
    }
  }
  return { noun, count: n, cellSize: k, width: gw, height: gh, values, max };
}

/**
 * Adds one mask's set pixels to the per-cell counts; skips empty 4-byte
 * words (masks are mostly background), several times faster than a byte loop.
 */
function addMask(
  sums: Float64Array,
  data: Uint8Array,
  W: number,
  H: number,
  gw: number,
  k: number,
  colOf: Int32Array,
): void {
  const words = data.byteOffset % 4 === 0 && W % 4 === 0
    ? new Uint32Array(data.buffer, data.byteOffset, (W * H) >>> 2)
    : null;
  for (let y = 0; y < H; y++) {
    const src = y * W, dst = Math.floor(y / k) * gw;
    if (words) {
      const base = src >>> 2;
      for (let w = 0; w < W >>> 2; w++) {
        if (words[base + w] === 0) continue;
        const x = w << 2;
        for (let j = x; j < x + 4; j++) {
          if (data[src + j]) sums[dst + colOf[j]]++;
        }
      }
    } else {
      for (let x = 0; x < W; x++) if (data[src + x]) sums[dst + colOf[x]]++;
    }
  }
}

/** Options for {@link nounHeatmap}. */
export interface NounHeatmapOptions extends Omit<MeanMaskOptions, "cellSize"> {
  /**
   * Figure width in pixels; the height follows from the masks' aspect ratio.
   * The cells are the smallest integer size that fits the frame's width.
   *
   * @default {640}
   */
  width?: number;
  /**
   * A sequential colour scheme of Observable Plot.
   *
   * @default {"viridis"}
   */
  scheme?: string;
  /**
   * The DOM document to build the figure with.
   *
   * @default {a headless linkedom document with a Skia canvas}
   */
  document?: PlotDocument;
}

const MARGIN = { top: 6, right: 14, bottom: 24, left: 36 };

/**
 * The mean of all masks of `noun` as a raster ({@link meanMask} drawn): each
 * cell is the share of the masks covering it, averaged over `k x k` pixel
 * cells, `k` the smallest integer that fits the figure's width, so the value
 * is exact at that resolution. The title gives the count: "face: mean of 49
 * masks". Long runs show a progress line in a notebook.
 *
 * @throws {RangeError} When no mask of `noun` passes the filters.
 *
 * @example Where faces are
 * ```ts
 * import { ensureSample, nounHeatmap, Segmentations } from "../../mod.ts";
 *
 * using seg = await Segmentations.open({ dataDir: await ensureSample() });
 * const figure = await nounHeatmap(seg, "face", { minScore: 0.8, width: 240 });
 * console.log(figure.textContent?.includes("face: mean of")); // true
 * ```
 */
export async function nounHeatmap(
  seg: SegmentationsReader,
  noun: string,
  options: NounHeatmapOptions = {},
): Promise<PlotFigure> {
  checkSegArgs("nounHeatmap", seg, noun, options);
  const {
    localizedOnly = true,
    minScore = 0,
    width = 640,
    scheme = "viridis",
  } = options;
  const W = seg.width, H = seg.height;
  const innerTarget = width - MARGIN.left - MARGIN.right;
  if (!(innerTarget >= 16)) {
    throw new RangeError(
      `nounHeatmap: width must be at least ${
        MARGIN.left + MARGIN.right + 16
      } pixels; got ${width}.`,
    );
  }
  const k = Math.max(1, Math.ceil(W / innerTarget));
  const mean = await meanMaskFor(
    seg,
    noun,
    { ...options, cellSize: k },
    "nounHeatmap",
  );
  const { count: n, width: gw, height: gh, max } = mean;
  const plotW = Math.round(innerTarget);
  const plotH = Math.max(1, Math.round(innerTarget * H / W));
  const filters = [
    localizedOnly ? "localized only" : "",
    minScore > 0 ? `score ≥ ${minScore}` : "",
  ].filter(Boolean);
  const figure = Plot.plot({
    document: (options.document ?? defaultDocument()) as never,
    width: plotW + MARGIN.left + MARGIN.right,
    height: plotH + MARGIN.top + MARGIN.bottom,
    marginTop: MARGIN.top,
    marginRight: MARGIN.right,
    marginBottom: MARGIN.bottom,
    marginLeft: MARGIN.left,
    title: `${noun}: mean of ${n} mask${n === 1 ? "" : "s"}`,
    subtitle: `${
      k === 1
        ? "Share of the masks covering each pixel"
        : `Mean covered share of each ${k} × ${k} pixel cell`
    }${filters.length ? ` · ${filters.join(" · ")}` : ""}`,
    style: { fontSize: "11px" },
    x: { domain: [0, W], ticks: 5, tickFormat: "d", label: null, tickSize: 4 },
    y: {
      domain: [0, H],
      reverse: true,
      ticks: 5,
      tickFormat: "d",
      label: null,
      tickSize: 4,
    },
    color: {
      type: "linear",
      scheme: scheme as Plot.ColorScheme,
      domain: [0, max > 0 ? max : 1],
      legend: true,
      label: "share of masks",
      tickFormat: "%",
    },
    marks: [
      Plot.raster(Array.from(mean.values), {
        width: gw,
        height: gh,
        x1: 0,
        y1: 0,
        x2: W,
        y2: H,
        fill: (v: number) => v,
      }),
      Plot.frame({ stroke: "#999" }),
    ],
  }) as unknown as PlotFigure;
  return displayable(
    styleFigure(figure),
    `${noun}: mean of ${n} masks (max share ${(max * 100).toFixed(1)}%)`,
  );
}
