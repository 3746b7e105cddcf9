import assert from "node:assert/strict";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { withEnv } from "../../_support/helpers.ts";
import { escapeHtml } from "../../../lib/display/escape.ts";
import {
  type DownloadProgress,
  downloadSegmentations,
} from "../../../lib/data/download/download.ts";
import {
  createReporter,
  formatBytes,
  JupyterSink,
  LineSink,
  RateMeter,
  TerminalSink,
} from "../../../lib/display/progress.ts";
import { parseRetryAfter } from "../../../lib/data/download/_s3.ts";
import { checkEtag, hashFile } from "../../../lib/data/download/_manifest.ts";
import {
  type BucketFixture,
  CSV_KEY,
  type FakeS3,
  H5_KEY,
  withBucket,
} from "../../_support/s3_server.ts";

const H5_NAME = "task-images_desc-segmentations.h5";

/** Await `fn`'s rejection, check its class (and message part), and return the error. */
async function rejects<E extends Error>(
  fn: () => Promise<unknown>,
  // deno-lint-ignore no-explicit-any
  Class: new (...args: any[]) => E,
  includes?: string,
): Promise<E> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof Class, `expected ${Class.name}, got ${err}`);
    if (includes !== undefined) {
      assert.ok(err.message.includes(includes), err.message);
    }
    return err;
  }
  throw new assert.AssertionError({ message: "expected a rejection" });
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

function download(
  f: BucketFixture,
  extra: Parameters<typeof downloadSegmentations>[0] = {},
) {
  return downloadSegmentations({
    dataDir: f.dataDir,
    baseUrl: f.s3.url,
    quiet: true,
    ...extra,
  });
}

function md5Hex(bytes: Uint8Array): string {
  return createHash("md5").update(bytes).digest("hex");
}

/** A .part of the masks file with the record a run writes beside it (the served version). */
async function writePart(f: BucketFixture, bytes: Uint8Array): Promise<void> {
  await Deno.mkdir(join(f.dataDir, "stimuli"), { recursive: true });
  await Deno.writeFile(`${f.h5Path}.part`, bytes);
  await Deno.writeTextFile(
    `${f.h5Path}.part.json`,
    JSON.stringify({
      key: H5_KEY,
      etag: md5Hex(f.bucket.h5),
      size: f.bucket.h5.length,
      startedAt: new Date().toISOString(),
    }),
  );
}

function objectGets(s3: FakeS3, key: string) {
  return s3.requests.filter((r) => r.method === "GET" && r.key === key);
}

Deno.test("downloadSegmentations() writes both files byte-identical into <dataDir>/stimuli/", async () => {
  await withBucket(async (f) => {
    const events: DownloadProgress[] = [];
    const out = await download(f, { onProgress: (p) => events.push(p) });
    assert.deepStrictEqual(out, { h5: f.h5Path, csv: f.csvPath });
    assert.deepStrictEqual(await Deno.readFile(f.h5Path), f.bucket.h5);
    assert.deepStrictEqual(await Deno.readFile(f.csvPath), f.bucket.csv);
    assert(!await exists(`${f.h5Path}.part`));
    assert(!await exists(`${f.csvPath}.part`));
    // Only the two wanted objects were fetched, once each, without Range.
    assert.deepStrictEqual(objectGets(f.s3, H5_KEY).map((r) => r.range), [
      null,
    ]);
    assert.deepStrictEqual(objectGets(f.s3, CSV_KEY).map((r) => r.range), [
      null,
    ]);
    assert.deepStrictEqual(f.s3.count("GET"), 3);
    // Progress: starts at 0, ends at total, never goes past it.
    const h5Events = events.filter((e) => e.file === H5_NAME);
    assert.deepStrictEqual(h5Events[0].bytes, 0);
    assert.deepStrictEqual(h5Events.at(-1), {
      ...h5Events.at(-1)!,
      bytes: f.bucket.h5.length,
      total: f.bucket.h5.length,
    });
    assert(events.every((e) => e.bytes <= e.total && e.rate >= 0));
    assert.deepStrictEqual(
      events.at(-1)!.file,
      "task-images_desc-segmentations_metadata.csv",
    );
  });
});

