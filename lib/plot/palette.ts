/**
 * {@link paletteFor}: one colour per noun for a whole dataset, so a noun has
 * the same colour in every figure of a session.
 *
 * @module
 */

import type { pl } from "../deps.ts";
import { didYouMean } from "../base/suggest.ts";
import { nounCounts } from "../reader/noun_counts.ts";
import { rankedColors } from "./_colors.ts";

/** Colours given by the caller: noun -> `#rrggbb`. */
export type NounColors =
  | ReadonlyMap<string, string>
  | Readonly<Record<string, string>>;

/** Options for {@link paletteFor}. */
export interface PaletteOptions {
  /**
   * Colours that replace the palette's for these nouns (`#rrggbb`); every
   * noun must occur in the metadata.
   *
   * @default {undefined}
   */
  colors?: NounColors;
}

/**
 * A `Map` of every noun of `metadata` to its colour, ordered by the nouns'
 * frequency in it (most masks first, ties by noun): frequent nouns keep the
 * palette's most distinct colours, and the colour of a noun depends only on
 * the dataset, never on the figure. `seg.palette()` is this for the whole
 * file, and `seg.show()` and its legend use it.
 *
 * @throws {RangeError} When `colors` names a noun the metadata lacks, or
 * gives a colour that is not `#rrggbb`.
 *
 * @example The most frequent noun's colour, and an override
 * ```ts
 * import { ensureSample, paletteFor, Segmentations } from "../../mod.ts";
 *
 * using seg = await Segmentations.open({ dataDir: await ensureSample() });
 * const palette = paletteFor(seg.metadata);
 * const [top] = palette.keys();
 * console.log(palette.get(top)); // #4269d0
 * console.log(paletteFor(seg.metadata, { colors: { [top]: "#000000" } }).get(top)); // #000000
 * ```
 */
export function paletteFor(
  metadata: pl.DataFrame,
  options: PaletteOptions = {},
): Map<string, string> {
  const nouns = nounCounts(metadata).getColumn("noun").toArray() as string[];
  const colors = rankedColors(nouns.length);
  const palette = new Map(nouns.map((n, i) => [n, colors[i]]));
  return withColors(palette, options.colors, "paletteFor");
}

/**
 * `palette` with the caller's `colors` in place of its own (a new Map, same
 * order); `fn` names the call in errors.
 */
export function withColors(
  palette: ReadonlyMap<string, string>,
  colors: NounColors | undefined,
  fn: string,
): Map<string, string> {
  const out = new Map(palette);
  if (colors === undefined) return out;
  if (colors === null || typeof colors !== "object") {
    throw new TypeError(
      `${fn}: colors must be a Map or an object of noun -> "#rrggbb"; got ${typeof colors}.`,
    );
  }
  const entries = colors instanceof Map
    ? [...colors.entries()]
    : Object.entries(colors);
  for (const [noun, color] of entries) {
    if (!out.has(noun)) {
      throw new RangeError(
        `${fn}: colors names the noun ${
          JSON.stringify(noun)
        }, which the metadata does not have.${didYouMean(noun, out.keys())}`,
      );
    }
    if (typeof color !== "string" || !/^#[0-9a-f]{6}$/i.test(color)) {
      throw new RangeError(
        `${fn}: colors[${
          JSON.stringify(noun)
        }] must be a "#rrggbb" colour; got ${JSON.stringify(color)}.`,
      );
    }
    out.set(noun, color.toLowerCase());
  }
  return out;
}

const cache = new WeakMap<object, Map<string, string>>();

/**
 * The palette of a reader's whole metadata, computed once per reader (its
 * metadata never changes) and shared by every figure drawn from it.
 */
export function paletteOf(
  seg: { metadata: pl.DataFrame },
): ReadonlyMap<string, string> {
  let palette = cache.get(seg);
  if (!palette) {
    palette = paletteFor(seg.metadata);
    cache.set(seg, palette);
  }
  return palette;
}
