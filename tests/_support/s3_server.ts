/**
 * A loopback HTTP server that behaves like S3 for a directory of objects
 * (the key is the path relative to the directory): ListObjectsV2 with
 * pagination, HEAD, GET with `Range: bytes=N-` / `If-Range`, S3 error XML —
 * plus a per-key script of faults, and a record of every request.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { join, relative, sep } from "node:path";
import { withEnv } from "./helpers.ts";

/** One scripted misbehaviour, used by the next GET of its key. */
export type Fault =
  /** Answer with this HTTP status and an S3 error body (and a `Retry-After` header when given). */
  | { status: number; retryAfter?: string }
  /** Accept the request and never answer (no status line), until the client goes away or the server closes. */
  | { hang: true }
  /** Send this many body bytes (of an honest Content-Length), then drop the connection. */
  | { drop: number }
  /** Answer a Range request with 200 and the whole object. */
  | { ignoreRange: true }
  /** Send a body of this many bytes instead of the object's (prefix, padded with zeros);
   * Content-Length is honest unless `chunked`, which sends none. */
  | { bodySize: number; chunked?: boolean }
  /** Send this many bytes, then hang until the client goes away or the server closes. */
  | { stall: number }
  /** Send the object with the byte at this offset of the object flipped (corrupted in transit). */
  | { flip: number }
  /** Answer as usual but without an `ETag` header. */
  | { omitEtag: true }
  /** Answer 307 with this `Location` (a full URL). */
  | { redirect: string };

/** What the server saw of one request. */
export interface RecordedRequest {
  method: string;
  /** The object key, or `""` for the bucket (listing). */
  key: string;
  /** The query string, without `?`. */
  query: string;
  /** The `Range` header, or `null`. */
  range: string | null;
  /** The `If-Range` header, or `null`. */
  ifRange: string | null;
  /** The ETag of the object when the request came (undefined for the listing). */
  etag?: string;
  /** The HTTP status answered. */
  status: number;
}

/** Options for {@link FakeS3.start}. */
export interface FakeS3Options {
  /**
   * Most keys per listing page, whatever `max-keys` the client asks for.
   *
   * @default {1000}
   */
  pageSize?: number;
  /**
   * Bytes per body chunk, so faults can happen between chunks.
   *
   * @default {65536}
   */
  chunkSize?: number;
  /**
   * Milliseconds to wait before each body chunk, so transfers take a while
   * (concurrent runs overlap, stalls can be timed).
   *
   * @default {0}
   */
  throttleMs?: number;
  /**
   * Answer every Range request with 200 and the whole object.
   *
   * @default {false}
   */
  ignoreRange?: boolean;
  /**
   * Apply Range even when `If-Range` names another ETag (a broken proxy).
   *
   * @default {false}
   */
  ignoreIfRange?: boolean;
  /**
   * Give objects larger than this a multipart ETag (`<md5 of part md5s>-N`)
   * as S3 does for multipart uploads; 0 for plain MD5 ETags.
   *
   * @default {0}
   */
  partSize?: number;
  /**
   * Give objects no larger than `partSize` a one-part multipart ETag
   * (`<md5 of the md5>-1`), as S3 does for a multipart upload of one part.
   *
   * @default {false}
   */
  singlePartMultipart?: boolean;
  /**
   * Send no ETag at all: no header, none in the listing.
   *
   * @default {false}
   */
  noEtag?: boolean;
  /**
   * A broken listing: `"repeatToken"` gives the same continuation token on
   * every page, `"ignoreToken"` answers the first page whatever the token,
   * `"endless"` invents new keys (sorting before every real one) forever.
   *
   * @default {undefined}
   */
  listing?: "repeatToken" | "ignoreToken" | "endless";
}

/** A fake S3 bucket serving the files under `root`. Use with `await using`. */
export class FakeS3 implements AsyncDisposable {
  /** The bucket's endpoint, e.g. `http://127.0.0.1:12345`. */
  readonly url: string;
  /** Every request, in order. */
  readonly requests: RecordedRequest[] = [];

