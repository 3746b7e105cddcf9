/**
 * Download the segmentation files of the LAION-fMRI stimuli from the public
 * `laion-fmri` bucket (AWS S3, us-west-2, CC0, no credentials needed).
 *
 * The download is idempotent (complete files are skipped without a GET),
 * resumable (bytes go to `<name>.part`, and an interrupted transfer carries on
 * from there with a `Range` request) and retried with exponential backoff on
 * transient failures. A file gets its final name only once its size matches
 * the bucket listing.
 *
 * @module
 */

import { checkDownloadArgs } from "./_args.ts";
import { basename, join } from "node:path";
import { DATA_DIR_ENV, getDataDir } from "./config.ts";
import { SEGMENTATIONS_CSV, SEGMENTATIONS_H5, STIMULI_DIR } from "./paths.ts";
import {
  createReporter,
  type FileReporter,
  type Reporter,
} from "../display/progress.ts";

export type { DownloadProgress } from "../display/progress.ts";
import type { DownloadProgress } from "../display/progress.ts";

/** The public bucket's endpoint. */
export const DEFAULT_BASE_URL = "https://laion-fmri.s3.us-west-2.amazonaws.com";

/** Environment variable that overrides {@link DEFAULT_BASE_URL} (a mirror, a test server). */
export const S3_URL_ENV = "LAION_FMRI_S3_URL";

/** Base delay of the retry backoff in milliseconds; read from the environment so tests run fast. */
const RETRY_DELAY_ENV = "LAION_FMRI_RETRY_DELAY_MS";
const DEFAULT_RETRY_DELAY_MS = 500;
/** Retries after the first attempt: 0.5 + 1 + 2 + 4 s of waiting by default. */
const MAX_RETRIES = 4;

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
   * Show no progress (no terminal bar, log lines or notebook output);
   * `onProgress` is still called.
   *
   * @default {false}
   */
  quiet?: boolean;
}

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
 * Transient failures (HTTP 5xx, dropped connections, network errors) are
 * retried 4 times with exponential backoff, each time resuming from the
 * `.part` file; other HTTP errors fail at once.
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
 * @throws {Error} When no data directory is configured, a file is not in the
 *   bucket listing, the server answers with an HTTP error, sends a body of the
 *   wrong size, or retries are exhausted.
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
  );
  const ctx: Context = {
    signal: options.signal,
    retryDelayMs: retryDelayMs(),
  };
  ctx.signal?.throwIfAborted();

  const keys = {
    h5: `${STIMULI_DIR}/${SEGMENTATIONS_H5}`,
    csv: `${STIMULI_DIR}/${SEGMENTATIONS_CSV}`,
  };
  const listed = await listObjects(
    base,
    `${STIMULI_DIR}/`,
    Object.values(keys),
    ctx,
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

  await Deno.mkdir(join(dataDir, STIMULI_DIR), { recursive: true });
  const reporter = createReporter({
    quiet: options.quiet,
    onProgress: options.onProgress,
  });
  const out = { h5: join(dataDir, keys.h5), csv: join(dataDir, keys.csv) };
  for (const which of ["h5", "csv"] as const) {
    const key = keys[which];
    await downloadObject(
      listed.get(key)!,
      objectUrl(base, key),
      out[which],
      ctx,
      reporter,
    );
  }
  return out;
}

interface Context {
  signal?: AbortSignal;
  retryDelayMs: number;
}

interface ListedObject {
  key: string;
  size: number;
  etag?: string;
}

/** A failure worth retrying; never escapes this module. */
class TransientError extends Error {
  constructor(cause: unknown) {
    super(errorMessage(cause), { cause });
    this.name = "TransientError";
  }
}

/**
 * ListObjectsV2 over `prefix`, following continuation tokens until every
 * wanted key is found or the listing ends.
 */
async function listObjects(
  base: string,
  prefix: string,
  wanted: string[],
  ctx: Context,
): Promise<Map<string, ListedObject>> {
  const found = new Map<string, ListedObject>();
  let token: string | undefined;
  for (let page = 1;; page++) {
    const url = listUrl(base, prefix, token);
    const xml = await withRetries(
      ctx,
      () => getText(url, ctx),
      (cause, attempts) =>
        new Error(
          `Listing ${url} failed after ${attempts} attempts: ${
            errorMessage(cause)
          }. Check the network and run again.`,
          { cause },
        ),
    );
    const result = parseListing(xml, url);
    for (const obj of result.objects) {
      if (wanted.includes(obj.key)) found.set(obj.key, obj);
    }
    if (wanted.every((k) => found.has(k)) || !result.truncated) return found;
    if (!result.nextToken) {
      throw new Error(
        `Listing ${url} is truncated but has no NextContinuationToken; the server is not S3-compatible.`,
      );
    }
    if (page > 10_000) {
      throw new Error(`Listing ${url} did not end after ${page} pages.`);
    }
    token = result.nextToken;
  }
}

