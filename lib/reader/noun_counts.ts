/**
 * Which nouns are frequent, and which images have which nouns: the two
 * questions asked of a COCO-style annotation set before anything is plotted.
 *
 * @module
 */

import { checkFrameArg, checkImagesWithArgs } from "./_args.ts";
import { checkNouns } from "./mask_filter.ts";
import { pl } from "../deps.ts";
import { column, requireColumns } from "./frame_columns.ts";
import { describeValue } from "../base/suggest.ts";
import { checkGrouping, groupLabels, type NounGrouping } from "./noun_table.ts";

/** Options for {@link nounCounts} and `seg.nounCounts`. */
export interface NounCountsOptions {
  /**
   * Count per noun as written, or per head noun, category or WordNet
   * supersense. The labels come from the frame's own column of that name (a
   * frame from `await seg.withNouns()`), else from {@link NounCountsOptions.nouns}.
   *
   * @default {"noun"}
   */
  by?: NounGrouping;
  /**
   * The described nouns to label rows with when the frame lacks the `by`
   * column: `await seg.nounTable()` or a `describeNouns` frame.
   *
   * @default {undefined} (the frame's own column)
   */
  nouns?: pl.DataFrame;
}

/**
 * Masks and images per noun in a metadata frame (`seg.metadata` or any frame
 * filtered from it): columns `noun` (str), `masks` (i64, rows of that noun)
 * and `images` (i64, distinct images among them); most masks first, ties
 * broken by noun so the order is deterministic.
 *
 * With `by: "head" | "category" | "supersense"` the first column is that
 * group (null for phrases without one) and a fourth, `nouns` (i64), counts
 * the distinct phrases in each group.
 *
 * @throws {TypeError} When the frame lacks the `noun` or `image_name` column,
 * or the labels for `by` (the message says what to pass).
 * @throws {RangeError} When `by` is not a grouping.
 *
 * @example The most frequent nouns of confident masks
 * ```ts
 * import { ensureSample, nounCounts, pl, Segmentations } from "../../mod.ts";
 *
 * using seg = await Segmentations.open({ dataDir: await ensureSample() });
 * const counts = nounCounts(seg.metadata.filter(pl.col("score").gt(0.5)));
 * console.log(counts.columns); // ["noun", "masks", "images"]
 * console.log(counts.getColumn("masks").toArray()[0] >= counts.getColumn("masks").toArray()[1]); // true
 * ```
 *
 * @example Masks per category
 * ```ts
 * import { ensureSample, nounCounts, Segmentations, withNouns } from "../../mod.ts";
 *
 * using seg = await Segmentations.open({ dataDir: await ensureSample() });
 * const counts = nounCounts(await withNouns(seg.metadata), { by: "category" });
 * console.log(counts.columns); // ["category", "masks", "images", "nouns"]
 * ```
 */
export function nounCounts(
  frame: pl.DataFrame,
  options: NounCountsOptions = {},
): pl.DataFrame {
  checkFrameArg("nounCounts", frame);
  requireColumns(frame, ["noun", "image_name"], "nounCounts");
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      `nounCounts: options must be an object such as { by: "category" }; got ${
        describeValue(options)
      }.`,
    );
  }
  const unknown = Object.keys(options).filter((k) =>
    k !== "by" && k !== "nouns"
  );
  if (unknown.length > 0) {
    throw new TypeError(
      `nounCounts: unknown option ${
        unknown.map((k) => `"${k}"`).join(", ")
      }; the options are by and nouns.`,
    );
  }
  const by = checkGrouping("nounCounts", options.by ?? "noun");
  if (by === "noun") {
    return frame
      .groupBy("noun")
      .agg(
        pl.len().cast(pl.Int64).alias("masks"),
        pl.col("image_name").nUnique().cast(pl.Int64).alias("images"),
      )
      .sort(["masks", "noun"], [true, false]);
  }
  const labels = groupLabels(frame, by, options.nouns, "nounCounts");
  return pl.DataFrame([
    labels.alias(by),
    frame.getColumn("image_name").alias("image_name"),
    frame.getColumn("noun").alias("noun"),
  ])
    .groupBy(by)
    .agg(
      pl.len().cast(pl.Int64).alias("masks"),
      pl.col("image_name").nUnique().cast(pl.Int64).alias("images"),
      pl.col("noun").nUnique().cast(pl.Int64).alias("nouns"),
    )
    .sort([pl.col("masks"), pl.col(by)], [true, false], true);
}

/**
 * A query on the nouns of an image, as COCO users ask it: images with any of
 * some nouns, all of others, none of a third set. Every given condition must
 * hold; an empty or absent list places no condition.
 */
export interface ImagesWithQuery {
  /**
   * The image has at least one of these nouns.
   *
   * @default {undefined} (no condition)
   */
  anyOf?: readonly string[];
  /**
   * The image has every one of these nouns.
   *
   * @default {undefined} (no condition)
   */
  allOf?: readonly string[];
  /**
   * The image has none of these nouns.
   *
   * @default {undefined} (no condition)
   */
  noneOf?: readonly string[];
}

