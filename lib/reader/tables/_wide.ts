// Long (row, noun, value) entries pivoted to one column per noun, 0 where a
// row has no such noun: the regressor matrices of coverage tables.
import { pl } from "../../deps.ts";

/**
 * A frame with the `index` columns first, then one column per noun (sorted
 * by code unit, so the column order does not depend on the selection's row
 * order), `rows` rows.
 */
export function wideFrame(
  index: pl.Series[],
  rows: number,
  entryRow: ArrayLike<number>,
  entryNoun: readonly string[],
  entryValue: ArrayLike<number>,
  dtype: "fraction" | "count",
): pl.DataFrame {
  const nouns = [...new Set(entryNoun)].sort((a, b) =>
    a < b ? -1 : a > b ? 1 : 0
  );
  const taken = new Set(index.map((s) => s.name));
  for (const noun of nouns) {
    if (taken.has(noun)) {
      throw new TypeError(
        `A noun is named "${noun}", like an index column of the wide table; use the long table (wide: false) for this selection.`,
      );
    }
  }
  const column = new Map<string, Float64Array | Int32Array>(
    nouns.map((n) => [
      n,
      dtype === "fraction" ? new Float64Array(rows) : new Int32Array(rows),
    ]),
  );
  for (let e = 0; e < entryNoun.length; e++) {
    column.get(entryNoun[e])![entryRow[e]] += entryValue[e];
  }
  return pl.DataFrame([
    ...index,
    ...nouns.map((n) =>
      pl.Series(n, column.get(n)!, dtype === "fraction" ? pl.Float64 : pl.Int32)
    ),
  ]);
}
