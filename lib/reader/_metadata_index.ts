// The in-memory index built once at open, so that lookups never copy a
// whole column again. Numeric columns come out of Polars as typed arrays
// (one native pass for all of them); image names and nouns come out as
// categorical codes plus each distinct value once, which spares creating a
// JS string per row; the columns only `get` needs (score, boxes) are read
// on first use.
import { pl } from "../deps.ts";
import { decodeCsvBytes, parseCsv } from "../data/csv.ts";
import type { MaskInfo } from "./masks/mask.ts";

const EMPTY: readonly number[] = Object.freeze([]);

/** Column values as arrays, plus image -> CSV rows and mask row -> CSV row. */
export class MetadataIndex {
  readonly instance: Int32Array;
  readonly localized: Int8Array;
  readonly maskRow: Int32Array;
  readonly #frame: pl.DataFrame;
  readonly #imageCodes: Uint32Array | null;
  readonly #imageNames: string[];
  #rowsByImage: Map<string, number[]> | undefined;
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
    const outside = (r: number, m: number) =>
      new RangeError(
        `${csvPath}: mask_row ${m} on ${
          lineOf(csvPath, r)
        } is outside ${h5Path}, which holds rows 0 to ` +
          `${
            maskCount - 1
          }; the CSV and the HDF5 file do not belong together: download both again.`,
      );
    const ints = int32Columns(frame, maskCount);
    if (!ints) {
      const rows = frame.getColumn("mask_row").toArray();
      const r = rows.findIndex((m) =>
        m === null || !(Number(m) >= 0 && Number(m) < maskCount)
      );
      if (r >= 0) {
        if (rows[r] === null) {
          throw new TypeError(
            `${csvPath}: mask_row is empty on ${
              lineOf(csvPath, r)
            }; every row needs its HDF5 row: download the CSV again.`,
          );
        }
        throw outside(r, Number(rows[r]));
      }
      throw new RangeError(
        `${csvPath}: instance_id or localized holds a value out of range (or none); download the CSV again.`,
      );
    }
    this.maskRow = ints.maskRow;
    this.instance = ints.instance;
    this.localized = ints.localized;
    const images = codes(
      frame,
      frame.select(pl.col("image_name").cast(pl.Categorical).toPhysical()),
      "image_name",
    );
    this.#imageCodes = images.codes;
    this.#imageNames = images.values ?? [];
    this.#csvRowByMask = new Int32Array(maskCount).fill(-1);
    const byMask = this.#csvRowByMask;
    const maskRow = this.maskRow;
    for (let r = maskRow.length - 1; r >= 0; r--) byMask[maskRow[r]] = r;
    if (!images.codes) {
      const names = frame.getColumn("image_name").toArray() as (
        | string
        | null
      )[];
      this.#imageNames = names.map((n) => n ?? "");
      const rowsByImage = new Map<string, number[]>();
      for (let r = 0; r < names.length; r++) {
        const image = names[r] ?? "";
        const rows = rowsByImage.get(image);
        if (rows) rows.push(r);
        else rowsByImage.set(image, [r]);
      }
      this.#rowsByImage = rowsByImage;
    }
  }

  /**
   * Image name -> CSV rows, in CSV order; from the codes on first use (the
   * image names alone are known at open).
   */
  #byImage(): Map<string, number[]> {
    if (this.#rowsByImage) return this.#rowsByImage;
    const c = this.#imageCodes!, names = this.#imageNames;
    const lists = names.map(() => [] as number[]);
    for (let r = 0; r < c.length; r++) lists[c[r]].push(r);
    const map = new Map<string, number[]>();
    for (let k = 0; k < lists.length; k++) map.set(names[k], lists[k]);
    return this.#rowsByImage = map;
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
    return this.#imageCodes ? this.#imageNames.length : this.#rowsByImage!.size;
  }

  /** CSV rows of an image, in CSV order. */
  rowsOf(imageName: string): readonly number[] {
    return this.#byImage().get(imageName) ?? EMPTY;
  }

  /** Image names in first-appearance order. */
  imageNames(): string[] {
    return this.#imageCodes
      ? [...this.#imageNames]
      : [...this.#rowsByImage!.keys()];
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
  physical: pl.DataFrame,
  name: string,
): { codes: Uint32Array | null; values: string[] | null } {
  const column = physical.getColumn(name);
  if (column.nullCount() > 0) return { codes: null, values: null };
  const c = column.toTypedArray() as Uint32Array;
  // Codes must appear as 0, 1, 2, ... at each value's first row, so that
  // code k is the value of the k-th first row.
  const firsts: number[] = [];
  for (let r = 0; r < c.length; r++) {
    if (c[r] === firsts.length) firsts.push(r);
    else if (c[r] > firsts.length) return { codes: null, values: null };
  }
  const values = frame.getColumn(name).gather(firsts).toArray() as string[];
  return { codes: c, values };
}

/** `values[codes[r]]` for every row (a loop: `Array.from` with a map is slower). */
function decode(codes: Uint32Array, values: string[]): string[] {
  const out = new Array<string>(codes.length);
  for (let r = 0; r < codes.length; r++) out[r] = values[codes[r]];
  return out;
}

/**
 * `mask_row`, `instance_id` and `localized` as 32- and 8-bit arrays, taken
 * from the low words of Polars' Int64 arrays once their extremes show every
 * value fits (no native cast pass), or `null` when one does not fit or is
 * missing (`localized` may be: then it is filled with 0 by a cast).
 */
function int32Columns(
  frame: pl.DataFrame,
  maskCount: number,
): { maskRow: Int32Array; instance: Int32Array; localized: Int8Array } | null {
  const fits = (name: string, lo: number, hi: number) => {
    const col = frame.getColumn(name);
    if (col.length === 0) return col;
    if (col.nullCount() > 0 && name !== "localized") return null;
    if (col.nullCount() === col.length) return col;
    return Number(col.min()) >= lo && Number(col.max()) <= hi ? col : null;
  };
  const m = fits("mask_row", 0, maskCount - 1);
  const i = fits("instance_id", -(2 ** 31), 2 ** 31 - 1);
  const l = fits("localized", 0, 1);
  if (!m || !i || !l) return null;
  const low = (col: pl.Series, out: Int32Array | Int8Array) => {
    if (String(col.dtype) !== "Int64") {
      out.set(col.cast(pl.Float64).toTypedArray() as Float64Array);
      return out;
    }
    const big = col.toTypedArray() as BigInt64Array;
    // Little-endian: the low 32 bits of value k are word 2k.
    const words = new Int32Array(big.buffer, big.byteOffset, big.length * 2);
    for (let k = 0; k < out.length; k++) out[k] = words[2 * k];
    return out;
  };
  const n = frame.height;
  return {
    maskRow: low(m, new Int32Array(n)) as Int32Array,
    instance: low(i, new Int32Array(n)) as Int32Array,
    localized: l.nullCount() > 0
      ? numeric(frame, "localized", pl.Int8, 0) as Int8Array
      : low(l, new Int8Array(n)) as Int8Array,
  };
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
