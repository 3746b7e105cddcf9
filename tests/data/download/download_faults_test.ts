// Fault injection against the project's S3 emulator (tests/_support/s3_server.ts):
// every case ends either with final files byte-identical to the served objects
// and success, or with no final file, a clear message and a failure.
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { withEnv } from "../../_support/helpers.ts";
import {
  checkDownloads,
  DATASET_NOTICE,
  type DownloadDisk,
  type DownloadOptions,
  downloadSegmentations,
} from "../../../lib/data/download/download.ts";
import { main } from "../../../lib/cli/main.ts";
import { writeSample } from "../../../lib/data/sample/sample.ts";
import {
  type BucketFixture,
  CSV_KEY,
  FakeS3,
  H5_KEY,
  withBucket,
} from "../../_support/s3_server.ts";

const REPO = fileURLToPath(new URL("../../..", import.meta.url));
const H5_NAME = "task-images_desc-segmentations.h5";

function run(f: BucketFixture, extra: DownloadOptions = {}) {
  return downloadSegmentations({
    dataDir: f.dataDir,
    baseUrl: f.s3.url,
    quiet: true,
    onMessage: (m) => f.messages.push(m),
    ...extra,
  });
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** Success: both files are the served objects, and nothing is left over. */
async function assertComplete(f: BucketFixture): Promise<void> {
  assert.deepStrictEqual(await Deno.readFile(f.h5Path), f.bucket.h5);
  assert.deepStrictEqual(await Deno.readFile(f.csvPath), f.bucket.csv);
  assert(!await exists(`${f.h5Path}.part`), "no .part left");
  assert(!await exists(`${f.csvPath}.part`), "no .part left");
}

/** Failure: a rejection whose message matches, and no final masks file. */
async function assertFails(
  promise: Promise<unknown>,
  pattern: RegExp,
  f: BucketFixture,
): Promise<Error> {
  const err = await promise.then(
    () => assert.fail("expected the download to fail"),
    (e: unknown) => e as Error,
  );
  assert(err instanceof Error, String(err));
  assert.match(err.message, pattern);
  assert(!await exists(f.h5Path), "no final file after a failure");
  return err;
}

function gets(s3: FakeS3, key: string) {
  return s3.requests.filter((r) => r.method === "GET" && r.key === key);
}

/** A .part of `bytes` with (or without) the record a run writes beside it. */
async function leftoverPart(
  f: BucketFixture,
  bytes: Uint8Array,
  record: boolean,
): Promise<void> {
  await Deno.mkdir(join(f.dataDir, "stimuli"), { recursive: true });
  await Deno.writeFile(`${f.h5Path}.part`, bytes);
  if (record) {
    await Deno.writeTextFile(
      `${f.h5Path}.part.json`,
      JSON.stringify({
        key: H5_KEY,
        etag: f.s3.etagOf(f.bucket.h5).replaceAll('"', ""),
        size: f.bucket.h5.length,
        startedAt: new Date().toISOString(),
      }),
    );
  }
}

/** `bytes` with one byte changed. */
function flipped(bytes: Uint8Array, at: number): Uint8Array {
  const out = bytes.slice();
  out[at] ^= 0xff;
  return out;
}

// ---- one writer per file ------------------------------------------------------

/** The real CLI in a subprocess; resolves with its exit code and stderr. */
async function cli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "lib/cli/main.ts", ...args],
    cwd: REPO,
    env: { NO_COLOR: "1", LAION_FMRI_RETRY_DELAY_MS: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code, stdout: text(stdout), stderr: text(stderr) };
}

for (const ignoreRange of [false, true]) {
  Deno.test(
    `3 concurrent runs x 20 into one data dir (a CLI process and two in-process), server ${
      ignoreRange ? "ignoring" : "honouring"
    } Range`,
    async () => {
      const reps = ignoreRange ? 6 : 20;
      let waited = 0;
      for (let rep = 0; rep < reps; rep++) {
        await withBucket(async (f) => {
          // Three runs, started a little apart so they meet at different points.
          const child = cli(
            ["download-segmentations", "--data-dir", f.dataDir],
            {
              LAION_FMRI_S3_URL: f.s3.url,
            },
          );
          const inProcess = [0, 1].map(async (i) => {
            await new Promise((r) => setTimeout(r, (rep * 97 + i * 211) % 700));
            return await run(f);
          });
          const [c, ...paths] = await Promise.all([child, ...inProcess]);
          assert.equal(c.code, 0, c.stderr);
          for (const p of paths) assert.deepStrictEqual(p.h5, f.h5Path);
          await assertComplete(f);
          if (/another download of this file is running/.test(c.stderr)) {
            waited++;
          }
          waited += f.messages.filter((m) =>
            m.includes("another download of this file is running")
          ).length;
        }, {
          h5Size: 600_000,
          chunkSize: 16_384,
          throttleMs: 15,
          ignoreRange,
        });
      }
      assert(waited > 0, "no run ever waited for another: the runs never met");
    },
  );
}

Deno.test("a second run started mid-file waits for the first (server ignoring Range), both succeed", async () => {
  await withBucket(async (f) => {
    const first = run(f);
    const deadline = Date.now() + 30_000;
    while (
      ((await Deno.stat(`${f.h5Path}.part`).catch(() => null))?.size ?? 0) === 0
    ) {
      assert(Date.now() < deadline, "the first run never started writing");
      await new Promise((r) => setTimeout(r, 10));
    }
    const second = run(f);
    await Promise.all([first, second]);
    await assertComplete(f);
    assert.equal(
      f.messages.filter((m) =>
        m.startsWith(
          `${H5_NAME}: another download of this file is running (process ${Deno.pid} since `,
        )
      ).length,
      1,
      f.messages.join("\n"),
    );
    // The second run fetched nothing: it found the file complete.
    assert.equal(gets(f.s3, H5_KEY).length, 1);
  }, { h5Size: 400_000, chunkSize: 16_384, throttleMs: 10, ignoreRange: true });
});

Deno.test("a run gives up waiting for a lock after lockTimeout, naming the file; a later run succeeds", async () => {
  await withBucket(async (f) => {
    const lockPath = join(f.dataDir, "stimuli", ".download", `${H5_NAME}.lock`);
    await Deno.mkdir(join(f.dataDir, "stimuli", ".download"), {
      recursive: true,
    });
    const holder = await Deno.open(lockPath, { create: true, write: true });
    await holder.lock(true);
    try {
      await assertFails(
        run(f, { lockTimeout: 300 }),
        new RegExp(
          `^Gave up after waiting 0\\.3 s for another download of ${H5_NAME} \\(lock .*\\.lock\\)\\. Run again once it has finished\\.$`,
        ),
        f,
      );
    } finally {
      holder.close();
    }
    await run(f);
    await assertComplete(f);
  });
});

// ---- a .part belongs to one version ---------------------------------------------