  #root: string;
  #options: Required<Omit<FakeS3Options, "listing">> & {
    listing?: FakeS3Options["listing"];
  };
  #faults = new Map<string, Fault[]>();
  #abort = new AbortController();
  #server: Deno.HttpServer<Deno.NetAddr>;
  #stalls = new Set<() => void>();
  #misreported = new Map<string, { size?: number; etag?: string }>();

  private constructor(root: string, options: FakeS3Options) {
    this.#root = root;
    this.#options = {
      pageSize: 1000,
      chunkSize: 65536,
      throttleMs: 0,
      ignoreRange: false,
      ignoreIfRange: false,
      partSize: 0,
      singlePartMultipart: false,
      noEtag: false,
      listing: undefined,
      ...options,
    };
    this.#server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      signal: this.#abort.signal,
      onListen: () => {},
      // Scripted drops error the body stream on purpose; keep the test log clean.
      onError: () => new Response(null, { status: 500 }),
    }, (req) => this.#handle(req));
    this.url = `http://127.0.0.1:${this.#server.addr.port}`;
  }

  /** Serve the files under `root` on a free loopback port. */
  static start(root: string, options: FakeS3Options = {}): FakeS3 {
    return new FakeS3(root, options);
  }

  /** Queue faults for the next GETs of `key` (`""` for the listing), one per request. */
  fail(key: string, ...faults: Fault[]): void {
    this.#faults.set(key, [...(this.#faults.get(key) ?? []), ...faults]);
  }

  /** Make the listing state another size or ETag for `key` than the object has. */
  misreport(key: string, listed: { size?: number; etag?: string }): void {
    this.#misreported.set(key, listed);
  }

  /** The ETag this server gives `data` (plain MD5, or multipart with `partSize`). */
  etagOf(data: Uint8Array): string {
    return etagOf(
      data,
      this.#options.partSize,
      this.#options.singlePartMultipart,
    );
  }

  /** How many requests had this method (and key, when given). */
  count(method: string, key?: string): number {
    return this.requests.filter((r) =>
      r.method === method && (key === undefined || r.key === key)
    )
      .length;
  }

  /** Stop serving and wait for every connection to end. */
  async close(): Promise<void> {
    for (const release of this.#stalls) release();
    this.#stalls.clear();
    this.#abort.abort();
    await this.#server.finished;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const key = decodeURIComponent(url.pathname.slice(1));
    const record: RecordedRequest = {
      method: req.method,
      key,
      query: url.search.slice(1),
      range: req.headers.get("range"),
      ifRange: req.headers.get("if-range"),
      status: 0,
    };
    this.requests.push(record);
    const res = await this.#answer(req, url, key, record);
    record.status = res.status;
    return res;
  }

  async #answer(
    req: Request,
    url: URL,
    key: string,
    record: RecordedRequest,
  ): Promise<Response> {
    const fault = req.method === "GET"
      ? this.#faults.get(key)?.shift()
      : undefined;
    if (fault && "status" in fault) {
      const headers = new Headers();
      if (fault.retryAfter !== undefined) {
        headers.set("retry-after", fault.retryAfter);
      }
      return s3Error(fault.status, "InjectedFault", "scripted", headers);
    }
    if (fault && "redirect" in fault) {
      return new Response(null, {
        status: 307,
        headers: { location: fault.redirect },
      });
    }
    if (fault && "hang" in fault) {
      await new Promise<void>((resolve) => {
        const release = () => {
          this.#stalls.delete(release);
          resolve();
        };
        this.#stalls.add(release);
        req.signal.addEventListener("abort", release, { once: true });
      });
      return s3Error(503, "Hung", "the scripted hang ended");
    }
    if (key === "") {
      if (url.searchParams.get("list-type") !== "2") {
        return s3Error(
          400,
          "InvalidArgument",
          "only ListObjectsV2 is supported",
        );
      }
      return await this.#list(url.searchParams);
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      return s3Error(405, "MethodNotAllowed", "read-only bucket");
    }
    let data: Uint8Array;
    try {
      data = await Deno.readFile(join(this.#root, ...key.split("/")));
    } catch {
      return s3Error(404, "NoSuchKey", "The specified key does not exist.");
    }
    const etag = this.etagOf(data);
    record.etag = etag;
    const headers = new Headers({
      "accept-ranges": "bytes",
      "etag": etag,
      "content-type": "application/octet-stream",
    });
    if (this.#options.noEtag || (fault && "omitEtag" in fault)) {
      headers.delete("etag");
    }
    if (req.method === "HEAD") {
      headers.set("content-length", String(data.length));
      return new Response(null, { headers });
    }

    let start = 0;
    const range = req.headers.get("range");
    const ifRange = req.headers.get("if-range");
    const rangeApplies = range !== null && !(fault && "ignoreRange" in fault) &&
      !this.#options.ignoreRange &&
      (ifRange === null || ifRange === etag || this.#options.ignoreIfRange);
    if (range !== null && rangeApplies) {
      const m = range.match(/^bytes=(\d+)-$/);
      if (!m) {
        return s3Error(400, "InvalidArgument", `unsupported Range ${range}`);
      }
      start = Number(m[1]);
      if (start >= data.length) {
        headers.set("content-range", `bytes */${data.length}`);
        return s3Error(
          416,
          "InvalidRange",
          "The requested range is not satisfiable",
          headers,
        );
      }
      headers.set(
        "content-range",
        `bytes ${start}-${data.length - 1}/${data.length}`,
      );
    }
    const status = range !== null && rangeApplies ? 206 : 200;
    let body = data.subarray(start);
    if (fault && "flip" in fault && fault.flip >= start) {
      body = body.slice();
      body[fault.flip - start] ^= 0xff;
    }

    if (fault && "bodySize" in fault) {
      const sized = new Uint8Array(fault.bodySize);
      sized.set(body.subarray(0, fault.bodySize));
      body = sized;
      if (fault.chunked) {
        return new Response(this.#stream(body, body.length, "end"), {
          status,
          headers,
        });
      }
    }
    headers.set("content-length", String(body.length));
    if (fault && "drop" in fault) {
      return new Response(this.#stream(body, fault.drop, "drop"), {
        status,
        headers,
      });
    }
    if (fault && "stall" in fault) {
      return new Response(this.#stream(body, fault.stall, "stall"), {
        status,
        headers,
      });
    }
    return new Response(this.#stream(body, body.length, "end"), {
      status,
      headers,
    });
  }

  /** Send `body` in chunks up to `cut` bytes, then end, drop the connection, or hang. */
  #stream(
    body: Uint8Array,
    cut: number,
    then: "end" | "drop" | "stall",
  ): ReadableStream<Uint8Array> {
    let sent = 0;
    const chunkSize = this.#options.chunkSize;
    const throttle = this.#options.throttleMs;
    let release: (() => void) | undefined;
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        if (sent < cut) {
          if (throttle > 0) await new Promise((r) => setTimeout(r, throttle));
          const n = Math.min(chunkSize, cut - sent);
          controller.enqueue(body.slice(sent, sent + n));
          sent += n;
          return;
        }
        if (then === "end") return controller.close();
        if (then === "drop") {
          // Give the sent bytes time to leave before the reset.
          await new Promise((r) => setTimeout(r, 20));
          return controller.error(new Error("scripted connection drop"));
        }
        await new Promise<void>((resolve) => {
          release = resolve;
          this.#stalls.add(resolve);
        });
        try {
          controller.close();
        } catch {
          // Already cancelled by the client going away.
        }
      },
      cancel: () => {
        if (release) {
          this.#stalls.delete(release);
          release();
        }
      },
    });
  }

  async #list(params: URLSearchParams): Promise<Response> {
    const prefix = params.get("prefix") ?? "";
    const maxKeys = Math.min(
      Number(params.get("max-keys") ?? 1000),
      this.#options.pageSize,
    );
    const token = params.get("continuation-token");
    const listing = this.#options.listing;
    const after = token !== null && listing !== "ignoreToken"
      ? atob(token)
      : params.get("start-after") ?? "";
    const all = (await walk(this.#root, this.#root, (d) => this.etagOf(d)))
      .map((o) => ({ ...o, ...this.#misreported.get(o.key) }))
      .filter((o) => o.key.startsWith(prefix))
      .filter((o) => o.key > after)
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    let page = all.slice(0, maxKeys);
    let truncated = all.length > page.length;
    if (listing === "endless") {
      // Keys that sort before the real ones, a new one on every page: it never ends.
      const n = token === null
        ? 0
        : Number(atob(token).slice(prefix.length + 2)) + 1;
      const key = `${prefix}0_${String(n).padStart(9, "0")}`;
      page = [{ key, size: 1, etag: '"00000000000000000000000000000000"' }];
      truncated = true;
    }
    const contents = page.map((o) =>
      `<Contents><Key>${
        escapeXml(o.key)
      }</Key><LastModified>2025-01-01T00:00:00.000Z</LastModified>` +
      (this.#options.noEtag ? "" : `<ETag>${escapeXml(o.etag)}</ETag>`) +
      `<Size>${o.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`
    ).join("");
    const nextToken = listing === "repeatToken"
      ? btoa(`${prefix}always-this-token`)
      : btoa(page[page.length - 1]?.key ?? "");
    const next = truncated
      ? `<NextContinuationToken>${escapeXml(nextToken)}</NextContinuationToken>`
      : "";
    const xml = `<?xml version="1.0" encoding="UTF-8"?>\n` +
      `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>laion-fmri</Name>` +
      `<Prefix>${
        escapeXml(prefix)
      }</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys>` +
      `<IsTruncated>${truncated}</IsTruncated>${
        token !== null
          ? `<ContinuationToken>${escapeXml(token)}</ContinuationToken>`
          : ""
      }${next}${contents}</ListBucketResult>`;
    return new Response(xml, {
      headers: { "content-type": "application/xml" },
    });
  }
}

/** Deterministic pseudo-random bytes (mulberry32), so failures reproduce. */
export function seededBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let a = seed >>> 0;
  for (let i = 0; i < length; i += 4) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const v = (t ^ (t >>> 14)) >>> 0;
    for (let j = 0; j < 4 && i + j < length; j++) {
      out[i + j] = (v >>> (8 * j)) & 0xff;
    }
  }
  return out;
}

interface Obj {
  key: string;
  size: number;
  etag: string;
}

async function walk(
  root: string,
  dir: string,
  etag: (data: Uint8Array) => string,
): Promise<Obj[]> {
  const out: Obj[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) out.push(...await walk(root, path, etag));
    else if (entry.isFile) {
      const data = await Deno.readFile(path);
      out.push({
        key: relative(root, path).split(sep).join("/"),
        size: data.length,
        etag: etag(data),
      });
    }
  }
  return out;
}

function etagOf(
  data: Uint8Array,
  partSize = 0,
  singlePartMultipart = false,
): string {
  if (partSize > 0 && data.length <= partSize && singlePartMultipart) {
    const md5 = createHash("md5").update(data).digest();
    return `"${createHash("md5").update(md5).digest("hex")}-1"`;
  }
  if (partSize <= 0 || data.length <= partSize) {
    return `"${createHash("md5").update(data).digest("hex")}"`;
  }
  // S3's multipart ETag: the MD5 of the parts' binary MD5s, then "-<parts>".
  const all = createHash("md5");
  let parts = 0;
  for (let off = 0; off < data.length; off += partSize, parts++) {
    all.update(
      createHash("md5").update(data.subarray(off, off + partSize)).digest(),
    );
  }
  return `"${all.digest("hex")}-${parts}"`;
}

const XML_ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
};

