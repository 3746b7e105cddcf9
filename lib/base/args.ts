/**
 * Argument checks for the public functions: each failure is one line that
 * names the function, the parameter, what it got and what it accepts, e.g.
 * `seg.stats: unknown option "minscore" in options; did you mean "minScore"?`.
 *
 * Layer 0: imports nothing of the project. DataFrames are recognised by duck
 * typing (`columns` and `getColumn`), so Polars is not needed here either.
 *
 * @example An options object with a typo
 * ```ts
 * import { checkOptions } from "./args.ts";
 * try {
 *   checkOptions("show", { minscore: 0.5 }, { nouns: "strings", minScore: "number" });
 * } catch (err) {
 *   console.log((err as TypeError).message);
 *   // show: unknown option "minscore" in options; did you mean "minScore"? (accepted: nouns, minScore)
 * }
 * ```
 *
 * @module
 */

import { closestNames, describeValue } from "./suggest.ts";

/**
 * What an option accepts, for {@link checkOptions}: a kind, or the list of
 * accepted values. `undefined` is always accepted (an option left out);
 * `"any"` leaves the value to the function's own check.
 */
export type OptionKind =
  | "string"
  | "number"
  | "integer"
  | "boolean"
  | "strings"
  | "signal"
  | "function"
  | "frame"
  | "object"
  | "any"
  | readonly (string | number | boolean)[];

/** Option names and what each accepts, e.g. `{ minScore: "number" }`. */
export type OptionSpec = Readonly<Record<string, OptionKind>>;

/** Whether `value` looks like a Polars DataFrame (has `columns` and `getColumn`). */
export function isFrame(value: unknown): boolean {
  if (value === null || typeof value !== "object") return false;
  try {
    const v = value as { columns?: unknown; getColumn?: unknown };
    return Array.isArray(v.columns) && typeof v.getColumn === "function";
  } catch {
    return false;
  }
}

/** A plain object: what an options argument must be. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return false;
  }
  if (isFrame(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The known name closest to `name`, when close enough to be a typo. */
export function closest(
  name: string,
  known: readonly string[],
): string | undefined {
  return closestNames(name, known, { max: 1 })[0];
}

/**
 * Checks an options argument: `undefined` or a plain object whose keys are
 * all in `spec` (an unknown key names the closest known one, as a typo
 * usually is) and whose values are of the kind `spec` gives.
 *
 * @throws {TypeError} When `options` is not a plain object, has an unknown
 * key or a value of the wrong type.
 * @throws {RangeError} When a value is not one of the accepted ones, or a
 * number is not finite (or not an integer where one is needed).
 */
export function checkOptions(
  fn: string,
  options: unknown,
  spec: OptionSpec,
  param = "options",
): void {
  if (options === undefined) return;
  const known = Object.keys(spec);
  const accepted = `accepted: ${known.join(", ")}`;
  if (!isPlainObject(options)) {
    throw new TypeError(
      `${fn}: ${param} must be an object such as { ${
        known[0] ?? ""
      }: ... }; got ${describeValue(options)} (${accepted}).`,
    );
  }
  for (const [key, value] of Object.entries(options)) {
    if (!Object.hasOwn(spec, key)) {
      const near = closest(key, known);
      throw new TypeError(
        `${fn}: unknown option ${JSON.stringify(key)} in ${param}; ${
          near ? `did you mean ${JSON.stringify(near)}? ` : ""
        }(${accepted}).`,
      );
    }
    if (value !== undefined) checkKind(fn, `${param}.${key}`, value, spec[key]);
  }
}

function checkKind(
  fn: string,
  param: string,
  value: unknown,
  kind: OptionKind,
): void {
  if (typeof kind !== "string") return checkOneOf(fn, param, value, kind);
  switch (kind) {
    case "any":
      return;
    case "string":
      return checkString(fn, param, value);
    case "number":
      return checkNumber(fn, param, value);
    case "integer":
      return checkNumber(fn, param, value, { integer: true });
    case "boolean":
      return checkBoolean(fn, param, value);
    case "strings":
      return checkStrings(fn, param, value);
    case "signal":
      return checkSignal(fn, param, value);
    case "function":
      return checkFunction(fn, param, value);
    case "frame":
      return checkFrame(fn, param, value);
    case "object":
      if (value !== null && typeof value === "object") return;
      throw new TypeError(
        `${fn}: ${param} must be an object; got ${describeValue(value)}.`,
      );
  }
}

