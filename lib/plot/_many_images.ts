// What the many-image views (gallery, explorer) show: the selection's
// masks that pass the filter, grouped by image, the images in
// `seg.images()` order; and their shared argument checks.
import type { pl } from "../deps.ts";
import { checkFrame, checkOptions, type OptionSpec } from "../base/args.ts";
import { filterMasks, type MaskFilter } from "../reader/mask_filter.ts";
import type { SegmentationsReader } from "../reader/reader.ts";
import { checkSegArgsOnly } from "./options.ts";

/** The filtered masks, by image. */
export interface ManyImages {
  /** The selection's rows that pass the filter. */
  frame: pl.DataFrame;
  /** Each image's rows in `frame`. */
  byImage: Map<string, number[]>;
  /** Every image with a passing mask, in `seg.images()` order. */
  matched: string[];
}

/**
 * Checks a `(seg, selection?, options?)` call of `fn` and returns the
 * masks it shows.
 *
 * @throws {TypeError} For a wrong argument or an unknown option.
 * @throws {RangeError} When a noun of `nouns` is not in the selection.
 */
export function manyImages(
  fn: "gallery" | "explore",
  seg: SegmentationsReader,
  selection: pl.DataFrame | undefined,
  options: MaskFilter,
  spec: OptionSpec,
): ManyImages {
  checkSegArgsOnly(fn, seg);
  if (selection !== undefined) {
    checkFrame(fn, "selection", selection, {
      columns: ["mask_row", "image_name", "noun", "score", "localized"],
    });
  }
  checkOptions(fn, options, spec);
  const frame = filterMasks(selection ?? seg.metadata, options, {
    fn,
    where: selection ? "the selection" : "the data",
  });
  const byImage = new Map<string, number[]>();
  (frame.getColumn("image_name").toArray() as string[]).forEach((name, i) => {
    const list = byImage.get(name);
    if (list) list.push(i);
    else byImage.set(name, [i]);
  });
  const matched = seg.images().filter((name) => byImage.has(name));
  return { frame, byImage, matched };
}

/** `value`, checked to be a positive integer. */
export function positive(fn: string, name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(
      `${fn}: ${name} must be a positive integer; got ${value}.`,
    );
  }
  return value;
}
