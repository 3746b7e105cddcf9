/**
 * The metadata's nouns described ({@link nounTable}, {@link withNouns}) and
 * grouped ({@link groupOf}): head nouns, WordNet supersenses and categories
 * for the free-text phrases, cached in the user cache dir.
 *
 * @module
 */

import { join } from "node:path";
import { pl } from "../deps.ts";
import { userCacheDir } from "../data/paths.ts";
import { describeValue } from "../base/suggest.ts";
import { describeNouns, keepHeadMethod, NOUN_COLUMNS } from "../nouns/mod.ts";
import { requireColumns } from "./frame_columns.ts";

/** How nouns can be grouped: as written, by head noun, category or supersense. */
export type NounGrouping = "noun" | "head" | "category" | "supersense";

/** The groupings, in order. */
export const NOUN_GROUPINGS: readonly NounGrouping[] = [
  "noun",
  "head",
  "category",
  "supersense",
];

/** Options for {@link nounTable}, {@link withNouns} and {@link groupOf}. */
export interface NounTableOptions {
  /**
   * The rows to count or label (any frame filtered from `metadata`).
   *
   * @default {metadata}
   */
  frame?: pl.DataFrame;
  /**
   * Your corrections (a DataFrame or CSV path with `noun` and any of
   * `head`, `category`, `supersense`), which win over the computed ones; see
   * `describeNouns`.
   *
   * @default {undefined} (none)
   */
  overrides?: pl.DataFrame | string;
  /**
   * Read and write the described nouns in the user cache dir
   * (`$XDG_CACHE_HOME` or `~/.cache`, then
   * `laion-fmri-segmentations/nouns/`), keyed by a digest of the metadata's
   * distinct nouns and of the overrides: a warm call pays milliseconds.
   *
   * @default {true}
   */
  cache?: boolean;
}

// Bumped when describeNouns would answer differently (code, table, model).
const VERSION = "nouns-v2-wink-eng-lite-web-model@1.8.1-wordnet@3.1.14";

/** `$XDG_CACHE_HOME/laion-fmri-segmentations/nouns` (or under ~/.cache). */
export function nounCacheDir(): string {
  return join(userCacheDir(), "nouns");
}

async function sha256(text: string | Uint8Array): Promise<string> {
  const data = typeof text === "string" ? new TextEncoder().encode(text) : text;
  const digest = await crypto.subtle.digest(
    "SHA-256",
    data as Uint8Array<ArrayBuffer>,
  );
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

function checkOptions(helper: string, options: unknown): NounTableOptions {
  if (options === undefined) return {};
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      `${helper}: options must be an object such as { frame, overrides, cache }; got ${
        describeValue(options)
      }.`,
    );
  }
  const known = ["frame", "overrides", "cache"];
  const unknown = Object.keys(options).filter((k) => !known.includes(k));
  if (unknown.length > 0) {
    throw new TypeError(
      `${helper}: unknown option ${
        unknown.map((k) => `"${k}"`).join(", ")
      }; the options are ${known.join(", ")}.`,
    );
  }
  const o = options as NounTableOptions;
  if (o.cache !== undefined && typeof o.cache !== "boolean") {
    throw new TypeError(
      `${helper}: cache must be true or false; got ${describeValue(o.cache)}.`,
    );
  }
  return o;
}

/** The distinct nouns of a frame, sorted. */
function distinctNouns(frame: pl.DataFrame, helper: string): string[] {
  requireColumns(frame, ["noun"], helper);
  const nouns = frame.getColumn("noun").toArray() as unknown[];
  const set = new Set<string>();
  nouns.forEach((n, i) => {
    if (typeof n !== "string") {
      throw new TypeError(
        `${helper}: row ${i} has noun ${
          describeValue(n)
        }; drop rows without a noun first (frame.filter(pl.col("noun").isNotNull())).`,
      );
    }
    set.add(n);
  });
  return [...set].sort();
}

