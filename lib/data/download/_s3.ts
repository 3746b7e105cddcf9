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
  /**
   * Least average body speed in bytes per second over `stallTimeoutMs`; a
   * slower transfer counts as stalled (0: no minimum).
   */
  minSpeed: number;
  /** While waiting for a retry, a line is printed this often. */
  waitNoteMs: number;
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
  /** A few words for the lines printed while waiting, e.g. "HTTP 503 from host". */
  summary: string;
  constructor(
    cause: unknown,
    options: { retryAfterMs?: number; immediate?: boolean; summary?: string } =
      {},
  ) {
    super(errorMessage(cause), { cause });
    this.name = "TransientError";
    this.retryAfterMs = options.retryAfterMs;
    this.immediate = options.immediate ?? false;
    this.summary = options.summary ?? errorMessage(cause);
  }
}

/** A response whose body is read with a stall timeout. */
export interface TimedResponse {
  res: Response;
  /** The URL that answered: the one asked for, or where its redirects led. */
  url: string;
  /** The next chunk, `undefined` at the end; a stall or a dropped connection throws {@link TransientError}. */
  read(): Promise<Uint8Array | undefined>;
  /** Stop reading and release the connection; safe twice. */
  cancel(): Promise<void>;
}

/** Redirects followed for one request, as browsers and curl do. */
const MAX_REDIRECTS = 10;

/**
 * GET `url`: a {@link TransientError} when no response headers come within
 * `connectTimeoutMs` or the network fails, an at-once error on a refused
 * connection. Redirects are followed here (not by fetch), so every message
 * names the host that failed, also one redirected to.
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
  let current = url;
  try {
    for (let hop = 0;; hop++) {
      try {
        res = await fetch(current, { headers, signal, redirect: "manual" });
      } catch (err) {
        ctx.signal?.throwIfAborted();
        const via = current === url ? "" : `, redirected from ${url}`;
        if (timeout.signal.aborted) {
          throw new TransientError(
            new Error(
              `${hostOf(current)} did not answer within ${
                seconds(ctx.connectTimeoutMs)
              } (GET ${current}${via})`,
            ),
            { summary: `no answer from ${hostOf(current)}` },
          );
        }
        if (/connection refused/i.test(fullMessage(err))) {
          // Nothing listens there: retrying will not help, so say it at once.
          throw new Error(
            `Connection refused by ${
              hostOf(current)
            } (GET ${current}${via}): nothing is listening there. Check the bucket URL (${S3_URL_ENV}) and the network.`,
            { cause: err },
          );
        }
        throw new TransientError(
          new Error(`GET ${current}${via} failed: ${fullMessage(err)}`, {
            cause: err,
          }),
          { summary: `GET failed on ${hostOf(current)}` },
        );
      }
      const location = res.headers.get("location");
      if (![301, 302, 303, 307, 308].includes(res.status) || !location) break;
      await res.body?.cancel().catch(() => {});
      if (hop >= MAX_REDIRECTS) {
        throw new Error(
          `GET ${url} was redirected more than ${MAX_REDIRECTS} times (last to ${current}); check the bucket URL (${S3_URL_ENV}).`,
        );
      }
      let next: URL;
      try {
        next = new URL(location, current);
      } catch (err) {
        throw new Error(
          `GET ${current} redirected to an invalid URL ${
            JSON.stringify(location)
          }; check the bucket URL (${S3_URL_ENV}).`,
          { cause: err },
        );
      }
      if (next.protocol !== "http:" && next.protocol !== "https:") {
        throw new Error(
          `GET ${current} redirected to ${next.href}, which is not http(s); check the bucket URL (${S3_URL_ENV}).`,
        );
      }
      current = next.href;
    }
  } finally {
    clearTimeout(timer);
  }
  const finalUrl = current;
  const reader = res.body?.getReader();
  let finished = reader === undefined;
  // The minimum-speed rule: bytes counted per window of stallTimeoutMs.
  let windowStart = performance.now();
  let windowBytes = 0;
  return {
    res,
    url: finalUrl,
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
              `no data from ${hostOf(finalUrl)} for ${
                seconds(ctx.stallTimeoutMs)
              } (the transfer stalled)`,
            ),
            { summary: `stalled transfer from ${hostOf(finalUrl)}` },
          );
        }
        if (chunk.done) {
          finished = true;
          return undefined;
        }
        windowBytes += chunk.value.byteLength;
        const now = performance.now();
        if (now - windowStart >= ctx.stallTimeoutMs) {
          const perSecond = windowBytes / ((now - windowStart) / 1000);
          if (perSecond < ctx.minSpeed) {
            finished = true;
            timeout.abort();
            reader.cancel().catch(() => {});
            throw new TransientError(
              new Error(
                `${hostOf(finalUrl)} sent ${windowBytes} bytes in ${
                  seconds(now - windowStart)
                } (${
                  perSecond.toFixed(1)
                } bytes/s, below the minimum of ${ctx.minSpeed} bytes/s; the transfer is too slow)`,
              ),
              { summary: `too slow a transfer from ${hostOf(finalUrl)}` },
            );
          }
          windowStart = now;
          windowBytes = 0;
        }
        return chunk.value;
      } catch (err) {
        if (err instanceof TransientError) throw err;
        finished = true;
        ctx.signal?.throwIfAborted();
        // A reset or dropped connection: what arrived is kept; resume from there.
        throw new TransientError(
          new Error(
            `the connection to ${hostOf(finalUrl)} broke: ${fullMessage(err)}`,
            { cause: err },
          ),
          { summary: `a broken connection to ${hostOf(finalUrl)}` },
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
  const via = r.url === url ? "" : ` (redirected to ${r.url})`;
  const err = new Error(
    `GET ${url}${via} answered HTTP ${res.status} ${res.statusText}${detail}`,
  );
  if (res.status >= 500 || res.status === 429) {
    return new TransientError(err, {
      retryAfterMs: parseRetryAfter(res.headers.get("retry-after")),
      summary: `HTTP ${res.status} from ${hostOf(r.url)}`,
    });
  }
  const hint = res.status === 403 || res.status === 404
    ? `; check the base URL (${S3_URL_ENV}) and that the bucket is public`
    : "";
  return new Error(`${err.message}${hint}.`);
}

/**
 * `Retry-After` as ms from now: delay-seconds (a fraction rounded up to whole
 * seconds) or an HTTP date; undefined when absent or malformed (a negative
 * number too), which leaves the wait to the backoff.
 */
