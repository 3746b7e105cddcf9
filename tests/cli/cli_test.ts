import assert from "node:assert/strict";
import { join } from "node:path";
import { withEnv } from "../_support/helpers.ts";
import { fileURLToPath } from "node:url";
import { main } from "../../lib/cli/main.ts";
import { splitCsvLine } from "../../lib/data/csv.ts";
import { writeSample } from "../../lib/data/sample/sample.ts";
import { formatBytes } from "../../lib/display/progress.ts";
import { CSV_KEY, FakeS3, H5_KEY, makeBucket } from "../_support/s3_server.ts";

const REPO = fileURLToPath(new URL("../..", import.meta.url));

interface Run {
  code: number;
  stdout: string[];
  stderr: string[];
}

/** `main(args)` in this process, output captured line by line. */
async function runMain(args: string[]): Promise<Run> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await main(args, {
    stdout: (l) => stdout.push(l),
    stderr: (l) => stderr.push(l),
  });
  return { code, stdout, stderr };
}

/**
 * The real `deno run -A lib/cli/main.ts ...` with only `env` (plus PATH, HOME and
 * DENO_DIR) in its environment, so the caller's data directory cannot leak in.
 */
async function runCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<Run> {
  const base: Record<string, string> = { NO_COLOR: "1" };
  for (const k of ["PATH", "HOME", "DENO_DIR"]) {
    const v = Deno.env.get(k);
    if (v !== undefined) base[k] = v;
  }
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "lib/cli/main.ts", ...args],
    cwd: REPO,
    env: { ...base, ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const lines = (b: Uint8Array) =>
    new TextDecoder().decode(b).split("\n").filter((l) => l !== "");
  return { code, stdout: lines(stdout), stderr: lines(stderr) };
}

async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "cli_test_" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** One `error: ` line and nothing else on stderr. */
function assertOneLineError(run: Run, pattern: RegExp): void {
  assert.equal(run.stderr.length, 1, run.stderr.join("\n"));
  assert.match(run.stderr[0], /^error: /);
  assert.match(run.stderr[0], pattern);
}

/** The nouns of `image` read straight from the sample CSV (no commas inside its fields). */
async function csvNouns(
  dataDir: string,
  image: string,
  localizedOnly: boolean,
): Promise<string[]> {
  const [header, ...rows] =
    (await Deno.readTextFile(join(dataDir, ...CSV_KEY.split("/")))).trim()
      .split("\n").map(splitCsvLine); // phrase nouns hold commas
  const col = (name: string) => header.indexOf(name);
  const nouns = rows.filter((r) => r[col("image_name")] === image)
    .filter((r) => !localizedOnly || r[col("localized")] === "1")
    .map((r) => r[col("noun")]);
  return [...new Set(nouns)];
}

// ---- in process -------------------------------------------------------------

Deno.test("main() --help and -h print the usage and exit 0", async () => {
  for (const flag of ["--help", "-h"]) {
    const run = await runMain([flag]);
    assert.equal(run.code, 0);
    assert.equal(run.stdout[0], "Usage: deno task cli <command> [options]");
    assert.ok(
      run.stdout.some((l) => l.trim().startsWith("download-segmentations")),
    );
  }
  const sub = await runMain(["nouns", "--help"]);
  assert.equal(sub.code, 0);
  assert.equal(sub.stdout[0], "Usage: deno task cli <command> [options]");
});

Deno.test("main() exits 2 with one error line on bad usage", async () => {
  const cases: Array<[string[], RegExp]> = [
    [[], /missing command/],
    [["frobnicate"], /unknown command "frobnicate"/],
    [["info", "--bogus"], /info: Unknown option '--bogus'/],
    [["nouns"], /nouns: missing argument IMAGE/],
    [["nouns", "a.jpg", "b.jpg"], /unexpected argument "b\.jpg"/],
    [["init"], /init: missing argument PATH/],
    [["info", "--data-dir"], /--data-dir/],
    [["init", "--data-dir", "x", "y"], /Unknown option '--data-dir'/],
  ];
  for (const [args, pattern] of cases) {
    const run = await runMain(args);
    assert.equal(run.code, 2, args.join(" "));
    assertOneLineError(run, pattern);
    assert.match(run.stderr[0], /see `deno task cli --help`/);
    assert.deepEqual(run.stdout, []);
  }
});

