/**
 * {@link describeNouns}: head nouns, WordNet supersenses and coarse
 * categories for the free-text noun phrases of the metadata.
 *
 * @module
 */

import { pl } from "../deps.ts";
import { describeValue } from "../base/suggest.ts";
import { analyse, type Analysis, bestSense, categoryOf } from "./_analyse.ts";
import { LEXNAMES } from "./_lexnames.ts";
import { tools } from "./_tools.ts";
import { keepHeadMethod } from "./frame_head.ts";
import type { Tools } from "./_analyse.ts";
import type { Synset } from "./_wordnet.ts";
import { NOUN_CATEGORIES, type NounCategory } from "./categories.ts";

/** Options for {@link describeNouns}. */
export interface DescribeNounsOptions {
  /**
   * Your corrections, which win over the computed ones: a DataFrame or the
   * path of a CSV file with a `noun` column (the phrase, matched ignoring
   * case and repeated spaces) and any of `head`, `category` (one of
   * {@link NOUN_CATEGORIES}) and `supersense` (a WordNet noun file such as
   * `noun.artifact`). An empty cell keeps the computed value. A new `head`
   * also becomes the `term` (null when WordNet lacks it), and its supersense and category are looked up
   * anew unless given; a `supersense` alone picks the head's sense in that
   * file (and so its category).
   *
   * @default {undefined} (no corrections)
   */
  overrides?: pl.DataFrame | string;
}

/** The columns {@link describeNouns} returns, in order. */
export const NOUN_COLUMNS = [
  "noun",
  "head",
  "term",
  "supersense",
  "category",
] as const;

const memo = new Map<string, Analysis>();

/**
 * Describes noun phrases such as the metadata's `short , pale pink polished
 * nails`: one row per phrase as given (in order, repeats kept) with
 *
 * - `noun`: the phrase;
 * - `head`: its head noun, lemmatized (`nail`), spaces in WordNet compounds
 *   (`teddy bear`, `golden retriever`); a compound of an age or size word
 *   that names a kind of its last word keeps the last word (`young woman`
 *   -> `woman`); null when the phrase has no noun;
 * - `term`: the longest WordNet compound ending at the head (`young woman`),
 *   the WordNet entry the supersense is of; null when WordNet lacks the head;
 * - `supersense`: the WordNet 3.1 lexicographer file of the sense a photo
 *   most likely shows (`noun.body`: sense 1 of `nail` is the fingernail);
 *   null when WordNet lacks the head;
 * - `category`: one of {@link NOUN_CATEGORIES}.
 *
 * The head is the last noun of the phrase's first noun group: possessors
 * are skipped (`a young woman's face` -> `face`), the phrase is cut at
 * commas, conjunctions, prepositions and participle clauses (`dog , lying
 * on the grass` -> `dog`), and quantities give way to what they count
 * (`pair of jeans` -> `jeans`). The tagger (wink-nlp) and WordNet are
 * loaded on the first call (under a second) and kept for the process.
 *
 * @throws {TypeError} When a phrase is not a string, or an override table
 * is malformed (the error names its file and row).
 *
 * @example Heads and categories of three phrases
 * ```ts
 * import { describeNouns } from "../../mod.ts";
 *
 * const nouns = await describeNouns(["short , pale pink polished nails", "teddy bear", "two dogs"]);
 * console.log(nouns.getColumn("head").toArray()); // ["nail", "teddy bear", "dog"]
 * console.log(nouns.getColumn("category").toArray()); // ["body", "object", "animal"]
 * ```
 *
 * @example Fixing a wrong sense with an override
 * ```ts
 * import { describeNouns, pl } from "../../mod.ts";
 *
 * // In a photo of a desk, "mouse" is the computer mouse, not the animal.
 * const overrides = pl.DataFrame({ noun: ["mouse"], supersense: ["noun.artifact"] });
 * const nouns = await describeNouns(["mouse", "grey mouse"], { overrides });
 * console.log(nouns.getColumn("category").toArray()); // ["object", "animal"]
 * ```
 */
