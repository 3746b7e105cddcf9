// The files on disk: whether the final file is complete (judged by the file
// and the manifest, not by a counter), whether a `.part` may be resumed (it
// belongs to the object version recorded beside it), free space, and the
// messages for what is in the way.

import { basename, dirname } from "node:path";
import { statfsSync } from "node:fs";
import { formatBytes, type Reporter } from "../../display/progress.ts";
import {
  checkEtag,
  hashFile,
  multipartCount,
  readManifest,
  updateManifest,
} from "./_manifest.ts";
import { errorMessage, type ListedObject } from "./_s3.ts";

/** The version of the object a `.part` holds, written beside it as `<file>.part.json`. */
export interface PartRecord {
  key: string;
  etag?: string;
  size: number;
  startedAt: string;
}

/**
 * Whether `dest` already holds the listed object: the manifest's entry (same
 * ETag and size, file unchanged since, or its sha256 when `verify`), else
 * the ETag's MD5; a file that fails is left for the transfer to replace.
 */
export async function isComplete(
  job: { listed: ListedObject; dest: string },
  ctx: { verify: boolean; signal?: AbortSignal; readOnly?: boolean },
  reporter: Reporter,
): Promise<boolean> {
  const { dest, listed } = job;
  const name = basename(dest);
  const stat = await statOf(dest);
  if (stat === undefined) return false;
  const stimuliDir = dirname(dest);
  const entry = (await readManifest(stimuliDir)).files[listed.key];
  if (entry !== undefined) {
    if (entry.etag !== listed.etag || entry.size !== listed.size) {
      await reporter.message(
        `${name}: the bucket now holds another version (ETag ${listed.etag}, ${listed.size} bytes; downloaded: ETag ${entry.etag}, ${entry.size} bytes); downloading it`,
      );
      return false;
    }
    if (stat.size !== entry.size) {
      await reporter.message(
        `${name}: no longer matches its manifest (${stat.size} bytes on disk, ${entry.size} downloaded); downloading it anew`,
      );
      return false;
    }
    const mtime = stat.mtime?.getTime() ?? 0;
    if (!ctx.verify && mtime === entry.mtimeMs) return true;
    const hashes = await hashFile(dest, undefined, ctx.signal);
    if (hashes.sha256 !== entry.sha256) {
      await reporter.message(
        `${name}: no longer matches its manifest (sha256 differs); downloading it anew`,
      );
      return false;
    }
    if (mtime !== entry.mtimeMs && !ctx.readOnly) {
      await updateManifest(stimuliDir, (m) => {
        const e = m.files[listed.key];
        if (e?.sha256 === entry.sha256) e.mtimeMs = mtime;
      }, ctx.signal);
    }
    return true;
  }
  // No record (an older download, or a copy): check it against the bucket.
  if (stat.size !== listed.size) {
    await reporter.message(
      `${name}: has ${stat.size} bytes but the bucket lists ${listed.size}; downloading it anew`,
    );
    return false;
  }
  const hashes = await hashFile(dest, multipartCount(listed.etag), ctx.signal);
  const check = checkEtag(hashes, listed.etag);
  if (!check.ok) {
    await reporter.message(
      `${name}: its MD5 does not match the bucket's ETag; downloading it anew`,
    );
    return false;
  }
  if (check.unchecked) {
    await reporter.message(
      `${name}: found without a download record; ${check.unchecked}. Use --force to fetch it anew`,
    );
  }
  // A read-only folder keeps no record; the file is checked again next time.
  if (ctx.readOnly) return true;
  await updateManifest(stimuliDir, (m) => {
    m.files[listed.key] = {
      key: listed.key,
      size: stat.size,
      etag: listed.etag,
      sha256: hashes.sha256,
      checkedBy: check.checkedBy,
      mtimeMs: stat.mtime?.getTime() ?? 0,
      downloadedAt: new Date().toISOString(),
    };
  }, ctx.signal);
  return true;
}

/** Keep a `.part` only when its record says it holds a prefix of the listed version. */
export async function checkPartRecord(
  job: { listed: ListedObject },
  part: string,
  note: (message: string) => Promise<void>,
): Promise<void> {
  const size = await sizeOf(part);
  if (size === undefined) {
    await Deno.remove(`${part}.json`).catch(() => {});
    return;
  }
  const record = await readPartRecord(part);
  const name = basename(part);
  let why: string | undefined;
  if (record === undefined) {
    why = "it has no record of which version of the object it holds";
  } else if (record.etag === undefined) {
    why = "its version of the object has no ETag to resume against";
  } else if (
    record.etag !== job.listed.etag || record.size !== job.listed.size
  ) {
    why =
      `it holds another version of the object (ETag ${record.etag}, ${record.size} bytes; now ETag ${job.listed.etag}, ${job.listed.size} bytes)`;
  } else if (size > record.size) {
    why = `it is larger (${size} bytes) than the object (${record.size})`;
  }
  if (why !== undefined) {
    await removePart(part);
    await note(`discarded ${name}: ${why}; starting from zero`);
  }
}

/**
 * The writes and free-space queries of a download: the real file system in
 * use, replaceable (the `disk` option) so tests can fail a write as a full
 * disk does where no small filesystem can be mounted.
 */
export interface DownloadDisk {
  /** Write `bytes` at the file's position; returns how many were written. */
  write(file: Deno.FsFile, bytes: Uint8Array, path: string): Promise<number>;
  /** Free bytes and free inodes of the filesystem holding `dir`; undefined when unknown. */
  free(dir: string): { bytes: number; inodes: number } | undefined;
}

