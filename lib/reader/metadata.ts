/**
 * Reading the segmentation metadata CSV into a Polars DataFrame with the
 * dtypes the columns mean (strings stay strings even when they look numeric).
 *
 * @module
 */

import { Buffer, isUtf8 } from "node:buffer";
import { pl } from "../deps.ts";
import { checkString } from "../base/args.ts";
import { csvLineAt, decodeCsvBytes, parseCsv } from "../data/csv.ts";
import { METADATA_COLUMNS } from "../data/paths.ts";

/** The dtype each known column is read with. */
export const METADATA_DTYPES: Record<
  (typeof METADATA_COLUMNS)[number],
  pl.DataType
> = {
  mask_row: pl.Int64,
  image_name: pl.Utf8,
  noun: pl.Utf8,
  instance_id: pl.Int64,
  score: pl.Float64,
  box_x0: pl.Float64,
  box_y0: pl.Float64,
  box_x1: pl.Float64,
  box_y1: pl.Float64,
  localized: pl.Int64,
  mask_file: pl.Utf8,
};

/**
 * What pandas' `read_csv` reads as a missing number (its default
 * `na_values`, matched exactly: `" NaN"` is not one); text columns keep such
 * words as text (a noun may be "NA").
 */
const MISSING = new Set([
  "",
  "#N/A",
  "#N/A N/A",
  "#NA",
  "-1.#IND",
  "-1.#QNAN",
  "-NaN",
  "-nan",
  "1.#IND",
  "1.#QNAN",
  "<NA>",
  "N/A",
  "NA",
  "NULL",
  "NaN",
  "None",
  "n/a",
  "nan",
  "null",
]);

/** Columns that must be present in every row. */
const REQUIRED_VALUES = new Set([
  "mask_row",
  "image_name",
  "noun",
  "instance_id",
]);

/** What pandas reads as an integer: decimal digits, a sign, blanks around. */
const INTEGER = /^[ \t]*[+-]?\d+[ \t]*$/;
/** What pandas reads as a float (besides `inf`/`infinity`, below). */
const FLOAT = /^[ \t]*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[ \t]*$/;
const INFINITY = /^[+-]?inf(?:inity)?$/i;

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/**
 * Reads a segmentation metadata CSV the way pandas reads it: `\n`, `\r\n`
 * and lone `\r` line ends, blank lines skipped, quoted fields with commas
 * and line breaks (kept as written); numeric columns take pandas'
 * missing-value words (`NaN`, `NA`, empty, ...) as missing (null), so
 * `score > 0.5` does not count them; text columns keep every value as text
 * (an empty `mask_file` or extra field is missing, as in pandas); columns
 * beyond the known ones are read as text.
 *
 * Whatever pandas would not read as the value it means is an error rather
 * than a guess: bytes that are not UTF-8, an integer column holding `0x10`,
 * `7.0` or `1e1`, a number pandas would keep as text (`1e400`), an
 * `instance_id` outside 32 bits, a `localized` other than 0 or 1, a quote
 * never closed, a duplicate column name or a known name with spaces.
 *
 * @throws {Deno.errors.NotFound} When the file does not exist.
 * @throws {Deno.errors.PermissionDenied} When it cannot be read.
 * @throws {TypeError} When the file is not UTF-8 (names line and byte).
 * @throws {SyntaxError} When a quote is never closed (names its line).
 * @throws {Error} When a required column is missing or a header name is
 *   duplicated or padded with spaces, a row has more fields than the header,
 *   a number does not parse or is out of range, or `mask_row`, `image_name`,
 *   `noun` or `instance_id` is empty; the message names the file, line and
 *   column.
 *
 * @example Read a tiny CSV
 * ```ts
 * import { readMetadata } from "./metadata.ts";
 * const path = await Deno.makeTempFile({ suffix: ".csv" });
 * await Deno.writeTextFile(path,
 *   "mask_row,image_name,noun,instance_id,score,box_x0,box_y0,box_x1,box_y1,localized,mask_file\r\n" +
 *   "0,a.jpg,NA,0,NaN,1,2,3,4,1,a/7_0.png\r\n");
 * const df = readMetadata(path);
 * console.log(df.getColumn("noun").toArray()); // ["NA"]
 * console.log(df.getColumn("score").nullCount()); // 1
 * await Deno.remove(path);
 * ```
 *
 * @example What pandas would not read as an integer is an error
 * ```ts
 * import { readMetadata } from "./metadata.ts";
 * const path = await Deno.makeTempFile({ suffix: ".csv" });
 * await Deno.writeTextFile(path,
 *   "mask_row,image_name,noun,instance_id,score,box_x0,box_y0,box_x1,box_y1,localized,mask_file\n" +
 *   "0x10,a.jpg,cat,0,0.5,1,2,3,4,1,a/cat_0.png\n");
 * try {
 *   readMetadata(path);
 * } catch (err) {
 *   console.log((err as Error).message.includes("line 2: mask_row \"0x10\" is not an integer")); // true
 * }
 * await Deno.remove(path);
 * ```
 */
