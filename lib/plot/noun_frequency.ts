/**
 * {@link plotNounFrequency}: the most frequent nouns of a metadata frame.
 *
 * @module
 */

import { checkFramePlotArgs } from "./_args.ts";
import { Plot } from "../deps.ts";
import type { pl } from "../deps.ts";
import {
  displayable,
  type PlotDocument,
  type PlotFigure,
  styleFigure,
} from "./figure.ts";
import { defaultDocument } from "./_document.ts";
import { integerTicks } from "./_ticks.ts";
import { nounCounts } from "../reader/noun_counts.ts";
import { requireColumns } from "../reader/_frame.ts";

/** Options for {@link plotNounFrequency}. */
export interface PlotNounFrequencyOptions {
  /**
   * How many nouns to show (the most frequent ones).
   *
   * @default {30}
   */
  top?: number;
  /**
   * Count masks (rows) or distinct images per noun.
   *
   * @default {"masks"}
   */
  by?: "masks" | "images";
  /**
   * Figure width in pixels (the height follows from the number of bars).
   *
   * @default {640}
   */
  width?: number;
  /**
   * Bar colour.
   *
   * @default {"#4269d0"}
   */
  color?: string;
  /**
   * The figure's title.
   *
   * @default {"Most frequent nouns, by masks"} (or "by images")
   */
  title?: string;
  /**
   * The DOM document to build the figure with.
   *
   * @default {a headless linkedom document}
   */
  document?: PlotDocument;
}

/**
 * Horizontal bars of the `top` most frequent nouns of a metadata frame
 * (`seg.metadata` or any frame filtered from it), most frequent on top, each
 * labelled with its count. Ties are broken by noun, as in {@link nounCounts}.
 *
 * @throws {TypeError} When the frame lacks the `noun` or `image_name` column.
 * @throws {RangeError} When `top` is not a positive integer.
 *
 * @example The nouns of confident masks, by the number of images
 * ```ts
 * import { ensureSample, pl, plotNounFrequency, Segmentations } from "../../mod.ts";
 *
 * using seg = await Segmentations.open({ dataDir: await ensureSample() });
 * const confident = seg.metadata.filter(pl.col("score").gt(0.5));
 * const figure = plotNounFrequency(confident, { top: 10, by: "images" });
 * console.log(figure.outerHTML.includes("person")); // true
 * ```
 */
export function plotNounFrequency(
  frame: pl.DataFrame,
  options: PlotNounFrequencyOptions = {},
): PlotFigure {
  checkFramePlotArgs("plotNounFrequency", frame, options);
  const { top = 30, by = "masks", width = 640, color = "#4269d0" } = options;
  if (!Number.isInteger(top) || top < 1) {
    throw new RangeError(
      `plotNounFrequency: top must be a positive integer; got ${top}.`,
    );
  }
  if (by !== "masks" && by !== "images") {
    throw new RangeError(
      `plotNounFrequency: by must be "masks" or "images"; got ${
        JSON.stringify(by)
      }.`,
    );
  }
  // Checked here so that an error names the function the user called.
  requireColumns(frame, ["noun", "image_name"], "plotNounFrequency");
  const counts = nounCounts(frame);
  // Re-sort when counting images: nounCounts orders by masks.
  const sorted = by === "masks"
    ? counts
    : counts.sort(["images", "noun"], [true, false]);
  const rows = sorted.head(top).toRecords() as {
    noun: string;
    masks: number;
    images: number;
  }[];
  const nouns = rows.map((r) => r.noun);
  // Long phrase nouns are shortened on the axis (the bar's tooltip has them whole).
  const MAX_CHARS = 32;
  const short = (n: string) =>
    n.length > MAX_CHARS ? `${n.slice(0, MAX_CHARS - 1).trimEnd()}…` : n;
  const longest = Math.max(0, ...nouns.map((n) => short(n).length));
  const marginLeft = Math.min(240, Math.max(40, 14 + longest * 7));
  const unit = by === "masks" ? "masks" : "images";
  const marginRight = 48;
  const most = Math.max(0, ...rows.map((r) => r[by]));
  const figure = Plot.plot({
    document: (options.document ?? defaultDocument()) as never,
    width,
    height: 40 + Math.max(1, rows.length) * 18,
    marginLeft,
    marginRight,
    marginTop: 20,
    marginBottom: 16,
    title: options.title ?? `Most frequent nouns, by ${unit}`,
    subtitle: `${unit} per noun · top ${
      Math.min(top, counts.height)
    } of ${counts.height} nouns · ${frame.height} masks`,
    style: { fontSize: "11px" },
    // Counts: whole-number ticks only.
    x: {
      axis: "top",
      grid: true,
      label: null,
      ticks: integerTicks(most, width - marginLeft - marginRight),
      tickFormat: ",d",
    },
    y: { domain: nouns, label: null, tickSize: 0, tickFormat: short },
    marks: [
      Plot.barX(rows, {
        x: by,
        y: "noun",
        fill: color,
        title: (r: { noun: string; masks: number; images: number }) =>
          `${r.noun}: ${r.masks} masks in ${r.images} images`,
      }),
      Plot.text(rows, {
        x: by,
        y: "noun",
        text: (r: Record<string, number>) => String(r[by]),
        textAnchor: "start",
        dx: 4,
        fill: "#333",
      }),
      Plot.ruleX([0]),
    ],
  }) as unknown as PlotFigure;
  return displayable(
    styleFigure(figure),
    `Noun frequency by ${unit}: ${
      rows.map((r) => `${r.noun} ${r[by]}`).join(", ")
    }`,
  );
}
