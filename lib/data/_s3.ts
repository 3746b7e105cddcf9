// The HTTP side of the download: ListObjectsV2, GETs with a first-byte and a
// stall timeout, S3 error bodies, and retries with backoff that honours
// Retry-After. Knows nothing about files on disk.

/** Environment variable that overrides the bucket URL (a mirror, a test server). */
export const S3_URL_ENV = "LAION_FMRI_S3_URL";

/** Timeouts and retry policy of one download run. */
export interface HttpContext {
  /** The caller's abort signal. */
  signal?: AbortSignal;
  /** Base delay of the exponential backoff. */
  retryDelayMs: number;
  /** Retries after the first attempt. */
  retries: number;
  /** Longest wait for a response's headers after sending the request. */
  connectTimeoutMs: number;
  /** Longest wait for the next body bytes. */
  stallTimeoutMs: number;
  /** Cap on one backoff wait, including one asked for by `Retry-After`. */
  maxRetryWaitMs: number;
}

/** One object of a bucket listing. */
export interface ListedObject {
  key: string;
  size: number;
  /** The ETag without quotes (and without `W/`); may be absent. */
  etag?: string;
}

/** A failure worth retrying; never leaves lib/data/. */
export class TransientError extends Error {
  /** How long the server asked us to wait (`Retry-After`), in ms. */
  retryAfterMs?: number;
  /** Retry at once, without backoff (a restart from zero, not a failure of the server). */
  immediate: boolean;
  constructor(
    cause: unknown,
    options: { retryAfterMs?: number; immediate?: boolean } = {},
  ) {
    super(errorMessage(cause), { cause });
    this.name = "TransientError";
    this.retryAfterMs = options.retryAfterMs;
    this.immediate = options.immediate ?? false;
  }
}

/** A response whose body is read with a stall timeout. */
export interface TimedResponse {
  res: Response;
  /** The next chunk, `undefined` at the end; a stall or a dropped connection throws {@link TransientError}. */
  read(): Promise<Uint8Array | undefined>;
  /** Stop reading and release the connection; safe twice. */
  cancel(): Promise<void>;
}

/**
 * GET `url`: a {@link TransientError} when no response headers come within
 * `connectTimeoutMs` or the network fails, an at-once error on a refused
 * connection.
 */
export async function request(
  url: string,
  headers: HeadersInit,
  ctx: HttpContext,
): Promise<TimedResponse> {
  ctx.signal?.throwIfAborted();
  const timeout = new AbortController();
  const signal = ctx.signal
    ? AbortSignal.any([ctx.signal, timeout.signal])
    : timeout.signal;
  const timer = setTimeout(() => timeout.abort(), ctx.connectTimeoutMs);
  let res: Response;
  try {
    res = await fetch(url, { headers, signal });
  } catch (err) {
    ctx.signal?.throwIfAborted();
    if (timeout.signal.aborted) {
      throw new TransientError(
        new Error(
          `${hostOf(url)} did not answer within ${
            seconds(ctx.connectTimeoutMs)
          } (GET ${url})`,
        ),
      );
    }
    if (/connection refused/i.test(fullMessage(err))) {
      // Nothing listens there: retrying will not help, so say it at once.
      throw new Error(
        `Connection refused by ${
          hostOf(url)
        } (GET ${url}): nothing is listening there. Check the bucket URL (${S3_URL_ENV}) and the network.`,
        { cause: err },
      );
    }
    throw new TransientError(
      new Error(`GET ${url} failed: ${fullMessage(err)}`, { cause: err }),
    );
  } finally {
    clearTimeout(timer);
  }
  const reader = res.body?.getReader();
  let finished = reader === undefined;
  return {
    res,
    async read() {
      if (!reader || finished) return undefined;
      let stallTimer: ReturnType<typeof setTimeout> | undefined;
      const stalled = new Promise<"stalled">((resolve) => {
        stallTimer = setTimeout(() => resolve("stalled"), ctx.stallTimeoutMs);
      });
      try {
        const chunk = await Promise.race([reader.read(), stalled]);
        if (chunk === "stalled") {
          finished = true;
          timeout.abort();
          reader.cancel().catch(() => {});
          throw new TransientError(
            new Error(
              `no data from ${hostOf(url)} for ${
                seconds(ctx.stallTimeoutMs)
              } (the transfer stalled)`,
            ),
          );
        }
        if (chunk.done) {
          finished = true;
          return undefined;
        }
        return chunk.value;
      } catch (err) {
        if (err instanceof TransientError) throw err;
        finished = true;
        ctx.signal?.throwIfAborted();
        // A reset or dropped connection: what arrived is kept; resume from there.
        throw new TransientError(
          new Error(
            `the connection to ${hostOf(url)} broke: ${fullMessage(err)}`,
            { cause: err },
          ),
        );
      } finally {
        clearTimeout(stallTimer);
      }
    },
    async cancel() {
      if (finished) return;
      finished = true;
      await reader?.cancel().catch(() => {});
    },
  };
}

/** The whole body as text, under the same timeouts. */
async function readText(r: TimedResponse): Promise<string> {
  const chunks: Uint8Array[] = [];
  for (let c = await r.read(); c !== undefined; c = await r.read()) {
    chunks.push(c);
  }
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let off = 0;
  for (const c of chunks) {
    all.set(c, off);
    off += c.byteLength;
  }
  return new TextDecoder().decode(all);
}