/** Options for {@link imagesWith} and `seg.imagesWith`. */
export interface ImagesWithOptions {
  /**
   * Count only localized masks (`localized == 1`), as `seg.nouns(image)`
   * does by default: an image "has" a noun when it has a localized mask of it.
   *
   * @default {true}
   */
  localizedOnly?: boolean;
  /**
   * For `seg.imagesWith`: the metadata frame to query (any frame filtered
   * from `seg.metadata`, e.g. by score). {@link imagesWith} takes its frame
   * as first argument and ignores this.
   *
   * @default {seg.metadata}
   */
  frame?: pl.DataFrame;
  /**
   * What the query names: nouns as written, or head nouns, categories or
   * supersenses (`imagesWith({ anyOf: ["animal"] }, { by: "category" })`).
   * The labels come from the frame's own column of that name (a frame from
   * `await seg.withNouns()`), else from {@link ImagesWithOptions.nouns}.
   *
   * @default {"noun"}
   */
  by?: NounGrouping;
  /**
   * The described nouns to label rows with when the frame lacks the `by`
   * column: `await seg.nounTable()` or a `describeNouns` frame.
   *
   * @default {undefined} (the frame's own column)
   */
  nouns?: pl.DataFrame;
}

/**
 * The images of a metadata frame whose nouns satisfy `query`, in order of
 * their first row in the frame. Only the frame's rows count (filter it first
 * to ask about, say, masks with a score above 0.5), and by default only its
 * localized ones, so that on `seg.metadata` an image has a noun exactly when
 * `seg.nouns(image)` lists it.
 *
 * @throws {TypeError} When the frame lacks the `noun`, `image_name` (or, with
 * `localizedOnly`, `localized`) column, or a query field is not an array of strings.
 * @throws {RangeError} When a noun of the query is not in the frame (the
 * message suggests the closest ones).
 *
 * @example Images with a face but no dog
 * ```ts
 * import { ensureSample, imagesWith, pl, Segmentations } from "../../mod.ts";
 *
 * using seg = await Segmentations.open({ dataDir: await ensureSample() });
 * const confident = seg.metadata.filter(pl.col("score").gt(0.5));
 * const images = imagesWith(confident, { allOf: ["face"], noneOf: ["dog"] });
 * console.log(images.every((image) => seg.nouns(image).includes("face"))); // true
 * ```
 */
export function imagesWith(
  frame: pl.DataFrame,
  query: ImagesWithQuery,
  options: ImagesWithOptions = {},
): string[] {
  checkImagesWithArgs("imagesWith", frame, query, options);
  const localizedOnly = options.localizedOnly ?? true;
  const anyOf = nounList(query?.anyOf, "anyOf");
  const allOf = nounList(query?.allOf, "allOf");
  const noneOf = nounList(query?.noneOf, "noneOf");
  const images = column<string>(frame, "image_name", "imagesWith");
  const by = checkGrouping("imagesWith", options.by ?? "noun");
  const nouns = by === "noun"
    ? column<string>(frame, "noun", "imagesWith")
    : groupLabels(frame, by, options.nouns, "imagesWith").toArray() as string[];
  // A noun the frame does not have is a typo, not an empty (or, for
  // noneOf, a complete) answer.
  checkNouns(
    "imagesWith",
    [...anyOf, ...allOf, ...noneOf],
    nouns.filter((n) => n !== null),
    "the frame",
    by,
  );
  const localized = localizedOnly
    ? column<number | null>(frame, "localized", "imagesWith")
    : undefined;
  // A Map keeps first-appearance order.
  const byImage = new Map<string, Set<string>>();
  for (let i = 0; i < images.length; i++) {
    if (localized && localized[i] !== 1) continue;
    let set = byImage.get(images[i]);
    if (!set) byImage.set(images[i], set = new Set());
    set.add(nouns[i]);
  }
  const out: string[] = [];
  for (const [image, has] of byImage) {
    if (anyOf.length > 0 && !anyOf.some((n) => has.has(n))) continue;
    if (!allOf.every((n) => has.has(n))) continue;
    if (noneOf.some((n) => has.has(n))) continue;
    out.push(image);
  }
  return out;
}

function nounList(value: unknown, name: string): string[] {
  if (value === undefined || value === null) return [];
  if (
    typeof value === "string" || !Array.isArray(value) ||
    !value.every((v) => typeof v === "string")
  ) {
    throw new TypeError(
      `imagesWith: ${name} must be an array of nouns, e.g. { ${name}: ["face"] }; got ${
        describeValue(value)
      }${
        Array.isArray(value)
          ? ` whose item ${value.findIndex((v) => typeof v !== "string")} is ${
            describeValue(value.find((v) => typeof v !== "string"))
          }`
          : ""
      }.`,
    );
  }
  return value;
}