export function readMetadata(path: string): pl.DataFrame {
  checkString("readMetadata", "path", path);
  const bytes = readBytes(path);
  const header = headerOf(bytes, path);
  checkHeader(pandasNames(header), path);
  // Polars parses fast (natively); what it may read differently from pandas
  // is checked after, and anything doubtful is read again by the strict
  // reader below, whose errors name the line and column.
  const fast = readWithPolars(bytes, header);
  return fast ?? readStrict(bytes, path);
}

function readBytes(path: string): Uint8Array {
  try {
    return Deno.readFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new Deno.errors.NotFound(`Metadata CSV not found: ${path}`, {
        cause: err,
      });
    }
    if (
      err instanceof Deno.errors.PermissionDenied ||
      err instanceof Deno.errors.NotCapable
    ) {
      throw new Deno.errors.PermissionDenied(
        `Metadata CSV ${path}: permission denied; make it readable (chmod +r) and try again`,
        { cause: err },
      );
    }
    if (err instanceof Deno.errors.IsADirectory) {
      throw new Error(
        `Metadata CSV ${path} is a directory, not a file; put the CSV there`,
        { cause: err },
      );
    }
    throw err;
  }
}

/**
 * The metadata through Polars (native, typed), or `null` when the file
 * needs the strict reader: a lone `\r` (pandas ends a line there, Polars
 * does not), a NUL byte, a field of only blanks, bytes that are not UTF-8,
 * a blank line, a row with more fields than the header (Polars would drop
 * them silently), an empty required value, a missing-value word, `NaN` or
 * infinity in a number column, an `instance_id` outside 32 bits, a
 * `localized` other than 0 or 1, or anything Polars cannot parse. Each
 * check is one native pass or a column's kept count, sum or extreme;
 * well-formed files, CRLF ones and the real one included, never leave this
 * path.
 */