/** The real file system. */
export const REAL_DISK: DownloadDisk = {
  write: (file, bytes) => file.write(bytes),
  free(dir) {
    try {
      const s = statfsSync(dir);
      return {
        bytes: Number(s.bavail) * Number(s.bsize),
        inodes: Number(s.ffree),
      };
    } catch {
      return undefined;
    }
  },
};

/** Whether `err` is the OS saying the disk is full (ENOSPC). */
export function isNoSpace(err: unknown): boolean {
  return /No space left on device|os error 28|ENOSPC/i.test(
    errorMessage(err),
  ) || (err as { code?: unknown } | null)?.code === "ENOSPC";
}

/**
 * A clear error for ENOSPC (undefined for other errors): out of inodes when
 * the filesystem has no free inode (or bytes enough but no room for a file),
 * else the space needed.
 */
export function diskFull(
  err: unknown,
  path: string,
  needed: number,
  disk: DownloadDisk,
): Error | undefined {
  if (!isNoSpace(err)) return undefined;
  const dir = dirname(path);
  const free = nearestFree(dir, disk);
  const kept =
    "Any partial file is kept: make room and run the download again to resume.";
  if (free !== undefined && free.inodes === 0) {
    return new Error(
      `No free inodes on the disk of ${path}: it has ${
        formatBytes(free.bytes)
      } free but no room for another file (every inode is in use). Delete files there (many small files use most inodes) or choose another data directory. ${kept}`,
      { cause: err },
    );
  }
  if (free !== undefined && free.bytes >= Math.max(needed, 1)) {
    return new Error(
      `No space left on the disk of ${path} although ${
        formatBytes(free.bytes)
      } are free and ${
        formatBytes(needed)
      } are needed: the disk is probably out of inodes (${free.inodes} free) or a quota is reached (\`df -i\`, \`quota\`). ${kept}`,
      { cause: err },
    );
  }
  return new Error(
    `Disk full while writing ${path}: ${formatBytes(needed)} more are needed (${
      free === undefined
        ? "free space unknown"
        : `${formatBytes(free.bytes)} free`
    }). ` +
      `The partial file is kept: free some space and run the download again to resume.`,
    { cause: err },
  );
}

/** Run a file-system step, turning ENOSPC into {@link diskFull}'s message. */
export async function onDisk<T>(
  path: string,
  needed: number,
  disk: DownloadDisk,
  step: () => Promise<T>,
): Promise<T> {
  try {
    return await step();
  } catch (err) {
    throw diskFull(err, path, needed, disk) ?? err;
  }
}

/** Fail early when the disk cannot hold what is left to fetch. */
export function assertRoom(
  path: string,
  needed: number,
  disk: DownloadDisk,
): void {
  const free = disk.free(dirname(path))?.bytes;
  if (free !== undefined && free < needed) {
    throw new Error(
      `Not enough disk space for ${path}: ${
        formatBytes(needed)
      } more are needed, ${
        formatBytes(free)
      } free on that disk. Free some space (or choose another data directory) and run the download again; any partial file is kept and resumed.`,
    );
  }
}

/** Free space of `dir`, or of its nearest existing parent (a folder not made yet). */
function nearestFree(
  dir: string,
  disk: DownloadDisk,
): { bytes: number; inodes: number } | undefined {
  for (let d = dir, i = 0; i < 64; i++) {
    const free = disk.free(d);
    if (free !== undefined) return free;
    const up = dirname(d);
    if (up === d) return undefined;
    d = up;
  }
  return undefined;
}

export async function readPartRecord(
  part: string,
): Promise<PartRecord | undefined> {
  try {
    const r = JSON.parse(await Deno.readTextFile(`${part}.json`));
    return typeof r?.size === "number" ? r as PartRecord : undefined;
  } catch {
    return undefined;
  }
}

export async function removePart(part: string): Promise<void> {
  await Deno.remove(part).catch(() => {});
  await Deno.remove(`${part}.json`).catch(() => {});
}

/** Whether `err` says the file system refuses writes (read-only mount, no write permission). */
export function isReadOnly(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof Deno.errors.PermissionDenied || code === "EROFS" ||
    code === "EACCES" || /os error 30\b|Read-only file system/i.test(
      errorMessage(err),
    );
}

/**
 * A clear error when something other than a folder is where a folder must
 * be: a file, or a symbolic link to nothing (where `mkdir` says only "File
 * exists"). Nothing there is fine: the folder is created.
 */
export async function assertFolder(path: string, what: string): Promise<void> {
  let stat: Deno.FileInfo;
  try {
    stat = await Deno.stat(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    const link = await Deno.lstat(path).catch(() => undefined);
    if (link?.isSymlink) {
      const target = await Deno.readLink(path).catch(() => "?");
      throw new Error(
        `${path} is a symbolic link to ${target}, which does not exist, but ${what} must be a folder there; create ${target} (a disk not mounted?), or remove the link, and run again.`,
        { cause: err },
      );
    }
    return;
  }
  if (!stat.isDirectory) {
    throw new Error(
      `${path} is a file, but ${what} must be a folder there; move or rename that file and run again.`,
    );
  }
}

/** A clear error when a folder sits where a file must go. */
export async function assertNotFolder(
  path: string,
  what: string,
): Promise<void> {
  const stat = await statOf(path);
  if (stat?.isDirectory) {
    throw new Error(
      `${path} is a folder, but ${what} must be written there; move or delete that folder and run again.`,
    );
  }
}

export async function statOf(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

export async function sizeOf(path: string): Promise<number | undefined> {
  return (await statOf(path))?.size;
}