Deno.test("downloadSegmentations() rerun with complete files sends no object GET", async () => {
  await withBucket(async (f) => {
    await download(f);
    const before = f.s3.requests.length;
    const events: DownloadProgress[] = [];
    const out = await download(f, { onProgress: (p) => events.push(p) });
    const rerun = f.s3.requests.slice(before);
    assert.deepStrictEqual(rerun.map((r) => [r.method, r.key]), [["GET", ""]]);
    assert.deepStrictEqual(out, { h5: f.h5Path, csv: f.csvPath });
    assert.deepStrictEqual(events.map((e) => e.bytes === e.total), [
      true,
      true,
    ]);
  });
});

Deno.test("downloadSegmentations() resumes a .part with Range from its size", async () => {
  await withBucket(async (f) => {
    const kept = 1_234_567;
    await writePart(f, f.bucket.h5.subarray(0, kept));
    const events: DownloadProgress[] = [];
    await download(f, { onProgress: (p) => events.push(p) });
    const gets = objectGets(f.s3, H5_KEY);
    assert.deepStrictEqual(gets.map((r) => [r.range, r.status]), [[
      `bytes=${kept}-`,
      206,
    ]]);
    assert.deepStrictEqual(
      gets[0].ifRange,
      `"${md5Hex(f.bucket.h5)}"`,
      "If-Range carries the ETag recorded beside the .part",
    );
    assert.deepStrictEqual(await Deno.readFile(f.h5Path), f.bucket.h5);
    assert(!await exists(`${f.h5Path}.part`));
    assert.deepStrictEqual(events.find((e) => e.file === H5_NAME)!.bytes, kept);
  });
});

Deno.test("downloadSegmentations() retries a dropped connection, resuming from the .part", async () => {
  await withBucket(async (f) => {
    f.s3.fail(H5_KEY, { drop: 1_000_000 });
    await download(f);
    const gets = objectGets(f.s3, H5_KEY);
    assert.deepStrictEqual(gets.length, 2);
    assert.deepStrictEqual(gets[0].range, null);
    const resumedAt = Number(gets[1].range?.match(/^bytes=(\d+)-$/)?.[1]);
    assert(
      resumedAt > 0 && resumedAt <= 1_000_000,
      `resumed at ${gets[1].range}`,
    );
    assert.deepStrictEqual(gets[1].status, 206);
    assert.deepStrictEqual(await Deno.readFile(f.h5Path), f.bucket.h5);
  });
});

Deno.test("downloadSegmentations() retries HTTP 503 for objects and for the listing", async () => {
  await withBucket(async (f) => {
    f.s3.fail("", { status: 503 });
    f.s3.fail(H5_KEY, { status: 503 }, { status: 500 });
    await download(f);
    assert.deepStrictEqual(objectGets(f.s3, "").map((r) => r.status), [
      503,
      200,
    ]);
    assert.deepStrictEqual(objectGets(f.s3, H5_KEY).map((r) => r.status), [
      503,
      500,
      200,
    ]);
    assert.deepStrictEqual(await Deno.readFile(f.h5Path), f.bucket.h5);
  });
});

Deno.test("downloadSegmentations() does not retry a 4xx", async () => {
  await withBucket(async (f) => {
    f.s3.fail(H5_KEY, { status: 403 });
    const err = await rejects(() => download(f), Error);
    assert.match(err.message, /HTTP 403 .*InjectedFault/);
    assert.match(err.message, new RegExp(H5_KEY));
    assert.deepStrictEqual(objectGets(f.s3, H5_KEY).length, 1);
    assert(!await exists(f.h5Path));
  });
});

