// The locked transfer of one file: under an exclusive lock, keep the file on
// disk if it is complete (lib/data/download/_on_disk.ts judges), else fetch the object
// into `<file>.part` (which belongs to one version of the object: its ETag and
// size are recorded beside it), verify it against the ETag, rename it, and
// record it in the manifest.

import { basename, dirname, join } from "node:path";
import type { Reporter } from "../../display/progress.ts";
import { acquireLock } from "./_lock.ts";
import {
  checkEtag,
  hashFile,
  type ManifestEntry,
  multipartCount,
  PART_SIZES,
  STATE_DIR,
  updateManifest,
} from "./_manifest.ts";
import {
  assertFolder,
  assertNotFolder,
  assertRoom,
  checkPartRecord,
  diskFull,
  type DownloadDisk,
  isComplete,
  isReadOnly,
  onDisk,
  readPartRecord,
  removePart,
  sizeOf,
} from "./_on_disk.ts";
import {
  errorMessage,
  hostOf,
  type HttpContext,
  httpError,
  type ListedObject,
  normalizeEtag,
  request,
  TransientError,
  withRetries,
} from "./_s3.ts";

/** What {@link fetchFile} needs besides the HTTP policy. */
export interface TransferContext extends HttpContext {
  /** Writes and free-space queries. */
  disk: DownloadDisk;
  /** Fetch anew even when the file on disk is complete. */
  force: boolean;
  /** Hash the file on disk even when the manifest says it is unchanged. */
  verify: boolean;
  /** Longest wait for another process's transfer of the same file. */
  lockTimeoutMs: number;
}

/** One file to fetch. */
export interface FileJob {
  /** Listed object (key, size, ETag). */
  listed: ListedObject;
  url: string;
  /** The final path. */
  dest: string;
}

/**
 * Make `job.dest` a complete, verified copy of the object, or throw with the
 * `.part` kept for a resume where that helps. Returns whether bytes were fetched.
 */
export async function fetchFile(
  job: FileJob,
  ctx: TransferContext,
  reporter: Reporter,
): Promise<"present" | "downloaded"> {
  const { dest } = job;
  const name = basename(dest);
  const stimuliDir = dirname(dest);
  await assertNotFolder(dest, "the file");
  await assertNotFolder(`${dest}.part`, "the partial download");
  const stateDir = join(stimuliDir, STATE_DIR);
  await assertFolder(
    stateDir,
    `the folder ${STATE_DIR}/ of the download's locks and manifest`,
  );
  let lock: Disposable;
  try {
    await onDisk(
      stateDir,
      0,
      ctx.disk,
      () => Deno.mkdir(stateDir, { recursive: true }),
    );
    lock = await onDisk(
      stateDir,
      0,
      ctx.disk,
      () =>
        acquireLock(join(stateDir, `${name}.lock`), {
          signal: ctx.signal,
          timeoutMs: ctx.lockTimeoutMs,
          what: `another download of ${name}`,
          onWait: (holder) =>
            reporter.message(
              `${name}: another download of this file is running${
                holder ? ` (${holder})` : ""
              }; waiting for it to finish`,
            ),
        }),
    );
  } catch (err) {
    if (!isReadOnly(err)) throw err;
    // Nothing can be written here, so nobody is writing either: a complete file needs no lock.
    if (
      !ctx.force && await isComplete(job, { ...ctx, readOnly: true }, reporter)
    ) {
      await reporter.skip(name, job.listed.size);
      return "present";
    }
    throw new Error(
      `Cannot download ${name} into ${stimuliDir}: that folder is read-only (${
        errorMessage(err)
      }), and ${
        ctx.force
          ? "--force asks to fetch it anew"
          : "the file there is missing or not the bucket's"
      }. Download into a writable data directory (--data-dir, or \`deno task cli init PATH\`), or mount it writable.`,
      { cause: err },
    );
  }
  using _lock = lock;

  if (!ctx.force && await isComplete(job, ctx, reporter)) {
    const stale = await sizeOf(`${dest}.part`);
    if (
      stale !== undefined || await sizeOf(`${dest}.part.json`) !== undefined
    ) {
      // Left by a run that died after another finished the file: never resumed, so gone.
      await removePart(`${dest}.part`);
      await reporter.message(
        `${name}: removed ${name}.part (${
          stale ?? 0
        } bytes) left beside the complete file by an earlier run`,
      );
    }
    await reporter.skip(name, job.listed.size);
    return "present";
  }
  const progress = reporter.file(name, job.listed.size, job.url);
  try {
    const part = `${dest}.part`;
    if (ctx.force) await removePart(part);
    else await checkPartRecord(job, part, (m) => progress.note(m));
    assertRoom(part, job.listed.size - ((await sizeOf(part)) ?? 0), ctx.disk);
    // The sha256 of every whole fetch the ETag refused in this run.
    const refused = new Set<string>();
    const entry = await withRetries(
      ctx,
      () => transferOnce(job, ctx, progress, refused),
      async (cause, attempts) => {
        let kept = await sizeOf(part);
        let after = "Run the download again.";
        if (
          kept !== undefined && (await readPartRecord(part))?.etag === undefined
        ) {
          // Bytes of a version nothing identifies are never resumed; keeping them helps nobody.
          await removePart(part);
          kept = undefined;
          after =
            "The server gives no ETag, so a partial file cannot be resumed safely and was removed; run the download again.";
        }
        return new Error(
          `Downloading ${name} from ${job.url} failed after ${attempts} attempts (host ${
            hostOf(job.url)
          }): last error: ${errorMessage(cause)}. ${
            kept !== undefined
              ? `The partial file ${part} (${kept} of ${job.listed.size} bytes) is kept: run the download again to resume.`
              : after
          }`,
          { cause },
        );
      },
      (message) => progress.note(message),
    );
    await Deno.rename(part, dest);
    await Deno.remove(`${part}.json`).catch(() => {});
    entry.mtimeMs = (await Deno.stat(dest)).mtime?.getTime() ?? 0;
    await updateManifest(stimuliDir, (m) => {
      m.files[entry.key] = entry;
    }, ctx.signal);
    await progress.done();
    return "downloaded";
  } finally {
    progress.stop();
  }
}