/** An error for a non-success answer (body read): transient for 5xx and 429, with Retry-After. */
export async function httpError(r: TimedResponse, url: string): Promise<Error> {
  const { res } = r;
  let detail = "";
  try {
    const body = await readText(r);
    // S3 explains itself in <Error><Code>..</Code><Message>..</Message></Error>.
    const code = xmlField(body, "Code");
    const message = xmlField(body, "Message");
    if (code || message) {
      detail = ` (${[code, message].filter(Boolean).join(": ")})`;
    }
  } catch {
    // The explanation is optional.
  } finally {
    await r.cancel();
  }
  const err = new Error(
    `GET ${url} answered HTTP ${res.status} ${res.statusText}${detail}`,
  );
  if (res.status >= 500 || res.status === 429) {
    return new TransientError(err, {
      retryAfterMs: parseRetryAfter(res.headers.get("retry-after")),
    });
  }
  const hint = res.status === 403 || res.status === 404
    ? `; check the base URL (${S3_URL_ENV}) and that the bucket is public`
    : "";
  return new Error(`${err.message}${hint}.`);
}

/** `Retry-After` as ms from now: delay-seconds or an HTTP date; undefined when absent or malformed. */
export function parseRetryAfter(
  value: string | null,
  now: number = Date.now(),
): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Run `attempt`, retrying a {@link TransientError} with exponential backoff
 * (or the server's `Retry-After`, capped); after the last retry the error from
 * `exhausted` is thrown.
 */
export async function withRetries<T>(
  ctx: HttpContext,
  attempt: () => Promise<T>,
  exhausted: (cause: unknown, attempts: number) => Error | Promise<Error>,
  note?: (message: string) => Promise<void>,
): Promise<T> {
  for (let n = 1;; n++) {
    try {
      return await attempt();
    } catch (err) {
      ctx.signal?.throwIfAborted();
      if (!(err instanceof TransientError)) throw err;
      if (n > ctx.retries) throw await exhausted(err.cause, n);
      let delay = err.immediate ? 0 : ctx.retryDelayMs * 2 ** (n - 1);
      let why = "";
      if (err.retryAfterMs !== undefined) {
        delay = err.retryAfterMs;
        why = " (as the server's Retry-After asks)";
        if (delay > ctx.maxRetryWaitMs) {
          why = ` (the server's Retry-After asked for ${
            seconds(delay)
          }; capped)`;
        }
      }
      delay = Math.min(delay, ctx.maxRetryWaitMs);
      await note?.(
        `${errorMessage(err.cause)}; retry ${n} of ${ctx.retries} in ${
          seconds(delay)
        }${why}`,
      );
      await sleep(delay, ctx.signal);
    }
  }
}

/**
 * ListObjectsV2 over `prefix`, following continuation tokens until every
 * wanted key is found or the listing ends.
 */
export async function listObjects(
  base: string,
  prefix: string,
  wanted: string[],
  ctx: HttpContext,
): Promise<Map<string, ListedObject>> {
  const found = new Map<string, ListedObject>();
  let token: string | undefined;
  for (let page = 1;; page++) {
    const url = listUrl(base, prefix, token);
    const xml = await withRetries(
      ctx,
      async () => {
        const r = await request(url, {}, ctx);
        if (!r.res.ok) throw await httpError(r, url);
        return await readText(r);
      },
      (cause, attempts) =>
        new Error(
          `Listing ${url} failed after ${attempts} attempts (host ${
            hostOf(url)
          }): ${errorMessage(cause)}. Check the network and run again.`,
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
    objects.push({
      key,
      size,
      etag: normalizeEtag(xmlField(contents, "ETag")),
    });
  }
  return {
    objects,
    truncated: xmlField(xml, "IsTruncated") === "true",
    nextToken: xmlField(xml, "NextContinuationToken"),
  };
}

/** An ETag without `W/` and quotes, so listings and headers compare. */
export function normalizeEtag(
  etag: string | null | undefined,
): string | undefined {
  if (etag === null || etag === undefined) return undefined;
  const bare = etag.trim().replace(/^W\//, "").replace(/^"(.*)"$/, "$1");
  return bare === "" ? undefined : bare;
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

/** The endpoint as a URL string without a trailing slash; a TypeError for anything but http(s). */
export function baseUrl(raw: string, example: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch (err) {
    throw new TypeError(
      `Invalid base URL "${raw}"; pass an http(s) URL such as ${example}.`,
      { cause: err },
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(
      `Base URL "${raw}" is not http(s); pass a URL such as ${example}.`,
    );
  }
  return url.href.replace(/\/+$/, "");
}

export function listUrl(base: string, prefix: string, token?: string): string {
  const params = new URLSearchParams({ "list-type": "2", prefix });
  if (token !== undefined) params.set("continuation-token", token);
  return `${base}/?${params}`;
}

export function objectUrl(base: string, key: string): string {
  return `${base}/${key.split("/").map(encodeURIComponent).join("/")}`;
}

export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
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

/** `1500` -> `"1.5 s"`. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The message with its causes, which is where fetch puts "Connection refused". */
function fullMessage(err: unknown): string {
  const parts: string[] = [];
  for (let e = err, depth = 0; e !== undefined && depth < 5; depth++) {
    parts.push(errorMessage(e));
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join(": ");
}
