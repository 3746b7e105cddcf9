// The per-mask statistics cache: Parquet keyed by a digest of the HDF5
// file's bytes (size and mtime can stay the same when a file is damaged or
// replaced), in the user's cache directory by default so a shared or
// read-only data folder is never written to; beside the data on request.
import { createHash } from "node:crypto";
import { basename, dirname, join, resolve } from "node:path";
import { pl } from "../../deps.ts";
import { userCacheDir } from "../../data/paths.ts";

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

/** Where a statistics cache lives: the user's cache directory or beside the data. */
export type StatsCachePlace = "user" | "data";

// Bumped when the cached columns or their types change.
const SCHEMA = "v2";

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

interface DigestMemo {
  fingerprint: string;
  digest: string;
  /** When hashing started (ms since the epoch). */
  hashedAt: number;
}

const memos = new Map<string, DigestMemo>();

/**
 * A digest of the file's bytes (SHA-256, hex). Remembered, in this process
 * and in the user cache, against the file's identity, size, mtime and ctime;
 * a remembered digest is used only when the file's last change is at least
 * a second older than the hashing (Deno gives ctime in whole seconds, and
 * `utime` can restore an mtime but not a ctime).
 */
export function contentDigest(h5Path: string): string {
  const path = resolve(h5Path);
  const info = Deno.statSync(path);
  const ctime = info.ctime?.getTime() ?? Date.now();
  const fingerprint = [
    info.dev,
    info.ino,
    info.size,
    info.mtime?.getTime(),
    ctime,
  ].join(":");
  const memoPath = join(
    userCacheDir(),
    "digests",
    `${sha256(path).slice(0, 32)}.json`,
  );
  const trusted = (m: DigestMemo | undefined) =>
    m && m.fingerprint === fingerprint && m.hashedAt >= ctime + 1000;
  let memo = memos.get(path);
  if (!trusted(memo)) {
    try {
      memo = JSON.parse(Deno.readTextFileSync(memoPath)) as DigestMemo;
    } catch {
      memo = undefined;
    }
  }
  if (memo && trusted(memo)) {
    memos.set(path, memo);
    return memo.digest;
  }
  const hashedAt = Date.now();
  const hash = createHash("sha256");
  using file = Deno.openSync(path, { read: true });
  const buf = new Uint8Array(4 << 20);
  for (;;) {
    const n = file.readSync(buf);
    if (n === null || n === 0) break;
    hash.update(buf.subarray(0, n));
  }
  memo = { fingerprint, digest: hash.digest("hex"), hashedAt };
  memos.set(path, memo);
  try {
    Deno.mkdirSync(dirname(memoPath), { recursive: true });
    Deno.writeTextFileSync(`${memoPath}.${Deno.pid}.tmp`, JSON.stringify(memo));
    Deno.renameSync(`${memoPath}.${Deno.pid}.tmp`, memoPath);
  } catch { /* a read-only cache dir: hash again next time */ }
  return memo.digest;
}

/** The cache file of `h5Path` with content `digest`, in `place`. */
export function statsCachePath(
  h5Path: string,
  digest: string,
  place: StatsCachePlace,
): string {
  const path = resolve(h5Path);
  const name = `${basename(path, ".h5")}.stats-${SCHEMA}-${
    digest.slice(0, 32)
  }.parquet`;
  if (place === "data") return join(dirname(path), name);
  return join(
    userCacheDir(),
    "stats",
    `${sha256(path).slice(0, 16)}-${name}`,
  );
}

/**
 * The cached statistics, or `undefined` when there is no valid cache. The
 * user-cache place also reads (never writes) a cache beside the data.
 */
export function readStatsCache(
  h5Path: string,
  digest: string,
  maskCount: number,
  place: StatsCachePlace,
): pl.DataFrame | undefined {
  const places: StatsCachePlace[] = place === "user"
    ? ["user", "data"]
    : ["data"];
  for (const p of places) {
    try {
      const frame = pl.readParquet(statsCachePath(h5Path, digest, p));
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

/**
 * Writes the cache atomically and removes the caches of older contents of
 * the same file; `undefined` when the place is not writable (the statistics
 * are then simply not cached).
 */
export function writeStatsCache(
  h5Path: string,
  digest: string,
  frame: pl.DataFrame,
  place: StatsCachePlace,
): string | undefined {
  const path = statsCachePath(h5Path, digest, place);
  const tmp = `${path}.${Deno.pid}.tmp`;
  try {
    Deno.mkdirSync(dirname(path), { recursive: true });
    frame.writeParquet(tmp);
    Deno.renameSync(tmp, path);
  } catch {
    try {
      Deno.removeSync(tmp);
    } catch { /* nothing written */ }
    return undefined;
  }
  removeStale(path);
  return path;
}

/** Caches of other contents of the same file, in the same place. */
function removeStale(current: string): void {
  const dir = dirname(current);
  const prefix = basename(current).replace(/-[0-9a-f]+\.parquet$/, "-");
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