Deno.test("downloadSegmentations() gives up after 4 retries with a clear error and no final file", async () => {
  await withBucket(async (f) => {
    f.s3.fail(H5_KEY, { drop: 500_000 }, { status: 503 }, { status: 503 }, {
      status: 503,
    }, {
      status: 503,
    });
    const err = await rejects(() => download(f), Error);
    assert.match(
      err.message,
      /^Downloading task-images_desc-segmentations\.h5 from http:\/\/127\.0\.0\.1:\d+\/stimuli\/task-images_desc-segmentations\.h5 failed after 5 attempts \(host 127\.0\.0\.1:\d+\): last error: GET .* answered HTTP 503 .*The partial file .*\.part \(\d+ of 3000000 bytes\) is kept: run the download again to resume\.$/,
    );
    assert(err.cause instanceof Error);
    assert.deepStrictEqual(objectGets(f.s3, H5_KEY).length, 5);
    assert(!await exists(f.h5Path), "no final-named partial file");
    const part = await Deno.readFile(`${f.h5Path}.part`);
    assert(part.length > 0 && part.length <= 500_000);
    assert.deepStrictEqual(part, f.bucket.h5.subarray(0, part.length));
    // The next run picks up where this one stopped.
    await download(f);
    assert.deepStrictEqual(
      objectGets(f.s3, H5_KEY).at(-1)!.range,
      `bytes=${part.length}-`,
    );
    assert.deepStrictEqual(await Deno.readFile(f.h5Path), f.bucket.h5);
  });
});

Deno.test("downloadSegmentations() restarts cleanly when a Range request is answered with 200", async () => {
  await withBucket(async (f) => {
    // Not a prefix: appending would corrupt the file, truncating fixes it.
    await writePart(f, new Uint8Array(700_000).fill(0xee));
    f.s3.fail(H5_KEY, { ignoreRange: true });
    await download(f);
    assert.deepStrictEqual(
      objectGets(f.s3, H5_KEY).map((r) => [r.range, r.status]),
      [["bytes=700000-", 200]],
    );
    assert.deepStrictEqual(await Deno.readFile(f.h5Path), f.bucket.h5);
  });
});

Deno.test("downloadSegmentations() discards a .part larger than the listed size", async () => {
  await withBucket(async (f) => {
    await writePart(f, new Uint8Array(f.bucket.h5.length + 10));
    await download(f);
    assert.deepStrictEqual(objectGets(f.s3, H5_KEY).map((r) => r.range), [
      null,
    ]);
    assert.deepStrictEqual(await Deno.readFile(f.h5Path), f.bucket.h5);
  });
});

Deno.test("downloadSegmentations() replaces a wrong-size file under the final name", async () => {
  await withBucket(async (f) => {
    await Deno.mkdir(join(f.dataDir, "stimuli"));
    await Deno.writeTextFile(f.h5Path, "stale");
    await download(f);
    assert.deepStrictEqual(await Deno.readFile(f.h5Path), f.bucket.h5);
  });
});

Deno.test("downloadSegmentations() names both sizes when the server sends another size than listed (no loop)", async () => {
  await withBucket(async (f) => {
    for (const bodySize of [1_000_000, 3_000_100]) {
      f.s3.fail(H5_KEY, { bodySize });
      const err = await rejects(() => download(f), Error);
      assert.match(
        err.message,
        new RegExp(
          `^The bucket listing says ${H5_KEY} has 3000000 bytes, but GET .* serves ${bodySize} bytes`,
        ),
      );
      assert(!/run again to resume/i.test(err.message), err.message);
      assert(!await exists(f.h5Path));
      assert(!await exists(`${f.h5Path}.part`));
    }
    await download(f);
    assert.deepStrictEqual(await Deno.readFile(f.h5Path), f.bucket.h5);
  });
});

