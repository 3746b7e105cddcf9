// The per-mask statistics cache: Parquet next to the HDF5 file (or in the
// user cache when the data dir is read-only), named by the HDF5 file's size
// and mtime so a changed file never reads stale numbers.
import { basename, dirname, join } from "node:path";
import { pl } from "../deps.ts";

/** Columns of the cached per-HDF5-row statistics. */
export const CACHE_COLUMNS = [
  "mask_row",
  "area",
  "bbox_x0",
  "bbox_y0",
  "bbox_x1",
  "bbox_y1",
  "centroid_x",
  "centroid_y",
] as const;

function key(h5Path: string): string {
  const info = Deno.statSync(h5Path);
  return `${info.size}-${Math.round(info.mtime?.getTime() ?? 0)}`;
}

function userCacheDir(): string {
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  const home = Deno.env.get("HOME") ?? ".";
  return join(
    xdg && xdg.length > 0 ? xdg : join(home, ".cache"),
    "laion-fmri-segmentations",
    "stats",
  );
}

/** Where the cache of `h5Path` may be, best place first. */
export function statsCachePaths(h5Path: string): string[] {
  const name = `${basename(h5Path, ".h5")}.stats-${key(h5Path)}.parquet`;
  const hashed = `${
    encodeURIComponent(dirname(h5Path)).replaceAll("%", "_")
  }__${name}`;
  return [join(dirname(h5Path), name), join(userCacheDir(), hashed)];
}

/** The cached statistics, or `undefined` when there is no valid cache. */
export function readStatsCache(
  h5Path: string,
  maskCount: number,
): pl.DataFrame | undefined {
  for (const path of statsCachePaths(h5Path)) {
    try {
      const frame = pl.readParquet(path);
      if (
        frame.height === maskCount &&
        CACHE_COLUMNS.every((c) => frame.columns.includes(c))
      ) return frame;
    } catch {
      // Missing or unreadable: compute again.
    }
  }
  return undefined;
}

/** Writes the cache (atomically), in the data dir if it is writable, else in the user cache. */
export function writeStatsCache(
  h5Path: string,
  frame: pl.DataFrame,
): string | undefined {
  for (const path of statsCachePaths(h5Path)) {
    const tmp = `${path}.${Deno.pid}.tmp`;
    try {
      Deno.mkdirSync(dirname(path), { recursive: true });
      frame.writeParquet(tmp);
      Deno.renameSync(tmp, path);
      removeStale(path);
      return path;
    } catch {
      try {
        Deno.removeSync(tmp);
      } catch { /* nothing written */ }
    }
  }
  return undefined;
}

/** Caches of older versions of the same file. */
function removeStale(current: string): void {
  const dir = dirname(current);
  const prefix = basename(current).replace(
    /\.stats-[0-9]+-[0-9]+\.parquet$/,
    ".stats-",
  );
  for (const entry of Deno.readDirSync(dir)) {
    if (
      entry.name !== basename(current) && entry.name.startsWith(prefix) &&
      entry.name.endsWith(".parquet")
    ) {
      try {
        Deno.removeSync(join(dir, entry.name));
      } catch { /* another process may have removed it */ }
    }
  }
}
