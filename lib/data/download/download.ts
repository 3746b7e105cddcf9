/**
 * Download the segmentation files of the LAION-fMRI stimuli from the public
 * `laion-fmri` bucket (AWS S3, us-west-2, CC0, no credentials needed).
 *
 * Guarantees: a file gets its final name only after all of it was checked
 * against the object (its MD5 for a plain ETag; for a multipart one the part
 * MD5s of every common part size giving its part count, refused unless one
 * matches, and its size alone, said so, only when no common part size fits);
 * one process at a time writes a file (an exclusive lock); a `<name>.part` is
 * resumed only against the object version recorded beside it
 * (`<name>.part.json`), and only bytes answered with that ETag are appended;
 * every request has a first-byte timeout, a stall timeout and a minimum
 * speed, and a listing must advance; a manifest
 * (`stimuli/.download/manifest.json`: key, size, ETag, sha256, time) lets
 * later runs and `info` notice a file that changed on disk.
 *
 * @module
 */

import { checkDownloadArgs } from "../_args.ts";
import { join } from "node:path";
import { DATA_DIR_ENV, getDataDir } from "../config.ts";
import { SEGMENTATIONS_CSV, SEGMENTATIONS_H5, STIMULI_DIR } from "../paths.ts";
import { createReporter } from "../../display/progress.ts";
import {
  baseUrl,
  hostOf,
  listObjects,
  listUrl,
  objectUrl,
  S3_URL_ENV,
} from "./_s3.ts";
import { fetchFile, type TransferContext } from "./_transfer.ts";
import { hashFile, readManifest, updateManifest } from "./_manifest.ts";
import {
  assertFolder,
  type DownloadDisk,
  isReadOnly,
  onDisk,
  REAL_DISK,
} from "./_on_disk.ts";

export type { DownloadProgress } from "../../display/progress.ts";
export type { DownloadDisk } from "./_on_disk.ts";
export { S3_URL_ENV } from "./_s3.ts";

/** The public bucket's endpoint. */
export const DEFAULT_BASE_URL = "https://laion-fmri.s3.us-west-2.amazonaws.com";

/** Base delay of the retry backoff in milliseconds; read from the environment so tests run fast. */
const RETRY_DELAY_ENV = "LAION_FMRI_RETRY_DELAY_MS";
const DEFAULT_RETRY_DELAY_MS = 500;
/** While a retry waits, a line says so this often. */
const WAIT_NOTE_MS = 5_000;

/** Shown once, after the first download into a data directory. */
export const DATASET_NOTICE: string =
  "The LAION-fMRI data are released under CC0 1.0 (public domain): no permission is needed to use them. " +
  "If they help your work, please cite the LAION-fMRI dataset as its authors ask (the reference is in the " +
  "README of the laion_fmri Python package and on the dataset's page). This notice is shown once per data directory.";

