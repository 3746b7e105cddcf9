// The per-mask sums behind the degree columns of stats() that need every
// pixel (mean eccentricity, the foveal fraction): read as runs through the
// reader's checked scan, two table lookups a run; the whole file's sums are
// cached beside the statistics, keyed by the file's digest and the visual
// field.
import { createHash } from "node:crypto";
import { basename, dirname, join, resolve } from "node:path";
import { pl } from "../../deps.ts";
import { userCacheDir } from "../../data/paths.ts";
import type { AnalysisSource } from "../source/analysis_source.ts";
import type { ScanOptions } from "../source/scan.ts";
import type { StatsCachePlace } from "./stats_cache.ts";
import type { VisualField } from "../visual_field.ts";
import { degreeTables } from "../masks/stats.ts";

/** Per HDF5 row: the sum of its pixels' eccentricities, and its pixels within the radius. */
export interface DegreeSums {
  eccSum: Float64Array;
  within: Float64Array;
}

const SCHEMA = "deg-v1";

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function cachePath(
  h5Path: string,
  digest: string,
  field: VisualField,
  radius: number,
  place: StatsCachePlace,
): string {
  const path = resolve(h5Path);
  const key = sha256(
    JSON.stringify([field.widthDegrees, field.fixation, radius]),
  ).slice(0, 16);
  const name = `${basename(path, ".h5")}.stats-${SCHEMA}-${
    digest.slice(0, 32)
  }-${key}.parquet`;
  if (place === "data") return join(dirname(path), name);
  return join(userCacheDir(), "stats", `${sha256(path).slice(0, 16)}-${name}`);
}

/** Writes the whole file's sums (computed with the statistics) to the cache. */
export function writeDegreeCache(
  h5Path: string,
  digest: string,
  field: VisualField,
  radius: number,
  place: StatsCachePlace,
  sums: DegreeSums,
): void {
  writeCache(cachePath(h5Path, digest, field, radius, place), sums);
}

/** Where the sums of every row come from: a cache (when `place`), else a scan. */
export interface DegreeSumsOptions extends ScanOptions {
  /** The whole file's cache, keyed by `digest`; none when undefined. */
  place?: StatsCachePlace;
  digest?: string;
}

/**
 * The sums of `rows` (no repeats), indexed by HDF5 row (`length` entries;
 * NaN for rows not asked for).
 */
export async function degreeSums(
  source: AnalysisSource,
  rows: readonly number[],
  field: VisualField,
  radius: number,
  options: DegreeSumsOptions = {},
): Promise<DegreeSums> {
  const whole = rows.length === source.length;
  const { place, digest } = options;
  // The whole file's sums answer any selection.
  const path = place && digest
    ? cachePath(source.paths.h5, digest, field, radius, place)
    : undefined;
  if (place && digest) {
    // As the statistics: the user cache also reads a cache beside the data.
    const places: StatsCachePlace[] = place === "user"
      ? ["user", "data"]
      : ["data"];
    for (const p of places) {
      const at = cachePath(source.paths.h5, digest, field, radius, p);
      const cached = readCache(at, source.length);
      if (cached) return cached;
    }
  }
  const out: DegreeSums = {
    eccSum: new Float64Array(source.length).fill(NaN),
    within: new Float64Array(source.length).fill(NaN),
  };
  // The tables the statistics' own pass uses: the same sums either way.
  const W = field.width;
  const tables = degreeTables(
    {
      fx: field.fixation[0],
      fy: field.fixation[1],
      k: field.degreesPerPixel,
      radius,
    },
    W,
    field.height,
  );
  const scan = source.scan(rows, {
    onProgress: options.onProgress,
    signal: options.signal,
  });
  for await (const [row, intervals] of scan) {
    let eccSum = 0, within = 0;
    for (let i = 0; i < intervals.length; i += 2) {
      let s = intervals[i];
      const end = intervals[i + 1];
      while (s < end) {
        const y = Math.floor(s / W);
        const x0 = s - y * W;
        const x1 = Math.min(W, x0 + (end - s));
        const at = y * (W + 1);
        eccSum += tables.ecc[at + x1] - tables.ecc[at + x0];
        within += tables.within[at + x1] - tables.within[at + x0];
        s += x1 - x0;
      }
    }
    out.eccSum[row] = eccSum;
    out.within[row] = within;
  }
  if (path && whole) writeCache(path, out);
  return out;
}

function readCache(path: string, length: number): DegreeSums | undefined {
  try {
    const frame = pl.readParquet(path);
    if (frame.height !== length) return undefined;
    return {
      eccSum: Float64Array.from(
        frame.getColumn("ecc_sum").toArray() as number[],
      ),
      within: Float64Array.from(
        frame.getColumn("within").toArray() as number[],
      ),
    };
  } catch {
    return undefined;
  }
}

function writeCache(path: string, sums: DegreeSums): void {
  try {
    Deno.mkdirSync(dirname(path), { recursive: true });
    const tmp = `${path}.${Deno.pid}.tmp`;
    pl.DataFrame({ ecc_sum: sums.eccSum, within: sums.within }).writeParquet(
      tmp,
    );
    Deno.renameSync(tmp, path);
  } catch {
    // A read-only cache folder: computed again next time.
  }
}
