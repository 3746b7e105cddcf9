// The in-memory index built once at open, so that lookups never copy a
// whole column again. Numeric columns come out of Polars as typed arrays
// (one native pass for all of them); image names and nouns come out as
// categorical codes plus each distinct value once, which spares creating a
// JS string per row; the columns only `get` needs (score, boxes) are read
// on first use.
import { pl } from "../deps.ts";
import { decodeCsvBytes, parseCsv } from "../data/csv.ts";
import type { MaskInfo } from "./mask.ts";

const EMPTY: readonly number[] = Object.freeze([]);

/** Column values as arrays, plus image -> CSV rows and mask row -> CSV row. */
export class MetadataIndex {
  readonly instance: Int32Array;
  readonly localized: Int8Array;
  readonly maskRow: Int32Array;
  readonly #frame: pl.DataFrame;
  readonly #imageCodes: Uint32Array | null;
  readonly #imageNames: string[];
  readonly #rowsByImage = new Map<string, number[]>();
  readonly #csvRowByMask: Int32Array;
  #noun: (string | null)[] | undefined;
  #details: { score: Float64Array; box: Float64Array[] } | undefined;

  constructor(
    frame: pl.DataFrame,
    maskCount: number,
    csvPath: string,
    h5Path: string,
  ) {
    this.#frame = frame;
    const mask = pl.col("mask_row");
    const outside = (r: number, m: number) =>
      new RangeError(
        `${csvPath}: mask_row ${m} on ${
          lineOf(csvPath, r)
        } is outside ${h5Path}, which holds rows 0 to ` +
          `${
            maskCount - 1
          }; the CSV and the HDF5 file do not belong together: download both again.`,
      );
    // Strict casts: a value that does not fit is an error, never a null
    // quietly filled in (readMetadata refuses such values first).
    let columns: pl.DataFrame;
    try {
      columns = frame.select(
        mask.cast(pl.Int32, true),
        pl.col("instance_id").cast(pl.Int32, true).fillNull(pl.lit(-1)),
        pl.col("localized").cast(pl.Int8, true).fillNull(pl.lit(0)),
        pl.col("image_name").cast(pl.Categorical).toPhysical(),
      );
    } catch (err) {
      const rows = frame.getColumn("mask_row").toArray().map(Number);
      const r = rows.findIndex((m) => m < 0 || m >= maskCount);
      if (r >= 0) throw outside(r, rows[r]);
      throw new RangeError(
        `${csvPath}: instance_id or localized holds a value out of range; download the CSV again.`,
        { cause: err },
      );
    }
    const maskRows = columns.getColumn("mask_row");
    if (maskRows.nullCount() > 0) {
      const r = maskRows.isNull().toArray().indexOf(true);
      throw new TypeError(
        `${csvPath}: mask_row is empty on ${
          lineOf(csvPath, r)
        }; every row needs its HDF5 row: download the CSV again.`,
      );
    }
    this.maskRow = maskRows.toTypedArray() as Int32Array;
    for (let r = 0; r < this.maskRow.length; r++) {
      const m = this.maskRow[r];
      if (m < 0 || m >= maskCount) throw outside(r, m);
    }
    this.instance = columns.getColumn("instance_id")
      .toTypedArray() as Int32Array;
    this.localized = columns.getColumn("localized").toTypedArray() as Int8Array;
    const images = codes(frame, columns, "image_name");
    this.#imageCodes = images.codes;
    this.#imageNames = images.values ?? [];
    this.#csvRowByMask = new Int32Array(maskCount).fill(-1);
    const byMask = this.#csvRowByMask;
    const maskRow = this.maskRow;
    for (let r = maskRow.length - 1; r >= 0; r--) byMask[maskRow[r]] = r;
    const rowsByImage = this.#rowsByImage;
    if (images.codes) {
      const lists = images.values!.map(() => [] as number[]);
      const c = images.codes;
      for (let r = 0; r < c.length; r++) lists[c[r]].push(r);
      for (let k = 0; k < lists.length; k++) {
        rowsByImage.set(images.values![k], lists[k]);
      }
    } else {
      const names = frame.getColumn("image_name").toArray() as (
        | string
        | null
      )[];
      this.#imageNames = names.map((n) => n ?? "");
      for (let r = 0; r < names.length; r++) {
        const image = names[r] ?? "";
        const rows = rowsByImage.get(image);
        if (rows) rows.push(r);
        else rowsByImage.set(image, [r]);
      }
    }
  }

