/**
 * Which masks count: the one filter (`localizedOnly`, `minScore`, `nouns`)
 * that every function taking one applies, here and only here.
 *
 * @module
 */

import { pl } from "../deps.ts";
import type { OptionSpec } from "../base/args.ts";
import { closestNames } from "../base/suggest.ts";

/** Which masks a function uses, by the metadata's columns. */
export interface MaskFilter {
  /**
   * Keep only masks with `localized == 1` (a box was given and the mask
   * covers < 99% of the image).
   *
   * @default {true}
   */
  localizedOnly?: boolean;
  /**
   * Keep only masks whose detector score is at least this; masks without a
   * score are then left out.
   *
   * @default {undefined} (every score)
   */
  minScore?: number;
  /**
   * Keep only these nouns. A noun the data (or the frame, or the image)
   * does not have is an error suggesting the closest ones, never an empty
   * answer.
   *
   * @default {undefined} (every noun)
   */
  nouns?: readonly string[];
}

/** The option spec of {@link MaskFilter} (see lib/base/args.ts). */
export const MASK_FILTER_OPTIONS = {
  localizedOnly: "boolean",
  minScore: "number",
  nouns: "strings",
} as const satisfies OptionSpec;

/** Where a filter is applied, for its messages and defaults. */
export interface FilterContext {
  /** The function the user called, e.g. `"seg.coverage"`. */
  fn: string;
  /**
   * The default of `localizedOnly` for this function.
   *
   * @default {true}
   */
  localizedOnly?: boolean;
  /**
   * What the frame is, for the message about an unknown noun.
   *
   * @default {"the data"}
   */
  where?: string;
}

/**
 * The rows of `frame` (a metadata frame) that pass `filter`.
 *
 * @throws {RangeError} When a noun of `filter.nouns` is not in `frame`.
 */
export function filterMasks(
  frame: pl.DataFrame,
  filter: MaskFilter,
  context: FilterContext,
): pl.DataFrame {
  const localizedOnly = filter.localizedOnly ?? context.localizedOnly ?? true;
  const { minScore, nouns } = filter;
  if (nouns !== undefined) {
    checkNouns(
      context.fn,
      nouns,
      frame.getColumn("noun").unique().toArray() as string[],
      context.where,
    );
  }
  let out = frame;
  if (localizedOnly) out = out.filter(pl.col("localized").eq(1));
  if (minScore !== undefined) {
    out = out.filter(
      pl.col("score").isNotNull().and(pl.col("score").gtEq(minScore)),
    );
  }
  if (nouns !== undefined) out = out.filter(pl.col("noun").isIn([...nouns]));
  return out;
}

/**
 * Throws unless every noun of `nouns` is in `known`, naming the closest.
 *
 * @throws {RangeError} For the first noun that is not.
 */
export function checkNouns(
  fn: string,
  nouns: readonly string[],
  known: Iterable<string>,
  where = "the data",
  what: "noun" | "head" | "category" | "supersense" = "noun",
): void {
  const have = known instanceof Set ? known as Set<string> : new Set(known);
  for (const noun of nouns) {
    if (have.has(noun)) continue;
    const close = closestNames(noun, have);
    const hint = close.length > 0
      ? ` Did you mean ${close.map((n) => JSON.stringify(n)).join(" or ")}?`
      : "";
    const plural = what === "category" ? "categories" : `${what}s`;
    const lists = what === "noun"
      ? "seg.nounCounts()"
      : `seg.nounCounts(await seg.withNouns(), { by: "${what}" })`;
    throw new RangeError(
      `${fn}: ${where} has no ${what} ${JSON.stringify(noun)}.${hint} ` +
        `(${have.size} ${
          have.size === 1 ? what : plural
        } there; ${lists} lists them.)`,
    );
  }
}