async function overridesKey(
  overrides: pl.DataFrame | string | undefined,
): Promise<string> {
  if (overrides === undefined) return "";
  if (typeof overrides === "string") {
    try {
      return await sha256(await Deno.readFile(overrides));
    } catch {
      // describeNouns names the file in its error; no cache for it.
      return `unreadable:${overrides}`;
    }
  }
  try {
    return await sha256(JSON.stringify({
      columns: overrides.columns,
      rows: overrides.rows(),
    }));
  } catch {
    return `frame:${Math.random()}`;
  }
}

/**
 * The described distinct nouns of `metadata` (describeNouns' columns, one
 * row per distinct noun, sorted), from the cache when it holds them.
 */
async function describedNouns(
  metadata: pl.DataFrame,
  options: NounTableOptions,
  helper: string,
): Promise<pl.DataFrame> {
  await keepHeadMethod();
  const nouns = distinctNouns(metadata, helper);
  const useCache = options.cache ?? true;
  let path: string | undefined;
  if (useCache) {
    const key = await sha256(
      [VERSION, await overridesKey(options.overrides), ...nouns].join("\n"),
    );
    path = join(nounCacheDir(), `nouns-${key.slice(0, 32)}.json`);
    const cached = readCache(path, nouns.length);
    if (cached) return cached;
  }
  const described = await describeNouns(nouns, {
    ...(options.overrides !== undefined
      ? { overrides: options.overrides }
      : {}),
  });
  if (path) writeCache(path, described);
  return described;
}

function readCache(path: string, count: number): pl.DataFrame | undefined {
  try {
    const json = JSON.parse(Deno.readTextFileSync(path)) as Record<
      string,
      (string | null)[]
    >;
    if (
      !NOUN_COLUMNS.every((c) =>
        Array.isArray(json[c]) && json[c].length === count
      )
    ) return undefined;
    return pl.DataFrame(
      NOUN_COLUMNS.map((c) => pl.Series(c, json[c], pl.Utf8)),
    );
  } catch {
    // Missing or unreadable: describe again.
    return undefined;
  }
}

function writeCache(path: string, frame: pl.DataFrame): void {
  const json: Record<string, unknown[]> = {};
  for (const c of NOUN_COLUMNS) json[c] = frame.getColumn(c).toArray();
  const tmp = `${path}.${Deno.pid}.tmp`;
  try {
    Deno.mkdirSync(nounCacheDir(), { recursive: true });
    Deno.writeTextFileSync(tmp, JSON.stringify(json));
    Deno.renameSync(tmp, path);
  } catch {
    // A read-only cache dir: describe again next time.
    try {
      Deno.removeSync(tmp);
    } catch { /* never written */ }
  }
}

/**
 * The distinct nouns of a metadata frame described, with how often they
 * occur: columns `noun`, `head`, `term`, `supersense`, `category` (as
 * `describeNouns` gives them), `masks` (rows of that noun in the frame) and
 * `images` (distinct images among them); most masks first, ties by noun.
 * The nouns of the whole `metadata` are described once and cached (see
 * {@link NounTableOptions.cache}); `frame` picks the rows counted.
 *
 * @throws {TypeError} When a frame lacks the `noun` or `image_name` column
 * or an option is wrong.
 *
 * @example Heads and categories of the sample's nouns
 * ```ts
 * import { ensureSample, nounTable, pl, Segmentations } from "../../mod.ts";
 *
 * using seg = await Segmentations.open({ dataDir: await ensureSample() });
 * const table = await nounTable(seg.metadata);
 * console.log(table.columns); // ["noun", "head", "term", "supersense", "category", "masks", "images"]
 * const nails = table.filter(pl.col("noun").eq(pl.lit("short , pale pink polished nails")));
 * console.log(nails.getColumn("head").toArray(), nails.getColumn("category").toArray()); // ["nail"] ["body"]
 * ```
 */