export function readWithPolars(
  bytes: Uint8Array,
  header: string[],
): pl.DataFrame | null {
  if (
    new Set(header).size !== header.length || header.includes("") ||
    METADATA_COLUMNS.some((c) => !header.includes(c))
  ) return null;
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const bytesSeen = scanBytes(bytes, buffer);
  // Polars ends lines at "\n" (a "\r" before it is dropped); pandas also at
  // a lone "\r": those files go to the strict reader, as do NUL bytes.
  if (bytesSeen.loneCr || bytesSeen.nul) return null;
  // A field of only blanks: Polars reads it as a missing number, pandas as
  // text (so it is an error): the strict reader decides.
  if (bytesSeen.blankField) return null;
  // Bytes that are not UTF-8 (Polars would refuse them too; this is cheaper).
  if (!isUtf8(bytes)) return null;
  let df: pl.DataFrame;
  try {
    df = pl.readCSV(buffer, {
      hasHeader: true,
      quoteChar: '"',
      // More fields than the header is an error (Polars drops them otherwise).
      truncateRaggedLines: false,
      dtypes: Object.fromEntries(header.map((h) => [h, dtypeOf(h)])),
    });
  } catch {
    return null;
  }
  // Counts, sums and extremes are kept with each column: these checks cost
  // little next to the parse.
  for (const h of METADATA_COLUMNS) {
    const col = df.getColumn(h);
    // A blank line reads as a row of nulls; an empty required value as a
    // null (a quoted empty one as "", checked below).
    if (REQUIRED_VALUES.has(h) && col.nullCount() > 0) return null;
    // NaN (pandas: missing), infinity or an overflow: the strict reader.
    if (
      METADATA_DTYPES[h] === pl.Float64 &&
      !Number.isFinite(Number(col.sum() ?? 0))
    ) return null;
  }
  const range = (h: string, lo: number, hi: number) => {
    const col = df.getColumn(h);
    return col.nullCount() === col.length ||
      (Number(col.min()) >= lo && Number(col.max()) <= hi);
  };
  if (!range("instance_id", INT32_MIN, INT32_MAX)) return null;
  if (!range("localized", 0, 1)) return null;
  // Empty text: an error in a required column, missing in the others (as
  // in pandas); Polars reads a quoted "" as "", which needs "" in the file.
  const text = bytesSeen.emptyQuotes
    ? header.filter((h) => dtypeOf(h) === pl.Utf8)
    : [];
  const empty = text.length === 0 ? [] : df.select(
    ...text.map((h, k) =>
      pl.col(h).eq(pl.lit("")).sum().cast(pl.Float64).alias(`e${k}`)
    ),
  ).row(0).map(Number);
  const emptyText: string[] = [];
  for (let k = 0; k < text.length; k++) {
    if (empty[k] === 0) continue;
    if (REQUIRED_VALUES.has(text[k])) return null;
    emptyText.push(text[k]);
  }
  if (emptyText.length > 0) {
    df = df.withColumns(
      ...emptyText.map((h) =>
        pl.when(pl.col(h).eq(pl.lit(""))).then(pl.lit(null).cast(pl.Utf8))
          .otherwise(pl.col(h)).alias(h)
      ),
    );
  }
  return df;
}

/** Bytes per window of {@link scanBytes}. */
const WINDOW = 1 << 20;

/**
 * Whether the file holds a lone `\r`, a NUL byte, `""` or a field of only
 * spaces and tabs after a comma (also inside quotes: then the strict reader
 * reads the file, to the same values), found by native
 * `indexOf` over one-byte string views of 1 MiB windows (a loop over the
 * bytes costs more; one view of a large file would double its memory).
 */
function scanBytes(
  bytes: Uint8Array,
  buffer: Buffer,
): {
  loneCr: boolean;
  nul: boolean;
  emptyQuotes: boolean;
  blankField: boolean;
} {
  let loneCr = false, nul = false, emptyQuotes = false, blankField = false;
  for (let start = 0; start < bytes.length; start += WINDOW) {
    // One byte of overlap, so that a pair across windows is seen.
    const chars = buffer.toString(
      "latin1",
      start,
      Math.min(bytes.length, start + WINDOW + 1),
    );
    for (
      let at = chars.indexOf("\r");
      at >= 0;
      at = chars.indexOf("\r", at + 1)
    ) {
      if (bytes[start + at + 1] !== 10) loneCr = true;
    }
    nul ||= chars.includes("\0");
    emptyQuotes ||= chars.includes('""');
    for (const after of [", ", ",\t"]) {
      for (
        let at = chars.indexOf(after);
        at >= 0 && !blankField;
        at = chars.indexOf(after, at + 1)
      ) {
        let k = start + at + 1;
        while (bytes[k] === 32 || bytes[k] === 9) k++;
        const next = bytes[k];
        if (next === undefined || next === 44 || next === 10 || next === 13) {
          blankField = true;
        }
      }
    }
  }
  return { loneCr, nul, emptyQuotes, blankField };
}