for (const ignoreIfRange of [false, true]) {
  const server = ignoreIfRange ? "ignoring" : "honouring";
  for (
    const [what, change] of [
      ["same size", (b: Uint8Array) => flipped(b, 2_000_000)],
      [
        "larger",
        (b: Uint8Array) => {
          const out = new Uint8Array(b.length + 4).fill(7);
          out.set(b);
          return out;
        },
      ],
      ["smaller", (b: Uint8Array) => b.slice(0, 2_500_000)],
    ] as const
  ) {
    Deno.test(`object changed between runs (${what}, server ${server} If-Range): the old .part is discarded`, async () => {
      await withBucket(async (f) => {
        f.s3.fail(H5_KEY, { drop: 1_000_000 });
        await assertFails(
          run(f, { retries: 0 }),
          /The partial file .*\.part \(\d+ of 3000000 bytes\) is kept: run the download again to resume\./,
          f,
        );
        assert(await exists(`${f.h5Path}.part`));
        f.serve(H5_KEY, change(f.bucket.h5));
        await run(f);
        await assertComplete(f);
        assert(
          f.messages.some((m) =>
            /discarded task-images_desc-segmentations\.h5\.part: it holds another version of the object/
              .test(m)
          ),
          f.messages.join("\n"),
        );
        assert.deepStrictEqual(gets(f.s3, H5_KEY).at(-1)!.range, null);
      }, { ignoreIfRange });
    });
  }

  Deno.test(`object changed within a run (server ${server} If-Range): restarts from zero, ends with the new object`, async () => {
    await withBucket(async (f) => {
      f.s3.fail(H5_KEY, { drop: 1_000_000 });
      let changed = false;
      await run(f, {
        onProgress: (p) => {
          if (p.file === H5_NAME && !changed) {
            // The first GET already holds the old bytes; the retry sees the new object.
            changed = true;
            f.serve(H5_KEY, flipped(f.bucket.h5, 10));
          }
        },
      });
      await assertComplete(f);
      const [first, second, third] = gets(f.s3, H5_KEY);
      assert.equal(first.range, null);
      assert.match(second.range ?? "", /^bytes=\d+-$/);
      assert.notEqual(second.ifRange, null, "the resume names its version");
      assert.notEqual(second.ifRange, second.etag);
      if (ignoreIfRange) {
        // 206 of the new version: detected by its ETag, then a fresh GET.
        assert.equal(second.status, 206);
        assert.deepStrictEqual([third.range, third.status], [null, 200]);
      } else {
        assert.equal(second.status, 200);
        assert.equal(third, undefined);
      }
      assert(
        f.messages.some((m) => m.includes("the object changed on the server")),
        f.messages.join("\n"),
      );
    }, { ignoreIfRange });
  });
}

Deno.test("CSV with one value edited (same size) between runs: the new CSV, not a seam of both", async () => {
  await withBucket(async (f) => {
    await run(f);
    const text = new TextDecoder().decode(f.bucket.csv);
    const edited = new TextEncoder().encode(
      text.replace("1000,img_00030.jpg,noun8", "1000,img_00030.jpg,noun9"),
    );
    assert.equal(edited.length, f.bucket.csv.length);
    assert.notDeepStrictEqual(edited, f.bucket.csv);
    // Interrupted midway through the new version, then resumed against it.
    f.serve(CSV_KEY, edited);
    f.s3.fail(CSV_KEY, { drop: 10_000 });
    await run(f);
    await assertComplete(f);
    assert(
      f.messages.some((m) =>
        m.includes("the bucket now holds another version")
      ),
      f.messages.join("\n"),
    );
  }, { chunkSize: 4096 });
});

Deno.test("object changed after the listing, before the GET: the served version is fetched and verified", async () => {
  await withBucket(async (f) => {
    f.s3.misreport(H5_KEY, { etag: `"${"0".repeat(32)}"` });
    await run(f);
    await assertComplete(f);
    assert(
      f.messages.some((m) => m.includes("changed since it was listed")),
      f.messages.join("\n"),
    );
  });
});

Deno.test("server ignoring Range: a dropped transfer restarts from zero instead of appending", async () => {
  await withBucket(async (f) => {
    f.s3.fail(H5_KEY, { drop: 1_000_000 });
    await run(f);
    await assertComplete(f);
    assert.deepStrictEqual(
      gets(f.s3, H5_KEY).map((r) => r.status),
      [200, 200],
    );
    assert(
      f.messages.some((m) => m.includes("ignored the Range request")),
      f.messages.join("\n"),
    );
  }, { ignoreRange: true });
});

// ---- leftover .part files ---------------------------------------------------------

for (
  const [what, size, record] of [
    ["full-size zeros without a record", 3_000_000, false],
    ["500 kB of zeros without a record", 500_000, false],
    ["full-size zeros with a record", 3_000_000, true],
    ["500 kB of zeros with a record", 500_000, true],
  ] as const
) {
  Deno.test(`leftover .part of ${what}: never renamed or resumed unchecked`, async () => {
    await withBucket(async (f) => {
      await leftoverPart(f, new Uint8Array(size), record);
      await run(f);
      await assertComplete(f);
      const text = f.messages.join("\n");
      if (!record) {
        assert.match(
          text,
          /discarded task-images_desc-segmentations\.h5\.part: it has no record of which version of the object it holds; starting from zero/,
        );
      } else {
        assert.match(
          text,
          new RegExp(
            `does not match the object's ETag [0-9a-f]{32} \\(the ${size} bytes kept from before were not a prefix of this object\\); discarded the \\.part, starting from zero; retry 1 of 4 in 0\\.0 s`,
          ),
        );
      }
    });
  });
}

Deno.test("multipart ETag: verified when the part size is a common one, said so when it cannot be", async () => {
  await withBucket(async (f) => {
    await run(f);
    await assertComplete(f);
    const manifest = JSON.parse(
      await Deno.readTextFile(
        join(f.dataDir, "stimuli", ".download", "manifest.json"),
      ),
    );
    assert.equal(manifest.files[H5_KEY].checkedBy, "multipart-md5");
    assert.match(manifest.files[H5_KEY].etag, /^[0-9a-f]{32}-2$/);
  }, { h5Size: 6_000_000, partSize: 5 * 1024 * 1024 });
  await withBucket(async (f) => {
    await run(f);
    await assertComplete(f);
    assert(
      f.messages.some((m) =>
        m ===
          `${H5_NAME}: its ETag is a multipart ETag (3 parts) and no common part size (5 MiB, 8 MiB, 10 MiB, 15 MiB, 16 MiB, 25 MiB, 32 MiB, 50 MiB, 64 MiB, 100 MiB, 128 MiB, 256 MiB, 512 MiB) cuts 3000000 bytes into 3 parts, so only the size was checked (the sha256 is recorded for later checks)`
      ),
      f.messages.join("\n"),
    );
    const manifest = JSON.parse(
      await Deno.readTextFile(
        join(f.dataDir, "stimuli", ".download", "manifest.json"),
      ),
    );
    assert.equal(manifest.files[H5_KEY].checkedBy, "size");
  }, { partSize: 1024 * 1024 });
});

// ---- the final file ---------------------------------------------------------------

