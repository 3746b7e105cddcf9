// Pixels of the union of sets of masks, reading each mask once through the
// reader's checked scan (runs of set pixels: a few hundred per mask).
import { type AnalysisSource, scanOptions } from "../source/analysis_source.ts";
import type { ScanOptions } from "../source/scan.ts";
import { type Intervals, unionLength } from "../masks/runs.ts";

/**
 * For each set of HDF5 rows (no repeats within a set), the pixels of their
 * union.
 */
export async function unionAreas(
  source: AnalysisSource,
  sets: readonly (readonly number[])[],
  options: ScanOptions = {},
): Promise<Float64Array> {
  const pixels = new Float64Array(sets.length);
  const remaining = new Int32Array(sets.length);
  const parts: Intervals[][] = sets.map(() => []);
  const route = new Map<number, number[]>();
  sets.forEach((rows, s) => {
    remaining[s] = rows.length;
    for (const r of rows) {
      const list = route.get(r);
      if (list) list.push(s);
      else route.set(r, [s]);
    }
  });
  for await (
    const [row, intervals] of source.scan(
      [...route.keys()],
      scanOptions(options),
    )
  ) {
    for (const s of route.get(row)!) {
      parts[s].push(intervals);
      if (--remaining[s] === 0) {
        pixels[s] = unionLength(parts[s]);
        parts[s] = [];
      }
    }
  }
  return pixels;
}