Deno.test("main() init writes the config file and prints its path", async () => {
  await withTempDir(async (dir) => {
    await withEnv({
      XDG_CONFIG_HOME: join(dir, "config"),
      LAION_FMRI_DATA_DIR: undefined,
    }, async () => {
      const run = await runMain(["init", dir]);
      assert.equal(run.code, 0);
      const path = join(dir, "config", "laion_fmri", "config.json");
      assert.deepEqual(run.stdout, [path]);
      assert.deepEqual(JSON.parse(await Deno.readTextFile(path)), {
        data_dir: dir,
      });
    });
  });
});

Deno.test("main() config --data-dir (the Python CLI's spelling) does what init does", async () => {
  await withTempDir(async (dir) => {
    await withEnv({
      XDG_CONFIG_HOME: join(dir, "config"),
      LAION_FMRI_DATA_DIR: undefined,
    }, async () => {
      const run = await runMain(["config", "--data-dir", dir]);
      assert.equal(run.code, 0);
      const path = join(dir, "config", "laion_fmri", "config.json");
      assert.deepEqual(run.stdout, [path]);
      assert.deepEqual(JSON.parse(await Deno.readTextFile(path)), {
        data_dir: dir,
      });
      const bare = await runMain(["config"]);
      assert.equal(bare.code, 2);
      assertOneLineError(bare, /config: missing --data-dir PATH/);
      const missing = await runMain(["config", "--data-dir", join(dir, "no")]);
      assert.equal(missing.code, 1);
      assertOneLineError(missing, /does not exist; create it first/);
    });
  });
});

Deno.test("main() init of a missing directory exits 1 with one error line", async () => {
  await withTempDir(async (dir) => {
    await withEnv({ XDG_CONFIG_HOME: join(dir, "config") }, async () => {
      const run = await runMain(["init", join(dir, "nope")]);
      assert.equal(run.code, 1);
      assertOneLineError(run, /does not exist; create it first/);
    });
  });
});

Deno.test("main() without any data directory says how to set one", async () => {
  await withTempDir(async (dir) => {
    await withEnv(
      { XDG_CONFIG_HOME: dir, LAION_FMRI_DATA_DIR: undefined },
      async () => {
        for (
          const args of [["info"], ["nouns", "a.jpg"], [
            "download-segmentations",
            "-q",
          ]]
        ) {
          const run = await runMain(args);
          assert.equal(run.code, 1);
          assertOneLineError(
            run,
            /no data directory: pass --data-dir D, run `deno task cli init PATH`/,
          );
        }
      },
    );
  });
});

Deno.test("main() download-segmentations fetches from LAION_FMRI_S3_URL and prints the paths", async () => {
  const bucket = await makeBucket();
  await using s3 = FakeS3.start(bucket.root);
  try {
    await withTempDir(async (dir) => {
      await withEnv({ LAION_FMRI_S3_URL: s3.url }, async () => {
        const run = await runMain([
          "download-segmentations",
          "--quiet",
          "--data-dir",
          dir,
        ]);
        assert.equal(run.code, 0, run.stderr.join("\n"));
        const h5 = join(dir, ...H5_KEY.split("/"));
        const csv = join(dir, ...CSV_KEY.split("/"));
        assert.deepEqual(run.stdout, [h5, csv]);
        assert.deepEqual(await Deno.readFile(h5), bucket.h5);
        assert.deepEqual(await Deno.readFile(csv), bucket.csv);
      });
    });
  } finally {
    await Deno.remove(bucket.root, { recursive: true });
  }
});