function dtypeOf(column: string): pl.DataType {
  return (METADATA_DTYPES as Record<string, pl.DataType>)[column] ?? pl.Utf8;
}

/**
 * The metadata through the strict reader (JavaScript, pandas' tokenizer
 * rules): slower than Polars, but every error names its line and column.
 */
function readStrict(bytes: Uint8Array, path: string): pl.DataFrame {
  const text = decodeCsvBytes(bytes, { name: path });
  const nul = text.indexOf("\0");
  if (nul >= 0) {
    // pandas cuts the field short there: a value read wrong.
    throw new Error(
      `${path}: line ${
        csvLineAt(text, nul)
      } holds a NUL byte (0x00); the file is damaged: download it again.`,
    );
  }
  const records = parseCsv(text, { name: path });
  if (records.length === 0) {
    throw new Error(`${path} is empty; download it again.`);
  }
  const header = pandasNames(records[0].fields);
  checkHeader(header, path);
  const rows = records.length - 1;
  const kinds = header.map((h) => {
    const d = dtypeOf(h);
    return d === pl.Int64 ? "int" : d === pl.Float64 ? "float" : "text";
  });
  // Numbers go into typed arrays (NaN marks a missing value): Polars takes
  // those far faster than arrays of JS values.
  const columns = kinds.map((k) =>
    k === "text" ? new Array<string | null>(rows) : new Float64Array(rows)
  );
  const nulls = kinds.map(() => 0);
  for (let r = 0; r < rows; r++) {
    const { line, fields } = records[r + 1];
    if (fields.length > header.length) {
      throw new Error(
        `${path}: line ${line} has ${fields.length} fields but the header has ${header.length}; ` +
          `the CSV is malformed (an unquoted comma?): download it again.`,
      );
    }
    for (let c = 0; c < header.length; c++) {
      const name = header[c];
      const raw = fields[c] ?? "";
      if (kinds[c] === "text") {
        if (raw === "") {
          if (REQUIRED_VALUES.has(name)) {
            throw new Error(
              `${path}: line ${line} has an empty ${name}; every mask needs one: download the CSV again.`,
            );
          }
          nulls[c]++;
        }
        (columns[c] as (string | null)[])[r] = raw === "" ? null : raw;
        continue;
      }
      if (MISSING.has(raw)) {
        if (REQUIRED_VALUES.has(name)) {
          throw new Error(
            `${path}: line ${line} has no ${name} (${
              JSON.stringify(raw)
            }); every mask needs one: download the CSV again.`,
          );
        }
        (columns[c] as Float64Array)[r] = NaN;
        nulls[c]++;
        continue;
      }
      (columns[c] as Float64Array)[r] = kinds[c] === "int"
        ? integerOf(raw, name, path, line, c)
        : floatOf(raw, name, path, line, c);
    }
  }
  return pl.DataFrame(header.map((h, c) => {
    const col = columns[c];
    if (kinds[c] === "text") return pl.Series(h, col as string[], pl.Utf8);
    const values = col as Float64Array;
    if (nulls[c] === 0) {
      if (kinds[c] === "float") return pl.Series(h, values);
      if (values.every((v) => v === (v | 0))) {
        return pl.Series(h, Int32Array.from(values)).cast(pl.Int64);
      }
    }
    const list = Array.from(values, (v) => (Number.isNaN(v) ? null : v));
    return pl.Series(h, list, dtypeOf(h));
  }));
}