/** Options for {@link downloadSegmentations}. */
export interface DownloadOptions {
  /**
   * Data directory; the files go to `<dataDir>/stimuli/`, which is created.
   *
   * @default {getDataDir()} (env `LAION_FMRI_DATA_DIR`, then the config file written by `deno task cli init PATH`)
   */
  dataDir?: string;
  /**
   * Bucket endpoint to download from.
   *
   * @default {Deno.env.get("LAION_FMRI_S3_URL") ?? "https://laion-fmri.s3.us-west-2.amazonaws.com"}
   */
  baseUrl?: string;
  /**
   * Aborts the download; the promise rejects with the signal's reason (an
   * `AbortError` by default) and any `.part` file is kept for a later resume.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
  /**
   * Called when a transfer starts, at most every 100 ms while it runs, and
   * once with `bytes === total` when a file is complete or already present.
   *
   * @default {undefined}
   */
  onProgress?: (p: DownloadProgress) => void;
  /**
   * Called with every message for the user, one line each: a retry, a
   * restart from zero, waiting for another download of the same file, what
   * could not be verified. Called also when `quiet`.
   *
   * @default {undefined}
   */
  onMessage?: (text: string) => void;
  /**
   * Show no progress (no terminal bar, log lines or notebook output);
   * `onProgress` and `onMessage` are still called.
   *
   * @default {false}
   */
  quiet?: boolean;
  /**
   * Hash the files already on disk and compare them with the manifest and
   * the bucket's ETag, even when they look unchanged; a file that does not
   * match is downloaded anew.
   *
   * @default {false}
   */
  verify?: boolean;
  /**
   * Download every file anew, ignoring complete files and `.part` files.
   *
   * @default {false}
   */
  force?: boolean;
  /**
   * Milliseconds to wait for a response's headers (connection and first
   * byte) before the attempt counts as failed and is retried.
   *
   * @default {30_000}
   */
  connectTimeout?: number;
  /**
   * Milliseconds without a byte of the body before a transfer counts as
   * stalled; it is retried, resuming from the `.part` file. It is also the
   * window of `minSpeed`.
   *
   * @default {60_000}
   */
  stallTimeout?: number;
  /**
   * Least average speed of a transfer in bytes per second, measured over
   * each `stallTimeout` window: a slower one (a trickle that keeps the stall
   * timeout from firing) counts as stalled and is retried, resuming from the
   * `.part` file. 0 turns the rule off.
   *
   * @default {1024}
   */
  minSpeed?: number;
  /**
   * Retries after a failed attempt (HTTP 5xx or 429, a timeout, a dropped
   * connection), with exponential backoff from 0.5 s.
   *
   * @default {4}
   */
  retries?: number;
  /**
   * Longest wait before a retry in milliseconds, also when the server's
   * `Retry-After` asks for more.
   *
   * @default {60_000}
   */
  maxRetryWait?: number;
  /**
   * Milliseconds to wait for another process that is downloading the same
   * file into the same data directory before giving up.
   *
   * @default {3_600_000}
   */
  lockTimeout?: number;
  /**
   * The writes and free-space queries of the download. Replace them only to
   * test how a full disk is reported where no small filesystem can be
   * mounted; a `write` that throws `No space left on device (os error 28)`
   * fails as the OS would.
   *
   * @default {the real file system}
   */
  disk?: DownloadDisk;
}

import type { DownloadProgress } from "../../display/progress.ts";

/** Paths of the downloaded segmentation files. */
export interface SegmentationFiles {
  /** `<dataDir>/stimuli/task-images_desc-segmentations.h5`: the masks. */
  h5: string;
  /** `<dataDir>/stimuli/task-images_desc-segmentations_metadata.csv`: one row per mask. */
  csv: string;
}

/**
 * Download the segmentation masks (HDF5, ~68 MB) and their metadata (CSV) into
 * `<dataDir>/stimuli/`, skipping files that are already complete and resuming
 * interrupted ones.
 *
 * Transient failures (HTTP 5xx and 429, timeouts, stalls, dropped
 * connections) are retried 4 times with exponential backoff (or after the
 * server's `Retry-After`), each time resuming from the `.part` file; other
 * HTTP errors and a refused connection fail at once. Either the files end
 * byte-identical to the bucket's objects, or the promise rejects and no
 * final-named file is left that was not verified.
 *
 * @example Download into the configured data directory
 * ```ts ignore
 * import { downloadSegmentations } from "./download.ts";
 * const { h5, csv } = await downloadSegmentations();
 * console.log(h5, csv);
 * ```
 *
 * @example Download into a given folder, quietly, with a timeout
 * ```ts ignore
 * import { downloadSegmentations } from "./download.ts";
 * await downloadSegmentations({
 *   dataDir: "./data",
 *   quiet: true,
 *   signal: AbortSignal.timeout(10 * 60_000),
 *   onProgress: (p) => console.log(p.file, p.bytes, p.total),
 * });
 * ```
 *
 * @throws {Error} When no data directory is configured, a file or folder is in
 *   the way, a file is not in the bucket listing, the server answers with an
 *   HTTP error or a body that does not match the listing, the disk is full,
 *   another process holds the file past `lockTimeout`, or retries are exhausted.
 * @throws {TypeError} When the base URL is not a valid http(s) URL.
 * @throws {DOMException} `AbortError` (or the signal's reason) when aborted.
 */