export async function describeNouns(
  phrases: readonly string[] | pl.Series,
  options: DescribeNounsOptions = {},
): Promise<pl.DataFrame> {
  await keepHeadMethod();
  const list = phraseList(phrases);
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      `describeNouns: options must be an object such as { overrides }; got ${
        describeValue(options)
      }.`,
    );
  }
  const unknown = Object.keys(options).filter((k) => k !== "overrides");
  if (unknown.length > 0) {
    throw new TypeError(
      `describeNouns: unknown option ${
        unknown.map((k) => `"${k}"`).join(", ")
      }; the only option is overrides.`,
    );
  }
  const overrides = options.overrides === undefined
    ? new Map<string, Override>()
    : readOverrides(options.overrides);
  const t = list.length > 0 ? await tools() : undefined;
  const rows = list.map((phrase) => {
    const key = normalize(phrase);
    let a = memo.get(key);
    if (!a) {
      a = analyse(t!, phrase);
      memo.set(key, a);
    }
    const o = overrides.get(key);
    return o ? applyOverride(t!, a, o) : a;
  });
  return pl.DataFrame([
    pl.Series("noun", list, pl.Utf8),
    pl.Series("head", rows.map((r) => r.head), pl.Utf8),
    pl.Series("term", rows.map((r) => r.term), pl.Utf8),
    pl.Series("supersense", rows.map((r) => r.supersense), pl.Utf8),
    pl.Series("category", rows.map((r) => r.category), pl.Utf8),
  ]);
}

function phraseList(phrases: readonly string[] | pl.Series): string[] {
  const values: unknown[] | undefined = Array.isArray(phrases)
    ? phrases
    : phrases !== null && typeof phrases === "object" &&
        typeof (phrases as pl.Series).toArray === "function"
    ? (phrases as pl.Series).toArray()
    : undefined;
  if (!values) {
    throw new TypeError(
      `describeNouns: expected an array of noun phrases or a Polars Series (e.g. seg.metadata.getColumn("noun")); got ${
        describeValue(phrases)
      }.`,
    );
  }
  const bad = values.findIndex((v) => typeof v !== "string");
  if (bad >= 0) {
    throw new TypeError(
      `describeNouns: phrase ${bad} is ${
        describeValue(values[bad])
      }, not a string; drop or fill missing nouns first (e.g. frame.filter(pl.col("noun").isNotNull())).`,
    );
  }
  return values as string[];
}

function normalize(phrase: string): string {
  return phrase.toLowerCase().replace(/\s+/g, " ").trim();
}

interface Override {
  head?: string;
  category?: NounCategory;
  supersense?: string;
}

const OVERRIDE_COLUMNS = ["noun", "head", "category", "supersense"];
const NOUN_LEXNAMES = LEXNAMES.filter((n) => n.startsWith("noun."));

