// The in-memory index built once at open, so that lookups never copy a
// whole column again.
import type pl from "nodejs-polars";
import type { MaskInfo } from "./mask.ts";

const EMPTY: readonly number[] = Object.freeze([]);

/** Column values as plain arrays, plus image -> CSV rows and mask row -> CSV row. */
export class MetadataIndex {
  readonly imageName: string[];
  readonly noun: string[];
  readonly instance: number[];
  readonly score: number[];
  readonly localized: number[];
  readonly maskRow: number[];
  readonly #box: (number | null)[][];
  readonly #rowsByImage = new Map<string, number[]>();
  readonly #csvRowByMask: Int32Array;

  constructor(
    frame: pl.DataFrame,
    maskCount: number,
    csvPath: string,
    h5Path: string,
  ) {
    const col = <T>(name: string) => frame.getColumn(name).toArray() as T[];
    this.imageName = col<string>("image_name");
    this.noun = col<string>("noun");
    this.instance = col<number | bigint>("instance_id").map(Number);
    this.score = col<number>("score");
    this.localized = col<number | bigint | null>("localized").map((
      v,
    ) => (v === null ? 0 : Number(v)));
    this.#box = ["box_x0", "box_y0", "box_x1", "box_y1"].map((c) =>
      col<number | null>(c)
    );
    const maskRows = col<number | bigint | null>("mask_row");
    this.maskRow = new Array(maskRows.length);
    this.#csvRowByMask = new Int32Array(maskCount).fill(-1);
    for (let r = 0; r < maskRows.length; r++) {
      const v = maskRows[r];
      const m = v === null ? NaN : Number(v);
      if (!Number.isInteger(m) || m < 0 || m >= maskCount) {
        throw new RangeError(
          `${csvPath}: mask_row ${v} on data row ${
            r + 1
          } is outside ${h5Path}, which holds rows 0 to ` +
            `${
              maskCount - 1
            }; the CSV and the HDF5 file do not belong together: download both again.`,
        );
      }
      this.maskRow[r] = m;
      if (this.#csvRowByMask[m] < 0) this.#csvRowByMask[m] = r;
      const image = this.imageName[r];
      const rows = this.#rowsByImage.get(image);
      if (rows) rows.push(r);
      else this.#rowsByImage.set(image, [r]);
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
    const [x0, y0, x1, y1] = this.#box.map((c) => c[r]);
    const box: MaskInfo["box"] =
      x0 === null || y0 === null || x1 === null || y1 === null
        ? null
        : [x0, y0, x1, y1];
    return {
      imageName: this.imageName[r],
      noun: this.noun[r],
      instance: this.instance[r],
      score: this.score[r],
      box,
      localized: this.localized[r] === 1,
    };
  }
}
