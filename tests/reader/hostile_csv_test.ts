// Hostile metadata CSVs, each read by readMetadata and by pandas (the Python
// package's reader, the reference): what pandas reads, we read to the same
// values; what pandas refuses, or reads as something other than the value
// the column means, is an error naming the file, the line and the column.
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { csvField, splitCsvLine } from "../../lib/data/csv.ts";
import { readMetadata, Segmentations } from "../../mod.ts";
import { MetadataIndex } from "../../lib/reader/_metadata_index.ts";
import {
  copyOfH5pyFixture,
  H5PY_FIXTURE,
  PYTHON,
  tempDirAtExit,
} from "../_support/helpers.ts";

const CSV = "task-images_desc-segmentations_metadata.csv";
const PANDAS_SCRIPT = fileURLToPath(
  new URL("../fixtures/pandas_read_csv.py", import.meta.url),
);
const BASE = await Deno.readTextFile(join(H5PY_FIXTURE, "stimuli", CSV));
const HEADER = splitCsvLine(BASE.split("\n")[0]);

/** Whether Debian's Python imports pandas; under CI=true its absence fails. */
async function pandasAvailable(): Promise<boolean> {
  let ok = false;
  try {
    ({ success: ok } = await new Deno.Command(PYTHON, {
      args: ["-c", "import pandas"],
      stdout: "null",
      stderr: "null",
    }).output());
  } catch {
    ok = false;
  }
  if (!ok && Deno.env.get("CI") === "true") {
    throw new Error(`${PYTHON} with pandas is required under CI=true`);
  }
  if (!ok) console.warn(`skipped: ${PYTHON} has no pandas`);
  return ok;
}
const available = await pandasAvailable();

type Pandas =
  | { error: string; message: string }
  | {
    columns: string[];
    dtypes: Record<string, string>;
    values: Record<string, unknown[]>;
  };