/** An integer field as pandas reads one, with the column's range checked. */
function integerOf(
  raw: string,
  name: string,
  path: string,
  line: number,
  c: number,
): number {
  const where = `${path}: line ${line}: ${name} ${JSON.stringify(raw)}`;
  if (!INTEGER.test(raw)) {
    throw new Error(
      `${where} is not an integer (column ${
        c + 1
      }; pandas would not read it as one: ` +
        `no hex, decimals or exponents); write it in decimal digits or download the CSV again.`,
    );
  }
  const v = Number(raw.trim());
  if (name === "instance_id" && (v < INT32_MIN || v > INT32_MAX)) {
    throw new Error(
      `${where} is outside the 32-bit range instance ids are kept in (column ${
        c + 1
      }); download the CSV again.`,
    );
  }
  if (name === "localized" && v !== 0 && v !== 1) {
    throw new Error(
      `${where} must be 0 or 1 (column ${c + 1}); download the CSV again.`,
    );
  }
  if (!Number.isSafeInteger(v)) {
    throw new Error(
      `${where} is too large to be a row or count (column ${
        c + 1
      }); download the CSV again.`,
    );
  }
  return v;
}

/** A float field as pandas reads one (an overflow is text to pandas: an error). */
function floatOf(
  raw: string,
  name: string,
  path: string,
  line: number,
  c: number,
): number {
  if (INFINITY.test(raw)) return raw.startsWith("-") ? -Infinity : Infinity;
  const v = FLOAT.test(raw) ? Number(raw.trim()) : NaN;
  if (!Number.isFinite(v)) {
    throw new Error(
      `${path}: line ${line}: ${name} ${
        JSON.stringify(raw)
      } is not a number (column ${
        c + 1
      }; pandas would read it as text); download the CSV again.`,
    );
  }
  return v;
}

/** Column names as pandas gives them: an empty one is `Unnamed: <index>`. */
function pandasNames(fields: string[]): string[] {
  return fields.map((h, i) => (h === "" ? `Unnamed: ${i}` : h));
}

/**
 * Refuses a header pandas would read into other columns than ours: a name
 * twice (pandas renames the second `name.1`), a known name with spaces
 * around it (pandas keeps them, so the column is not found), or a missing
 * required column.
 */
function checkHeader(header: string[], path: string): void {
  const first = new Map<string, number>();
  for (let i = 0; i < header.length; i++) {
    const h = header[i];
    const seen = first.get(h);
    if (seen !== undefined) {
      throw new Error(
        `${path}: line 1: the header names column ${
          JSON.stringify(h)
        } twice (columns ${seen + 1} and ${
          i + 1
        }); which one is meant is unclear: rename or remove one, or download the CSV again.`,
      );
    }
    first.set(h, i);
    const bare = h.trim();
    if (bare !== h && (METADATA_COLUMNS as readonly string[]).includes(bare)) {
      throw new Error(
        `${path}: line 1: header column ${i + 1} is ${
          JSON.stringify(h)
        }, with spaces around the name; it must be ${
          JSON.stringify(bare)
        }: remove the spaces or download the CSV again.`,
      );
    }
  }
  const missing = METADATA_COLUMNS.filter((c) => !first.has(c));
  if (missing.length > 0) {
    throw new Error(
      `${path} lacks required column(s) ${missing.join(", ")} (it has: ${
        header.join(", ") || "no header"
      }); ` +
        `is this task-images_desc-segmentations_metadata.csv? Download it again.`,
    );
  }
}

/** Column names of the CSV's first record as written (quotes removed, BOM dropped). */
function headerOf(bytes: Uint8Array, path: string): string[] {
  let end = bytes.findIndex((b) => b === 0x0a || b === 0x0d);
  if (end < 0) end = bytes.length;
  const line = decodeCsvBytes(bytes.subarray(0, end), { name: path });
  if (line.trim() === "") {
    throw new Error(`${path} is empty; download it again.`);
  }
  // A quoted name that runs over a line end: the whole file's first record.
  const records = parseCsv(
    (line.split('"').length - 1) % 2 === 0
      ? line
      : decodeCsvBytes(bytes, { name: path }),
    { name: path },
  );
  return records[0].fields;
}
