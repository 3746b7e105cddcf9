// The argument-check helpers: each message is one line naming the function,
// the parameter, what it got and what is accepted.
import assert from "node:assert/strict";
import {
  checkBoolean,
  checkFrame,
  checkFunction,
  checkNumber,
  checkOneOf,
  checkOptions,
  checkSelection,
  checkSignal,
  checkString,
  checkStrings,
  closest,
  type OptionSpec,
} from "../../lib/base/args.ts";
import { describeValue } from "../../lib/base/suggest.ts";
import { pl } from "../../lib/deps.ts";

const SPEC: OptionSpec = {
  minScore: "number",
  localizedOnly: "boolean",
  nouns: "strings",
  cellSize: "integer",
  signal: "signal",
  onProgress: "function",
  by: ["masks", "images"],
};

const frame = pl.DataFrame({ mask_row: [0, 1], noun: ["a", "b"] });
const noMaskRow = pl.DataFrame({ noun: ["a"], image_name: ["x"] });

/** [what, call, error class, message pattern] */
const CASES: [string, () => void, ErrorConstructor, RegExp][] = [
  [
    "typo in option",
    () => checkOptions("f", { minscore: 1 }, SPEC),
    TypeError,
    /^f: unknown option "minscore" in options; did you mean "minScore"\? \(accepted: minScore, /,
  ],
  [
    "far-off option",
    () => checkOptions("f", { zzzzzz: 1 }, SPEC),
    TypeError,
    /^f: unknown option "zzzzzz" in options; \(accepted: /,
  ],
  [
    "options a string",
    () => checkOptions("f", "abc", SPEC),
    TypeError,
    /^f: options must be an object such as \{ minScore: \.\.\. \}; got the string "abc"/,
  ],
  [
    "options an array",
    () => checkOptions("f", [1], SPEC),
    TypeError,
    /got an array of 1 item/,
  ],
  [
    "options a frame",
    () => checkOptions("f", frame, SPEC),
    TypeError,
    /got a DataFrame \(\d+ rows x 2 columns\)/,
  ],
  [
    "option of the wrong type",
    () => checkOptions("f", { minScore: "0.5" }, SPEC),
    TypeError,
    /^f: options\.minScore must be a finite number; got the string "0\.5"\.$/,
  ],
  [
    "option NaN",
    () => checkOptions("f", { minScore: NaN }, SPEC),
    RangeError,
    /^f: options\.minScore must be a finite number; got NaN\.$/,
  ],
  [
    "option not an integer",
    () => checkOptions("f", { cellSize: 1.5 }, SPEC),
    RangeError,
    /options\.cellSize must be an integer; got 1\.5/,
  ],
  [
    "option a bare string for strings",
    () => checkOptions("f", { nouns: "face" }, SPEC),
    TypeError,
    /options\.nouns must be an array of strings, e\.g\. \["face"\]; got the string "face"/,
  ],
  [
    "option not a boolean",
    () => checkOptions("f", { localizedOnly: 1 }, SPEC),
    TypeError,
    /options\.localizedOnly must be true or false; got the number 1/,
  ],
  [
    "option not a signal",
    () => checkOptions("f", { signal: 5000 }, SPEC),
    TypeError,
    /options\.signal must be an AbortSignal .*; got the number 5000/,
  ],
  [
    "option not a function",
    () => checkOptions("f", { onProgress: true }, SPEC),
    TypeError,
    /options\.onProgress must be a function; got the boolean true/,
  ],
  [
    "option not a choice",
    () => checkOptions("f", { by: "nouns" }, SPEC),
    RangeError,
    /options\.by must be one of "masks", "images"; got the string "nouns"/,
  ],
  [
    "string",
    () => checkString("g", "imageName", 3),
    TypeError,
    /^g: imageName must be a string; got the number 3\.$/,
  ],
  [
    "string undefined",
    () => checkString("g", "imageName", undefined),
    TypeError,
    /got undefined/,
  ],
  [
    "number",
    () => checkNumber("g", "n", "1"),
    TypeError,
    /^g: n must be a finite number; got the string "1"\.$/,
  ],
  [
    "number infinite",
    () => checkNumber("g", "n", Infinity),
    RangeError,
    /got Infinity/,
  ],
  [
    "integer bounds",
    () => checkNumber("g", "n", -1, { integer: true, min: 0 }),
    RangeError,
    /^g: n must be an integer >= 0; got -1\.$/,
  ],
  [
    "number range",
    () => checkNumber("g", "n", 2, { min: 0, max: 1 }),
    RangeError,
    /n must be a finite number from 0 to 1; got 2/,
  ],
  [
    "boolean",
    () => checkBoolean("g", "b", "yes"),
    TypeError,
    /b must be true or false; got the string "yes"/,
  ],
  [
    "one of",
    () => checkOneOf("g", "reader", "fast", ["auto", "chunks"]),
    RangeError,
    /reader must be one of "auto", "chunks"; got the string "fast"/,
  ],
  [
    "strings",
    () => checkStrings("g", "anyOf", ["a", 1]),
    TypeError,
    /anyOf must be an array of strings/,
  ],
  [
    "frame",
    () => checkFrame("g", "frame", [1, 2]),
    TypeError,
    /^g: frame must be a Polars DataFrame \(e\.g\. seg\.metadata or a filter of it\); got an array of 2 items\.$/,
  ],
  [
    "frame lacking a column",
    () => checkFrame("g", "frame", noMaskRow, { columns: ["mask_row"] }),
    TypeError,
    /^g: frame has no mask_row column \(it has: noun, image_name\); pass seg\.metadata or a filter of it\.$/,
  ],
  [
    "selection: options in its place",
    () => checkSelection("seg.stats", "selection", { cache: false }),
    TypeError,
    /^seg\.stats: selection must be a metadata DataFrame \(with a mask_row column\) or an array of mask rows; got an object with keys \{cache\}\. Options go second: seg\.stats\(undefined, \{"cache":false\}\)\.$/,
  ],
  [
    "selection: frame without mask_row",
    () => checkSelection("seg.masks", "selection", noMaskRow),
    TypeError,
    /seg\.masks: selection has no mask_row column/,
  ],
  [
    "selection: strings",
    () => checkSelection("seg.masks", "selection", ["a"]),
    TypeError,
    /the array holds the string "a"/,
  ],
  [
    "signal",
    () => checkSignal("g", "signal", {}),
    TypeError,
    /got an empty object/,
  ],
  [
    "function",
    () => checkFunction("g", "onProgress", "log"),
    TypeError,
    /onProgress must be a function; got the string "log"/,
  ],
];

for (const [what, call, Err, pattern] of CASES) {
  Deno.test(`args: ${what}`, () => {
    assert.throws(call, (err: unknown) => {
      assert.ok(err instanceof Err, `${what}: ${err}`);
      const message = (err as Error).message;
      assert.match(message, pattern);
      assert.ok(!message.includes("\n"), "one line");
      return true;
    });
  });
}

Deno.test("args: what passes", () => {
  checkOptions("f", undefined, SPEC);
  checkOptions("f", {}, SPEC);
  checkOptions("f", {
    minScore: 0.5,
    nouns: ["a"],
    by: "masks",
    signal: AbortSignal.timeout(1000),
    onProgress: () => {},
    cellSize: 2,
    localizedOnly: false,
  }, SPEC);
  checkOptions("f", { minScore: undefined }, SPEC);
  checkOptions("f", Object.create(null), SPEC);
  checkString("g", "s", "");
  checkString("g", "s", undefined, { optional: true });
  checkNumber("g", "n", 0, { integer: true, min: 0 });
  checkFrame("g", "f", frame, { columns: ["mask_row"] });
  checkSelection("g", "s", frame);
  checkSelection("g", "s", [0, 1]);
  checkSelection("g", "s", undefined, { optional: true });
});

Deno.test("args: describe never dumps a long value", () => {
  const n = 10_000;
  const big = pl.DataFrame(
    Object.fromEntries(
      ["a", "b", "c", "d", "e"].map((c) => [c, new Float64Array(n)]),
    ),
  );
  assert.equal(describeValue(big), "a DataFrame (10000 rows x 5 columns)");
  assert.equal(describeValue("x".repeat(1000)).length < 100, true);
  assert.equal(describeValue(new Map()), "a Map");
  assert.equal(describeValue(() => 1), "a function");
  assert.equal(describeValue(null), "null");
  assert.equal(describeValue(Symbol("s")), "a symbol");
});

Deno.test("args: closest names a likely typo only", () => {
  assert.equal(closest("minscore", ["minScore", "nouns"]), "minScore");
  assert.equal(closest("localised", ["localizedOnly", "labels"]), undefined);
  assert.equal(closest("localizedonly", ["localizedOnly"]), "localizedOnly");
  assert.equal(closest("box", ["boxes", "axes"]), "boxes");
  assert.equal(closest("qqqq", ["boxes"]), undefined);
});