/**
 * One GET into the `.part`, from where it ends, then the check against the
 * ETag; returns the manifest entry of the verified `.part`.
 */
async function transferOnce(
  job: FileJob,
  ctx: TransferContext,
  progress: ReturnType<Reporter["file"]>,
  refused: Set<string>,
): Promise<ManifestEntry> {
  const { url, listed } = job;
  const part = `${job.dest}.part`;
  const name = basename(job.dest);
  let record = await readPartRecord(part);
  // Without an ETag nothing tells one version's bytes from another's: never resume then.
  let offset = record?.etag !== undefined ? (await sizeOf(part)) ?? 0 : 0;
  // Bytes from an earlier attempt or run that this one builds on.
  let kept = offset;
  let version = record ??
    { key: listed.key, etag: listed.etag, size: listed.size };

  if (offset < version.size || version.size === 0) {
    const headers = new Headers({ "accept-encoding": "identity" });
    if (offset > 0) {
      headers.set("range", `bytes=${offset}-`);
      // Only bytes of the version the .part holds may be appended to it.
      headers.set("if-range", `"${version.etag}"`);
    }
    const r = await request(url, headers, ctx);
    const etag = normalizeEtag(r.res.headers.get("etag"));
    let start: number;
    if (r.res.status === 206) {
      const range = r.res.headers.get("content-range") ?? "";
      const m = range.match(/^bytes (\d+)-\d+\/(\d+|\*)$/);
      if (etag === undefined || etag !== version.etag) {
        // Another version (If-Range ignored), or one we cannot tell: its bytes never go onto the .part.
        await r.cancel();
        await removePart(part);
        const what = etag === undefined
          ? `the server answered the resume with part of an object without an ETag, so it may be another version than the ${offset} bytes kept (ETag ${version.etag})`
          : `the object changed on the server (ETag ${version.etag} -> ${etag}) and the server sent part of the new version`;
        await progress.note(`${what}; starting from zero`);
        throw new TransientError(
          new Error(`${name}: a partial answer of an unknown version`),
          { immediate: true },
        );
      }
      if (!m || Number(m[1]) !== offset) {
        await r.cancel();
        await removePart(part);
        throw new TransientError(
          new Error(
            `GET ${url} with Range bytes=${offset}- answered Content-Range "${range}"; starting from zero`,
          ),
          { immediate: true },
        );
      }
      if (m[2] !== "*" && Number(m[2]) !== version.size) {
        await r.cancel();
        throw sizeMismatch(job, version.size, Number(m[2]), etag);
      }
      start = offset;
    } else if (r.res.status === 200) {
      const length = contentLength(r.res);
      if (etag !== undefined && etag !== version.etag) {
        // Another version than the .part or the listing: that is the object now.
        await progress.note(
          offset > 0
            ? `the object changed on the server (ETag ${version.etag} -> ${etag}); starting from zero`
            : `the object changed since it was listed (ETag ${version.etag} -> ${etag}); downloading the new version`,
        );
        version = {
          key: listed.key,
          etag,
          size: length ?? version.size,
        };
      } else if (length !== undefined && length !== version.size) {
        await r.cancel();
        throw sizeMismatch(job, version.size, length, etag);
      } else if (offset > 0) {
        await progress.note(
          "the server ignored the Range request and sent the whole file; starting from zero",
        );
      }
      start = 0;
      kept = 0;
      record = {
        key: listed.key,
        etag: version.etag,
        size: version.size,
        startedAt: new Date().toISOString(),
      };
      await Deno.remove(part).catch(() => {});
      try {
        await Deno.writeTextFile(`${part}.json`, JSON.stringify(record) + "\n");
      } catch (err) {
        await r.cancel();
        throw diskFull(err, `${part}.json`, version.size, ctx.disk) ?? err;
      }
    } else if (r.res.status === 412 || r.res.status === 416) {
      // The .part does not fit the object on the server any more.
      await r.cancel();
      await removePart(part);
      await progress.note(
        `the server answered HTTP ${r.res.status} to the resume; starting from zero`,
      );
      throw new TransientError(
        new Error(`HTTP ${r.res.status} for Range bytes=${offset}-`),
        { immediate: true },
      );
    } else {
      throw await httpError(r, url);
    }
    await progress.start(start);
    const written = await streamToFile(
      r,
      part,
      start,
      version.size,
      progress,
      ctx.disk,
    );
    if (written > version.size) {
      await removePart(part);
      throw new Error(
        `GET ${url} sent more than the ${version.size} bytes of the object; discarded ${part}. The object may have changed: run again to list it anew.`,
      );
    }
    if (written < version.size) {
      throw new TransientError(
        new Error(
          `GET ${url} ended after ${written} of ${version.size} bytes`,
        ),
      );
    }
    offset = written;
  }

  // Verify before the rename: a wrong file never gets the final name.
  const hashes = await hashFile(part, multipartCount(version.etag), ctx.signal);
  if (hashes.size !== version.size) {
    await removePart(part);
    throw new TransientError(
      new Error(
        `${part} has ${hashes.size} bytes, expected ${version.size}; starting from zero`,
      ),
      { immediate: true },
    );
  }
  const check = checkEtag(hashes, version.etag);
  if (!check.ok) {
    await removePart(part);
    const what = check.checkedBy === "md5"
      ? `the MD5 of the downloaded ${name} (${hashes.md5}) does`
      : `the part MD5s of the downloaded ${name} (${check.mismatch}) do`;
    if (kept === 0 && refused.has(hashes.sha256)) {
      // The same bytes twice: not a transfer error, so another try would fetch them again.
      throw new Error(
        `${job.url} served the same ${hashes.size} bytes twice (sha256 ${hashes.sha256}) and ${what} not match the object's ETag ${version.etag}; nothing was saved. Either the object in the bucket does not match its ETag${
          check.checkedBy === "md5"
            ? ""
            : `, or it was uploaded in parts of a size this module does not try (it tries ${
              PART_SIZES.map((p) => `${p / 1024 / 1024} MiB`).join(", ")
            })`
        }: report it to the bucket's maintainers, with this message.`,
      );
    }
    if (kept === 0) refused.add(hashes.sha256);
    throw new TransientError(
      new Error(
        `${what} not match the object's ETag ${version.etag}${
          kept > 0
            ? ` (the ${kept} bytes kept from before were not a prefix of this object)`
            : ""
        }; discarded the .part, starting from zero`,
      ),
      // A bad leftover is not the server's fault: no reason to wait.
      { immediate: kept > 0 },
    );
  }
  if (check.unchecked) await progress.note(check.unchecked);
  return {
    key: listed.key,
    size: hashes.size,
    etag: version.etag,
    sha256: hashes.sha256,
    checkedBy: check.checkedBy,
    mtimeMs: 0,
    downloadedAt: new Date().toISOString(),
  };
}

