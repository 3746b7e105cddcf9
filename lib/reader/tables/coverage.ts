/**
 * How much of each image each noun covers: the per-image regressor matrix
 * of encoding models.
 *
 * @module
 */

import { pl } from "../../deps.ts";
import {
  type AnalysisSource,
  type SelectedRows,
  selectedRows,
  type Selection,
} from "../source/analysis_source.ts";
import type { ScanOptions } from "../source/scan.ts";
import { unionAreas } from "./_union_area.ts";
import { wideFrame } from "./_wide.ts";
import {
  coverageCachePath,
  readCoverageCache,
  writeCoverageCache,
} from "./_coverage_cache.ts";
import { checkNouns, filterMasks, type MaskFilter } from "../mask_filter.ts";
import { groupOf, type NounGrouping } from "../noun_table.ts";

/** Options for {@link SegmentationsReader.coverage}. */
export interface CoverageOptions extends ScanOptions, MaskFilter {
  /**
   * One row per image and one column per noun (sorted), 0 where the image
   * has no such noun, instead of one row per (image, noun). The rows are
   * every image of the selection in `seg.images()` order (without a
   * selection, every image with masks: the rows line up with
   * `seg.images()`), also those the filter leaves without a mask (a row of
   * zeros).
   *
   * @default {false}
   */
  wide?: boolean;
  /**
   * One union per image and group of nouns: the noun as written, its head
   * noun, its category or its WordNet supersense (see `describeNouns`). The
   * group column is named after it (`category`, ...); overlapping masks of
   * a group count once; masks whose phrase has no such label (no head
   * noun) are left out. Grouped tables are computed each time (not cached).
   *
   * @default {"noun"}
   */
  by?: NounGrouping;
  /**
   * Your corrections of the computed heads and categories (a frame or CSV
   * path with `noun` and any of `head`, `category`, `supersense`), for `by`.
   *
   * @default {undefined} (none)
   */
  overrides?: pl.DataFrame | string;
  /**
   * What the wide table's cells hold: the covered `fraction`, `pixels` or
   * number of `masks`.
   *
   * @default {"fraction"}
   */
  value?: "fraction" | "pixels" | "masks";
  /**
   * For the whole file (no selection, no `minScore`): read and write the
   * cached table in the user cache dir
   * (`$XDG_CACHE_HOME/laion-fmri-segmentations/coverage`), keyed by the
   * HDF5 file and the CSV's content, size and mtime.
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
 * Every mask is read once, as runs of set pixels, with every check of
 * `row()`: a damaged row is an error naming the file and the row. The
 * whole file's table is cached (see {@link CoverageOptions.cache}). HDF5
 * rows that the CSV does not list belong to no image and are left out.
 *
 * @throws {RangeError} When a selected row is outside the file, or a noun
 * of `nouns` is not in the data.
 */
export async function coverage(
  source: AnalysisSource,
  selection: Selection | undefined,
  options: CoverageOptions = {},
): Promise<pl.DataFrame> {
  const localizedOnly = options.localizedOnly ?? true;
  const frame = selection === undefined || Array.isArray(selection)
    ? undefined
    : selection as pl.DataFrame;
  const where = frame ? "the selection" : "the data";
  if (options.nouns) {
    checkNouns(
      "seg.coverage",
      options.nouns,
      (frame ?? source.metadata).getColumn("noun").toArray() as string[],
      where,
    );
  }
  const by = options.by ?? "noun";
  let rows: SelectedRows | undefined;
  const selectionRows = () => rows ??= selectedRows(source, selection);
  const useCache = selection === undefined && options.minScore === undefined &&
    by === "noun" && (options.cache ?? true);
  const cachePath = useCache
    ? await coverageCachePath(
      source.paths.h5,
      source.paths.csv,
      source.width,
      source.height,
    )
    : undefined;
  let table = cachePath ? readCoverageCache(cachePath) : undefined;
  // Grouped: the nouns filter applies to the masks, before the unions.
  const nounsAfter = by === "noun" ? options.nouns : undefined;
  if (!table) {
    let counted = selectionRows();
    if (options.minScore !== undefined || (by !== "noun" && options.nouns)) {
      // The filter decides by the metadata (the same rule everywhere);
      // localized and not are kept apart in the table below.
      const passing = new Set(
        filterMasks(frame ?? source.metadata, {
          minScore: options.minScore,
          nouns: by === "noun" ? undefined : options.nouns,
          localizedOnly: false,
        }, { fn: "seg.coverage", where }).getColumn("mask_row").toArray()
          .map(Number),
      );
      counted = keepRows(counted, (i) => passing.has(counted.maskRow[i]));
    }
    if (by !== "noun") {
      const labels = (await groupOf(source.metadata, by, {
        overrides: options.overrides,
      })).toArray() as (string | null)[];
      const relabelled = { ...counted, noun: [...counted.noun] };
      relabelled.noun = counted.csvRow.length > 0
        ? Array.from(counted.csvRow, (r) => r < 0 ? "" : labels[r] ?? "\u0000")
        : [];
      // A phrase without a label (no head noun) is in no group.
      counted = keepRows(relabelled, (i) => relabelled.noun[i] !== "\u0000");
    }
    table = await bothVariants(source, counted, options);
    if (cachePath) writeCoverageCache(cachePath, table);
  }
  const [masks, pixels] = localizedOnly
    ? ["localized_masks", "localized_pixels"]
    : ["masks", "pixels"];
  const area = source.width * source.height;
  let kept = pl.col(masks).gt(0);
  if (nounsAfter) kept = kept.and(pl.col("noun").isIn([...nounsAfter]));
  const picked = table.filter(kept).select(
    pl.col("image_name"),
    pl.col("noun"),
    pl.col(masks).cast(pl.Int64).alias("masks"),
    pl.col(pixels).cast(pl.Int64).alias("pixels"),
  );
  // pixels / area in JS: correctly rounded, where Polars may multiply by
  // the reciprocal (0.045000000000000005 for 54 of 1,200).
  const counts = picked.getColumn("pixels").cast(pl.Float64)
    .toArray() as number[];
  let long = picked.withColumns(
    pl.Series("fraction", Float64Array.from(counts, (p) => p / area)),
  );
  if (by !== "noun") long = long.rename({ noun: by });
  if (!options.wide) return long;
  // Every image the table stands for, in the reader's order.
  let images = source.images();
  if (selection !== undefined) {
    const picked = selectionRows();
    const inSelection = new Set(
      picked.image.filter((_, i) => picked.csvRow[i] >= 0),
    );
    images = images.filter((name) => inSelection.has(name));
  }
  return wideCoverage(
    by === "noun" ? long : long.rename({ [by]: "noun" }),
    images,
    options.value ?? "fraction",
  );
}

/** The rows of `rows` for which `keep(i)` holds. */
function keepRows(
  rows: SelectedRows,
  keep: (i: number) => boolean,
): SelectedRows {
  const at: number[] = [];
  for (let i = 0; i < rows.maskRow.length; i++) if (keep(i)) at.push(i);
  const ints = (a: Int32Array) => Int32Array.from(at, (i) => a[i]);
  return {
    maskRow: ints(rows.maskRow),
    csvRow: ints(rows.csvRow),
    image: at.map((i) => rows.image[i]),
    noun: at.map((i) => rows.noun[i]),
    instance: ints(rows.instance),
    score: Float64Array.from(at, (i) => rows.score[i]),
    localized: Int8Array.from(at, (i) => rows.localized[i]),
  };
}

/** The long table pivoted: one row per image of `images`, in that order. */
function wideCoverage(
  long: pl.DataFrame,
  images: readonly string[],
  value: "fraction" | "pixels" | "masks",
): pl.DataFrame {
  const order = new Map(images.map((image, r) => [image, r]));
  const entryRow = (long.getColumn("image_name").toArray() as string[]).map(
    (image) => order.get(image)!,
  );
  return wideFrame(
    [pl.Series("image_name", [...images], pl.Utf8)],
    images.length,
    entryRow,
    long.getColumn("noun").toArray() as string[],
    long.getColumn(value).toArray() as number[],
    value === "fraction" ? "fraction" : "count",
  );
}

/** The table with both variants (all masks; localized masks only). */
async function bothVariants(
  source: AnalysisSource,
  rows: SelectedRows,
  options: ScanOptions,
): Promise<pl.DataFrame> {
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
