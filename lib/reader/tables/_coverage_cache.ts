// The whole-file coverage table, cached as Parquet in the user cache dir
// (never in the data folder): named by a hash of the HDF5 file's path and
// content digest (the one the statistics cache keys on) and of the CSV's
// content, so a changed file of either kind never reads stale numbers.
import { join, resolve } from "node:path";
import { pl } from "../../deps.ts";
import { userCacheDir } from "../../data/paths.ts";
import { contentDigest } from "./stats_cache.ts";

/** Bumped when the cached table's meaning changes. */
const VERSION = 1;

/** Columns of the cached table: both variants (all masks, localized only). */
export const COVERAGE_CACHE_COLUMNS = [
  "image_name",
  "noun",
  "masks",
  "pixels",
  "localized_masks",
  "localized_pixels",
] as const;

/** `$XDG_CACHE_HOME/laion-fmri-segmentations/coverage` (or under ~/.cache). */
export function coverageCacheDir(): string {
  return join(userCacheDir(), "coverage");
}

async function sha256(bytes: Uint8Array | string): Promise<string> {
  const data = typeof bytes === "string"
    ? new TextEncoder().encode(bytes)
    : bytes;
  const digest = await crypto.subtle.digest(
    "SHA-256",
    data as Uint8Array<ArrayBuffer>,
  );
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

/** Where the cache of this pair of files lives. */
export async function coverageCachePath(
  h5Path: string,
  csvPath: string,
  width: number,
  height: number,
): Promise<string> {
  const csv = await Deno.stat(csvPath);
  const csvHash = await sha256(await Deno.readFile(csvPath));
  const key = await sha256(
    [
      VERSION,
      resolve(h5Path),
      contentDigest(h5Path),
      csv.size,
      csv.mtime?.getTime() ?? 0,
      csvHash,
      width,
      height,
    ].join("\n"),
  );
  return join(
    coverageCacheDir(),
    `coverage-v${VERSION}-${key.slice(0, 32)}.parquet`,
  );
}

/** The cached table, or `undefined` when there is none (or it is unreadable). */
export function readCoverageCache(path: string): pl.DataFrame | undefined {
  try {
    const frame = pl.readParquet(path);
    if (COVERAGE_CACHE_COLUMNS.every((c) => frame.columns.includes(c))) {
      return frame;
    }
  } catch {
    // Missing or unreadable: compute again.
  }
  return undefined;
}

/** Writes the cache atomically; a failure only costs the next call the computation. */
export function writeCoverageCache(path: string, frame: pl.DataFrame): void {
  const tmp = `${path}.${Deno.pid}.tmp`;
  try {
    Deno.mkdirSync(join(path, ".."), { recursive: true });
    frame.writeParquet(tmp);
    Deno.renameSync(tmp, path);
  } catch {
    try {
      Deno.removeSync(tmp);
    } catch { /* nothing written */ }
  }
}