/** Reads and checks an override table; keys are normalized phrases. */
export function readOverrides(
  source: pl.DataFrame | string,
): Map<string, Override> {
  let frame: pl.DataFrame;
  let where: string;
  // Data rows of a CSV are numbered as lines (the header is line 1).
  let lineOf = (i: number) => `row ${i}`;
  if (typeof source === "string") {
    where = source;
    try {
      frame = pl.readCSV(source, { inferSchemaLength: 0 });
    } catch (error) {
      throw new Error(
        `describeNouns: could not read the override table ${source}: ${
          (error as Error).message
        }. Give a CSV file with a header line: noun,head,category,supersense.`,
        { cause: error },
      );
    }
    lineOf = (i: number) => `line ${i + 2}`;
  } else if (
    source !== null && typeof source === "object" &&
    Array.isArray((source as pl.DataFrame).columns)
  ) {
    frame = source;
    where = "the override frame";
  } else {
    throw new TypeError(
      `describeNouns: overrides must be a DataFrame or the path of a CSV file; got ${
        describeValue(source)
      }.`,
    );
  }
  const extra = frame.columns.filter((c) => !OVERRIDE_COLUMNS.includes(c));
  if (!frame.columns.includes("noun") || extra.length > 0) {
    throw new TypeError(
      `describeNouns: ${where} has columns ${
        frame.columns.join(", ")
      }; it needs a "noun" column and may have only ${
        OVERRIDE_COLUMNS.slice(1).join(", ")
      } besides.`,
    );
  }
  const col = (name: string): (string | null)[] =>
    frame.columns.includes(name)
      ? frame.getColumn(name).cast(pl.Utf8).toArray().map((v) =>
        v === null || v === undefined || String(v).trim() === ""
          ? null
          : String(v).trim()
      )
      : new Array(frame.height).fill(null);
  const nouns = col("noun");
  const heads = col("head");
  const categories = col("category");
  const supersenses = col("supersense");
  const out = new Map<string, Override>();
  for (let i = 0; i < frame.height; i++) {
    const at = `${where}, ${lineOf(i)}`;
    const noun = nouns[i];
    if (noun === null) {
      throw new TypeError(
        `describeNouns: ${at} has no noun; fill it or drop the row.`,
      );
    }
    const category = categories[i];
    if (
      category !== null &&
      !(NOUN_CATEGORIES as readonly string[]).includes(category)
    ) {
      throw new TypeError(
        `describeNouns: ${at} (${JSON.stringify(noun)}) has category ${
          JSON.stringify(category)
        }; use one of ${NOUN_CATEGORIES.join(", ")}.`,
      );
    }
    const supersense = supersenses[i];
    if (supersense !== null && !NOUN_LEXNAMES.includes(supersense)) {
      throw new TypeError(
        `describeNouns: ${at} (${JSON.stringify(noun)}) has supersense ${
          JSON.stringify(supersense)
        }; use a WordNet noun file: ${NOUN_LEXNAMES.join(", ")}.`,
      );
    }
    if (heads[i] === null && category === null && supersense === null) {
      throw new TypeError(
        `describeNouns: ${at} (${
          JSON.stringify(noun)
        }) corrects nothing: give a head, category or supersense.`,
      );
    }
    const key = normalize(noun);
    if (out.has(key)) {
      throw new TypeError(
        `describeNouns: ${at} repeats the noun ${
          JSON.stringify(noun)
        }; keep one row per noun.`,
      );
    }
    out.set(key, {
      head: heads[i] ?? undefined,
      category: (category ?? undefined) as NounCategory | undefined,
      supersense: supersense ?? undefined,
    });
  }
  return out;
}

// The category of a supersense when WordNet has no sense of the head in it.
const LEXNAME_CATEGORY: Record<string, NounCategory> = {
  "noun.body": "body",
  "noun.person": "person",
  "noun.animal": "animal",
  "noun.food": "food",
  "noun.plant": "plant",
  "noun.communication": "text",
  "noun.location": "place",
  "noun.artifact": "object",
};

function applyOverride(t: Tools, a: Analysis, o: Override): Analysis {
  const wn = t.wordnet;
  const head = o.head ? o.head.toLowerCase().replace(/\s+/g, " ") : a.head;
  const term = o.head ? (wn.has(head!) ? head : null) : a.term;
  const senses = term ? wn.senses(term) : [];
  let sense: Synset | undefined;
  let supersense: string | null;
  if (o.supersense) {
    sense = senses.find((s) => s.lexname === o.supersense);
    supersense = o.supersense;
  } else if (o.head) {
    sense = term ? bestSense(wn, term) : undefined;
    supersense = sense?.lexname ?? null;
  } else {
    supersense = a.supersense;
  }
  let category = o.category;
  if (!category) {
    if (sense) category = categoryOf(wn, sense, head!);
    else if (o.supersense) {
      category = LEXNAME_CATEGORY[o.supersense] ?? "other";
    } else if (o.head) category = "other";
    else category = a.category;
  }
  return { head, term, supersense, category };
}
