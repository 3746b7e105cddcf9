/**
 * How much of each image each noun covers: the per-image regressor matrix
 * of encoding models.
 *
 * @module
 */

import { pl } from "../deps.ts";
import type { StreamOptions } from "./_stream.ts";
import {
  type AnalysisSource,
  selectedRows,
  type Selection,
} from "./_analysis_source.ts";
import { unionAreas } from "./_union_area.ts";
import { wideFrame } from "./_wide.ts";
import {
  coverageCachePath,
  readCoverageCache,
  writeCoverageCache,
} from "./_coverage_cache.ts";

/** Options for {@link SegmentationsReader.coverage}. */
export interface CoverageOptions extends StreamOptions {
  /**
   * Count only masks with `localized == 1` (a box was given and the mask
   * covers < 99% of the image).
   *
   * @default {true}
   */
  localizedOnly?: boolean;
  /**
   * One row per image and one column per noun (sorted), 0 where the image
   * has no such noun, instead of one row per (image, noun).
   *
   * @default {false}
   */
  wide?: boolean;
  /**
   * What the wide table's cells hold: the covered `fraction`, `pixels` or
   * number of `masks`.
   *
   * @default {"fraction"}
   */
  value?: "fraction" | "pixels" | "masks";
  /**
   * For the whole file (no selection): read and write the cached table in
   * the user cache dir (`$XDG_CACHE_HOME/laion-fmri-segmentations/coverage`),
   * keyed by the HDF5 file and the CSV's content, size and mtime.
   *
   * @default {true}
   */
  cache?: boolean;
}

/**
 * One row per (image_name, noun) of the selected masks: `masks` (instances),
 * `pixels` (area of the union of that noun's masks in that image:
 * overlapping instances count once) and `fraction` (pixels / image area).
 * Images in order of first appearance, nouns in order of their first row.
 * With `wide`, one row per image and one column per noun.
 *
 * Every mask is read once. With the real layout (one mask per chunk,
 * deflate) a mask is inflated straight into runs of set pixels on the
 * calling thread, which costs its compressed size rather than a megabyte
 * (the whole real-sized file in about 8 s); other layouts stream through
 * `masks()` (Web Workers; `workers` applies there only). The whole file's
 * table is cached (see {@link CoverageOptions.cache}). HDF5 rows that the
 * CSV does not list belong to no image and are left out.
 *
 * @throws {RangeError} When a selected row is outside the file.
 */
export async function coverage(
  source: AnalysisSource,
  selection: Selection | undefined,
  options: CoverageOptions = {},
): Promise<pl.DataFrame> {
  const localizedOnly = options.localizedOnly ?? true;
  const whole = selection === undefined;
  const useCache = whole && (options.cache ?? true);
  const cachePath = useCache
    ? await coverageCachePath(
      source.paths.h5,
      source.paths.csv,
      source.width,
      source.height,
    )
    : undefined;
  let table = cachePath ? readCoverageCache(cachePath) : undefined;
  if (!table) {
    table = await bothVariants(source, selection, options);
    if (cachePath) writeCoverageCache(cachePath, table);
  }
  const [masks, pixels] = localizedOnly
    ? ["localized_masks", "localized_pixels"]
    : ["masks", "pixels"];
  const area = source.width * source.height;
  const long = table.filter(pl.col(masks).gt(0)).select(
    pl.col("image_name"),
    pl.col("noun"),
    pl.col(masks).cast(pl.Int64).alias("masks"),
    pl.col(pixels).cast(pl.Int64).alias("pixels"),
    pl.col(pixels).cast(pl.Float64).div(area).alias("fraction"),
  );
  if (!options.wide) return long;
  return wideCoverage(long, options.value ?? "fraction");
}

/** The long table pivoted: one row per image (first-appearance order). */
function wideCoverage(
  long: pl.DataFrame,
  value: "fraction" | "pixels" | "masks",
): pl.DataFrame {
  const images = long.getColumn("image_name").toArray() as string[];
  const order = new Map<string, number>();
  const entryRow = images.map((image) => {
    let r = order.get(image);
    if (r === undefined) order.set(image, r = order.size);
    return r;
  });
  return wideFrame(
    [pl.Series("image_name", [...order.keys()], pl.Utf8)],
    order.size,
    entryRow,
    long.getColumn("noun").toArray() as string[],
    long.getColumn(value).toArray() as number[],
    value === "fraction" ? "fraction" : "count",
  );
}

/** The table with both variants (all masks; localized masks only). */
async function bothVariants(
  source: AnalysisSource,
  selection: Selection | undefined,
  options: StreamOptions,
): Promise<pl.DataFrame> {
  const rows = selectedRows(source, selection);
  // Groups: images in first-appearance order, nouns in first-row order.
  const byImage = new Map<string, Map<string, number>>();
  const groupImage: string[] = [];
  const groupNoun: string[] = [];
  const all: Set<number>[] = [];
  const localized: Set<number>[] = [];
  const count = [
    new Int32Array(rows.maskRow.length),
    new Int32Array(rows.maskRow.length),
  ];
  for (let i = 0; i < rows.maskRow.length; i++) {
    if (rows.csvRow[i] < 0) continue;
    const image = rows.image[i], noun = rows.noun[i];
    let nouns = byImage.get(image);
    if (!nouns) byImage.set(image, nouns = new Map());
    let g = nouns.get(noun);
    if (g === undefined) {
      g = all.length;
      nouns.set(noun, g);
      groupImage.push(image);
      groupNoun.push(noun);
      all.push(new Set());
      localized.push(new Set());
    }
    all[g].add(rows.maskRow[i]);
    count[0][g]++;
    if (rows.localized[i] === 1) {
      localized[g].add(rows.maskRow[i]);
      count[1][g]++;
    }
  }
  // Grouped by image, then noun.
  const order = [...byImage.values()].flatMap((nouns) => [...nouns.values()]);
  // A group whose masks are all localized needs its union only once.
  const sets: number[][] = [];
  const setOf = order.map((g) => {
    const a = sets.push([...all[g]]) - 1;
    const l = localized[g].size === all[g].size
      ? a
      : sets.push([...localized[g]]) - 1;
    return [a, l];
  });
  const pixels = await unionAreas(source, sets, options);
  return pl.DataFrame([
    pl.Series("image_name", order.map((g) => groupImage[g]), pl.Utf8),
    pl.Series("noun", order.map((g) => groupNoun[g]), pl.Utf8),
    pl.Series("masks", order.map((g) => count[0][g]), pl.Int32),
    pl.Series("pixels", setOf.map(([a]) => pixels[a]), pl.Int32),
    pl.Series("localized_masks", order.map((g) => count[1][g]), pl.Int32),
    pl.Series(
      "localized_pixels",
      setOf.map(([, l], k) => count[1][order[k]] === 0 ? 0 : pixels[l]),
      pl.Int32,
    ),
  ]);
}
