// Argument checks of the data layer's public functions (see lib/base/args.ts).
// The option lists mirror the options interfaces; tests/notebook/
// mistakes_test.ts fails to compile when one drifts from its interface.
import { checkOptions, checkString, type OptionSpec } from "../base/args.ts";

/** `DownloadOptions`. */
export const DOWNLOAD_OPTIONS = {
  dataDir: "string",
  baseUrl: "string",
  signal: "signal",
  onProgress: "function",
  quiet: "boolean",
  onMessage: "function",
  verify: "boolean",
  force: "boolean",
  connectTimeout: "number",
  stallTimeout: "number",
  retries: "integer",
  maxRetryWait: "number",
  lockTimeout: "number",
  minSpeed: "number",
  disk: "object",
} as const satisfies OptionSpec;

/** `WriteSampleOptions`. */
export const WRITE_SAMPLE_OPTIONS = {
  images: "integer",
  size: "integer",
  seed: "number",
  stimuli: "boolean",
} as const satisfies OptionSpec;

/** Checks `downloadSegmentations(options)`. */
export function checkDownloadArgs(options: unknown): void {
  checkOptions("downloadSegmentations", options, DOWNLOAD_OPTIONS);
}

/** Checks `writeSample(dataDir, options)`. */
export function checkWriteSampleArgs(dataDir: unknown, options: unknown): void {
  checkString("writeSample", "dataDir", dataDir);
  checkOptions("writeSample", options, WRITE_SAMPLE_OPTIONS);
}

/** Checks a function's single path argument (`datasetInitialize(path)`, ...). */
export function checkPathArg(
  fn: string,
  param: string,
  value: unknown,
  optional = false,
): void {
  checkString(fn, param, value, { optional });
}