Deno.test("corrupt final file: a plain run notices an edit, --verify a silent one, --force fetches anew", async () => {
  await withBucket(async (f) => {
    await run(f);
    // An edit (mtime changes): the next plain run rechecks and repairs it.
    await Deno.writeFile(f.h5Path, flipped(f.bucket.h5, 5));
    const changed = await checkDownloads(f.dataDir);
    assert.equal(changed[0].status, "changed");
    assert.match(
      changed[0].message!,
      /no longer matches the download manifest \(its sha256 differs\); run `deno task cli download-segmentations --verify`/,
    );
    await run(f);
    await assertComplete(f);
    assert.equal(gets(f.s3, H5_KEY).length, 2);

    // Silent corruption (same size, mtime put back): only --verify can see it.
    const { mtime } = await Deno.stat(f.h5Path);
    await Deno.writeFile(f.h5Path, flipped(f.bucket.h5, 7));
    await Deno.utime(f.h5Path, mtime!, mtime!);
    await run(f);
    assert.equal(gets(f.s3, H5_KEY).length, 2, "a plain run trusts it");
    await run(f, { verify: true });
    await assertComplete(f);
    assert.equal(gets(f.s3, H5_KEY).length, 3);
    assert(
      f.messages.some((m) =>
        m ===
          `${H5_NAME}: no longer matches its manifest (sha256 differs); downloading it anew`
      ),
    );
    await run(f, { verify: true });
    assert.equal(
      gets(f.s3, H5_KEY).length,
      3,
      "--verify of good files fetches nothing",
    );

    await Deno.writeFile(f.h5Path, flipped(f.bucket.h5, 9));
    await Deno.utime(f.h5Path, mtime!, mtime!);
    await run(f, { force: true });
    await assertComplete(f);
    assert.equal(gets(f.s3, H5_KEY).length, 4);
    assert.equal(gets(f.s3, CSV_KEY).length, 2, "--force fetches every file");
  });
});

Deno.test("a final file without a manifest entry is checked against the ETag's MD5", async () => {
  await withBucket(async (f) => {
    await Deno.mkdir(join(f.dataDir, "stimuli"));
    await Deno.writeFile(f.h5Path, flipped(f.bucket.h5, 100));
    await Deno.writeFile(f.csvPath, f.bucket.csv);
    await run(f);
    await assertComplete(f);
    assert.equal(gets(f.s3, H5_KEY).length, 1);
    assert.equal(gets(f.s3, CSV_KEY).length, 0, "the right CSV was kept");
  });
});

// ---- timeouts and backoff -----------------------------------------------------------

Deno.test("a listing that is never answered times out, retries, then names the host", async () => {
  await withBucket(async (f) => {
    f.s3.fail("", { hang: true }, { hang: true });
    const started = performance.now();
    await assertFails(
      run(f, { connectTimeout: 200, retries: 1 }),
      /^Listing http:\/\/127\.0\.0\.1:\d+\/\?list-type=2.* failed after 2 attempts \(host 127\.0\.0\.1:\d+\): 127\.0\.0\.1:\d+ did not answer within 0\.2 s/,
      f,
    );
    assert(performance.now() - started < 10_000);
  });
});

Deno.test("an object GET that is never answered is retried and the download completes", async () => {
  await withBucket(async (f) => {
    f.s3.fail(H5_KEY, { hang: true });
    // Generous: other answers must come in time on a loaded machine.
    await run(f, { connectTimeout: 1000 });
    await assertComplete(f);
    assert.deepStrictEqual(gets(f.s3, H5_KEY).length, 2);
  });
});

Deno.test("a stalled transfer times out and resumes from the bytes on disk", async () => {
  await withBucket(async (f) => {
    f.s3.fail(H5_KEY, { stall: 300_000 });
    await run(f, { stallTimeout: 1000 });
    await assertComplete(f);
    assert.deepStrictEqual(
      gets(f.s3, H5_KEY).map((r) => r.range),
      [null, "bytes=300000-"],
    );
    assert(
      f.messages.some((m) =>
        /no data from 127\.0\.0\.1:\d+ for 1\.0 s \(the transfer stalled\); retry 1 of 4/
          .test(m)
      ),
      f.messages.join("\n"),
    );
  });
});

Deno.test("a transfer that stalls on every attempt fails naming the host, keeping the .part", async () => {
  await withBucket(async (f) => {
    f.s3.fail(H5_KEY, { stall: 300_000 }, { stall: 100_000 });
    await assertFails(
      run(f, { stallTimeout: 800, retries: 1 }),
      /failed after 2 attempts \(host 127\.0\.0\.1:\d+\): last error: no data from 127\.0\.0\.1:\d+ for 0\.8 s.*The partial file .*\.part \(400000 of 3000000 bytes\) is kept: run the download again to resume\./,
      f,
    );
    assert.deepStrictEqual(
      await Deno.readFile(`${f.h5Path}.part`),
      f.bucket.h5.subarray(0, 400_000),
    );
  });
});