function sizeMismatch(
  job: FileJob,
  listed: number,
  served: number,
  etag: string | undefined,
): Error {
  return new Error(
    `The bucket listing says ${job.listed.key} has ${listed} bytes, but GET ${job.url} serves ${served} bytes (ETag ${etag}); the bucket is inconsistent, so nothing was saved. Try again later, or report it to the bucket's maintainers.`,
  );
}

/**
 * Stream a response body into `part` (appending at `start`, or truncating it
 * when `start` is 0); returns the bytes on disk, or `size + 1` as soon as the
 * body runs past `size` (the rest is not read).
 */
async function streamToFile(
  r: Awaited<ReturnType<typeof request>>,
  part: string,
  start: number,
  size: number,
  progress: ReturnType<Reporter["file"]>,
  disk: DownloadDisk,
): Promise<number> {
  let file: Deno.FsFile;
  try {
    file = await onDisk(part, size - start, disk, () =>
      Deno.open(
        part,
        start > 0
          ? { append: true }
          : { write: true, create: true, truncate: true },
      ));
  } catch (err) {
    await r.cancel();
    throw err;
  }
  let written = start;
  try {
    for (let chunk = await r.read(); chunk; chunk = await r.read()) {
      if (written + chunk.byteLength > size) return size + 1;
      try {
        await writeAll(file, chunk, part, disk);
      } catch (err) {
        throw diskFull(err, part, size - written, disk) ?? err;
      }
      written += chunk.byteLength;
      await progress.update(written);
    }
  } finally {
    file.close();
    await r.cancel();
  }
  return written;
}

async function writeAll(
  file: Deno.FsFile,
  bytes: Uint8Array,
  path: string,
  disk: DownloadDisk,
): Promise<void> {
  let off = 0;
  while (off < bytes.byteLength) {
    off += await disk.write(file, bytes.subarray(off), path);
  }
}

function contentLength(res: Response): number | undefined {
  const raw = res.headers.get("content-length");
  const n = raw === null ? NaN : Number(raw);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}