/** Reads every file with pandas in one Python process. */
async function pandasRead(paths: string[]): Promise<Pandas[]> {
  const out = await new Deno.Command(PYTHON, {
    args: [PANDAS_SCRIPT, ...paths],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/** The base CSV with field `column` of `line` (1-based) replaced by raw text. */
function withCell(line: number, column: string, raw: string): string {
  const lines = BASE.split("\n");
  const fields = splitCsvLine(lines[line - 1]).map(csvField);
  fields[HEADER.indexOf(column)] = raw;
  lines[line - 1] = fields.join(",");
  return lines.join("\n");
}

/** The base CSV with the fields of `line` (1-based) edited. */
function withLine(line: number, edit: (fields: string[]) => string[]): string {
  const lines = BASE.split("\n");
  lines[line - 1] = edit(splitCsvLine(lines[line - 1]).map(csvField)).join(",");
  return lines.join("\n");
}

/** Our frame's values in the reference's terms (NaN missing, inf as text). */
function ours(path: string): Pandas {
  const df = readMetadata(path);
  const plain = (v: unknown) =>
    typeof v === "bigint"
      ? Number(v)
      : typeof v === "number" && !Number.isFinite(v)
      ? (Number.isNaN(v) ? null : v > 0 ? "inf" : "-inf")
      : v ?? null;
  return {
    columns: df.columns,
    dtypes: {},
    values: Object.fromEntries(
      df.columns.map((c) => [c, df.getColumn(c).toArray().map(plain)]),
    ),
  };
}

const latin1 = (text: string, at: string) => {
  const bytes = new TextEncoder().encode(text);
  const k = new TextEncoder().encode(text.slice(0, text.indexOf(at))).length;
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes.subarray(0, k));
  out[k] = 0xe9; // "é" in latin-1: not UTF-8 on its own
  out.set(bytes.subarray(k), k + 1);
  return out;
};

// A file with many quoted line breaks, commas and quotes, large enough for
// Polars to split it between threads.
const LONG = (() => {
  const rows = [BASE.split("\n")[0]];
  for (let r = 0; r < 30000; r++) {
    const noun = r % 7 === 0
      ? `"line ${r}\r\nbreak, ""quoted"""`
      : r % 11 === 0
      ? `"cr ${r}\ronly"`
      : `noun${r % 97}`;
    rows.push(
      `${r % 10},img_${r >> 4}.jpg,${noun},${r % 5},0.${r % 1000},1,2,3,4,${
        r % 2
      },img_${r >> 4}/${r}.png`,
    );
  }
  return rows.join("\r\n") + "\r\n";
})();

/** Read the same as pandas: equal columns and values. */
const SAME: [string, string | Uint8Array][] = [
  ["the fixture, LF", BASE],
  ["the fixture, CRLF", BASE.replaceAll("\n", "\r\n")],
  ["the fixture, lone \\r", BASE.replaceAll("\n", "\r")],
  ["\\r\\r\\n leaves blank lines", BASE.replaceAll("\n", "\r\r\n")],
  [
    "blank and blank-looking lines",
    BASE.replace("\n", "\n\n \t \n").replace("\n2,", "\n\r\n2,"),
  ],
  ["a byte-order mark", "\ufeff" + BASE],
  ["a quoted \\r\\n in a noun (LF file)", withCell(3, "noun", '"a\r\nb"')],
  [
    "a quoted \\r\\n in a noun (CRLF file)",
    withCell(3, "noun", '"a\r\nb"').replaceAll(/(?<!\r)\n/g, "\r\n"),
  ],
  ["a quoted lone \\r and \\n in a noun", withCell(3, "noun", '"a\rb\nc"')],
  ["text after a closing quote", withCell(3, "noun", '"x" y')],
  ["a quote inside a field", withCell(3, "noun", 'x"y')],
  ["a space before a quote", withCell(3, "noun", ' "z"')],
  ["mask_row with spaces and a sign", withCell(3, "mask_row", " +2 ")],
  ["mask_row with leading zeros", withCell(3, "mask_row", "002")],
  ["mask_row quoted", withCell(3, "mask_row", '"2"')],
  ["instance_id -0 and a tab", withCell(3, "instance_id", "\t-0")],
  ["score .5", withCell(3, "score", ".5")],
  ["score 5.", withCell(3, "score", "5.")],
  ["score +.5e+1", withCell(3, "score", "+.5e+1")],
  ["score 1e-400 (underflow to 0)", withCell(3, "score", "1e-400")],
  ["score with spaces", withCell(3, "score", " 0.5 ")],
  ["score inf", withCell(3, "score", "inf")],
  ["score -Infinity", withCell(3, "score", "-Infinity")],
  ["score NaN and an empty box", withCell(3, "score", "NaN")],
  ["score quoted empty", withCell(3, "score", '""')],
  ["localized empty", withCell(3, "localized", "")],
  ["mask_file empty", withCell(3, "mask_file", "")],
  ["mask_file quoted empty", withCell(3, "mask_file", '""')],
  [
    "mask_file of only blanks (text to pandas)",
    withCell(3, "mask_file", " \t "),
  ],
  ["a row short of fields", withLine(3, (f) => f.slice(0, 10))],
  [
    "an unnamed extra column",
    BASE.split("\n").map((l, i) =>
      l === "" ? l : i === 0 ? `${l},` : `${l},x${i}`
    )
      .join("\n"),
  ],
  ["30,000 rows with quoted \\r\\n, \\r, commas and quotes", LONG],
];

/** Refused, naming file and line (and column): pattern, and what pandas does. */
type Refused = readonly [
  string,
  string | Uint8Array,
  RegExp,
  (p: Pandas, cell: (c: string) => unknown) => boolean,
];
const REFUSED: Refused[] = [
  [
    "a latin-1 byte in a noun",
    latin1(BASE, "person,1,"),
    /line 3, byte \d+ \(0xE9\) is not UTF-8/,
    (p) => "error" in p && p.error === "UnicodeDecodeError",
  ],
  [
    "a latin-1 byte in the last column",
    latin1(BASE, "_1.png"),
    /line 3, byte \d+ \(0xE9\) is not UTF-8/,
    (p) => "error" in p && p.error === "UnicodeDecodeError",
  ],
  [
    "a latin-1 byte in a number",
    latin1(BASE, "62,14,1"),
    /line 3, byte \d+ \(0xE9\) is not UTF-8/,
    (p) => "error" in p && p.error === "UnicodeDecodeError",
  ],
  [
    "a latin-1 byte in the header",
    latin1(BASE, "oun,"),
    /line 1, byte 21 \(0xE9\) is not UTF-8/,
    (p) => "error" in p && p.error === "UnicodeDecodeError",
  ],
  ...["0x10", "0b1", "1e1", "7.0", "7.5", "1_0", "\u0663", "- 5"].map((v) =>
    [
      `mask_row ${JSON.stringify(v)}`,
      withCell(3, "mask_row", v),
      new RegExp(
        `line 3: mask_row ${
          JSON.stringify(v).replace(/[.+]/g, "\\$&")
        } is not an integer \\(column 1`,
      ),
      // pandas keeps it as text or makes the column float: never that integer
      (p: Pandas, cell: (c: string) => unknown) =>
        "error" in p || typeof cell("mask_row") !== "number" ||
        !/int/.test(p.dtypes.mask_row),
    ] as Refused
  ),
  [
    "mask_row past 64 bits",
    withCell(3, "mask_row", "9223372036854775808"),
    /line 3: mask_row "9223372036854775808" is too large/,
    (p) => !("error" in p) && p.dtypes.mask_row === "uint64",
  ],
  [
    "localized 300",
    withCell(3, "localized", "300"),
    /line 3: localized "300" must be 0 or 1 \(column 10\)/,
    // pandas reads 300, which the Python package then treats as not localized.
    (_p, cell) => cell("localized") === 300,
  ],
  [
    "localized -1",
    withCell(3, "localized", "-1"),
    /line 3: localized "-1" must be 0 or 1/,
    (_p, cell) => cell("localized") === -1,
  ],
  [
    "localized 1.0",
    withCell(3, "localized", "1.0"),
    /line 3: localized "1.0" is not an integer/,
    (p) => !("error" in p) && p.dtypes.localized === "float64",
  ],
  [
    "instance_id 3000000000",
    withCell(3, "instance_id", "3000000000"),
    /line 3: instance_id "3000000000" is outside the 32-bit range .*column 4/,
    (_p, cell) => cell("instance_id") === 3000000000,
  ],
  [
    "instance_id -2147483649",
    withCell(3, "instance_id", "-2147483649"),
    /line 3: instance_id "-2147483649" is outside the 32-bit range/,
    (_p, cell) => cell("instance_id") === -2147483649,
  ],
  ...["1e400", "1.8e308", "0x1p3", "  inf ", " NaN", "1d5"]
    .map((v) =>
      [
        `score ${JSON.stringify(v)}`,
        withCell(3, "score", v),
        new RegExp(
          `line 3: score ${
            JSON.stringify(v).replace(/[.+]/g, "\\$&")
          } is not a number \\(column 5`,
        ),
        // pandas keeps the column as text
        (p: Pandas) => !("error" in p) && p.dtypes.score === "object",
      ] as Refused
    ),
  [
    "score of only blanks",
    withCell(3, "score", "  "),
    /line 3: score " {2}" is not a number \(column 5/,
    // pandas keeps the column as text
    (p) => !("error" in p) && p.dtypes.score === "object",
  ],
  [
    "localized of only a tab",
    withCell(3, "localized", "\t"),
    /line 3: localized "\\t" is not an integer \(column 10/,
    (p) => !("error" in p) && p.dtypes.localized === "object",
  ],
  [
    "a header naming noun twice",
    BASE.replace("noun,instance_id", "noun,noun").replace(
      ",person,1,",
      ",person,person,",
    ),
    /the header names column "noun" twice \(columns 3 and 4\)/,
    (p) => !("error" in p) && p.columns.includes("noun.1"),
  ],
  [
    "a header name with spaces",
    BASE.replace(",noun,", ", noun ,"),
    /header column 3 is " noun ", with spaces around the name; it must be "noun"/,
    (p) => !("error" in p) && p.columns.includes(" noun "),
  ],
  [
    "a header name with a trailing space, CRLF",
    BASE.replace(",mask_file", ",mask_file ").replaceAll("\n", "\r\n"),
    /header column 11 is "mask_file "/,
    (p) => !("error" in p) && p.columns.includes("mask_file "),
  ],
  [
    "an unterminated quote",
    withCell(5, "noun", '"sky'),
    /line 5: a quoted field opens here and is never closed/,
    (p) => "error" in p && /EOF inside string/.test(p.message),
  ],
  [
    "an unterminated quote on the last line",
    BASE.trimEnd() + '\n5,a.jpg,"cat,0,0.5,1,2,3,4,1,f\n',
    /line 12: a quoted field opens here and is never closed/,
    (p) => "error" in p && /EOF inside string/.test(p.message),
  ],
  [
    "a NUL byte in a noun",
    withCell(3, "noun", "per\0son"),
    /line 3 holds a NUL byte/,
    // pandas cuts the noun short at the NUL
    (_p, cell) => cell("noun") === "per",
  ],
  [
    "more fields than the header",
    withCell(3, "mask_file", "a.png,extra"),
    /line 3 has 12 fields but the header has 11/,
    (p) => "error" in p,
  ],
];

Deno.test({
  name:
    "hostile CSVs read as pandas reads them, or refused naming file, line and column",
  ignore: !available,
  async fn() {
    const dir = await tempDirAtExit("seg-hostile-csv-");
    const write = async (k: number, content: string | Uint8Array) => {
      const path = join(dir, `case_${k}.csv`);
      if (typeof content === "string") await Deno.writeTextFile(path, content);
      else await Deno.writeFile(path, content);
      return path;
    };
    const cases = [...SAME.map((c) => c[1]), ...REFUSED.map((c) => c[1])];
    const paths = await Promise.all(cases.map((c, k) => write(k, c)));
    const reference = await pandasRead(paths);
    let same = 0, refused = 0;
    for (let k = 0; k < SAME.length; k++) {
      const [label] = SAME[k];
      const pandas = reference[k];
      assert.ok(
        !("error" in pandas),
        `${label}: pandas failed: ${JSON.stringify(pandas)}`,
      );
      const got = ours(paths[k]);
      assert.ok(!("error" in got));
      assert.deepEqual(got.columns, pandas.columns, label);
      for (const c of pandas.columns) {
        assert.deepEqual(
          got.values[c],
          pandas.values[c],
          `${label}: column ${c}`,
        );
      }
      same++;
    }
    for (let k = 0; k < REFUSED.length; k++) {
      const [label, , pattern, reference_] = REFUSED[k];
      const path = paths[SAME.length + k];
      const pandas = reference[SAME.length + k];
      const cell = (c: string) =>
        "error" in pandas ? undefined : pandas.values[c]?.[1];
      assert.ok(
        reference_(pandas, cell),
        `${label}: pandas did not do what this case says: ${
          JSON.stringify(pandas).slice(0, 300)
        }`,
      );
      assert.throws(() => readMetadata(path), (err: Error) => {
        assert.ok(err.message.includes(path), `${label}: ${err.message}`);
        assert.match(err.message, pattern, label);
        assert.match(err.message, /line \d+/, label);
        return true;
      }, label);
      refused++;
    }
    assert.equal(same, SAME.length);
    assert.equal(refused, REFUSED.length);
  },
});

Deno.test("the reader refuses what readMetadata refuses: out-of-range instance_id and localized, a mask_row outside the HDF5 file by line", async () => {
  const cases: [string, RegExp][] = [
    [withCell(3, "instance_id", "3000000000"), /line 3: instance_id/],
    [withCell(3, "localized", "300"), /line 3: localized "300" must be 0 or 1/],
    [
      withCell(3, "mask_row", "10").replace("\n", "\n\n"),
      /mask_row 10 on line 4 \(data row 2\) is outside/,
    ],
  ];
  for (const [text, pattern] of cases) {
    const dir = await copyOfH5pyFixture();
    const csv = join(dir, "stimuli", CSV);
    await Deno.writeTextFile(csv, text);
    await assert.rejects(
      () => Segmentations.open({ dataDir: dir }),
      (err: Error) => {
        assert.ok(err.message.includes(csv), err.message);
        assert.match(err.message, pattern);
        return true;
      },
    );
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a CRLF CSV takes the same fast read as LF: same frame and lookups, quoted \\r\\n kept", async () => {
  const dir = await copyOfH5pyFixture();
  try {
    const csv = join(dir, "stimuli", CSV);
    const edited = withCell(3, "noun", '"two\r\nlines"');
    await Deno.writeTextFile(csv, edited);
    using lf = await Segmentations.open({ dataDir: dir });
    await Deno.writeTextFile(csv, edited.replaceAll(/(?<!\r)\n/g, "\r\n"));
    using crlf = await Segmentations.open({ dataDir: dir });
    assert.deepEqual(crlf.metadata.toRecords(), lf.metadata.toRecords());
    const image = String(lf.metadata.getColumn("image_name").get(1));
    assert.ok(crlf.nouns(image).includes("two\r\nlines"));
    assert.equal(crlf.get(image, "two\r\nlines", 1).maskRow, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the open-time index (categorical codes, low words of Int64 arrays) answers as a plain index of the same frame", async () => {
  const dir = await tempDirAtExit("seg-index-");
  const path = join(dir, "long.csv");
  await Deno.writeTextFile(path, LONG);
  const frame = readMetadata(path);
  const index = new MetadataIndex(frame, 10, path, "masks.h5");
  const names = frame.getColumn("image_name").toArray() as string[];
  const byImage = new Map<string, number[]>();
  names.forEach((n, r) => {
    const rows = byImage.get(n);
    if (rows) rows.push(r);
    else byImage.set(n, [r]);
  });
  assert.deepEqual(index.imageNames(), [...byImage.keys()]);
  assert.equal(index.imageCount, byImage.size);
  for (const [name, rows] of byImage) {
    assert.deepEqual(index.rowsOf(name), rows);
  }
  assert.deepEqual(index.noun, frame.getColumn("noun").toArray());
  const numbers = (c: string) => frame.getColumn(c).toArray().map(Number);
  assert.deepEqual(Array.from(index.maskRow), numbers("mask_row"));
  assert.deepEqual(Array.from(index.instance), numbers("instance_id"));
  assert.deepEqual(Array.from(index.localized), numbers("localized"));
  for (const r of [0, 7, 12345, frame.height - 1]) {
    assert.equal(index.info(r).imageName, names[r]);
    assert.equal(index.info(r).noun, frame.getColumn("noun").get(r));
  }
  assert.equal(index.csvRowOfMask(3), numbers("mask_row").indexOf(3));
});