Deno.test("503 with Retry-After in seconds and as an HTTP date is honoured, and capped", async () => {
  await withBucket(async (f) => {
    f.s3.fail(H5_KEY, { status: 503, retryAfter: "1" });
    let started = performance.now();
    await run(f);
    assert(performance.now() - started >= 950, "waited the Retry-After");
    assert(
      f.messages.some((m) =>
        /HTTP 503 .*retry 1 of 4 in 1\.0 s \(as the server's Retry-After asks\)/
          .test(m)
      ),
      f.messages.join("\n"),
    );
    await assertComplete(f);

    await Deno.remove(f.h5Path);
    f.s3.fail(H5_KEY, {
      status: 503,
      retryAfter: new Date(Date.now() + 2000).toUTCString(),
    });
    started = performance.now();
    await run(f);
    assert(performance.now() - started >= 500, "waited for the date");
    await assertComplete(f);

    await Deno.remove(f.h5Path);
    f.s3.fail(H5_KEY, { status: 503, retryAfter: "3600" });
    started = performance.now();
    await run(f, { maxRetryWait: 200 });
    assert(performance.now() - started < 5000, "the wait was capped");
    assert(
      f.messages.some((m) =>
        m.includes(
          "retry 1 of 4 in 0.2 s (the server's Retry-After asked for 3600.0 s; capped)",
        )
      ),
      f.messages.join("\n"),
    );
    await assertComplete(f);
  });
});

// ---- disk full ---------------------------------------------------------------------

/**
 * A tmpfs of `size` bytes at a temp dir where this machine allows mounting
 * one (root, or passwordless sudo as on CI runners); `dir` is undefined otherwise.
 */
async function tmpfs(
  size: number,
): Promise<AsyncDisposable & { dir?: string }> {
  const dir = await Deno.makeTempDir({ prefix: "laion_fmri_tmpfs_" });
  const remove = () => Deno.remove(dir, { recursive: true }).catch(() => {});
  const asRoot = (args: string[]) =>
    Deno.uid() === 0
      ? new Deno.Command(args[0], {
        args: args.slice(1),
        stdout: "null",
        stderr: "null",
      })
      : new Deno.Command("sudo", {
        args: ["-n", ...args],
        stdout: "null",
        stderr: "null",
      });
  const mount = ["mount", "-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir];
  if (Deno.uid() !== 0) mount.push("-o", `uid=${Deno.uid()}`);
  const mounted = Deno.build.os === "linux" &&
    (await asRoot(mount).output().catch(() => ({ success: false }))).success;
  if (!mounted) {
    await remove();
    return { [Symbol.asyncDispose]: async () => {} };
  }
  return {
    dir,
    async [Symbol.asyncDispose]() {
      await asRoot(["umount", dir]).output();
      await remove();
    },
  };
}

Deno.test("disk full while writing: names the file and the space needed, keeps the .part, resumes after", async () => {
  await using disk = await tmpfs(4 * 1024 * 1024);
  const dataDir = disk.dir ??
    await Deno.makeTempDir({ prefix: "laion_fmri_faults_" });
  try {
    await withBucket(async (f) => {
      const filler = join(dataDir, "filler");
      let writes = 0;
      // No tmpfs here: fail the 10th write of the .part as a full disk does.
      let n = 0;
      const fullDisk: DownloadDisk = {
        write(file, bytes) {
          if (++n >= 10) {
            throw new Error("No space left on device (os error 28)");
          }
          return file.write(bytes);
        },
        // Room before the transfer (assertRoom), full once the writes fail.
        free: () => ({ bytes: n >= 10 ? 1000 : 1e12, inodes: 100 }),
      };
      const err = await assertFails(
        run(f, {
          ...(disk.dir ? {} : { disk: fullDisk }),
          onProgress: (p) => {
            if (p.file !== H5_NAME || writes++ > 0) return;
            if (disk.dir) {
              // Take all but ~600 kB of the disk once the transfer has begun.
              const free = 4 * 1024 * 1024 - 600_000;
              Deno.writeFileSync(filler, new Uint8Array(free));
            }
          },
        }),
        /^Disk full while writing .*task-images_desc-segmentations\.h5\.part: \d\.\d MB more are needed \(.* free\)\. The partial file is kept: free some space and run the download again to resume\.$/,
        f,
      );
      assert(err.cause instanceof Error);
      const kept = (await Deno.stat(`${f.h5Path}.part`)).size;
      assert(kept > 0 && kept < 3_000_000);
      assert.deepStrictEqual(
        await Deno.readFile(`${f.h5Path}.part`),
        f.bucket.h5.subarray(0, kept),
      );
      await Deno.remove(filler).catch(() => {});
      await run(f);
      await assertComplete(f);
      assert.equal(gets(f.s3, H5_KEY).at(-1)!.range, `bytes=${kept}-`);
    }, { dataDir });
  } finally {
    if (!disk.dir) await Deno.remove(dataDir, { recursive: true });
  }
  if (!disk.dir) {
    console.warn("no tmpfs here: the disk-full case used the disk option");
  }
});

Deno.test("not enough space before a transfer: says how much is needed and free", async () => {
  await withBucket(async (f) => {
    // A listing far larger than any disk: refused before any byte is fetched.
    f.s3.misreport(H5_KEY, { size: 4e15 });
    await assertFails(
      run(f),
      /^Not enough disk space for .*task-images_desc-segmentations\.h5\.part: 4000\.0 TB more are needed, .* free on that disk\./,
      f,
    );
    assert.equal(gets(f.s3, H5_KEY).length, 0);
  });
  await using disk = await tmpfs(1024 * 1024);
  if (!disk.dir) {
    return console.warn("no tmpfs here: only the listed-size case ran");
  }
  await withBucket(async (f) => {
    await assertFails(
      run(f),
      /^Not enough disk space for .*task-images_desc-segmentations\.h5\.part: 3\.0 MB more are needed, 1\.0 MB free on that disk\./,
      f,
    );
  }, { dataDir: disk.dir });
});

Deno.test("3 CLI processes at once into one data dir, 3 times", async () => {
  for (let rep = 0; rep < 3; rep++) {
    await withBucket(async (f) => {
      const runs = await Promise.all(
        [0, 1, 2].map(() =>
          cli(["download-segmentations", "--data-dir", f.dataDir], {
            LAION_FMRI_S3_URL: f.s3.url,
          })
        ),
      );
      for (const r of runs) {
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, `${f.h5Path}\n${f.csvPath}\n`);
      }
      await assertComplete(f);
      assert.equal(
        gets(f.s3, H5_KEY).length,
        1,
        "one transfer, the others waited",
      );
      assert.equal(
        runs.filter((r) => r.stderr.includes("CC0")).length,
        1,
        "the licence notice once",
      );
    }, { h5Size: 600_000, chunkSize: 16_384, throttleMs: 30 });
  }
});

// ---- messages ----------------------------------------------------------------------

Deno.test("a file where stimuli/ should be, and a folder where a file should be", async () => {
  await withBucket(async (f) => {
    await Deno.writeTextFile(join(f.dataDir, "stimuli"), "oops");
    await assertFails(
      run(f),
      /stimuli is a file, but the folder stimuli\/ of the data files must be a folder there; move or rename that file and run again\.$/,
      f,
    );
    assert.equal(f.s3.requests.length, 0, "failed before any request");
    await Deno.remove(join(f.dataDir, "stimuli"));
    await Deno.mkdir(f.h5Path, { recursive: true });
    await assertFails(
      run(f),
      /task-images_desc-segmentations\.h5 is a folder, but the file must be written there; move or delete that folder and run again\.$/,
      { ...f, h5Path: `${f.h5Path}/x` },
    );
    await Deno.remove(f.h5Path);
    await run(f);
    await assertComplete(f);
  });
});

Deno.test("a listing larger than the object names both sizes, and a rerun does not loop", async () => {
  await withBucket(async (f) => {
    f.s3.misreport(H5_KEY, { size: 3_500_000 });
    for (let i = 0; i < 2; i++) {
      const err = await assertFails(
        run(f),
        /^The bucket listing says stimuli\/task-images_desc-segmentations\.h5 has 3500000 bytes, but GET .* serves 3000000 bytes/,
        f,
      );
      assert(!/resume/.test(err.message));
    }
    assert.equal(gets(f.s3, H5_KEY).length, 2, "one GET per run");
    assert(!await exists(`${f.h5Path}.part`));
  });
});

Deno.test("connection refused: at once, with the URL", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const dataDir = await Deno.makeTempDir();
  try {
    const started = performance.now();
    const err = await downloadSegmentations({
      dataDir,
      baseUrl: `http://127.0.0.1:${port}`,
      quiet: true,
    }).then(() => assert.fail("expected a failure"), (e: Error) => e);
    assert(performance.now() - started < 3000, "no retries");
    assert.match(
      err.message,
      new RegExp(
        `^Connection refused by 127\\.0\\.0\\.1:${port} \\(GET http://127\\.0\\.0\\.1:${port}/\\?list-type=2&prefix=stimuli%2F\\): nothing is listening there\\.`,
      ),
    );
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("an invalid config file: the error names the CLI command that writes it", async () => {
  const xdg = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(xdg, "laion_fmri"));
    await Deno.writeTextFile(join(xdg, "laion_fmri", "config.json"), "{oops");
    const lines: string[] = [];
    const code = await withEnv(
      { XDG_CONFIG_HOME: xdg, LAION_FMRI_DATA_DIR: undefined },
      () => main(["download-segmentations"], { stderr: (l) => lines.push(l) }),
    );
    assert.equal(code, 1);
    assert.match(
      lines.join("\n"),
      /^error: Config file .*config\.json is not valid JSON; write it again with `deno task cli init PATH`/,
    );
    assert(!lines.join("").includes("datasetInitialize"));
  } finally {
    await Deno.remove(xdg, { recursive: true });
  }
});

Deno.test("CLI: licence notice once, --verify and --force flags, info warns about a changed file", async () => {
  // A real (sample) data set in the bucket, so `info` can open it.
  const sample = await Deno.makeTempDir({ prefix: "laion_fmri_bucket_" });
  const dataDir = await Deno.makeTempDir({ prefix: "laion_fmri_faults_" });
  try {
    await writeSample(sample, { images: 3, size: 64, stimuli: false });
    await using s3 = FakeS3.start(sample);
    const env = { LAION_FMRI_S3_URL: s3.url };
    const first = await cli(
      ["download-segmentations", "--data-dir", dataDir],
      env,
    );
    assert.equal(first.code, 0, first.stderr);
    assert(first.stderr.includes(DATASET_NOTICE), first.stderr);
    assert.match(first.stderr, /CC0/);
    const second = await cli(
      ["download-segmentations", "--data-dir", dataDir, "--verify"],
      env,
    );
    assert.equal(second.code, 0, second.stderr);
    assert(!second.stderr.includes("CC0"), "the notice is shown once");
    assert.match(second.stderr, /already downloaded/);

    const csv = join(dataDir, ...CSV_KEY.split("/"));
    const original = await Deno.readFile(csv);
    // One noun letter edited: the file still reads, but is not what was downloaded.
    const text = new TextDecoder().decode(original);
    const row = text.indexOf("\n") + 1;
    await Deno.writeTextFile(
      csv,
      text.slice(0, row) + text.slice(row).replace(/,([a-z])/, ",X"),
    );
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(["info", "--data-dir", dataDir], {
      stdout: (l) => out.push(l),
      stderr: (l) => err.push(l),
    });
    assert.equal(code, 0, err.join("\n"));
    assert.match(
      err.join("\n"),
      /^warning: .*task-images_desc-segmentations_metadata\.csv no longer matches the download manifest \(its sha256 differs\); run `deno task cli download-segmentations --verify` to fetch it anew$/,
    );
    assert(
      out.some((l) =>
        /metadata\.csv .*CHANGED since it was downloaded/.test(l)
      ),
    );

    const forced = await cli(
      ["download-segmentations", "--data-dir", dataDir, "--force"],
      env,
    );
    assert.equal(forced.code, 0, forced.stderr);
    assert.deepStrictEqual(await Deno.readFile(csv), original);
    assert.match(forced.stderr, /metadata\.csv: downloading/);
    assert.equal(
      (await checkDownloads(dataDir, { hash: true })).map((c) => c.status)
        .join(),
      "ok,ok",
    );
  } finally {
    await Deno.remove(sample, { recursive: true });
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test({
  name:
    "in a terminal: a stalled bar shows the bytes on disk, and Ctrl-C's message starts on its own line",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await withBucket(async (f) => {
      f.s3.fail(H5_KEY, { stall: 600_000 });
      // util-linux `script` gives the CLI a pseudo-terminal; byte 3 on it is Ctrl-C.
      const command =
        `${Deno.execPath()} run -A lib/cli/main.ts download-segmentations --data-dir ${f.dataDir}`;
      const child = new Deno.Command("script", {
        args: ["-qfec", command, "/dev/null"],
        cwd: REPO,
        env: { LAION_FMRI_S3_URL: f.s3.url, NO_COLOR: "1", TERM: "xterm" },
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const deadline = Date.now() + 60_000;
      while (
        (await Deno.stat(`${f.h5Path}.part`).catch(() => null))?.size !==
          600_000
      ) {
        assert(Date.now() < deadline, "the transfer never reached the stall");
        await new Promise((r) => setTimeout(r, 50));
      }
      // Long enough for the once-a-second refresh to call it a stall.
      await new Promise((r) => setTimeout(r, 3_500));
      const stdin = child.stdin.getWriter();
      await stdin.write(new Uint8Array([3]));
      await stdin.close();
      const out = await child.output();
      const text = new TextDecoder().decode(out.stdout);
      assert.equal(out.code, 130, text);
      assert.match(
        text,
        // deno-lint-ignore no-control-regex -- the bar redraws with ESC[K
        /\r\x1b\[Ktask-images_desc-segmentations\.h5 .* 600\.0 kB\/3\.0 MB {2}stalled, no data for [2-9] s/,
      );
      // The terminal echoes ^C after the bar; the message begins a new line.
      assert.match(
        text,
        /\r?\nerror: interrupted; run the command again to resume the download\r?\n$/,
      );
      assert.deepStrictEqual(
        await Deno.readFile(`${f.h5Path}.part`),
        f.bucket.h5.subarray(0, 600_000),
      );
      assert(!await exists(f.h5Path));
    });
  },
});

// ---- issue 22: multipart ETags reject a wrong file --------------------------------

const MIB = 1024 * 1024;

/** One ETag style each: a one-part multipart upload (`-1`), 5 MiB parts, 8 MiB parts. */
const MULTIPART_CASES = [
  {
    what: "a one-part multipart ETag (-1)",
    options: {
      h5Size: 3_000_000,
      partSize: 5 * MIB,
      singlePartMultipart: true,
    },
    parts: 1,
  },
  {
    what: "5 MiB parts",
    options: { h5Size: 6_000_000, partSize: 5 * MIB },
    parts: 2,
  },
  {
    what: "8 MiB parts",
    options: { h5Size: 9_000_000, partSize: 8 * MIB },
    parts: 2,
    // 5 MiB parts also cut 9 MB into two: both are tried.
    tried: "5 MiB, 8 MiB",
  },
] as const;

async function checkedBy(f: BucketFixture): Promise<string> {
  const manifest = JSON.parse(
    await Deno.readTextFile(
      join(f.dataDir, "stimuli", ".download", "manifest.json"),
    ),
  );
  return manifest.files[H5_KEY].checkedBy;
}

for (const c of MULTIPART_CASES) {
  Deno.test(`multipart ETag, ${c.what}: a byte flipped in transit is refused and fetched again`, async () => {
    await withBucket(async (f) => {
      const etag = f.s3.etagOf(f.bucket.h5).replaceAll('"', "");
      assert.match(etag, new RegExp(`^[0-9a-f]{32}-${c.parts}$`));
      f.s3.fail(H5_KEY, { flip: 1_234_567 });
      await run(f);
      await assertComplete(f);
      assert.equal(gets(f.s3, H5_KEY).length, 2, "fetched again");
      assert.equal(await checkedBy(f), "multipart-md5");
      assert(
        f.messages.some((m) =>
          m.includes(
            `the part MD5s of the downloaded ${H5_NAME} (${
              c.parts === 1
                ? "one part: the MD5 of the whole file"
                : `for part sizes of ${
                  "tried" in c ? c.tried : `${c.options.partSize / MIB} MiB`
                }`
            }) do not match the object's ETag ${etag}; discarded the .part, starting from zero; retry 1 of 4`,
          )
        ),
        f.messages.join("\n"),
      );
    }, c.options);
  });

  Deno.test(`multipart ETag, ${c.what}: corrupted on every attempt, the download fails with no final file`, async () => {
    await withBucket(async (f) => {
      f.s3.fail(H5_KEY, { flip: 10 }, { flip: 20 });
      await assertFails(
        run(f, { retries: 1 }),
        new RegExp(
          `^Downloading ${H5_NAME} from .* failed after 2 attempts .*last error: the part MD5s of the downloaded ${H5_NAME} \\(.*\\) do not match the object's ETag [0-9a-f]{32}-${c.parts}`,
        ),
        f,
      );
      assert(!await exists(`${f.h5Path}.part`), "a wrong .part is not kept");
      // The same wrong bytes twice: no more retries, and a message saying what that means.
      f.s3.fail(H5_KEY, ...Array.from({ length: 5 }, () => ({ flip: 30 })));
      const before = gets(f.s3, H5_KEY).length;
      await assertFails(
        run(f),
        new RegExp(
          `served the same ${f.bucket.h5.length} bytes twice \\(sha256 [0-9a-f]{64}\\) and the part MD5s of the downloaded ${H5_NAME} \\(.*\\) do not match the object's ETag [0-9a-f]{32}-${c.parts}; nothing was saved\\. Either the object in the bucket does not match its ETag, or it was uploaded in parts of a size this module does not try \\(it tries 5 MiB, 8 MiB, .*512 MiB\\): report it to the bucket's maintainers`,
        ),
        f,
      );
      assert.equal(gets(f.s3, H5_KEY).length - before, 2, "stopped after two");
    }, c.options);
  });

  Deno.test(`multipart ETag, ${c.what}: a leftover .part with a zero-filled hole and a right record is caught`, async () => {
    for (const length of ["whole", "prefix"] as const) {
      await withBucket(async (f) => {
        // The right bytes with 64 kB zeroed in the middle, the whole file or a prefix of it.
        const holed = f.bucket.h5.slice(
          0,
          length === "whole" ? undefined : 2_000_000,
        );
        holed.fill(0, 1_000_000, 1_065_536);
        await leftoverPart(f, holed, true);
        await run(f);
        await assertComplete(f);
        assert.equal(await checkedBy(f), "multipart-md5");
        assert(
          f.messages.some((m) =>
            m.includes(
              `do not match the object's ETag ${
                f.s3.etagOf(f.bucket.h5).replaceAll('"', "")
              } (the ${holed.length} bytes kept from before were not a prefix of this object)`,
            )
          ),
          f.messages.join("\n"),
        );
        const ranges = gets(f.s3, H5_KEY).map((r) => r.range);
        assert.deepStrictEqual(
          ranges,
          length === "whole" ? [null] : ["bytes=2000000-", null],
        );
      }, c.options);
    }
  });
}

Deno.test("multipart ETag: a one-part ETag of a file larger than every common part size is still checked", async () => {
  // The digest of one part is the MD5 of the file, whatever the part size.
  await withBucket(async (f) => {
    f.s3.fail(H5_KEY, { flip: 5 });
    await run(f);
    await assertComplete(f);
    assert.equal(gets(f.s3, H5_KEY).length, 2);
    assert.equal(await checkedBy(f), "multipart-md5");
  }, { h5Size: 3_000_000, partSize: 4_000_000, singlePartMultipart: true });
});

// ---- issue 22: no bytes of an unknown version are appended ------------------------

Deno.test("a 206 without an ETag after the object changed (server ignoring If-Range): restarts from zero, the new object", async () => {
  await withBucket(async (f) => {
    const old = f.bucket.h5;
    const replaced = flipped(old, 2_500_000);
    f.s3.fail(H5_KEY, { drop: 1_000_000 }, { omitEtag: true });
    let swapped = false;
    await run(f, {
      onMessage: (m) => {
        f.messages.push(m);
        if (!swapped && /retry 1 of 4/.test(m)) {
          swapped = true;
          f.serve(H5_KEY, replaced);
        }
      },
    });
    assert(swapped);
    await assertComplete(f);
    assert.deepStrictEqual(await Deno.readFile(f.h5Path), replaced);
    const h5Gets = gets(f.s3, H5_KEY);
    assert.equal(h5Gets[1].status, 206, "the resume got a 206 without ETag");
    assert.equal(h5Gets[1].range, `bytes=${1_000_000}-`);
    assert.equal(h5Gets.at(-1)!.range, null, "then fetched from zero");
    assert(
      f.messages.some((m) =>
        m.includes(
          "the server answered the resume with part of an object without an ETag",
        )
      ),
      f.messages.join("\n"),
    );
  }, { ignoreIfRange: true });
});

Deno.test("a server without ETags is never resumed with a bare Range: each attempt starts from zero, the new object", async () => {
  await withBucket(async (f) => {
    const replaced = flipped(f.bucket.h5, 2_500_000);
    f.s3.fail(H5_KEY, { drop: 1_000_000 });
    let swapped = false;
    await run(f, {
      onMessage: (m) => {
        f.messages.push(m);
        if (!swapped && /retry 1 of 4/.test(m)) {
          swapped = true;
          f.serve(H5_KEY, replaced);
        }
      },
    });
    assert(swapped);
    await assertComplete(f);
    assert.deepStrictEqual(await Deno.readFile(f.h5Path), replaced);
    assert.deepStrictEqual(
      gets(f.s3, H5_KEY).map((r) => r.range),
      [null, null],
      "no Range without a validator",
    );
    assert(
      f.messages.some((m) => m.includes("the server gave no ETag")),
      f.messages.join("\n"),
    );
    assert.equal(await checkedBy(f), "size");
  }, { noEtag: true });
});

Deno.test("a server without ETags failing every attempt: no .part is kept to be resumed", async () => {
  await withBucket(async (f) => {
    f.s3.fail(H5_KEY, { drop: 500_000 }, { drop: 500_000 });
    await assertFails(
      run(f, { retries: 1 }),
      /The server gives no ETag, so a partial file cannot be resumed safely and was removed; run the download again\.$/,
      f,
    );
    assert(!await exists(`${f.h5Path}.part`));
    assert.deepStrictEqual(gets(f.s3, H5_KEY).map((r) => r.range), [
      null,
      null,
    ]);
  }, { noEtag: true });
});

// ---- issue 22: a listing that does not end ----------------------------------------

for (
  const [mode, pattern] of [
    [
      "repeatToken",
      /it gave the continuation token "[^"]+" again \(first on page 1\) \(page 2,/,
    ],
    [
      "ignoreToken",
      /this page starts at "stimuli\/a_readme\.txt", not after the previous page's last key "stimuli\/a_readme\.txt", so the server ignored the continuation token \(page 2,/,
    ],
    [
      "endless",
      /100 pages without stimuli\/task-images_desc-segmentations\.h5 and stimuli\/task-images_desc-segmentations_metadata\.csv \(page 100,/,
    ],
  ] as const
) {
  Deno.test(`a listing that never ends (${mode}) fails fast, naming the host and what it saw`, async () => {
    await withBucket(async (f) => {
      const started = performance.now();
      await assertFails(
        run(f),
        new RegExp(
          `^The listing of stimuli/ on 127\\.0\\.0\\.1:\\d+ does not end: ${pattern.source}.*The server does not page its listing as S3's ListObjectsV2 does; check the bucket URL \\(LAION_FMRI_S3_URL\\)\\.$`,
        ),
        f,
      );
      assert(performance.now() - started < 20_000, "bounded");
      assert(f.s3.count("GET", "") <= 100);
      assert.equal(gets(f.s3, H5_KEY).length, 0);
    }, { listing: mode, pageSize: 1 });
  });
}

// ---- issue 22: messages ------------------------------------------------------------

function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

Deno.test("a redirect is followed; one to a closed port names the host redirected to", async () => {
  await withBucket(async (f) => {
    // To the same server: followed, and the download completes.
    f.s3.fail(H5_KEY, { redirect: `${f.s3.url}/${H5_KEY}` });
    await run(f);
    await assertComplete(f);
    assert.deepStrictEqual(
      gets(f.s3, H5_KEY).map((r) => r.status),
      [307, 200],
    );
  });
  await withBucket(async (f) => {
    const port = closedPort();
    f.s3.fail("", { redirect: `http://127.0.0.1:${port}/elsewhere` });
    await assertFails(
      run(f),
      new RegExp(
        `^Connection refused by 127\\.0\\.0\\.1:${port} \\(GET http://127\\.0\\.0\\.1:${port}/elsewhere, redirected from ${
          f.s3.url.replaceAll(".", "\\.")
        }/\\?list-type=2&prefix=stimuli%2F\\): nothing is listening there\\.`,
      ),
      f,
    );
  });
});

Deno.test("Retry-After: -5 gets the default backoff, 1.5 waits 2 s, never an at-once retry", async () => {
  await withBucket(async (f) => {
    f.s3.fail(H5_KEY, { status: 503, retryAfter: "-5" });
    await withEnv({ LAION_FMRI_RETRY_DELAY_MS: "300" }, async () => {
      const started = performance.now();
      await run(f);
      assert(performance.now() - started >= 290, "waited the backoff");
    });
    await assertComplete(f);
    const note = f.messages.find((m) => /HTTP 503/.test(m))!;
    assert.match(note, /retry 1 of 4 in 0\.3 s$/, note);

    await Deno.remove(f.h5Path);
    f.s3.fail(H5_KEY, { status: 503, retryAfter: "1.5" });
    const started = performance.now();
    await run(f);
    assert(performance.now() - started >= 1950, "waited 2 s");
    assert(
      f.messages.some((m) =>
        /HTTP 503 .*retry 1 of 4 in 2\.0 s \(as the server's Retry-After asks\)/
          .test(m)
      ),
      f.messages.join("\n"),
    );
    await assertComplete(f);
  });
});

Deno.test("a 1 B/s trickle is timed out by the minimum speed, naming the host", async () => {
  await withBucket(async (f) => {
    const started = performance.now();
    await assertFails(
      run(f, { stallTimeout: 800, minSpeed: 1000, retries: 1 }),
      /failed after 2 attempts \(host 127\.0\.0\.1:\d+\): last error: 127\.0\.0\.1:\d+ sent \d+ bytes in 0\.\d s \([\d.]+ bytes\/s, below the minimum of 1000 bytes\/s; the transfer is too slow\)\. The partial file .* is kept: run the download again to resume\.$/,
      f,
    );
    assert(performance.now() - started < 15_000, "bounded");
    // The second attempt resumed where the first left off.
    assert.match(gets(f.s3, H5_KEY)[1].range ?? "", /^bytes=\d+-$/);
  }, { chunkSize: 1, throttleMs: 100 });
});

Deno.test("ENOSPC with bytes free says inodes (the disk seam)", async () => {
  await withBucket(async (f) => {
    let n = 0;
    const noInodes: DownloadDisk = {
      write(file, bytes) {
        if (++n >= 3) throw new Error("No space left on device (os error 28)");
        return file.write(bytes);
      },
      free: () => ({ bytes: 50 * MIB, inodes: 0 }),
    };
    await assertFails(
      run(f, { disk: noInodes }),
      /^No free inodes on the disk of .*task-images_desc-segmentations\.h5\.part: it has 52\.4 MB free but no room for another file \(every inode is in use\)\. Delete files there .* Any partial file is kept: make room and run the download again to resume\.$/,
      f,
    );
    const someInodes: DownloadDisk = {
      write() {
        throw new Error("No space left on device (os error 28)");
      },
      free: () => ({ bytes: 50 * MIB, inodes: 12 }),
    };
    await assertFails(
      run(f, { disk: someInodes }),
      /^No space left on the disk of .*\.h5\.part although 52\.4 MB are free and .* are needed: the disk is probably out of inodes \(12 free\) or a quota is reached/,
      f,
    );
  });
});

/** A tmpfs mounted at a temp dir (root only), or undefined; CI must be able to. */
async function mountTmpfs(options: string): Promise<string | undefined> {
  const dir = await Deno.makeTempDir({ prefix: "laion_fmri_mnt_" });
  const ok = Deno.build.os === "linux" && Deno.uid() === 0 &&
    (await new Deno.Command("mount", {
      args: ["-t", "tmpfs", "-o", options, "tmpfs", dir],
      stdout: "null",
      stderr: "null",
    }).output().catch(() => ({ success: false }))).success;
  if (ok) return dir;
  await Deno.remove(dir);
  if (Deno.env.get("CI") === "true") {
    assert.fail("CI=true: these tests need to mount a tmpfs (run as root)");
  }
  console.warn("cannot mount a tmpfs here (not root): test not run");
  return undefined;
}

async function unmount(dir: string): Promise<void> {
  await new Deno.Command("umount", { args: [dir] }).output();
  await Deno.remove(dir, { recursive: true });
}

const CAN_MOUNT = Deno.build.os === "linux" && Deno.uid() === 0;

Deno.test({
  name:
    "out of inodes on a real tmpfs: the message says inodes; a run after freeing some succeeds",
  ignore: !CAN_MOUNT && Deno.env.get("CI") !== "true",
  async fn() {
    const dir = await mountTmpfs("size=16m,nr_inodes=64");
    if (dir === undefined) return;
    try {
      await withBucket(async (f) => {
        await Deno.mkdir(join(dir, "stimuli"));
        const fillers: string[] = [];
        for (let i = 0; i < 100; i++) {
          const path = join(dir, `filler_${i}`);
          try {
            await Deno.writeFile(path, new Uint8Array(0));
          } catch {
            break;
          }
          fillers.push(path);
        }
        assert(fillers.length < 100, "the inodes ran out");
        await assertFails(
          run(f),
          /^No free inodes on the disk of .*: it has \d+\.\d MB free but no room for another file/,
          f,
        );
        for (const path of fillers) await Deno.remove(path);
        await run(f);
        await assertComplete(f);
      }, { dataDir: dir, h5Size: 600_000 });
    } finally {
      await unmount(dir);
    }
  },
});

Deno.test({
  name:
    "a read-only data folder: a complete download is found without the lock; a missing file says read-only",
  ignore: !CAN_MOUNT && Deno.env.get("CI") !== "true",
  async fn() {
    const dir = await mountTmpfs("size=16m");
    if (dir === undefined) return;
    try {
      await withBucket(async (f) => {
        await run(f);
        await assertComplete(f);
        // No lock files, as on a share published read-only.
        for await (const e of Deno.readDir(join(dir, "stimuli", ".download"))) {
          if (e.name.endsWith(".lock")) {
            await Deno.remove(join(dir, "stimuli", ".download", e.name));
          }
        }
        const remount = await new Deno.Command("mount", {
          args: ["-o", "remount,ro", dir],
        }).output();
        assert(remount.success);
        f.messages.length = 0;
        const paths = await run(f, { verify: true });
        assert.equal(paths.h5, f.h5Path);
        await assertComplete(f);
        assert.equal(gets(f.s3, H5_KEY).length, 1, "nothing fetched again");
        // The CLI too, with its licence notice (which a read-only folder cannot record).
        const r = await cli(["download-segmentations", "--data-dir", dir], {
          LAION_FMRI_S3_URL: f.s3.url,
        });
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, `${f.h5Path}\n${f.csvPath}\n`);
        assert(r.stderr.includes(DATASET_NOTICE), r.stderr);

        await new Deno.Command("mount", { args: ["-o", "remount,rw", dir] })
          .output();
        await Deno.remove(f.csvPath);
        await new Deno.Command("mount", { args: ["-o", "remount,ro", dir] })
          .output();
        const err = await run(f).then(
          () => assert.fail("expected a failure"),
          (e: Error) => e,
        );
        assert.match(
          err.message,
          /^Cannot download task-images_desc-segmentations_metadata\.csv into .*stimuli: that folder is read-only \(.*Read-only file system.*\), and the file there is missing or not the bucket's\. Download into a writable data directory/,
        );
      }, { dataDir: dir, h5Size: 600_000 });
    } finally {
      await new Deno.Command("mount", { args: ["-o", "remount,rw", dir] })
        .output();
      await unmount(dir);
    }
  },
});

Deno.test(".download being a file, and the data dir a dangling symlink: messages naming the path", async () => {
  await withBucket(async (f) => {
    await Deno.mkdir(join(f.dataDir, "stimuli"));
    await Deno.writeTextFile(join(f.dataDir, "stimuli", ".download"), "x");
    await assertFails(
      run(f),
      /stimuli\/\.download is a file, but the folder \.download\/ of the download's locks and manifest must be a folder there; move or rename that file and run again\.$/,
      f,
    );
    await Deno.remove(join(f.dataDir, "stimuli", ".download"));
    await run(f);
    await assertComplete(f);
  });
  const base = await Deno.makeTempDir({ prefix: "laion_fmri_link_" });
  try {
    await withBucket(async (f) => {
      const link = join(base, "data");
      await Deno.symlink(join(base, "unmounted_disk"), link);
      const err = await run({ ...f, dataDir: link }).then(
        () => assert.fail("expected a failure"),
        (e: Error) => e,
      );
      assert.match(
        err.message,
        /data is a symbolic link to .*unmounted_disk, which does not exist, but the data directory must be a folder there; create .*unmounted_disk \(a disk not mounted\?\), or remove the link, and run again\.$/,
      );
      assert.equal(f.s3.requests.length, 0, "failed before any request");
    });
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("a stale .part beside a complete file is removed, with a note", async () => {
  await withBucket(async (f) => {
    await run(f);
    await leftoverPart(f, f.bucket.h5.subarray(0, 1000), true);
    f.messages.length = 0;
    await run(f);
    await assertComplete(f);
    assert(!await exists(`${f.h5Path}.part.json`));
    assert.equal(gets(f.s3, H5_KEY).length, 1, "the complete file was kept");
    assert(
      f.messages.includes(
        `${H5_NAME}: removed ${H5_NAME}.part (1000 bytes) left beside the complete file by an earlier run`,
      ),
      f.messages.join("\n"),
    );
  });
});

// ---- issue 22: the command line ----------------------------------------------------

Deno.test("CLI: listing retries and a Retry-After wait print a line every few seconds", async () => {
  await withBucket(async (f) => {
    f.s3.fail("", { status: 503, retryAfter: "6" });
    const started = performance.now();
    const r = await cli(
      ["download-segmentations", "--data-dir", f.dataDir],
      { LAION_FMRI_S3_URL: f.s3.url },
    );
    assert.equal(r.code, 0, r.stderr);
    assert(performance.now() - started >= 5900, "waited the Retry-After");
    const host = new URL(f.s3.url).host.replaceAll(".", "\\.");
    assert.match(
      r.stderr,
      new RegExp(
        `^listing ${host}: GET .* answered HTTP 503 .*; retry 1 of 4 in 6\\.0 s \\(as the server's Retry-After asks\\)$`,
        "m",
      ),
    );
    assert.match(
      r.stderr,
      new RegExp(
        `^listing ${host}: retrying in 1 s: HTTP 503 from ${host}$`,
        "m",
      ),
    );
    await assertComplete(f);
  });
});

Deno.test("CLI: --connect-timeout, --stall-timeout and --lock-timeout take seconds, checked", async () => {
  const lines: string[] = [];
  const cliMain = (args: string[]) =>
    main(["download-segmentations", ...args], {
      stdout: () => {},
      stderr: (l) => lines.push(l),
    });
  for (
    const [args, pattern] of [
      [
        ["--stall-timout", "3"],
        /^error: download-segmentations: unknown option --stall-timout; did you mean --stall-timeout\? \(see `deno task cli --help`\)$/,
      ],
      [
        ["--connect-timeout", "soon"],
        /^error: download-segmentations: --connect-timeout must be a number of seconds > 0 \(e\.g\. --connect-timeout 30\), got "soon"/,
      ],
      [
        ["--stall-timeout=0"],
        /^error: download-segmentations: --stall-timeout must be a number of seconds > 0/,
      ],
      [
        ["--lock-timeout=-1"],
        /^error: download-segmentations: --lock-timeout must be a number of seconds >= 0/,
      ],
    ] as const
  ) {
    lines.length = 0;
    const dataDir = await Deno.makeTempDir();
    try {
      assert.equal(await cliMain([...args, "--data-dir", dataDir]), 2);
    } finally {
      await Deno.remove(dataDir, { recursive: true });
    }
    assert.match(lines.join("\n"), pattern);
  }

  await withBucket(async (f) => {
    const env = { LAION_FMRI_S3_URL: f.s3.url, LAION_FMRI_RETRY_DELAY_MS: "1" };
    f.s3.fail(
      "",
      ...Array.from({ length: 5 }, () => ({ hang: true as const })),
    );
    lines.length = 0;
    let code = await withEnv(
      env,
      () =>
        cliMain([
          "--data-dir",
          f.dataDir,
          "--quiet",
          "--connect-timeout",
          "0.3",
        ]),
    );
    assert.equal(code, 1);
    assert.match(lines.join("\n"), /did not answer within 0\.3 s/);

    f.s3.fail(H5_KEY, ...Array.from({ length: 5 }, () => ({ stall: 1000 })));
    lines.length = 0;
    code = await withEnv(
      env,
      () =>
        cliMain(["--data-dir", f.dataDir, "--quiet", "--stall-timeout", "0.4"]),
    );
    assert.equal(code, 1);
    assert.match(lines.join("\n"), /no data from 127\.0\.0\.1:\d+ for 0\.4 s/);

    const lockDir = join(f.dataDir, "stimuli", ".download");
    await Deno.mkdir(lockDir, { recursive: true });
    using holder = await Deno.open(join(lockDir, `${H5_NAME}.lock`), {
      create: true,
      write: true,
    });
    await holder.lock(true);
    lines.length = 0;
    code = await withEnv(
      env,
      () =>
        cliMain(["--data-dir", f.dataDir, "--quiet", "--lock-timeout", "0.3"]),
    );
    assert.equal(code, 1);
    assert.match(
      lines.join("\n"),
      /Gave up after waiting 0\.3 s for another download/,
    );
  });
});
