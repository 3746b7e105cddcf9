/**
 * Reading the segmentation metadata CSV into a Polars DataFrame with the
 * dtypes the columns mean (strings stay strings even when they look numeric).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { pl } from "../deps.ts";
import { checkString } from "../base/args.ts";
import { splitCsvLine } from "../data/csv.ts";
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
 * Reads a segmentation metadata CSV.
 *
 * The file is read as bytes first, so any path works (Polars takes a string
 * as a path only when it ends in `.csv`) and a missing file is reported by name.
 *
 * @throws {Deno.errors.NotFound} When the file does not exist.
 * @throws {Error} When a required column is missing or the CSV cannot be parsed; the message names the file.
 *
 * @example Read a tiny CSV
 * ```ts
 * import { readMetadata } from "./metadata.ts";
 * const path = await Deno.makeTempFile({ suffix: ".csv" });
 * await Deno.writeTextFile(path,
 *   "mask_row,image_name,noun,instance_id,score,box_x0,box_y0,box_x1,box_y1,localized,mask_file\n" +
 *   "0,a.jpg,7,0,0.9,1,2,3,4,1,a/7_0.png\n");
 * const df = readMetadata(path);
 * console.log(df.getColumn("noun").dtype.toString()); // String
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
    throw err;
  }
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
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
  try {
    return pl.readCSV(buffer, {
      dtypes: METADATA_DTYPES,
      hasHeader: true,
      quoteChar: '"',
    });
  } catch (err) {
    throw new Error(`Cannot parse ${path} as CSV: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** Column names of the CSV's first line (quotes removed), read without Polars' type inference. */
function headerOf(bytes: Uint8Array, path: string): string[] {
  let end = bytes.indexOf(0x0a);
  if (end < 0) end = bytes.length;
  const line = new TextDecoder().decode(bytes.subarray(0, end)).replace(
    /\r$/,
    "",
  ).replace(/^\uFEFF/, "");
  if (line.trim() === "") {
    throw new Error(`${path} is empty; download it again.`);
  }
  return splitCsvLine(line);
}
