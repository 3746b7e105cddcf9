// Argument checks of the figure helpers (see lib/base/args.ts). The option
// lists mirror the options interfaces; tests/notebook/mistakes_test.ts fails
// to compile when one drifts from its interface.
import {
  checkFrame,
  checkHas,
  checkOptions,
  checkString,
  type OptionSpec,
} from "../base/args.ts";
import { MASK_FILTER_OPTIONS } from "../reader/mask_filter.ts";

/** `ShowOptions`. */
export const SHOW_OPTIONS = {
  nouns: "strings",
  minScore: "number",
  localizedOnly: "boolean",
  opacity: "number",
  outlines: "boolean",
  boxes: "boolean",
  labels: "boolean",
  stimulus: "boolean",
  width: "number",
  height: "number",
  axes: "boolean",
  visualField: "boolean",
  by: ["noun", "head", "category", "supersense"],
  overrides: "any",
  title: "string",
  colors: "object",
  document: "object",
  signal: "signal",
} as const satisfies OptionSpec;

/** `PlotNounFrequencyOptions`. */
export const NOUN_FREQUENCY_OPTIONS = {
  top: "integer",
  by: ["noun", "head", "category", "supersense", "masks", "images"],
  count: ["masks", "images"],
  nouns: "frame",
  width: "number",
  color: "string",
  title: "string",
  document: "object",
} as const satisfies OptionSpec;

/** `PlotScoresOptions`. */
export const SCORES_OPTIONS = {
  byLocalized: "boolean",
  bins: "integer",
  width: "number",
  title: "string",
  document: "object",
} as const satisfies OptionSpec;

/** `MeanMaskOptions`. */
export const MEAN_MASK_OPTIONS = {
  by: ["noun", "head", "category", "supersense"],
  overrides: "any",
  localizedOnly: "boolean",
  minScore: "number",
  cellSize: "integer",
  onProgress: "function",
  progress: "boolean",
  signal: "signal",
} as const satisfies OptionSpec;

/** `NounHeatmapOptions`. */
export const NOUN_HEATMAP_OPTIONS = {
  by: ["noun", "head", "category", "supersense"],
  overrides: "any",
  localizedOnly: "boolean",
  minScore: "number",
  onProgress: "function",
  progress: "boolean",
  signal: "signal",
  width: "number",
  scheme: "string",
  document: "object",
} as const satisfies OptionSpec;

/** Checks a `(seg, name, options)` call: `show`, `meanMask`, `nounHeatmap`. */
export function checkSegArgs(
  fn: "show" | "seg.show" | "meanMask" | "nounHeatmap",
  seg: unknown,
  name: unknown,
  options: unknown,
): void {
  checkHas(
    fn,
    "seg",
    seg,
    ["masks", "forImage", "nouns"],
    "an open Segmentations (await Segmentations.open())",
  );
  checkString(fn, fn.endsWith("show") ? "imageName" : "noun", name);
  checkOptions(
    fn,
    options,
    fn.endsWith("show")
      ? SHOW_OPTIONS
      : fn === "meanMask"
      ? MEAN_MASK_OPTIONS
      : NOUN_HEATMAP_OPTIONS,
  );
}

/** Checks a `(frame, options)` call: `plotNounFrequency`, `plotScores`. */
export function checkFramePlotArgs(
  fn: "plotNounFrequency" | "plotScores",
  frame: unknown,
  options: unknown,
): void {
  checkFrame(fn, "frame", frame); // its columns are the function's to check
  checkOptions(
    fn,
    options,
    fn === "plotScores" ? SCORES_OPTIONS : NOUN_FREQUENCY_OPTIONS,
  );
}

/** `GalleryOptions`. */
export const GALLERY_OPTIONS = {
  ...MASK_FILTER_OPTIONS,
  by: ["noun", "head", "category", "supersense"],
  overrides: "any",
  columns: "integer",
  size: "integer",
  limit: "integer",
  stimulus: "boolean",
  title: "string",
  document: "object",
  signal: "signal",
} as const satisfies OptionSpec;

/** `ExploreOptions`. */
export const EXPLORE_OPTIONS = {
  ...MASK_FILTER_OPTIONS,
  size: "integer",
  maskSize: "integer",
  limit: "integer",
  pageSize: "integer",
  stimulus: "boolean",
  title: "string",
  signal: "signal",
} as const satisfies OptionSpec;

/** Checks the reader argument of a `(seg, selection?, options?)` figure. */
export function checkSegArgsOnly(fn: string, seg: unknown): void {
  checkHas(
    fn,
    "seg",
    seg,
    ["masks", "forImage", "nouns", "images"],
    "an open Segmentations (await Segmentations.open())",
  );
}