interface Listing {
  objects: ListedObject[];
  truncated: boolean;
  nextToken?: string;
}

/** Read the parts of a ListBucketResult we need; S3's XML is flat enough for patterns. */
function parseListing(xml: string, url: string): Listing {
  if (!/<ListBucketResult[\s>]/.test(xml)) {
    throw new Error(
      `${url} did not answer with a ListBucketResult (got ${
        JSON.stringify(xml.slice(0, 80))
      }); check the base URL (${S3_URL_ENV}).`,
    );
  }
  const objects: ListedObject[] = [];
  for (
    const [, contents] of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)
  ) {
    const key = xmlField(contents, "Key");
    const size = Number(xmlField(contents, "Size"));
    if (key === undefined || !Number.isSafeInteger(size) || size < 0) continue;
    objects.push({ key, size, etag: xmlField(contents, "ETag") });
  }
  return {
    objects,
    truncated: xmlField(xml, "IsTruncated") === "true",
    nextToken: xmlField(xml, "NextContinuationToken"),
  };
}

function xmlField(xml: string, tag: string): string | undefined {
  const m = xml.match(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`));
  return m ? decodeXml(m[1]) : undefined;
}

function decodeXml(text: string): string {
  return text.replace(
    /&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g,
    (_, e: string) => {
      if (e[0] === "#") {
        return String.fromCodePoint(
          e[1] === "x" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10),
        );
      }
      return { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" }[e]!;
    },
  );
}

async function getText(url: string, ctx: Context): Promise<string> {
  const res = await fetchTransient(url, { signal: ctx.signal }, ctx);
  if (!res.ok) throw await httpError(res, url);
  try {
    return await res.text();
  } catch (err) {
    abortCheck(ctx);
    throw new TransientError(err);
  }
}

/** Fetch one object into `dest` via `dest.part`, resuming and retrying. */
async function downloadObject(
  obj: ListedObject,
  url: string,
  dest: string,
  ctx: Context,
  reporter: Reporter,
): Promise<void> {
  const name = basename(dest);
  const part = `${dest}.part`;
  const existing = await sizeOf(dest);
  if (existing === obj.size) {
    await reporter.skip(name, obj.size);
    return;
  }
  // A wrong-size file under the final name is stale or corrupt; readers must not see it.
  if (existing !== undefined) await Deno.remove(dest);

  const progress = reporter.file(name, obj.size, url);
  await withRetries(
    ctx,
    () => transferOnce(obj, url, part, ctx, progress),
    async (cause, attempts) =>
      new Error(
        `Downloading ${name} from ${url} failed after ${attempts} attempts: got ${
          (await sizeOf(part)) ?? 0
        } of ${obj.size} bytes; last error: ${
          errorMessage(cause)
        }. Run the download again to resume from ${part}.`,
        { cause },
      ),
    (message) => progress.note(message),
  );
  await Deno.rename(part, dest);
  await progress.done();
}

/** One GET of an object into its `.part` file, from wherever that file ends. */
async function transferOnce(
  obj: ListedObject,
  url: string,
  part: string,
  ctx: Context,
  progress: FileReporter,
): Promise<void> {
  let offset = (await sizeOf(part)) ?? 0;
  if (offset > obj.size) {
    // Cannot be a prefix of the listed object: left over from another version.
    await Deno.remove(part);
    await progress.note(
      `discarded ${part}: it is larger (${offset} bytes) than the listed size (${obj.size})`,
    );
    offset = 0;
  }
  if (offset === obj.size) {
    // Complete from an earlier run that stopped before the rename (or an empty object).
    if (offset === 0) await Deno.writeFile(part, new Uint8Array());
    return;
  }

  const headers = new Headers({ "accept-encoding": "identity" });
  if (offset > 0) {
    headers.set("range", `bytes=${offset}-`);
    // If the object changed since the listing, S3 answers 200 with all of it.
    if (obj.etag) headers.set("if-range", obj.etag);
  }
  const res = await fetchTransient(url, { headers, signal: ctx.signal }, ctx);
  let start: number;
  if (res.status === 206) {
    const range = res.headers.get("content-range") ?? "";
    const m = range.match(/^bytes (\d+)-\d+\/(\d+|\*)$/);
    if (!m || Number(m[1]) !== offset) {
      await res.body?.cancel();
      throw new Error(
        `GET ${url} with Range bytes=${offset}- answered Content-Range "${range}"; delete ${part} and run again.`,
      );
    }
    start = offset;
  } else if (res.status === 200) {
    start = 0;
    if (offset > 0) {
      await progress.note(
        "the server ignored the Range request; restarting from 0",
      );
    }
  } else if (res.status === 416) {
    // The .part does not fit the object on the server; start over.
    await res.body?.cancel();
    await Deno.remove(part);
    throw new TransientError(new Error(`HTTP 416 for Range bytes=${offset}-`));
  } else {
    throw await httpError(res, url);
  }

  await progress.start(start);
  const written = await streamToFile(res, part, start, obj.size, ctx, progress);
  if (written > obj.size) {
    await Deno.remove(part);
    throw new Error(
      `GET ${url} sent more than the listed ${obj.size} bytes; discarded ${part}. The object may have changed: run again to list it anew.`,
    );
  }
  if (written < obj.size) {
    throw new Error(
      `GET ${url} ended after ${written} of ${obj.size} bytes; kept ${part} to resume from. Run again to resume.`,
    );
  }
}

/**
 * Stream a response body into `part` (appending at `start`, or truncating it
 * when `start` is 0); returns the bytes on disk, or `size + 1` as soon as the
 * body runs past `size` (the rest is not read).
 */
async function streamToFile(
  res: Response,
  part: string,
  start: number,
  size: number,
  ctx: Context,
  progress: FileReporter,
): Promise<number> {
  const file = await Deno.open(
    part,
    start > 0
      ? { append: true }
      : { write: true, create: true, truncate: true },
  );
  let written = start;
  const reader = res.body?.getReader();
  let finished = reader === undefined;
  try {
    while (reader) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (err) {
        // A reset or dropped connection: what arrived is on disk; resume from there.
        abortCheck(ctx);
        finished = true;
        throw new TransientError(err);
      }
      if (chunk.done) {
        finished = true;
        break;
      }
      if (written + chunk.value.byteLength > size) return size + 1;
      await writeAll(file, chunk.value);
      written += chunk.value.byteLength;
      await progress.update(written);
    }
  } finally {
    file.close();
    if (!finished) await reader?.cancel().catch(() => {});
  }
  return written;
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.byteLength) off += await file.write(bytes.subarray(off));
}

/** fetch, with network errors marked transient and aborts passed through. */
async function fetchTransient(
  url: string,
  init: RequestInit,
  ctx: Context,
): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    abortCheck(ctx);
    throw new TransientError(err);
  }
}

/** An error for a non-success answer (body consumed): transient for 5xx. */
async function httpError(res: Response, url: string): Promise<Error> {
  let detail = "";
  try {
    const body = await res.text();
    // S3 explains itself in <Error><Code>..</Code><Message>..</Message></Error>.
    const code = xmlField(body, "Code");
    const message = xmlField(body, "Message");
    if (code || message) {
      detail = ` (${[code, message].filter(Boolean).join(": ")})`;
    }
  } catch {
    // The explanation is optional.
  }
  const err = new Error(
    `GET ${url} answered HTTP ${res.status} ${res.statusText}${detail}`,
  );
  if (res.status >= 500) return new TransientError(err);
  const hint = res.status === 403 || res.status === 404
    ? `; check the base URL (${S3_URL_ENV}) and that the bucket is public`
    : "";
  return new Error(`${err.message}${hint}.`);
}

/**
 * Run `attempt`, retrying a {@link TransientError} with exponential backoff;
 * after the last retry the error from `exhausted` is thrown.
 */
async function withRetries<T>(
  ctx: Context,
  attempt: () => Promise<T>,
  exhausted: (cause: unknown, attempts: number) => Error | Promise<Error>,
  note?: (message: string) => Promise<void>,
): Promise<T> {
  for (let n = 1;; n++) {
    try {
      return await attempt();
    } catch (err) {
      abortCheck(ctx);
      if (!(err instanceof TransientError)) throw err;
      if (n > MAX_RETRIES) throw await exhausted(err.cause, n);
      const delay = ctx.retryDelayMs * 2 ** (n - 1);
      await note?.(
        `${errorMessage(err.cause)}; retry ${n} of ${MAX_RETRIES} in ${
          (delay / 1000).toFixed(1)
        } s`,
      );
      await sleep(delay, ctx.signal);
    }
  }
}

function abortCheck(ctx: Context): void {
  ctx.signal?.throwIfAborted();
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await Deno.stat(path)).size;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

function baseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch (err) {
    throw new TypeError(
      `Invalid base URL "${raw}"; pass an http(s) URL such as ${DEFAULT_BASE_URL}.`,
      { cause: err },
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(
      `Base URL "${raw}" is not http(s); pass a URL such as ${DEFAULT_BASE_URL}.`,
    );
  }
  return url.href.replace(/\/+$/, "");
}

function listUrl(base: string, prefix: string, token?: string): string {
  const params = new URLSearchParams({ "list-type": "2", prefix });
  if (token !== undefined) params.set("continuation-token", token);
  return `${base}/?${params}`;
}

function objectUrl(base: string, key: string): string {
  return `${base}/${key.split("/").map(encodeURIComponent).join("/")}`;
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

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
