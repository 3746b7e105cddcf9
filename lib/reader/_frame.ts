// Column checks for the frames users pass in (any filter of seg.metadata).

/** Throws a clear error when `frame` lacks one of `names`. */
export function requireColumns(
  frame: { columns: string[] },
  names: readonly string[],
  helper: string,
): void {
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
