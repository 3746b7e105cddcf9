/**
 * {@link plotNounFrequency}: the most frequent nouns of a metadata frame,
 * or of their heads, categories or supersenses.
 *
 * @module
 */

import { checkFramePlotArgs } from "./options.ts";
import { pl, Plot } from "../deps.ts";
import {
  displayable,
  type PlotDocument,
  type PlotFigure,
  styleFigure,
} from "./figure.ts";
import { defaultDocument } from "./_document.ts";
import { integerTicks } from "./_ticks.ts";
import { nounCounts } from "../reader/noun_counts.ts";
import type { NounGrouping } from "../reader/noun_table.ts";
import { requireColumns } from "../reader/frame_columns.ts";

/** Options for {@link plotNounFrequency}. */
export interface PlotNounFrequencyOptions {
  /**
   * How many nouns to show (the most frequent ones).
   *
   * @default {30}
   */
  top?: number;
  /**
   * One bar per noun as written, or per head noun, category or WordNet
   * supersense (labels from the frame's column of that name, as
   * `await seg.withNouns()` adds, or from {@link PlotNounFrequencyOptions.nouns}).
   * `"masks"` and `"images"` are the earlier spelling of
   * {@link PlotNounFrequencyOptions.count} (one bar per noun).
   *
   * @default {"noun"}
   */
  by?: NounGrouping | "masks" | "images";
  /**
   * Count masks (rows) or distinct images per bar.
   *
   * @default {"masks"}
   */
  count?: "masks" | "images";
  /**
   * The described nouns (`await seg.nounTable()` or a `describeNouns`
   * frame) that label the rows when the frame lacks the `by` column.
   *
   * @default {undefined} (the frame's own column)
   */
  nouns?: pl.DataFrame;
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
   * @default {"Most frequent nouns, by masks"} (or categories, images, ...)
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
 * With `by: "category"` (or `"head"`, `"supersense"`) one bar per group,
 * its tooltip counting the distinct phrases in it.
 *
 * @throws {TypeError} When the frame lacks the `noun` or `image_name` column,
 * or the labels for `by` (the message says what to pass).
 * @throws {RangeError} When `top` is not a positive integer, or `by` and
 * `count` disagree.
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
 *
 * @example Masks per category
 * ```ts
 * import { ensureSample, plotNounFrequency, Segmentations, withNouns } from "../../mod.ts";
 *
 * using seg = await Segmentations.open({ dataDir: await ensureSample() });
 * const figure = plotNounFrequency(await withNouns(seg.metadata), { by: "category" });
 * console.log(figure.outerHTML.includes("Most frequent categories")); // true
 * ```
 */
export function plotNounFrequency(
  frame: pl.DataFrame,
  options: PlotNounFrequencyOptions = {},
): PlotFigure {
  checkFramePlotArgs("plotNounFrequency", frame, options);
  const { top = 30, width = 640, color = "#4269d0" } = options;
  if (!Number.isInteger(top) || top < 1) {
    throw new RangeError(
      `plotNounFrequency: top must be a positive integer; got ${top}.`,
    );
  }
  const legacy = options.by === "masks" || options.by === "images";
  if (legacy && options.count !== undefined && options.count !== options.by) {
    throw new RangeError(
      `plotNounFrequency: by "${options.by}" (the earlier spelling of count) disagrees with count "${options.count}"; give count alone.`,
    );
  }
  const by: NounGrouping = legacy
    ? "noun"
    : (options.by as NounGrouping | undefined) ?? "noun";
  const unitOption = legacy
    ? options.by as "masks" | "images"
    : options.count ?? "masks";
  if (unitOption !== "masks" && unitOption !== "images") {
    throw new RangeError(
      `plotNounFrequency: count must be "masks" or "images"; got ${
        JSON.stringify(unitOption)
      }.`,
    );
  }
  // Checked here so that an error names the function the user called.
  requireColumns(frame, ["noun", "image_name"], "plotNounFrequency");
  const grouped = by !== "noun";
  let counts: pl.DataFrame;
  try {
    counts = nounCounts(frame, {
      by,
      ...(options.nouns ? { nouns: options.nouns } : {}),
    });
  } catch (error) {
    const e = error as Error;
    const message = e.message.replace(/^nounCounts/, "plotNounFrequency");
    throw e instanceof RangeError
      ? new RangeError(message, { cause: e })
      : new TypeError(message, { cause: e });
  }
  // A phrase without a head (or a head WordNet lacks) is one bar too.
  const NONE = "(none)";
  const labelled = grouped
    ? counts.select(
      pl.col(by).fillNull(pl.lit(NONE)).alias("noun"),
      "masks",
      "images",
      "nouns",
    )
    : counts;
  // Re-sort when counting images: nounCounts orders by masks.
  const sorted = unitOption === "masks"
    ? labelled
    : labelled.sort(["images", "noun"], [true, false]);
  const rows = sorted.head(top).toRecords() as {
    noun: string;
    masks: number;
    images: number;
    nouns?: number;
  }[];
  const groupName = {
    noun: ["noun", "nouns"],
    head: ["head noun", "head nouns"],
    category: ["category", "categories"],
    supersense: ["supersense", "supersenses"],
  }[by];
  const nouns = rows.map((r) => r.noun);
  // Long phrase nouns are shortened on the axis (the bar's tooltip has them whole).
  const MAX_CHARS = 32;
  const short = (n: string) =>
    n.length > MAX_CHARS ? `${n.slice(0, MAX_CHARS - 1).trimEnd()}…` : n;
  const longest = Math.max(0, ...nouns.map((n) => short(n).length));
  const marginLeft = Math.min(240, Math.max(40, 14 + longest * 7));
  const unit = unitOption;
  const marginRight = 48;
  const most = Math.max(0, ...rows.map((r) => r[unitOption]));
  const figure = Plot.plot({
    document: (options.document ?? defaultDocument()) as never,
    width,
    height: 40 + Math.max(1, rows.length) * 18,
    marginLeft,
    marginRight,
    marginTop: 20,
    marginBottom: 16,
    title: options.title ?? `Most frequent ${groupName[1]}, by ${unit}`,
    subtitle: `${unit} per ${groupName[0]} · top ${
      Math.min(top, counts.height)
    } of ${counts.height} ${groupName[1]} · ${frame.height} masks`,
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
        x: unitOption,
        y: "noun",
        fill: color,
        title: (r: (typeof rows)[number]) =>
          `${r.noun}: ${r.masks} masks in ${r.images} images${
            r.nouns === undefined ? "" : `, ${r.nouns} distinct nouns`
          }`,
      }),
      Plot.text(rows, {
        x: unitOption,
        y: "noun",
        text: (r: Record<string, number>) => String(r[unitOption]),
        textAnchor: "start",
        dx: 4,
        fill: "#333",
      }),
      Plot.ruleX([0]),
    ],
  }) as unknown as PlotFigure;
  return displayable(
    styleFigure(figure),
    `${
      grouped
        ? `${groupName[0][0].toUpperCase()}${groupName[0].slice(1)}`
        : "Noun"
    } frequency by ${unit}: ${
      rows.map((r) => `${r.noun} ${r[unitOption]}`).join(", ")
    }`,
  );
}