Deno.test("downloadSegmentations() resumes after a short chunked body", async () => {
  await withBucket(async (f) => {
    f.s3.fail(H5_KEY, { bodySize: 1_000_000, chunked: true });
    await download(f);
    assert.deepStrictEqual(
      objectGets(f.s3, H5_KEY).map((r) => r.range),
      [null, "bytes=1000000-"],
    );
    assert.deepStrictEqual(await Deno.readFile(f.h5Path), f.bucket.h5);
  });
});

Deno.test("downloadSegmentations() fails on a long chunked body, discards the .part", async () => {
  await withBucket(async (f) => {
    f.s3.fail(H5_KEY, { bodySize: 3_000_100, chunked: true });
    const err = await rejects(() => download(f), Error);
    assert.match(err.message, /sent more than the 3000000 bytes of the object/);
    assert(!await exists(f.h5Path));
    assert(!await exists(`${f.h5Path}.part`));
  });
});

Deno.test("downloadSegmentations() follows listing pagination", async () => {
  await withBucket(async (f) => {
    await download(f);
    const lists = objectGets(f.s3, "");
    // a_readme, our two keys (task-images_desc-other sorts between them): 4 pages of 1.
    assert.deepStrictEqual(lists.length, 4);
    assert(
      lists.slice(1).every((r) =>
        new URLSearchParams(r.query).has("continuation-token")
      ),
    );
    assert(
      lists.every((r) =>
        new URLSearchParams(r.query).get("prefix") === "stimuli/"
      ),
    );
    assert.deepStrictEqual(await Deno.readFile(f.h5Path), f.bucket.h5);
    assert.deepStrictEqual(await Deno.readFile(f.csvPath), f.bucket.csv);
  }, { pageSize: 1 });
});

Deno.test("downloadSegmentations() names the key and URL when a file is not listed", async () => {
  await withBucket(async (f) => {
    const err = await rejects(() => download(f), Error);
    assert.match(
      err.message,
      new RegExp(
        `^${CSV_KEY} is not in the bucket listing of http://127\\.0\\.0\\.1:\\d+/\\?list-type=2`,
      ),
    );
    assert.deepStrictEqual(f.s3.count("GET"), 2, "the two listing pages only");
    assert(!await exists(f.h5Path));
  }, { withoutCsv: true, pageSize: 2 });
});

Deno.test("downloadSegmentations() aborts mid-body via signal, keeping the .part", async () => {
  await withBucket(async (f) => {
    f.s3.fail(H5_KEY, { stall: 800_000 });
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const err = await rejects(
      () =>
        download(f, {
          signal: controller.signal,
          onProgress: (p) => {
            // Abort once the body has stalled partway.
            if (p.file === H5_NAME && timer === undefined) {
              timer = setTimeout(() => controller.abort(), 300);
            }
          },
        }),
      DOMException,
    );
    clearTimeout(timer);
    assert.deepStrictEqual(err.name, "AbortError");
    assert(!await exists(f.h5Path));
    const part = await Deno.readFile(`${f.h5Path}.part`);
    assert.deepStrictEqual(part.length, 800_000);
    assert.deepStrictEqual(part, f.bucket.h5.subarray(0, 800_000));
    await download(f);
    assert.deepStrictEqual(
      objectGets(f.s3, H5_KEY).at(-1)!.range,
      "bytes=800000-",
    );
    assert.deepStrictEqual(await Deno.readFile(f.h5Path), f.bucket.h5);
  });
});

Deno.test("downloadSegmentations() aborts during the retry backoff", async () => {
  await withBucket(async (f) => {
    f.s3.fail(H5_KEY, { status: 503 });
    const started = performance.now();
    await withEnv({ LAION_FMRI_RETRY_DELAY_MS: "60000" }, async () => {
      const err = await rejects(
        () => download(f, { signal: AbortSignal.timeout(200) }),
        DOMException,
      );
      assert.deepStrictEqual(err.name, "TimeoutError");
    });
    assert(performance.now() - started < 10_000);
    assert.deepStrictEqual(objectGets(f.s3, H5_KEY).length, 1);
  });
});

