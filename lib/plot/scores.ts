/**
 * {@link plotScores}: the distribution of detector scores.
 *
 * @module
 */

import { checkFramePlotArgs } from "./options.ts";
import { Plot } from "../deps.ts";
import type { pl } from "../deps.ts";
import { column } from "../reader/frame_columns.ts";
import {
  displayable,
  type PlotDocument,
  type PlotFigure,
  styleFigure,
} from "./figure.ts";
import { defaultDocument } from "./_document.ts";
import { integerTicks } from "./_ticks.ts";

/** Options for {@link plotScores}. */
export interface PlotScoresOptions {
  /**
   * Split the histogram by the `localized` column: one panel each for
   * localized and not localized masks, in two colours.
   *
   * @default {false}
   */
  byLocalized?: boolean;
  /**
   * Number of equal-width bins between 0 and 1 (or across the scores' range
   * when some fall outside [0, 1]).
   *
   * @default {20}
   */
  bins?: number;
  /**
   * Figure width in pixels.
   *
   * @default {640}
   */
  width?: number;
  /**
   * The figure's title.
   *
   * @default {"Detector scores"}
   */
  title?: string;
  /**
   * The DOM document to build the figure with.
   *
   * @default {a headless linkedom document}
   */
  document?: PlotDocument;
}

const LOCALIZED = "localized";
const NOT_LOCALIZED = "not localized";

/**
 * A histogram of the `score` column of a metadata frame (`seg.metadata` or
 * any frame filtered from it), optionally split by `localized`.
 *
 * @throws {TypeError} When the frame lacks `score` (or `localized`, when split by it).
 * @throws {RangeError} When `bins` is not a positive integer.
 *
 * @example Scores of localized and other masks
 * ```ts
 * import { ensureSample, plotScores, Segmentations } from "../../mod.ts";
 *
 * using seg = await Segmentations.open({ dataDir: await ensureSample() });
 * const figure = plotScores(seg.metadata, { byLocalized: true, bins: 10 });
 * console.log(figure.outerHTML.includes("not localized")); // true
 * ```
 */
export function plotScores(
  frame: pl.DataFrame,
  options: PlotScoresOptions = {},
): PlotFigure {
  checkFramePlotArgs("plotScores", frame, options);
  const { byLocalized = false, bins = 20, width = 640 } = options;
  if (!Number.isInteger(bins) || bins < 1) {
    throw new RangeError(
      `plotScores: bins must be a positive integer; got ${bins}.`,
    );
  }
  const scores = column<number | null>(frame, "score", "plotScores");
  const localized = byLocalized
    ? column<number | null>(frame, "localized", "plotScores")
    : [];
  const rows = scores.flatMap((score, i) =>
    score === null || !Number.isFinite(score) ? [] : [{
      score,
      group: byLocalized
        ? (localized[i] === 1 ? LOCALIZED : NOT_LOCALIZED)
        : "all",
    }]
  );
  let lo = 0, hi = 1;
  for (const r of rows) {
    if (r.score < lo) lo = r.score;
    if (r.score > hi) hi = r.score;
  }
  // Explicit thresholds: the same bins whatever the data, exact edges.
  const thresholds = Array.from(
    { length: bins + 1 },
    (_, i) => lo + (hi - lo) * i / bins,
  );
  const groups = byLocalized ? [LOCALIZED, NOT_LOCALIZED] : ["all"];
  // The tallest bar, for whole-number count ticks: bins as d3's (lower edge
  // in, upper edge out, the last bin closed).
  const tally = new Map<string, number>();
  for (const r of rows) {
    let b = 0;
    while (b < bins - 1 && r.score >= thresholds[b + 1]) b++;
    const key = `${r.group}|${b}`;
    tally.set(key, (tally.get(key) ?? 0) + 1);
  }
  const tallest = Math.max(0, ...tally.values());
  const height = byLocalized ? 300 : 220;
  const color = byLocalized ? "group" : "#4269d0";
  const figure = Plot.plot({
    document: (options.document ?? defaultDocument()) as never,
    width,
    height,
    marginLeft: 48,
    marginRight: byLocalized ? 90 : 20,
    title: options.title ?? "Detector scores",
    subtitle: `${rows.length} masks${
      byLocalized
        ? ` · ${rows.filter((r) => r.group === LOCALIZED).length} localized`
        : ""
    } · ${bins} bins`,
    style: { fontSize: "11px" },
    x: { domain: [lo, hi], label: "score →", labelAnchor: "right" },
    y: {
      grid: true,
      label: "↑ masks",
      // Counts: whole-number ticks only (about one per 40 px of a facet).
      ticks: integerTicks(tallest, (height - 60) / groups.length, 40),
      tickFormat: ",d",
    },
    fy: byLocalized ? { domain: groups, label: null } : undefined,
    color: byLocalized
      ? {
        type: "ordinal",
        domain: groups,
        range: ["#4269d0", "#efb118"],
        legend: true,
      }
      : undefined,
    marks: [
      Plot.rectY(
        rows,
        Plot.binX(
          { y: "count", title: (bin: unknown[]) => `${bin.length} masks` },
          {
            x: "score",
            fill: color,
            fy: byLocalized ? "group" : undefined,
            thresholds,
            inset: 0.5,
          } as Plot.BinXInputs<Plot.RectYOptions>,
        ),
      ),
      Plot.ruleY([0]),
    ],
  }) as unknown as PlotFigure;
  return displayable(
    styleFigure(figure),
    `Score histogram of ${rows.length} masks`,
  );
}