/** What `check*` helpers accept besides the value: `optional` lets `undefined` through. */
export interface CheckOptions {
  /**
   * Accept `undefined` (an omitted argument or option).
   *
   * @default {false}
   */
  optional?: boolean;
}

/**
 * Checks a string argument.
 *
 * @throws {TypeError} When `value` is not a string.
 */
export function checkString(
  fn: string,
  param: string,
  value: unknown,
  options: CheckOptions = {},
): void {
  if (typeof value === "string") return;
  if (value === undefined && options.optional) return;
  throw new TypeError(
    `${fn}: ${param} must be a string; got ${describeValue(value)}.`,
  );
}

/** Options for {@link checkNumber}. */
export interface CheckNumberOptions extends CheckOptions {
  /**
   * Require an integer.
   *
   * @default {false}
   */
  integer?: boolean;
  /**
   * Smallest accepted value.
   *
   * @default {-Infinity}
   */
  min?: number;
  /**
   * Largest accepted value.
   *
   * @default {Infinity}
   */
  max?: number;
}

/**
 * Checks a finite number argument, optionally an integer within bounds.
 *
 * @throws {TypeError} When `value` is not a number.
 * @throws {RangeError} When it is not finite, not an integer, or out of bounds.
 */
export function checkNumber(
  fn: string,
  param: string,
  value: unknown,
  options: CheckNumberOptions = {},
): void {
  if (value === undefined && options.optional) return;
  const { integer = false, min = -Infinity, max = Infinity } = options;
  const kind = integer ? "an integer" : "a finite number";
  const bounds = min > -Infinity && max < Infinity
    ? ` from ${min} to ${max}`
    : min > -Infinity
    ? ` >= ${min}`
    : max < Infinity
    ? ` <= ${max}`
    : "";
  if (typeof value !== "number") {
    throw new TypeError(
      `${fn}: ${param} must be ${kind}${bounds}; got ${describeValue(value)}.`,
    );
  }
  if (
    !Number.isFinite(value) || (integer && !Number.isInteger(value)) ||
    value < min || value > max
  ) {
    throw new RangeError(
      `${fn}: ${param} must be ${kind}${bounds}; got ${value}.`,
    );
  }
}

/**
 * Checks a boolean argument.
 *
 * @throws {TypeError} When `value` is not a boolean.
 */
export function checkBoolean(
  fn: string,
  param: string,
  value: unknown,
  options: CheckOptions = {},
): void {
  if (typeof value === "boolean") return;
  if (value === undefined && options.optional) return;
  throw new TypeError(
    `${fn}: ${param} must be true or false; got ${describeValue(value)}.`,
  );
}

/**
 * Checks that `value` is one of `choices`.
 *
 * @throws {RangeError} When it is not.
 */
export function checkOneOf(
  fn: string,
  param: string,
  value: unknown,
  choices: readonly (string | number | boolean)[],
  options: CheckOptions = {},
): void {
  if (value === undefined && options.optional) return;
  if (choices.includes(value as string | number | boolean)) return;
  throw new RangeError(
    `${fn}: ${param} must be one of ${
      choices.map((c) => JSON.stringify(c)).join(", ")
    }; got ${describeValue(value)}.`,
  );
}

/**
 * Checks an array of strings.
 *
 * @throws {TypeError} When `value` is not an array of strings.
 */
export function checkStrings(
  fn: string,
  param: string,
  value: unknown,
  options: CheckOptions = {},
): void {
  if (value === undefined && options.optional) return;
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) {
    return;
  }
  throw new TypeError(
    `${fn}: ${param} must be an array of strings, e.g. ["face"]; got ${
      describeValue(value)
    }.`,
  );
}