Deno.test("downloadSegmentations() rejects at once with an already aborted signal", async () => {
  await withBucket(async (f) => {
    const err = await rejects(
      () => download(f, { signal: AbortSignal.abort() }),
      DOMException,
    );
    assert.deepStrictEqual(err.name, "AbortError");
    assert.deepStrictEqual(f.s3.requests.length, 0);
  });
});

Deno.test("downloadSegmentations() takes dataDir and the URL from the environment", async () => {
  await withBucket(async (f) => {
    await withEnv({
      LAION_FMRI_DATA_DIR: f.dataDir,
      LAION_FMRI_S3_URL: `${f.s3.url}/`,
    }, async () => {
      const out = await downloadSegmentations({ quiet: true });
      assert.deepStrictEqual(out.h5, f.h5Path);
    });
    assert.deepStrictEqual(await Deno.readFile(f.h5Path), f.bucket.h5);
  });
});

Deno.test("downloadSegmentations() without a data directory says how to set one", async () => {
  const xdg = await Deno.makeTempDir();
  try {
    await withEnv(
      { LAION_FMRI_DATA_DIR: undefined, XDG_CONFIG_HOME: xdg },
      async () => {
        const err = await rejects(
          () => downloadSegmentations({ quiet: true }),
          Error,
        );
        assert.match(err.message, /deno task cli init PATH/);
        assert.match(err.message, /LAION_FMRI_DATA_DIR/);
      },
    );
  } finally {
    await Deno.remove(xdg, { recursive: true });
  }
});