export async function downloadSegmentations(
  options: DownloadOptions = {},
): Promise<SegmentationFiles> {
  checkDownloadArgs(options);
  const dataDir = options.dataDir ?? getDataDir();
  if (dataDir === undefined || dataDir === "") {
    throw new Error(
      `No data directory configured: run \`deno task cli init PATH\`, set ${DATA_DIR_ENV}=PATH, or pass { dataDir }.`,
    );
  }
  const base = baseUrl(
    options.baseUrl ?? envGet(S3_URL_ENV) ?? DEFAULT_BASE_URL,
    DEFAULT_BASE_URL,
  );
  const ctx: TransferContext = {
    signal: options.signal,
    retryDelayMs: retryDelayMs(),
    retries: options.retries ?? 4,
    connectTimeoutMs: options.connectTimeout ?? 30_000,
    stallTimeoutMs: options.stallTimeout ?? 60_000,
    maxRetryWaitMs: options.maxRetryWait ?? 60_000,
    lockTimeoutMs: options.lockTimeout ?? 3_600_000,
    minSpeed: options.minSpeed ?? 1024,
    waitNoteMs: WAIT_NOTE_MS,
    disk: options.disk ?? REAL_DISK,
    force: options.force ?? false,
    verify: options.verify ?? false,
  };
  checkDurations(ctx);
  ctx.signal?.throwIfAborted();
  const stimuliDir = join(dataDir, STIMULI_DIR);
  await assertFolder(dataDir, "the data directory");
  await assertFolder(
    stimuliDir,
    `the folder ${STIMULI_DIR}/ of the data files`,
  );

  const keys = {
    h5: `${STIMULI_DIR}/${SEGMENTATIONS_H5}`,
    csv: `${STIMULI_DIR}/${SEGMENTATIONS_CSV}`,
  };
  const reporter = createReporter({
    quiet: options.quiet,
    onProgress: options.onProgress,
    onMessage: options.onMessage,
  });
  try {
    const listed = await listObjects(
      base,
      `${STIMULI_DIR}/`,
      Object.values(keys),
      ctx,
      (m) => reporter.message(`listing ${hostOf(base)}: ${m}`),
    );
    for (const key of Object.values(keys)) {
      if (!listed.has(key)) {
        throw new Error(
          `${key} is not in the bucket listing of ${
            listUrl(base, `${STIMULI_DIR}/`)
          }; check the base URL (${S3_URL_ENV}) or whether the file was renamed.`,
        );
      }
    }

    let readOnly = false;
    try {
      await onDisk(
        stimuliDir,
        0,
        ctx.disk,
        () => Deno.mkdir(stimuliDir, { recursive: true }),
      );
    } catch (err) {
      // A read-only data folder may still hold complete files: fetchFile says which.
      if (!isReadOnly(err)) throw err;
      readOnly = true;
    }
    const out = { h5: join(dataDir, keys.h5), csv: join(dataDir, keys.csv) };
    for (const which of ["h5", "csv"] as const) {
      const key = keys[which];
      await fetchFile(
        {
          listed: listed.get(key)!,
          url: objectUrl(base, key),
          dest: out[which],
        },
        ctx,
        reporter,
      );
    }
    if (reporter.visible && !(await readManifest(stimuliDir)).noticeShownAt) {
      // Decided under the manifest's lock, so concurrent runs show it once;
      // a read-only folder cannot remember it, so there it is shown every time.
      let show = readOnly;
      if (!readOnly) {
        try {
          await updateManifest(stimuliDir, (m) => {
            show = !m.noticeShownAt;
            m.noticeShownAt ??= new Date().toISOString();
          });
        } catch (err) {
          if (!isReadOnly(err)) throw err;
          show = true;
        }
      }
      if (show) await reporter.message(DATASET_NOTICE);
    }
    return out;
  } finally {
    await reporter.close();
  }
}

/** How a downloaded file compares with its manifest entry. */
export interface DownloadCheck {
  /** The file's path. */
  path: string;
  /**
   * `ok`: as downloaded; `changed`: differs from what was downloaded;
   * `missing`: recorded but gone; `unrecorded`: no manifest entry (not
   * downloaded by this module, or before it kept one).
   */
  status: "ok" | "changed" | "missing" | "unrecorded";
  /** What is wrong and what to do, for `changed` and `missing`. */
  message?: string;
}

