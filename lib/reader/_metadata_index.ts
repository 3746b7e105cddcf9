// The in-memory index built once at open, so that lookups never copy a
// whole column again. Numeric columns come out of Polars as typed arrays
// (one copy each); the columns only `get` needs (score, boxes) are read on
// first use.
import { pl } from "../deps.ts";
import type { MaskInfo } from "./mask.ts";

const EMPTY: readonly number[] = Object.freeze([]);

/** Column values as arrays, plus image -> CSV rows and mask row -> CSV row. */
export class MetadataIndex {
  readonly noun: (string | null)[];
  readonly instance: Int32Array;
  readonly localized: Int8Array;
  readonly maskRow: Int32Array;
  readonly #frame: pl.DataFrame;
  readonly #imageName: (string | null)[];
  readonly #rowsByImage = new Map<string, number[]>();
  readonly #csvRowByMask: Int32Array;
  #details: { score: Float64Array; box: Float64Array[] } | undefined;

  constructor(
    frame: pl.DataFrame,
    maskCount: number,
    csvPath: string,
    h5Path: string,
  ) {
    this.#frame = frame;
    const maskRowColumn = frame.getColumn("mask_row");
    if (maskRowColumn.nullCount() > 0) {
      const r = maskRowColumn.isNull().toArray().indexOf(true);
      throw new TypeError(
        `${csvPath}: mask_row is empty on data row ${
          r + 1
        }; every row needs its HDF5 row: download the CSV again.`,
      );
    }
    const maskRows = maskRowColumn.toTypedArray() as BigInt64Array;
    this.#imageName = frame.getColumn("image_name")
      .toArray() as (string | null)[];
    this.noun = frame.getColumn("noun").toArray() as (string | null)[];
    this.instance = numeric(frame, "instance_id", pl.Int32, -1) as Int32Array;
    this.localized = numeric(frame, "localized", pl.Int8, 0) as Int8Array;
    this.maskRow = new Int32Array(maskRows.length);
    this.#csvRowByMask = new Int32Array(maskCount).fill(-1);
    const rowsByImage = this.#rowsByImage;
    for (let r = 0; r < maskRows.length; r++) {
      const m = maskRows[r];
      if (m < 0n || m >= BigInt(maskCount)) {
        throw new RangeError(
          `${csvPath}: mask_row ${m} on data row ${
            r + 1
          } is outside ${h5Path}, which holds rows 0 to ` +
            `${
              maskCount - 1
            }; the CSV and the HDF5 file do not belong together: download both again.`,
        );
      }
      const row = Number(m);
      this.maskRow[r] = row;
      if (this.#csvRowByMask[row] < 0) this.#csvRowByMask[row] = r;
      const image = this.#imageName[r] ?? "";
      const rows = rowsByImage.get(image);
      if (rows) rows.push(r);
      else rowsByImage.set(image, [r]);
    }
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
    return {
      imageName: this.#imageName[r] ?? "",
      noun: this.noun[r] ?? "",
      instance: this.instance[r],
      score: this.#details.score[r],
      box,
      localized: this.localized[r] === 1,
    };
  }
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