export function parseRetryAfter(
  value: string | null,
  now: number = Date.now(),
): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.ceil(Number(text)) * 1000;
  // An HTTP date names a weekday or a month; a bare number (-5, 1e3) is none.
  if (!/[a-z]{3}/i.test(text)) return undefined;
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
      const backoff = err.immediate ? 0 : ctx.retryDelayMs * 2 ** (n - 1);
      let delay = backoff;
      let why = "";
      // Never sooner than the backoff: a Retry-After of 0 or a past date must not make us hammer.
      if (err.retryAfterMs !== undefined && err.retryAfterMs >= backoff) {
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
      // A long wait says so every few seconds, so a run never looks hung.
      const until = performance.now() + delay;
      for (let left = delay; left > 0; left = until - performance.now()) {
        const step = Math.min(left, ctx.waitNoteMs);
        await sleep(step, ctx.signal);
        const remaining = until - performance.now();
        if (step === ctx.waitNoteMs && remaining >= 500) {
          await note?.(
            `retrying in ${Math.ceil(remaining / 1000)} s: ${err.summary}`,
          );
        }
      }
    }
  }
}

/** Most listing pages followed: 100,000 keys under the prefix, far more than the bucket holds. */
export const MAX_LIST_PAGES = 100;

/**
 * ListObjectsV2 over `prefix`, following continuation tokens until every
 * wanted key is found or the listing ends. A listing that does not advance
 * (a continuation token seen before, keys not after the previous page's, more
 * than {@link MAX_LIST_PAGES} pages) is an error naming the host.
 */
export async function listObjects(
  base: string,
  prefix: string,
  wanted: string[],
  ctx: HttpContext,
  note?: (message: string) => Promise<void>,
): Promise<Map<string, ListedObject>> {
  const found = new Map<string, ListedObject>();
  let token: string | undefined;
  const tokens = new Map<string, number>();
  let lastKey: string | undefined;
  const stuck = (page: number, what: string) =>
    new Error(
      `The listing of ${prefix} on ${
        hostOf(base)
      } does not end: ${what} (page ${page}, ${
        listUrl(base, prefix, token)
      }). The server does not page its listing as S3's ListObjectsV2 does; check the bucket URL (${S3_URL_ENV}).`,
    );
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
      note,
    );
    const result = parseListing(xml, url);
    const first = result.objects[0]?.key;
    if (lastKey !== undefined && first !== undefined && first <= lastKey) {
      throw stuck(
        page,
        `this page starts at ${
          JSON.stringify(first)
        }, not after the previous page's last key ${
          JSON.stringify(lastKey)
        }, so the server ignored the continuation token`,
      );
    }
    for (const obj of result.objects) {
      if (wanted.includes(obj.key)) found.set(obj.key, obj);
    }
    lastKey = result.objects.at(-1)?.key ?? lastKey;
    if (wanted.every((k) => found.has(k)) || !result.truncated) return found;
    if (!result.nextToken) {
      throw new Error(
        `Listing ${url} is truncated but has no NextContinuationToken; the server is not S3-compatible.`,
      );
    }
    const seen = tokens.get(result.nextToken);
    if (seen !== undefined) {
      throw stuck(
        page,
        `it gave the continuation token ${
          JSON.stringify(result.nextToken)
        } again (first on page ${seen})`,
      );
    }
    if (page >= MAX_LIST_PAGES) {
      throw stuck(
        page,
        `${MAX_LIST_PAGES} pages without ${
          wanted.filter((k) => !found.has(k)).join(" and ")
        }`,
      );
    }
    tokens.set(result.nextToken, page);
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