Deno.test("main() info and nouns read a sample", async () => {
  await withTempDir(async (dir) => {
    await writeSample(dir, { images: 4, size: 64, stimuli: false });
    const info = await runMain(["info", "--data-dir", dir]);
    assert.equal(info.code, 0, info.stderr.join("\n"));
    const text = info.stdout.join("\n");
    const csvRows =
      (await Deno.readTextFile(join(dir, ...CSV_KEY.split("/")))).trim().split(
        "\n",
      ).length - 1;
    assert.match(text, new RegExp(`^masks +${csvRows}$`, "m"));
    assert.match(text, /^images +4$/m);
    assert.match(text, /^distinct nouns +\d+$/m);
    assert.match(text, /^localized +\d+ of \d+ masks \(\d+\.\d%\)$/m);
    assert.match(
      text,
      /^ {2}task-images_desc-segmentations\.h5 +\d+\.\d kB +\(\d+ bytes\)$/m,
    );
    assert.match(
      text,
      /^ {2}task-images_desc-segmentations_metadata\.csv +\d+\.\d kB +\(\d+ bytes\)$/m,
    );

    const csv = (await Deno.readTextFile(join(dir, ...CSV_KEY.split("/"))))
      .split("\n");
    const image = csv[1].split(",")[1];
    const localized = await runMain(["nouns", image, "--data-dir", dir]);
    assert.equal(localized.code, 0);
    assert.deepEqual(localized.stdout, await csvNouns(dir, image, true));
    assert.ok(localized.stdout.length > 0);
    const all = await runMain(["nouns", "--all", image, "--data-dir", dir]);
    assert.deepEqual(all.stdout, await csvNouns(dir, image, false));

    const unknown = await runMain([
      "nouns",
      "no_such_image.jpg",
      "--data-dir",
      dir,
    ]);
    assert.equal(unknown.code, 0);
    assert.deepEqual(unknown.stdout, []);
    assert.match(
      unknown.stderr.join("\n"),
      /^note: image "no_such_image\.jpg" has no masks/,
    );
    // A near miss of an image with masks is an error with the suggestion.
    const stem = image.replace(/\.jpg$/, "");
    for (const typo of [stem, image.toUpperCase()]) {
      const near = await runMain(["nouns", typo, "--data-dir", dir]);
      assert.equal(near.code, 1, typo);
      assert.deepEqual(near.stdout, []);
      assert.ok(
        near.stderr.join("\n").includes(
          `Did you mean ${JSON.stringify(image)}`,
        ),
        near.stderr.join("\n"),
      );
    }
  });
});

Deno.test("main() info on a directory without the files exits 1 naming the download command", async () => {
  await withTempDir(async (dir) => {
    const run = await runMain(["info", "--data-dir", dir]);
    assert.equal(run.code, 1);
    assertOneLineError(run, /download-segmentations/);
  });
});

// ---- subprocess: the real `deno run -A lib/cli/main.ts` ---------------------------

Deno.test("cli --help exits 0 with the usage on stdout", async () => {
  const run = await runCli(["--help"]);
  assert.equal(run.code, 0);
  assert.equal(run.stdout[0], "Usage: deno task cli <command> [options]");
  assert.deepEqual(run.stderr, []);
});

Deno.test("cli bad usage exits 2 with one error line", async () => {
  for (const args of [["frobnicate"], ["info", "--nope"], ["nouns"], []]) {
    const run = await runCli(args);
    assert.equal(run.code, 2, args.join(" "));
    assertOneLineError(run, /see `deno task cli --help`/);
  }
});

Deno.test("cli init writes the config under XDG_CONFIG_HOME and prints its path", async () => {
  await withTempDir(async (dir) => {
    const xdg = join(dir, "xdg");
    const run = await runCli(["init", dir], { XDG_CONFIG_HOME: xdg });
    assert.equal(run.code, 0, run.stderr.join("\n"));
    const path = join(xdg, "laion_fmri", "config.json");
    assert.deepEqual(run.stdout, [path]);
    assert.deepEqual(JSON.parse(await Deno.readTextFile(path)), {
      data_dir: dir,
    });
    // The config is what `info` then uses.
    const info = await runCli(["info"], { XDG_CONFIG_HOME: xdg });
    assert.equal(info.code, 1);
    assertOneLineError(info, new RegExp(`missing in ${dir}/stimuli/`));
  });
});

Deno.test("cli download-segmentations downloads from the fake bucket, logging lines to a piped stderr", async () => {
  const bucket = await makeBucket();
  await using s3 = FakeS3.start(bucket.root);
  try {
    await withTempDir(async (dir) => {
      const xdg = join(dir, "xdg");
      const data = join(dir, "data");
      await Deno.mkdir(data);
      assert.equal(
        (await runCli(["init", data], { XDG_CONFIG_HOME: xdg })).code,
        0,
      );
      const run = await runCli(["download-segmentations"], {
        XDG_CONFIG_HOME: xdg,
        LAION_FMRI_S3_URL: s3.url,
      });
      assert.equal(run.code, 0, run.stderr.join("\n"));
      const h5 = join(data, ...H5_KEY.split("/"));
      assert.deepEqual(run.stdout, [h5, join(data, ...CSV_KEY.split("/"))]);
      assert.deepEqual(await Deno.readFile(h5), bucket.h5);
      // Not a terminal: plain lines, no carriage returns.
      assert.ok(run.stderr.every((l) => !l.includes("\r")));
      assert.match(
        run.stderr[0],
        /^task-images_desc-segmentations\.h5: downloading 3\.0 MB from http:\/\/127\.0\.0\.1:\d+\//,
      );
      assert.ok(
        run.stderr.some((l) =>
          /^task-images_desc-segmentations\.h5: done, 3\.0 MB in /.test(l)
        ),
      );

      // Second run: nothing to fetch.
      const gets = s3.count("GET");
      const again = await runCli(
        ["download-segmentations", "--data-dir", data],
        { LAION_FMRI_S3_URL: s3.url },
      );
      assert.equal(again.code, 0);
      assert.equal(s3.count("GET"), gets + 1, "only the listing");
      assert.deepEqual(again.stderr, [
        "task-images_desc-segmentations.h5: already downloaded (3.0 MB)",
        `task-images_desc-segmentations_metadata.csv: already downloaded (${
          formatBytes(bucket.csv.length)
        })`,
      ]);
    });
  } finally {
    await Deno.remove(bucket.root, { recursive: true });
  }
});