Deno.test("downloadSegmentations() rejects a malformed base URL with a TypeError", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    await rejects(
      () => downloadSegmentations({ dataDir, baseUrl: "not a url" }),
      TypeError,
      "Invalid base URL",
    );
    await rejects(
      () => downloadSegmentations({ dataDir, baseUrl: "ftp://x" }),
      TypeError,
      "not http(s)",
    );
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("downloadSegmentations() says at once that a connection was refused, with the URL", async () => {
  // A port that was just free: connection refused on every attempt.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const dataDir = await Deno.makeTempDir();
  try {
    await withEnv({ LAION_FMRI_RETRY_DELAY_MS: "1" }, async () => {
      await rejects(
        () =>
          downloadSegmentations({
            dataDir,
            baseUrl: `http://127.0.0.1:${port}`,
            quiet: true,
          }),
        Error,
        `Connection refused by 127.0.0.1:${port} (GET http://127.0.0.1:${port}/?list-type=2`,
      );
    });
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

// ---- progress display -------------------------------------------------------

function clock(start = 0) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

Deno.test("LineSink logs a line at start, at every 10 % and at the end", async () => {
  const lines: string[] = [];
  const reporter = createReporter({ sink: new LineSink((s) => lines.push(s)) });
  const file = reporter.file("x.h5", 1000, "http://host/x.h5");
  await file.start(0);
  for (let b = 10; b <= 1000; b += 10) await file.update(b);
  await file.done();
  await reporter.skip("y.csv", 2_500_000);
  assert(
    lines.every((l) => l.endsWith("\n") && !l.slice(0, -1).includes("\n")),
  );
  assert.deepStrictEqual(
    lines[0],
    "x.h5: downloading 1.0 kB from http://host/x.h5\n",
  );
  assert.deepStrictEqual(
    lines.filter((l) => /^x\.h5: \d+% /.test(l)).map((l) => l.split(" ")[1]),
    [
      "10%",
      "20%",
      "30%",
      "40%",
      "50%",
      "60%",
      "70%",
      "80%",
      "90%",
    ],
  );
  assert.match(lines.at(-2)!, /^x\.h5: done, 1.0 kB in \d+\.\d s\n$/);
  assert.deepStrictEqual(lines.at(-1), "y.csv: already downloaded (2.5 MB)\n");
});

Deno.test("LineSink says where a resumed transfer starts", () => {
  const lines: string[] = [];
  new LineSink((s) => lines.push(s)).start({
    file: "x",
    bytes: 1_500_000,
    total: 3_000_000,
    rate: 0,
  }, "u");
  assert.deepStrictEqual(lines, ["x: resuming at 1.5 MB of 3.0 MB from u\n"]);
});

Deno.test("TerminalSink redraws one line with \\r and ends it with a newline", () => {
  const out: string[] = [];
  const c = clock();
  const sink = new TerminalSink((s) => out.push(s), () => 100, c.now);
  const p = { file: "x.h5", bytes: 0, total: 2_000_000, rate: 0 };
  sink.start(p);
  c.advance(50);
  sink.progress({ ...p, bytes: 10 }); // throttled
  c.advance(100);
  sink.progress({ ...p, bytes: 1_000_000, rate: 500_000 });
  sink.done({ ...p, bytes: 2_000_000 }, 3);
  assert.deepStrictEqual(out.length, 4);
  assert(
    out.slice(0, 3).every((s) => s.startsWith("\r\x1b[K") && !s.includes("\n")),
  );
  assert.match(
    out[1],
    /x\.h5 \[#+-+\] {2}50% {2}1\.0 MB\/2\.0 MB {2}500\.0 kB\/s {2}ETA 2\.0 s$/,
  );
  assert.match(out[2], /100% {2}2\.0 MB\/2\.0 MB {2}done in 3\.0 s$/);
  assert.deepStrictEqual(out[3], "\n");
});

Deno.test("JupyterSink updates one display in place, throttled, with escaped HTML", async () => {
  const calls: Array<
    { bundle: Record<string, string>; options: Record<string, unknown> }
  > = [];
  const c = clock();
  const sink = new JupyterSink(async (bundle, options) => {
    await Promise.resolve();
    calls.push({ bundle, options });
  }, c.now);
  const file = "<b>&x.h5";
  await sink.start({ file, bytes: 0, total: 100, rate: 0 });
  c.advance(100);
  await sink.progress({ file, bytes: 10, total: 100, rate: 1 }); // throttled
  c.advance(300);
  await sink.progress({ file, bytes: 50, total: 100, rate: 1 });
  await sink.done({ file, bytes: 100, total: 100, rate: 1 }, 1);
  assert.deepStrictEqual(calls.map((x) => x.options.update), [
    false,
    true,
    true,
  ]);
  assert.deepStrictEqual(
    new Set(calls.map((x) => x.options.display_id)).size,
    1,
  );
  assert(calls.every((x) => x.options.raw === true));
  const last = calls.at(-1)!.bundle;
  assert(last["text/html"].includes("<code>&lt;b&gt;&amp;x.h5</code>"));
  assert(!last["text/html"].includes("<b>&"));
  assert.match(
    last["text/plain"],
    /^<b>&x\.h5: 100 B\/100 B \(100%\) done in 1\.0 s$/,
  );
});

Deno.test("createReporter() throttles onProgress but always reports start and end", async () => {
  const events: DownloadProgress[] = [];
  const reporter = createReporter({
    quiet: true,
    onProgress: (p) => events.push(p),
  });
  const file = reporter.file("x", 1000, "u");
  await file.start(0);
  for (let b = 1; b <= 1000; b++) await file.update(b);
  await file.done();
  assert.deepStrictEqual(events[0].bytes, 0);
  assert.deepStrictEqual(events.at(-1)!.bytes, 1000);
  assert(events.length < 20, `${events.length} events`);
});

Deno.test("RateMeter measures bytes per second over a recent window", () => {
  const c = clock();
  const meter = new RateMeter(5000, c.now);
  meter.add(0);
  assert.deepStrictEqual(meter.rate(), 0);
  for (let i = 1; i <= 10; i++) {
    c.advance(1000);
    meter.add(i * 1000);
  }
  assert.deepStrictEqual(meter.rate(), 1000);
  c.advance(1000);
  meter.add(10_000); // stalled for a second
  assert(meter.rate() < 1000 && meter.rate() > 0);
});

Deno.test("escapeHtml() and formatBytes()", () => {
  assert.deepStrictEqual(
    escapeHtml(`<a href="x">'&'</a>`),
    "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;",
  );
  assert.deepStrictEqual(formatBytes(999), "999 B");
  assert.deepStrictEqual(formatBytes(68_123_456), "68.1 MB");
  assert.deepStrictEqual(formatBytes(1e12), "1.0 TB");
});

Deno.test("LineSink prints at least every 10 s while a transfer runs, saying when no data came", () => {
  const lines: string[] = [];
  const c = clock();
  const sink = new LineSink((s) => lines.push(s), c.now);
  const p = { file: "x.h5", bytes: 0, total: 2_000_000, rate: 0, stalled: 0 };
  sink.start(p, "u");
  c.advance(5_000);
  sink.progress({ ...p, bytes: 100_000, rate: 20_000 }); // same decile, 5 s: quiet
  c.advance(5_000);
  sink.progress({ ...p, bytes: 150_000, rate: 15_000 }); // 10 s: a line
  c.advance(10_000);
  sink.progress({ ...p, bytes: 150_000, stalled: 10 }); // stalled, 10 s: a line
  assert.deepStrictEqual(lines.slice(1), [
    "x.h5: 7% (150.0 kB of 2.0 MB, 15.0 kB/s)\n",
    "x.h5: 7% (150.0 kB of 2.0 MB, no data for 10 s)\n",
  ]);
});

Deno.test("TerminalSink: a stalled bar shows the bytes on disk; close() ends the bar's line (Ctrl-C)", () => {
  const out: string[] = [];
  const c = clock();
  const sink = new TerminalSink((s) => out.push(s), () => 100, c.now);
  sink.start({ file: "x.h5", bytes: 1_000_000, total: 2_000_000, rate: 0 });
  c.advance(1000);
  sink.progress({
    file: "x.h5",
    bytes: 1_000_000,
    total: 2_000_000,
    rate: 0,
    stalled: 12,
  });
  assert.match(
    out.at(-1)!,
    /50% {2}1\.0 MB\/2\.0 MB {2}stalled, no data for 12 s$/,
  );
  sink.close();
  assert.deepStrictEqual(out.at(-1), "\n");
  sink.close();
  assert.deepStrictEqual(out.filter((s) => s === "\n").length, 1);
  // After a note the line is already ended: no blank line.
  sink.note("x.h5", "retry");
  sink.close();
  assert.deepStrictEqual(out.at(-1), "\r\x1b[Kx.h5: retry\n");
});

Deno.test("createReporter() refreshes the display once a second while no bytes arrive", async () => {
  const seen: DownloadProgress[] = [];
  const sink = {
    skip() {},
    start() {},
    progress(p: DownloadProgress) {
      seen.push(p);
    },
    note() {},
    done() {},
    message() {},
    close() {},
  };
  const messages: string[] = [];
  const reporter = createReporter({ sink, onMessage: (m) => messages.push(m) });
  const file = reporter.file("x", 1000, "u");
  await file.start(10);
  await new Promise((r) => setTimeout(r, 2_300));
  file.stop();
  const count = seen.length;
  await new Promise((r) => setTimeout(r, 1_200));
  assert.deepStrictEqual(seen.length, count, "stop() ends the refresh");
  assert(count >= 2, `${count} refreshes`);
  assert(seen.at(-1)!.stalled! >= 2);
  assert.deepStrictEqual(seen.at(-1)!.bytes, 10);
  await file.note("restarting");
  await reporter.message("hello");
  assert.deepStrictEqual(messages, ["x: restarting", "hello"]);
});

Deno.test("parseRetryAfter(): whole and fractional seconds (rounded up), dates; negative and junk are undefined", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");
  assert.equal(parseRetryAfter("12", now), 12_000);
  assert.equal(parseRetryAfter(" 1.5 ", now), 2_000);
  assert.equal(parseRetryAfter("0.1", now), 1_000);
  assert.equal(parseRetryAfter("0", now), 0);
  assert.equal(parseRetryAfter("-5", now), undefined);
  assert.equal(parseRetryAfter("1e3", now), undefined);
  assert.equal(parseRetryAfter("soon", now), undefined);
  assert.equal(parseRetryAfter("", now), undefined);
  assert.equal(parseRetryAfter(null, now), undefined);
  assert.equal(
    parseRetryAfter("Thu, 01 Jan 2026 00:00:30 GMT", now),
    30_000,
  );
  assert.equal(parseRetryAfter("Wed, 31 Dec 2025 00:00:00 GMT", now), 0);
});

Deno.test("checkEtag(): multipart ETags are refused when a tried part size does not give them, size-only only when none fits", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "f");
    const MIB = 1024 * 1024;
    const bytes = new Uint8Array(6 * MIB).map((_, i) => (i * 7) & 0xff);
    await Deno.writeFile(path, bytes);
    const md5 = (b: Uint8Array) => createHash("md5").update(b).digest();
    const etag5 = createHash("md5").update(md5(bytes.subarray(0, 5 * MIB)))
      .update(md5(bytes.subarray(5 * MIB))).digest("hex") + "-2";
    const two = await hashFile(path, 2);
    assert.deepStrictEqual(two.partSizes, [5 * MIB]);
    assert.deepStrictEqual(checkEtag(two, etag5), {
      ok: true,
      checkedBy: "multipart-md5",
    });
    const wrong = checkEtag(two, "0".repeat(32) + "-2");
    assert.equal(wrong.ok, false);
    assert.equal(wrong.mismatch, "for part sizes of 5 MiB");
    // One part: the MD5 of the file's MD5, whatever the part size.
    const one = await hashFile(path, 1);
    const etag1 = createHash("md5").update(md5(bytes)).digest("hex") + "-1";
    assert.equal(checkEtag(one, etag1).ok, true);
    assert.equal(checkEtag(one, "1".repeat(32) + "-1").ok, false);
    // 7 parts: no common part size cuts 6 MiB into 7, so only the size.
    const seven = await hashFile(path, 7);
    const sizeOnly = checkEtag(seven, "2".repeat(32) + "-7");
    assert.equal(sizeOnly.ok, true);
    assert.equal(sizeOnly.checkedBy, "size");
    assert.match(sizeOnly.unchecked!, /only the size was checked/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("downloadSegmentations() checks its timeouts, minSpeed and disk before any request", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    for (
      const [options, message] of [
        [
          { stallTimeout: 0 },
          "option stallTimeout must be a finite number > 0, got 0",
        ],
        [
          { connectTimeout: -5 },
          "option connectTimeout must be a finite number > 0, got -5",
        ],
        [
          { lockTimeout: -1 },
          "option lockTimeout must be a finite number >= 0, got -1",
        ],
        [
          { minSpeed: -1 },
          "option minSpeed must be a finite number >= 0, got -1",
        ],
      ] as const
    ) {
      await rejects(
        () =>
          downloadSegmentations({
            dataDir,
            baseUrl: "http://127.0.0.1:9",
            ...options,
          }),
        RangeError,
        message,
      );
    }
    await rejects(
      () =>
        downloadSegmentations({
          dataDir,
          baseUrl: "http://127.0.0.1:9",
          // deno-lint-ignore no-explicit-any -- a wrong shape on purpose
          disk: {} as any,
        }),
      TypeError,
      "option disk must have the functions write(file, bytes, path) and free(dir)",
    );
    assert.deepStrictEqual(
      [...Deno.readDirSync(dataDir)],
      [],
      "nothing written",
    );
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
