/**
 * Reading the segmentation metadata CSV into a Polars DataFrame with the
 * dtypes the columns mean (strings stay strings even when they look numeric).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { pl } from "../deps.ts";
import { checkString } from "../base/args.ts";
import { parseCsv, splitCsvLine } from "../data/csv.ts";
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
 * `na_values`); text columns keep such words as text (a noun may be "NA").
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

/**
 * Reads a segmentation metadata CSV the way pandas reads it: `\n`, `\r\n`
 * and lone `\r` line ends, blank lines skipped, quoted fields with commas;
 * numeric columns take pandas' missing-value words (`NaN`, `NA`, empty, ...)
 * as missing (null), so `score > 0.5` does not count them; text columns keep
 * every value as text; columns beyond the known ones are read as text.
 *
 * @throws {Deno.errors.NotFound} When the file does not exist.
 * @throws {Deno.errors.PermissionDenied} When it cannot be read.
 * @throws {Error} When a required column is missing, a row has more fields
 *   than the header, a number does not parse, or `mask_row`, `image_name`,
 *   `noun` or `instance_id` is empty; the message names the file and line.
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
 */
export function readMetadata(path: string): pl.DataFrame {
  checkString("readMetadata", "path", path);
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(path);
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
  const header = headerOf(bytes, path);
  const missing = METADATA_COLUMNS.filter((c) => !header.includes(c));
  if (missing.length > 0) {
    throw new Error(
      `${path} lacks required column(s) ${missing.join(", ")} (it has: ${
        header.join(", ") || "no header"
      }); ` +
        `is this task-images_desc-segmentations_metadata.csv? Download it again.`,
    );
  }
  // Polars parses fast (natively); what it reads differently from pandas is
  // checked after, and anything doubtful is read again by the strict reader
  // below, whose errors name the line.
  const fast = readWithPolars(bytes, header);
  return fast ?? readStrict(bytes, path);
}

/**
 * The metadata through Polars (native, typed), or `null` when the file
 * needs the strict reader: a row with more fields than the header (Polars
 * would drop them silently), a blank line, an empty required value, a
 * missing-value word or `NaN` in a number column (pandas reads those as
 * missing), or anything Polars cannot parse. Well-formed files, the real
 * one included, never leave this path.
 */
export function readWithPolars(
  bytes: Uint8Array,
  header: string[],
): pl.DataFrame | null {
  if (new Set(header).size !== header.length) return null;
  // Polars knows "\n" and "\r\n" only; pandas also ends a line at a lone
  // "\r" and skips the blank lines "\r\r\n" leaves: the strict reader.
  if (bytes.includes(0x0d)) return null;
  let df: pl.DataFrame;
  try {
    df = pl.readCSV(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length), {
      hasHeader: true,
      quoteChar: '"',
      // More fields than the header is an error (Polars drops them otherwise).
      truncateRaggedLines: false,
      dtypes: Object.fromEntries(
        header.map((
          h,
        ) => [
          h,
          (METADATA_DTYPES as Record<string, pl.DataType>)[h] ?? pl.Utf8,
        ]),
      ),
    });
  } catch {
    return null;
  }
  for (const h of METADATA_COLUMNS) {
    const col = df.getColumn(h);
    // A blank line reads as a row of nulls; an empty or "NA" required value
    // as a null (or a parse error, above).
    if (REQUIRED_VALUES.has(h) && col.nullCount() > 0) return null;
    // NaN (pandas: missing) or infinity: the strict reader decides.
    if (
      METADATA_DTYPES[h] === pl.Float64 &&
      !Number.isFinite(Number(col.sum() ?? 0))
    ) return null;
  }
  return df;
}

/**
 * The metadata through the strict reader (JavaScript, line by line): slower
 * than Polars, but every error names its line.
 */
function readStrict(bytes: Uint8Array, path: string): pl.DataFrame {
  const records = parseCsv(new TextDecoder().decode(bytes));
  if (records.length === 0) {
    throw new Error(`${path} is empty; download it again.`);
  }
  const header = records[0].fields.map((h) => h.trim());
  const missing = METADATA_COLUMNS.filter((c) => !header.includes(c));
  if (missing.length > 0) {
    throw new Error(
      `${path} lacks required column(s) ${missing.join(", ")} (it has: ${
        header.join(", ") || "no header"
      }); ` +
        `is this task-images_desc-segmentations_metadata.csv? Download it again.`,
    );
  }
  const rows = records.length - 1;
  const dtypes = header.map((h) =>
    (METADATA_DTYPES as Record<string, pl.DataType>)[h] ?? pl.Utf8
  );
  const kinds = dtypes.map((d) =>
    d === pl.Int64 ? "int" : d === pl.Float64 ? "float" : "text"
  );
  // Numbers go into typed arrays (NaN marks a missing value): Polars takes
  // those far faster than arrays of JS values.
  const columns = kinds.map((k) =>
    k === "text" ? new Array<string>(rows) : new Float64Array(rows)
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
      const raw = fields[c] ?? "";
      if (kinds[c] === "text") {
        if (raw === "" && REQUIRED_VALUES.has(header[c])) {
          throw new Error(
            `${path}: line ${line} has an empty ${
              header[c]
            }; every mask needs one: download the CSV again.`,
          );
        }
        (columns[c] as string[])[r] = raw;
        continue;
      }
      const text = raw.trim();
      if (MISSING.has(text)) {
        if (REQUIRED_VALUES.has(header[c])) {
          throw new Error(
            `${path}: line ${line} has no ${header[c]} (${
              JSON.stringify(raw)
            }); every mask needs one: download the CSV again.`,
          );
        }
        (columns[c] as Float64Array)[r] = NaN;
        nulls[c]++;
        continue;
      }
      const v = Number(text);
      const ok = kinds[c] === "int"
        ? Number.isSafeInteger(v)
        : !Number.isNaN(v) || /^[+-]?(inf|infinity)$/i.test(text);
      if (!ok) {
        throw new Error(
          `${path}: line ${line}: ${header[c]} ${JSON.stringify(raw)} is not ${
            kinds[c] === "int" ? "an integer" : "a number"
          }; download the CSV again.`,
        );
      }
      (columns[c] as Float64Array)[r] = Number.isNaN(v)
        ? (text.startsWith("-") ? -Infinity : Infinity)
        : v;
    }
  }
  return pl.DataFrame(header.map((h, c) => {
    const col = columns[c];
    if (kinds[c] === "text") return pl.Series(h, col as string[]);
    const values = col as Float64Array;
    if (nulls[c] === 0) {
      if (kinds[c] === "float") return pl.Series(h, values);
      if (values.every((v) => v === (v | 0))) {
        return pl.Series(h, Int32Array.from(values)).cast(pl.Int64);
      }
    }
    const list = Array.from(values, (v) => (Number.isNaN(v) ? null : v));
    return pl.Series(h, list, dtypes[c]);
  }));
}

/** Column names of the CSV's first line (quotes removed, BOM dropped). */
function headerOf(bytes: Uint8Array, path: string): string[] {
  let end = bytes.findIndex((b) => b === 0x0a || b === 0x0d);
  if (end < 0) end = bytes.length;
  const line = new TextDecoder().decode(bytes.subarray(0, end)).replace(
    /^\uFEFF/,
    "",
  );
  if (line.trim() === "") {
    throw new Error(`${path} is empty; download it again.`);
  }
  return splitCsvLine(line).map((h) => h.trim());
}
