/**
 * Near misses in error messages: the closest existing names to a name that
 * is not there (a case difference, a missing suffix such as `_i0` or `.jpg`,
 * a typo), and a one-line description of a value of the wrong kind.
 *
 * @module
 */

/** Options for {@link closestNames}. */
export interface ClosestNamesOptions {
  /**
   * At most this many names.
   *
   * @default {3}
   */
  max?: number;
}

/**
 * The names in `candidates` closest to `name`, best first: same name up to
 * case, then names that extend it or that it extends (a missing or extra
 * suffix or extension, or a missing prefix such as `shared_12rep_`, compared
 * without case), else (only then) names within a
 * small edit distance (a quarter of the name's length, 2 or 3).
 * `[]` when nothing is close.
 *
 * @example A missing suffix and a case difference
 * ```ts
 * import { closestNames } from "./suggest.ts";
 * const images = ["cat_1003_i0.jpg", "cat_1003_i1.jpg", "dog_12_i0.jpg"];
 * console.log(closestNames("cat_1003.jpg", images)); // ["cat_1003_i0.jpg", "cat_1003_i1.jpg"]
 * console.log(closestNames("Person", ["person", "persons", "bottle"])); // ["person", "persons"]
 * ```
 */
export function closestNames(
  name: string,
  candidates: Iterable<string>,
  options: ClosestNamesOptions = {},
): string[] {
  const max = options.max ?? 3;
  const want = name.toLowerCase();
  const wantStem = stem(want);
  const limit = Math.max(2, Math.min(3, Math.floor(want.length / 4)));
  const scored: { name: string; rank: number; distance: number }[] = [];
  for (const candidate of new Set(candidates)) {
    if (candidate === name) continue;
    const have = candidate.toLowerCase();
    const haveStem = stem(have);
    let rank: number;
    let distance = Math.abs(have.length - want.length);
    if (have === want) rank = 0;
    else if (
      wantStem.length > 0 && haveStem.length > 0 &&
      (haveStem.startsWith(wantStem) || wantStem.startsWith(haveStem) ||
        (wantStem.length >= 6 && haveStem.endsWith(wantStem)))
    ) rank = 1;
    else {
      // Only a rough length check first: most candidates are far away.
      if (distance > limit) continue;
      distance = editDistance(want, have, limit);
      if (distance > limit) continue;
      rank = 2;
    }
    scored.push({ name: candidate, rank, distance });
  }
  scored.sort((a, b) =>
    a.rank - b.rank || a.distance - b.distance ||
    (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  );
  // A name that differs only in case or by a suffix beats any typo.
  const strong = scored.filter((s) => s.rank < 2);
  return (strong.length > 0 ? strong : scored).slice(0, max).map((s) => s.name);
}

/**
 * ` Did you mean "a" or "b"?` for the closest names, or `""` when none is
 * close; to append to an error message.
 *
 * @example
 * ```ts
 * import { didYouMean } from "./suggest.ts";
 * console.log(didYouMean("Person", ["person", "bottle"])); // ' Did you mean "person"?'
 * ```
 */
export function didYouMean(
  name: string,
  candidates: Iterable<string>,
  options: ClosestNamesOptions = {},
): string {
  const close = closestNames(name, candidates, options);
  if (close.length === 0) return "";
  const quoted = close.map((n) => JSON.stringify(n));
  const list = quoted.length === 1
    ? quoted[0]
    : `${quoted.slice(0, -1).join(", ")} or ${quoted.at(-1)}`;
  return ` Did you mean ${list}?`;
}

/**
 * A short description of a value for an error message, never its whole
 * content: `a DataFrame (12 rows x 11 columns)`, `an array of 3 items`,
 * `the number 3`, `undefined`.
 *
 * @example
 * ```ts
 * import { describeValue } from "./suggest.ts";
 * console.log(describeValue([1, 2])); // "an array of 2 items"
 * ```
 */
export function describeValue(value: unknown): string {
  if (value === undefined) return "undefined";
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
      return `the string ${JSON.stringify(clip(value))}`;
    case "number":
    case "bigint":
    case "boolean":
      return `the ${typeof value} ${String(value)}`;
    case "symbol":
      return "a symbol";
    case "function":
      return `a function${value.name ? ` (${value.name})` : ""}`;
  }
  if (Array.isArray(value)) {
    return `an array of ${value.length} item${value.length === 1 ? "" : "s"}`;
  }
  const frame = value as { height?: unknown; columns?: unknown };
  if (typeof frame.height === "number" && Array.isArray(frame.columns)) {
    return `a DataFrame (${frame.height} rows x ${frame.columns.length} columns)`;
  }
  const series = value as { length?: unknown; dtype?: unknown };
  if (typeof series.length === "number" && series.dtype !== undefined) {
    return `a Series of ${series.length} values`;
  }
  if (value instanceof AbortSignal) return "an AbortSignal";
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    const name = (value as object).constructor?.name;
    return name ? `a ${name}` : "an object";
  }
  const keys = Object.keys(value as object);
  const shown = keys.slice(0, 4).join(", ") + (keys.length > 4 ? ", ..." : "");
  return keys.length ? `an object with keys {${shown}}` : "an empty object";
}