Deno.test("cli download-segmentations failure exits 1 with one error line", async () => {
  const bucket = await makeBucket({ withoutCsv: true });
  await using s3 = FakeS3.start(bucket.root);
  try {
    await withTempDir(async (dir) => {
      const run = await runCli(["download-segmentations", "--data-dir", dir], {
        LAION_FMRI_S3_URL: s3.url,
      });
      assert.equal(run.code, 1);
      assertOneLineError(
        run,
        /^error: stimuli\/task-images_desc-segmentations_metadata\.csv is not in the bucket listing of http:/,
      );
      assert.deepEqual(run.stdout, []);
    });
  } finally {
    await Deno.remove(bucket.root, { recursive: true });
  }
});

Deno.test({
  name:
    "cli download-segmentations on Ctrl-C exits 130 and keeps the .part for a resume",
  ignore: Deno.build.os === "windows",
  async fn() {
    const bucket = await makeBucket();
    await using s3 = FakeS3.start(bucket.root);
    s3.fail(H5_KEY, { stall: 600_000 });
    try {
      await withTempDir(async (dir) => {
        const child = new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "-A",
            "lib/cli/main.ts",
            "download-segmentations",
            "--data-dir",
            dir,
          ],
          cwd: REPO,
          env: { LAION_FMRI_S3_URL: s3.url, NO_COLOR: "1" },
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        // Wait until the transfer has started and stalled, then interrupt.
        const part = join(dir, ...H5_KEY.split("/")) + ".part";
        const deadline = Date.now() + 60_000;
        while (
          (await Deno.stat(part).catch(() => undefined))?.size !== 600_000
        ) {
          assert.ok(
            Date.now() < deadline,
            "the transfer never reached the stall",
          );
          await new Promise((r) => setTimeout(r, 50));
        }
        child.kill("SIGINT");
        const { code, stderr } = await child.output();
        const lines = new TextDecoder().decode(stderr).trim().split("\n");
        assert.equal(code, 130);
        assert.equal(
          lines.at(-1),
          "error: interrupted; run the command again to resume the download",
        );
        assert.deepEqual(
          await Deno.readFile(part),
          bucket.h5.subarray(0, 600_000),
        );

        const resumed = await runCli([
          "download-segmentations",
          "--data-dir",
          dir,
        ], { LAION_FMRI_S3_URL: s3.url });
        assert.equal(resumed.code, 0);
        assert.equal(
          s3.requests.filter((r) => r.key === H5_KEY).at(-1)!.range,
          "bytes=600000-",
        );
        assert.match(resumed.stderr[0], /resuming at 600\.0 kB of 3\.0 MB/);
        assert.deepEqual(
          await Deno.readFile(join(dir, ...H5_KEY.split("/"))),
          bucket.h5,
        );
      });
    } finally {
      await Deno.remove(bucket.root, { recursive: true });
    }
  },
});

Deno.test("cli info and nouns read a sample written by writeSample", async () => {
  await withTempDir(async (dir) => {
    await writeSample(dir, { images: 3, size: 64, stimuli: false });
    const info = await runCli(["info", "--data-dir", dir]);
    assert.equal(info.code, 0, info.stderr.join("\n"));
    assert.match(info.stdout.join("\n"), /^images +3$/m);
    const image =
      (await Deno.readTextFile(join(dir, ...CSV_KEY.split("/")))).split("\n")[1]
        .split(",")[1];
    const nouns = await runCli(["nouns", image], { LAION_FMRI_DATA_DIR: dir });
    assert.equal(nouns.code, 0, nouns.stderr.join("\n"));
    assert.deepEqual(nouns.stdout, await csvNouns(dir, image, true));
    assert.deepEqual(nouns.stderr, []);
  });
});
