// Option lists of the stimulus archive, mirroring its options interfaces;
// tests/notebook/mistakes_test.ts fails to compile when one drifts.
import type { OptionSpec } from "../base/args.ts";

/** `StimulusArchiveOptions`. */
export const STIMULUS_ARCHIVE_OPTIONS = {
  reader: ["auto", "h5wasm"],
} as const satisfies OptionSpec;

/** `StimulusImageOptions`. */
export const STIMULUS_IMAGE_OPTIONS = {
  asDisplayed: "boolean",
} as const satisfies OptionSpec;