/**
 * Throws a one-line TypeError, naming `fn` and `param`, unless `value` is a
 * string; the message describes what came instead (a DataFrame is described
 * by its shape, never printed).
 *
 * @throws {TypeError} When `value` is not a string.
 */
export function requireName(
  value: unknown,
  fn: string,
  param: string,
  hint = "",
): asserts value is string {
  if (typeof value === "string") return;
  throw new TypeError(
    `${fn}: ${param} must be a string; got ${describeValue(value)}.${
      hint ? ` ${hint}` : ""
    }`,
  );
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** Lower-case name without a final extension (`.jpg`). */
function stem(s: string): string {
  return s.replace(/\.[a-z0-9]{2,4}$/, "");
}

/**
 * Edit distance counting a swap of neighbours as one edit (optimal string
 * alignment), giving up (returning `limit + 1`) beyond `limit`.
 */
function editDistance(a: string, b: string, limit: number): number {
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      let d = Math.min(
        prev[j] + 1,
        row[j - 1] + 1,
        prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      if (
        i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]
      ) d = Math.min(d, before[j - 2] + 1);
      row.push(d);
      if (d < best) best = d;
    }
    if (best > limit) return limit + 1;
    before = prev;
    prev = row;
  }
  return prev[b.length];
}

/**
 * The image names that `name` most likely meant to write: the same name in
 * another case, or without (or with another) extension, or without an
 * `_i0`-style suffix. Stricter than {@link closestNames}: another stimulus
 * that merely looks alike (a subject-unique image) is not a near miss.
 *
 * @example
 * ```ts
 * import { nearMissImages } from "./suggest.ts";
 * const images = ["cat_1003_i0.jpg", "dog_12_i0.jpg"];
 * console.log(nearMissImages("cat_1003_i0", images)); // ["cat_1003_i0.jpg"]
 * console.log(nearMissImages("CAT_1003.jpg", images)); // ["cat_1003_i0.jpg"]
 * console.log(nearMissImages("cat_1004_i0.jpg", images)); // []
 * ```
 */
export function nearMissImages(
  name: string,
  images: Iterable<string>,
  max = 3,
): string[] {
  const stem = (n: string) =>
    n.toLowerCase().replace(/\.(jpe?g|png|webp|bmp|tiff?)$/, "");
  const want = stem(name);
  if (want.length === 0) return [];
  // A name with its own instance suffix (`_i1`) names another stimulus.
  const bare = !/_i\d+$/.test(want);
  const out: string[] = [];
  for (const image of new Set(images)) {
    if (image === name) continue;
    const have = stem(image);
    if (have === want || (bare && have.replace(/_i\d+$/, "") === want)) {
      out.push(image);
    }
    if (out.length >= max) break;
  }
  return out;
}
