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