/** Escape as S3 does: its ETags come as `&quot;…&quot;`. */
function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => XML_ENTITIES[c]);
}

function s3Error(
  status: number,
  code: string,
  message: string,
  headers?: Headers,
): Response {
  const h = new Headers(headers);
  h.set("content-type", "application/xml");
  h.delete("content-length");
  return new Response(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${
      escapeXml(message)
    }</Message></Error>`,
    { status, headers: h },
  );
}

/** The segmentation keys the downloader fetches. */
export const H5_KEY = "stimuli/task-images_desc-segmentations.h5";
/** The metadata key the downloader fetches. */
export const CSV_KEY = "stimuli/task-images_desc-segmentations_metadata.csv";

/** A bucket directory made by {@link makeBucket}. */
export interface Bucket {
  /** The temp directory to serve. */
  root: string;
  /** Contents of the object at {@link H5_KEY}. */
  h5: Uint8Array;
  /** Contents of the object at {@link CSV_KEY}. */
  csv: Uint8Array;
}

/** Options for {@link makeBucket}. */
export interface MakeBucketOptions {
  /**
   * Size of the fake HDF5 object.
   *
   * @default {3_000_000}
   */
  h5Size?: number;
  /**
   * Leave out the metadata CSV (to test a key missing from the listing).
   *
   * @default {false}
   */
  withoutCsv?: boolean;
}

/**
 * Write a temp bucket: seeded random bytes as the masks file, a CSV, and a
 * few other `stimuli/` objects around them so listings have several pages
 * when paged small.
 */
export async function makeBucket(
  options: MakeBucketOptions = {},
): Promise<Bucket> {
  const root = await Deno.makeTempDir({ prefix: "fake_s3_" });
  await Deno.mkdir(join(root, "stimuli"));
  const h5 = seededBytes(options.h5Size ?? 3_000_000, 42);
  const rows = ["mask_row,image_name,noun"];
  for (let i = 0; i < 2000; i++) {
    rows.push(`${i},img_${String(i % 97).padStart(5, "0")}.jpg,noun${i % 31}`);
  }
  const csv = new TextEncoder().encode(rows.join("\n") + "\n");
  await Deno.writeFile(join(root, ...H5_KEY.split("/")), h5);
  if (!options.withoutCsv) {
    await Deno.writeFile(join(root, ...CSV_KEY.split("/")), csv);
  }
  // Keys sorting before, between and after ours.
  for (
    const name of ["a_readme.txt", "task-images_desc-other.txt", "z_last.txt"]
  ) {
    await Deno.writeTextFile(join(root, "stimuli", name), `${name}\n`);
  }
  await Deno.writeTextFile(join(root, "outside.txt"), "not under stimuli/\n");
  return { root, h5, csv };
}

/** What {@link withBucket} hands a test. */
export interface BucketFixture {
  bucket: Bucket;
  s3: FakeS3;
  dataDir: string;
  h5Path: string;
  csvPath: string;
  /** Messages a test collects (e.g. from `onMessage`), in order. */
  messages: string[];
  /** Replace a served object (the emulator reads it per request). */
  serve(key: string, bytes: Uint8Array): void;
}

/**
 * A bucket, a server for it and a data dir (empty and temporary unless
 * `dataDir` is given); retries wait 1 ms. Everything it made is removed
 * after `fn`, pass or fail.
 */
export async function withBucket(
  fn: (f: BucketFixture) => Promise<void>,
  options: FakeS3Options & MakeBucketOptions & { dataDir?: string } = {},
): Promise<void> {
  const bucket = await makeBucket(options);
  const s3 = FakeS3.start(bucket.root, options);
  const dataDir = options.dataDir ??
    await Deno.makeTempDir({ prefix: "laion_fmri_data_" });
  try {
    await withEnv({
      LAION_FMRI_RETRY_DELAY_MS: "1",
      LAION_FMRI_S3_URL: undefined,
    }, () =>
      fn({
        bucket,
        s3,
        dataDir,
        h5Path: join(dataDir, ...H5_KEY.split("/")),
        csvPath: join(dataDir, ...CSV_KEY.split("/")),
        messages: [],
        serve(key, bytes) {
          Deno.writeFileSync(join(bucket.root, ...key.split("/")), bytes);
          if (key === H5_KEY) bucket.h5 = bytes;
          if (key === CSV_KEY) bucket.csv = bytes;
        },
      }));
  } finally {
    await s3.close();
    await Deno.remove(bucket.root, { recursive: true });
    if (options.dataDir === undefined) {
      await Deno.remove(dataDir, { recursive: true });
    }
  }
}