export async function nounTable(
  metadata: pl.DataFrame,
  options?: NounTableOptions,
): Promise<pl.DataFrame> {
  const o = checkOptions("nounTable", options);
  const frame = o.frame ?? metadata;
  requireColumns(metadata, ["noun"], "nounTable");
  requireColumns(frame, ["noun", "image_name"], "nounTable");
  const described = await describedNouns(metadata, o, "nounTable");
  const counts = frame.groupBy("noun").agg(
    pl.len().cast(pl.Int64).alias("masks"),
    pl.col("image_name").nUnique().cast(pl.Int64).alias("images"),
  );
  const missing = distinctNouns(frame, "nounTable").filter((n) =>
    !describedSet(described).has(n)
  );
  if (missing.length > 0) {
    throw new RangeError(
      `nounTable: the frame has nouns that metadata lacks (${
        missing.slice(0, 3).map((n) => JSON.stringify(n)).join(", ")
      }); pass a frame filtered from the same metadata.`,
    );
  }
  return described.join(counts, { on: "noun", how: "inner" })
    .sort(["masks", "noun"], [true, false]);
}

const describedSets = new WeakMap<pl.DataFrame, Set<string>>();
function describedSet(described: pl.DataFrame): Set<string> {
  let set = describedSets.get(described);
  if (!set) {
    set = new Set(described.getColumn("noun").toArray() as string[]);
    describedSets.set(described, set);
  }
  return set;
}

/**
 * A metadata frame (`frame`, default `metadata`) with the columns `head`,
 * `term`, `supersense` and `category` of each row's noun added after its
 * own, rows in their order. The frame it returns can be grouped or
 * filtered by category like any other column, and passed to
 * `nounCounts(frame, { by: "category" })` or `plotNounFrequency`.
 *
 * @throws {TypeError} When a frame lacks the `noun` column, already has one
 * of the added columns, or an option is wrong.
 *
 * @example Only the masks of people
 * ```ts
 * import { ensureSample, pl, Segmentations, withNouns } from "../../mod.ts";
 *
 * using seg = await Segmentations.open({ dataDir: await ensureSample() });
 * const people = (await withNouns(seg.metadata)).filter(pl.col("category").eq(pl.lit("person")));
 * console.log(people.getColumn("noun").toArray().includes("young woman in a red coat")); // true
 * ```
 */
export async function withNouns(
  metadata: pl.DataFrame,
  options?: NounTableOptions,
): Promise<pl.DataFrame> {
  const o = checkOptions("withNouns", options);
  const frame = o.frame ?? metadata;
  requireColumns(frame, ["noun"], "withNouns");
  const clash = NOUN_COLUMNS.slice(1).filter((c) => frame.columns.includes(c));
  if (clash.length > 0) {
    throw new TypeError(
      `withNouns: the frame already has ${
        clash.join(", ")
      }; pass a frame without them (frame.drop(${
        clash.map((c) => JSON.stringify(c)).join(", ")
      })).`,
    );
  }
  const described = await describedNouns(
    o.frame
      ? pl.concat([metadata.select("noun"), frame.select("noun")])
      : metadata,
    o,
    "withNouns",
  );
  return frame.withColumns(
    ...labelColumns(frame, described, NOUN_COLUMNS.slice(1)),
  );
}

/** Columns `names` of `described`, one value per row of `frame` (by its noun). */
function labelColumns(
  frame: pl.DataFrame,
  described: pl.DataFrame,
  names: readonly string[],
): pl.Series[] {
  const nouns = described.getColumn("noun").toArray() as string[];
  const at = new Map(nouns.map((n, i) => [n, i]));
  const rows = (frame.getColumn("noun").toArray() as string[]).map((n) =>
    at.get(n)
  );
  return names.map((name) => {
    const values = described.getColumn(name).toArray() as (string | null)[];
    return pl.Series(
      name,
      rows.map((r) => (r === undefined ? null : values[r])),
      pl.Utf8,
    );
  });
}