/** Options for {@link checkDownloads}. */
export interface CheckDownloadsOptions {
  /**
   * Hash every recorded file; otherwise only files whose size or
   * modification time changed since the download are hashed.
   *
   * @default {false}
   */
  hash?: boolean;
}

/**
 * Compare the segmentation files of `dataDir` with the download manifest,
 * without the network: a file edited, truncated or replaced since it was
 * downloaded is reported.
 *
 * @example Check a data directory
 * ```ts
 * import { checkDownloads } from "./download.ts";
 * const dataDir = await Deno.makeTempDir();
 * const checks = await checkDownloads(dataDir);
 * // Nothing was downloaded there, so nothing is recorded (and nothing is wrong).
 * console.log(checks.map((c) => c.status)); // ["unrecorded", "unrecorded"]
 * for (const c of checks) if (c.message) console.warn(c.message);
 * await Deno.remove(dataDir);
 * ```
 */
export async function checkDownloads(
  dataDir: string,
  options: CheckDownloadsOptions = {},
): Promise<DownloadCheck[]> {
  const stimuliDir = join(dataDir, STIMULI_DIR);
  const manifest = await readManifest(stimuliDir);
  const out: DownloadCheck[] = [];
  for (const name of [SEGMENTATIONS_H5, SEGMENTATIONS_CSV]) {
    const path = join(stimuliDir, name);
    const entry = manifest.files[`${STIMULI_DIR}/${name}`];
    if (entry === undefined) {
      out.push({ path, status: "unrecorded" });
      continue;
    }
    const fix =
      `run \`deno task cli download-segmentations --verify\` to fetch it anew`;
    let stat: Deno.FileInfo;
    try {
      stat = await Deno.stat(path);
    } catch {
      out.push({
        path,
        status: "missing",
        message: `${path} was downloaded but is gone; ${fix}`,
      });
      continue;
    }
    let why: string | undefined;
    if (stat.size !== entry.size) {
      why = `${stat.size} bytes on disk, ${entry.size} downloaded`;
    } else if (options.hash || (stat.mtime?.getTime() ?? 0) !== entry.mtimeMs) {
      const { sha256 } = await hashFile(path);
      if (sha256 !== entry.sha256) why = "its sha256 differs";
    }
    out.push(
      why === undefined ? { path, status: "ok" } : {
        path,
        status: "changed",
        message:
          `${path} no longer matches the download manifest (${why}); ${fix}`,
      },
    );
  }
  return out;
}

/** Timeouts must be positive milliseconds: a NaN or negative one would never, or always, fire. */
function checkDurations(ctx: TransferContext): void {
  const checks: Array<[string, number, boolean]> = [
    ["connectTimeout", ctx.connectTimeoutMs, false],
    ["stallTimeout", ctx.stallTimeoutMs, false],
    ["lockTimeout", ctx.lockTimeoutMs, true],
    ["maxRetryWait", ctx.maxRetryWaitMs, true],
    ["minSpeed", ctx.minSpeed, true],
  ];
  for (const [name, value, zeroOk] of checks) {
    if (!Number.isFinite(value) || value < 0 || (!zeroOk && value === 0)) {
      throw new RangeError(
        `downloadSegmentations: option ${name} must be a finite number ${
          zeroOk ? ">= 0" : "> 0"
        }, got ${value}.`,
      );
    }
  }
  if (
    typeof ctx.disk.write !== "function" || typeof ctx.disk.free !== "function"
  ) {
    throw new TypeError(
      "downloadSegmentations: option disk must have the functions write(file, bytes, path) and free(dir); leave it out to use the real file system.",
    );
  }
  if (ctx.retries < 0) {
    throw new RangeError(
      `downloadSegmentations: option retries must be >= 0, got ${ctx.retries}.`,
    );
  }
}

function retryDelayMs(): number {
  const raw = envGet(RETRY_DELAY_ENV);
  const ms = raw === undefined ? NaN : Number(raw);
  return Number.isFinite(ms) && ms >= 0 ? ms : DEFAULT_RETRY_DELAY_MS;
}

function envGet(name: string): string | undefined {
  try {
    const value = Deno.env.get(name);
    return value === "" ? undefined : value;
  } catch {
    // Without env permission, behave as if unset.
    return undefined;
  }
}
