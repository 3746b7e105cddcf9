// Argument checks of the reader's public methods (see lib/base/args.ts). The
// option lists mirror the options interfaces; tests/notebook/mistakes_test.ts
// fails to compile when one drifts from its interface.
import {
  checkFrame,
  checkNumber,
  checkOptions,
  checkSelection,
  checkString,
  type OptionSpec,
} from "../base/args.ts";
import { MASK_FILTER_OPTIONS } from "./mask_filter.ts";

/** `SegmentationsOpenOptions`. */
export const OPEN_OPTIONS = {
  dataDir: "string",
  reader: ["auto", "chunks", "h5wasm"],
  visualField: "object",
} as const satisfies OptionSpec;

/** `StreamOptions`. */
export const STREAM_OPTIONS = {
  workers: "integer",
  onProgress: "function",
  signal: "signal",
} as const satisfies OptionSpec;

/** `MasksOptions`. */
export const MASKS_OPTIONS = {
  ...STREAM_OPTIONS,
  reuse: "boolean",
} as const satisfies OptionSpec;

/** `StatsOptions`. */
export const STATS_OPTIONS = {
  ...STREAM_OPTIONS,
  cache: [true, false, "user", "data"],
  fovealRadius: "number",
} as const satisfies OptionSpec;

/** `NounsOptions`. */
export const NOUNS_OPTIONS = {
  localizedOnly: MASK_FILTER_OPTIONS.localizedOnly,
} as const satisfies OptionSpec;

/** `ImagesWithQuery`. */
export const IMAGES_WITH_QUERY = {
  // imagesWith checks the lists itself.
  anyOf: "any",
  allOf: "any",
  noneOf: "any",
} as const satisfies OptionSpec;

/** `ImagesWithOptions`. */
export const IMAGES_WITH_OPTIONS = {
  localizedOnly: "boolean",
  frame: "frame",
  by: "any",
  nouns: "frame",
} as const satisfies OptionSpec;

/** Checks the options of `Segmentations.open` (and `loadStimuli`). */
export function checkOpenArgs(fn: string, options: unknown): void {
  checkOptions(fn, options, OPEN_OPTIONS);
}

/** Checks an image name argument (`seg.forImage(name)`, ...). */
export function checkImageArg(fn: string, imageName: unknown): void {
  checkString(fn, "imageName", imageName);
}

/** Checks `seg.get(imageName, noun, instance)`. */
export function checkGetArgs(
  imageName: unknown,
  noun: unknown,
  instance: unknown,
): void {
  checkString("seg.get", "imageName", imageName);
  checkString("seg.get", "noun", noun);
  checkNumber("seg.get", "instance", instance, { integer: true, min: 0 });
}

/** Checks `seg.row(maskRow)` (the range against the file is the reader's). */
export function checkRowArg(maskRow: unknown): void {
  if (typeof maskRow !== "number") {
    checkNumber("seg.row", "maskRow", maskRow, { integer: true });
  }
}

/** Checks `seg.nouns(imageName, options)`. */
export function checkNounsArgs(imageName: unknown, options: unknown): void {
  checkString("seg.nouns", "imageName", imageName);
  checkOptions("seg.nouns", options, NOUNS_OPTIONS);
}

/** Checks `seg.masks(selection, options)` and `seg.stats(selection, options)`. */
export function checkStreamArgs(
  fn: "seg.masks" | "seg.stats",
  selection: unknown,
  options: unknown,
): void {
  checkSelection(fn, "selection", selection, { optional: true });
  checkOptions(
    fn,
    options,
    fn === "seg.stats" ? STATS_OPTIONS : MASKS_OPTIONS,
  );
}

/** Checks a metadata frame argument (its columns are the function's to check). */
export function checkFrameArg(fn: string, frame: unknown): void {
  checkFrame(fn, "frame", frame);
}

/** Checks `imagesWith(frame, query, options)` (frame: undefined for `seg.imagesWith`). */
export function checkImagesWithArgs(
  fn: string,
  frame: unknown,
  query: unknown,
  options: unknown,
): void {
  if (fn === "imagesWith") {
    checkFrame(fn, "frame", frame);
  }
  if (query === undefined) {
    throw new TypeError(
      `${fn}: query is required, e.g. { allOf: ["face"] } (accepted: anyOf, allOf, noneOf).`,
    );
  }
  checkOptions(fn, query, IMAGES_WITH_QUERY, "query");
  checkOptions(fn, options, IMAGES_WITH_OPTIONS);
}

/** `ScanOptions`. */
export const SCAN_OPTIONS = {
  onProgress: "function",
  signal: "signal",
} as const satisfies OptionSpec;

/** `CoverageOptions`. */
export const COVERAGE_OPTIONS = {
  ...SCAN_OPTIONS,
  ...MASK_FILTER_OPTIONS,
  by: ["noun", "head", "category", "supersense"],
  overrides: "any",
  wide: "boolean",
  value: ["fraction", "pixels", "masks"],
  cache: "boolean",
} as const satisfies OptionSpec;

/** `TrialCoverageOptions`. */
export const TRIAL_COVERAGE_OPTIONS = COVERAGE_OPTIONS;

/** `GridsOptions`. */
export const GRIDS_OPTIONS = {
  ...SCAN_OPTIONS,
  size: "integer",
} as const satisfies OptionSpec;

/** `CocoOptions`. */
export const COCO_OPTIONS = {
  ...SCAN_OPTIONS,
  ...MASK_FILTER_OPTIONS,
} as const satisfies OptionSpec;

/**
 * Checks a `(selection?, options?)` call of an analysis table: options in
 * the selection's place get "options go second".
 */
export function checkTableArgs(
  fn: string,
  selection: unknown,
  options: unknown,
  spec: OptionSpec,
): void {
  checkSelection(fn, "selection", selection, { optional: true });
  checkOptions(fn, options, spec);
}

/** `MaskDisplayOptions`. */
export const MASK_DISPLAY_OPTIONS = {
  size: "number",
  crop: "boolean",
  margin: "integer",
} as const satisfies OptionSpec;