/** Throws unless `by` is one of {@link NOUN_GROUPINGS}. */
export function checkGrouping(helper: string, by: unknown): NounGrouping {
  if (!(NOUN_GROUPINGS as readonly unknown[]).includes(by)) {
    throw new RangeError(
      `${helper}: by must be one of ${
        NOUN_GROUPINGS.map((g) => JSON.stringify(g)).join(", ")
      }; got ${describeValue(by)}.`,
    );
  }
  return by as NounGrouping;
}

/**
 * The group label of each row of `frame` under `by`, without computing: the
 * frame's own `by` column (a frame from {@link withNouns}), or the labels of
 * a described-nouns frame (from {@link nounTable} or `describeNouns`).
 *
 * @throws {TypeError} When neither holds the labels (the message says what
 * to pass), or a noun of the frame is not described.
 */
export function groupLabels(
  frame: pl.DataFrame,
  by: NounGrouping,
  described: pl.DataFrame | undefined,
  helper: string,
): pl.Series {
  requireColumns(frame, ["noun"], helper);
  if (by === "noun") return frame.getColumn("noun").alias("noun");
  if (frame.columns.includes(by)) return frame.getColumn(by).cast(pl.Utf8);
  if (!described) {
    throw new TypeError(
      `${helper}: by "${by}" needs each noun's ${by}: pass a frame from await seg.withNouns(frame), or { nouns: await seg.nounTable() } (or describeNouns' frame).`,
    );
  }
  requireColumns(described, ["noun", by], `${helper} (its nouns option)`);
  const known = describedSet(described);
  const nouns = frame.getColumn("noun").toArray() as string[];
  const missing = nouns.find((n) => !known.has(n));
  if (missing !== undefined) {
    throw new TypeError(
      `${helper}: the noun ${
        JSON.stringify(missing)
      } is not in the nouns option's table; describe the same metadata (await seg.nounTable()).`,
    );
  }
  return labelColumns(frame, described, [by])[0];
}

/**
 * The group label of each row of `metadata` (or of `options.frame`) under
 * `by`: the noun itself, its head, its category or its supersense, as a
 * Polars Series named after `by` (null where a phrase has no head or
 * WordNet lacks it). Labels come from the frame's own column when it has
 * one, else from the cached described nouns. The third argument is the
 * options, or the overrides alone (a DataFrame or CSV path).
 *
 * @throws {RangeError} When `by` is not a grouping.
 *
 * @example The category of each mask
 * ```ts
 * import { ensureSample, groupOf, Segmentations } from "../../mod.ts";
 *
 * using seg = await Segmentations.open({ dataDir: await ensureSample() });
 * const labels = await groupOf(seg.metadata, "category");
 * console.log(labels.name, labels.length === seg.metadata.height); // category true
 * ```
 */
export async function groupOf(
  metadata: pl.DataFrame,
  by: NounGrouping,
  options?: NounTableOptions | pl.DataFrame | string,
): Promise<pl.Series> {
  checkGrouping("groupOf", by);
  // The overrides alone may stand for the options: groupOf(meta, by, overrides).
  const isOverrides = typeof options === "string" ||
    (options !== null && typeof options === "object" &&
      Array.isArray((options as pl.DataFrame).columns));
  const o = checkOptions(
    "groupOf",
    isOverrides ? { overrides: options as pl.DataFrame | string } : options,
  );
  const frame = o.frame ?? metadata;
  requireColumns(frame, ["noun"], "groupOf");
  if (by === "noun" || frame.columns.includes(by)) {
    return groupLabels(frame, by, undefined, "groupOf");
  }
  const described = await describedNouns(
    o.frame
      ? pl.concat([metadata.select("noun"), frame.select("noun")])
      : metadata,
    o,
    "groupOf",
  );
  return groupLabels(frame, by, described, "groupOf");
}
