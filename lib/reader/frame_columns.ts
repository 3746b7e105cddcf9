// Column checks for the frames users pass in (any filter of seg.metadata).
import { describeValue } from "../base/suggest.ts";

/**
 * Throws a clear error, naming `helper` (the function the user called), when
 * `frame` is not a DataFrame or lacks one of `names`.
 */
export function requireColumns(
  frame: { columns: string[] },
  names: readonly string[],
  helper: string,
): void {
  if (
    frame === null || typeof frame !== "object" ||
    !Array.isArray(frame.columns) ||
    typeof (frame as { getColumn?: unknown }).getColumn !== "function"
  ) {
    throw new TypeError(
      `${helper}: expected a DataFrame (seg.metadata or a frame filtered from it); got ${
        describeValue(frame)
      }.`,
    );
  }
  for (const name of names) {
    if (!frame.columns.includes(name)) {
      throw new TypeError(
        `${helper}: the frame has no "${name}" column (it has: ${
          frame.columns.join(", ")
        }). Pass seg.metadata or a frame filtered from it, keeping its columns.`,
      );
    }
  }
}

/** The values of column `name`, or a clear error when the frame lacks it. */
export function column<T>(
  frame: {
    columns: string[];
    getColumn(name: string): { toArray(): unknown[] };
  },
  name: string,
  helper: string,
): T[] {
  requireColumns(frame, [name], helper);
  return frame.getColumn(name).toArray() as T[];
}

/**
 * The HDF5 rows a selection names (a metadata frame's `mask_row` column, or
 * mask rows), each checked against the file's `length` rows; every row of
 * the file when `selection` is undefined.
 */
export function maskRowsOf(
  selection:
    | { columns: string[]; getColumn(name: string): { toArray(): unknown[] } }
    | readonly number[]
    | undefined,
  length: number,
  h5Path: string,
): number[] {
  let rows: number[];
  if (selection === undefined) {
    return Array.from({ length }, (_, i) => i);
  } else if (Array.isArray(selection)) {
    rows = [...selection];
  } else {
    const frame = selection as Exclude<
      typeof selection,
      readonly number[] | undefined
    >;
    if (!frame.columns.includes("mask_row")) {
      throw new TypeError(
        `The selection frame has no mask_row column (it has: ${
          frame.columns.join(", ")
        }); filter seg.metadata, or pass mask rows.`,
      );
    }
    rows = (frame.getColumn("mask_row").toArray() as (number | bigint | null)[])
      .map((v) => v === null ? NaN : Number(v));
  }
  for (const r of rows) {
    if (!Number.isInteger(r) || r < 0 || r >= length) {
      throw new RangeError(
        `Mask row ${r} is out of range: ${h5Path} holds rows 0 to ${
          length - 1
        }.`,
      );
    }
  }
  return rows;
}