  /**
   * The noun of every CSV row, made on first use: a large array filled
   * with new strings costs more than the rest of the index.
   */
  get noun(): (string | null)[] {
    if (this.#noun) return this.#noun;
    const frame = this.#frame;
    const { codes: c, values } = codes(
      frame,
      frame.select(pl.col("noun").cast(pl.Categorical).toPhysical()),
      "noun",
    );
    return this.#noun = c
      ? decode(c, values!)
      : frame.getColumn("noun").toArray() as (string | null)[];
  }

  get imageCount(): number {
    return this.#rowsByImage.size;
  }

  /** CSV rows of an image, in CSV order. */
  rowsOf(imageName: string): readonly number[] {
    return this.#rowsByImage.get(imageName) ?? EMPTY;
  }

  /** Image names in first-appearance order (Map keeps insertion order). */
  imageNames(): string[] {
    return [...this.#rowsByImage.keys()];
  }

  /** The first CSV row that names HDF5 row `maskRow`, or -1. */
  csvRowOfMask(maskRow: number): number {
    return this.#csvRowByMask[maskRow];
  }

  info(r: number): MaskInfo {
    this.#details ??= {
      score: numeric(this.#frame, "score", pl.Float64, NaN) as Float64Array,
      box: ["box_x0", "box_y0", "box_x1", "box_y1"].map((c) =>
        numeric(this.#frame, c, pl.Float64, NaN) as Float64Array
      ),
    };
    const [x0, y0, x1, y1] = this.#details.box.map((c) => c[r]);
    const box: MaskInfo["box"] = [x0, y0, x1, y1].some(Number.isNaN)
      ? null
      : [x0, y0, x1, y1];
    const codes = this.#imageCodes;
    return {
      imageName: codes ? this.#imageNames[codes[r]] : this.#imageNames[r],
      noun: this.noun[r] ?? "",
      instance: this.instance[r],
      score: this.#details.score[r],
      box,
      localized: this.localized[r] === 1,
    };
  }
}

/**
 * A text column's categorical codes and its distinct values in order of
 * first appearance, or `{ codes: null }` when the codes are not numbered
 * that way (a global string cache, nulls): the caller then reads the
 * strings themselves.
 */
function codes(
  frame: pl.DataFrame,
  columns: pl.DataFrame,
  name: string,
): { codes: Uint32Array | null; values: string[] | null } {
  const physical = columns.getColumn(name);
  if (physical.nullCount() > 0) return { codes: null, values: null };
  const col = pl.col(name);
  const values = frame.select(col.filter(col.isFirstDistinct()))
    .getColumn(name).toArray() as string[];
  const c = physical.toTypedArray() as Uint32Array;
  // Codes must appear as 0, 1, 2, ... at each value's first row, so that
  // code k is values[k].
  let next = 0;
  for (let r = 0; r < c.length; r++) {
    if (c[r] === next) next++;
    else if (c[r] > next) return { codes: null, values: null };
  }
  if (next !== values.length) return { codes: null, values: null };
  return { codes: c, values };
}

/** `values[codes[r]]` for every row (a loop: `Array.from` with a map is slower). */
function decode(codes: Uint32Array, values: string[]): string[] {
  const out = new Array<string>(codes.length);
  for (let r = 0; r < codes.length; r++) out[r] = values[codes[r]];
  return out;
}

/** A numeric column as a typed array, nulls replaced by `fill`. */
function numeric(
  frame: pl.DataFrame,
  name: string,
  dtype: pl.DataType,
  fill: number,
): Int32Array | Int8Array | Float64Array {
  return frame.select(pl.col(name).cast(dtype).fillNull(pl.lit(fill)))
    .getColumn(name).toTypedArray() as Int32Array | Int8Array | Float64Array;
}

/** "line N" of data row `r` in the CSV (read again: only for an error). */
function lineOf(csvPath: string, r: number): string {
  try {
    const text = decodeCsvBytes(Deno.readFileSync(csvPath));
    const line = parseCsv(text)[r + 1]?.line;
    if (line !== undefined) return `line ${line} (data row ${r + 1})`;
  } catch {
    // The file changed or went away since it was read: the data row is all
    // there is to name.
  }
  return `data row ${r + 1}`;
}