/** Options for {@link checkFrame}. */
export interface CheckFrameOptions extends CheckOptions {
  /**
   * Columns the frame must have.
   *
   * @default {[]}
   */
  columns?: readonly string[];
}

/**
 * Checks a Polars DataFrame argument (by duck typing) and its columns.
 *
 * @throws {TypeError} When `value` is not a DataFrame or lacks a column.
 */
export function checkFrame(
  fn: string,
  param: string,
  value: unknown,
  options: CheckFrameOptions = {},
): void {
  if (value === undefined && options.optional) return;
  const columns = options.columns ?? [];
  const needs = columns.length
    ? ` with column${columns.length > 1 ? "s" : ""} ${columns.join(", ")}`
    : "";
  if (!isFrame(value)) {
    throw new TypeError(
      `${fn}: ${param} must be a Polars DataFrame${needs} (e.g. seg.metadata or a filter of it); got ${
        describeValue(value)
      }.`,
    );
  }
  const missing = columns.filter((c) =>
    !(value as { columns: string[] }).columns.includes(c)
  );
  if (missing.length) {
    throw new TypeError(
      `${fn}: ${param} has no ${missing.join(", ")} column (it has: ${
        (value as { columns: string[] }).columns.join(", ") || "none"
      }); pass seg.metadata or a filter of it.`,
    );
  }
}

/**
 * Checks a mask selection: a frame with a `mask_row` column or an array of
 * mask rows. An options-like object in its place gets a hint that options
 * go second.
 *
 * @throws {TypeError} When `value` is neither.
 */
export function checkSelection(
  fn: string,
  param: string,
  value: unknown,
  options: CheckOptions = {},
): void {
  if (value === undefined && options.optional) return;
  if (Array.isArray(value)) {
    const bad = value.find((v) => typeof v !== "number");
    if (bad === undefined) return;
    throw new TypeError(
      `${fn}: ${param} must be mask rows (numbers) or a metadata DataFrame; the array holds ${
        describeValue(bad)
      }.`,
    );
  }
  if (isFrame(value)) {
    checkFrame(fn, param, value, { columns: ["mask_row"] });
    return;
  }
  const hint = isPlainObject(value)
    ? ` Options go second: ${fn}(undefined, ${
      JSON.stringify(value).slice(0, 40)
    }).`
    : "";
  throw new TypeError(
    `${fn}: ${param} must be a metadata DataFrame (with a mask_row column) or an array of mask rows; got ${
      describeValue(value)
    }.${hint}`,
  );
}

/**
 * Checks an AbortSignal argument.
 *
 * @throws {TypeError} When `value` is not an AbortSignal.
 */
export function checkSignal(
  fn: string,
  param: string,
  value: unknown,
  options: CheckOptions = {},
): void {
  if (value === undefined && options.optional) return;
  if (value instanceof AbortSignal) return;
  throw new TypeError(
    `${fn}: ${param} must be an AbortSignal (e.g. AbortSignal.timeout(60_000)); got ${
      describeValue(value)
    }.`,
  );
}

/**
 * Checks a function argument (a callback).
 *
 * @throws {TypeError} When `value` is not a function.
 */
export function checkFunction(
  fn: string,
  param: string,
  value: unknown,
  options: CheckOptions = {},
): void {
  if (value === undefined && options.optional) return;
  if (typeof value === "function") return;
  throw new TypeError(
    `${fn}: ${param} must be a function; got ${describeValue(value)}.`,
  );
}

/**
 * Checks an object argument has the given methods (duck typing), e.g. that
 * a reader was passed where one is expected.
 *
 * @throws {TypeError} When it lacks one.
 */
export function checkHas(
  fn: string,
  param: string,
  value: unknown,
  methods: readonly string[],
  what: string,
): void {
  const ok = value !== null && typeof value === "object" &&
    methods.every((m) =>
      typeof (value as Record<string, unknown>)[m] === "function"
    );
  if (!ok) {
    throw new TypeError(
      `${fn}: ${param} must be ${what}; got ${describeValue(value)}.`,
    );
  }
}
