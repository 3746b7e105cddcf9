// Shared test helpers: temp data dirs, fixture copies and env overrides.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeSample } from "../../lib/data/sample/sample.ts";

/** tests/fixtures/h5py: written by tests/fixtures/make_h5py_fixture.py with h5py. */
export const H5PY_FIXTURE = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "fixtures",
  "h5py",
);

const atExit: string[] = [];
globalThis.addEventListener("unload", () => {
  for (const dir of atExit) {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch {
      // Already gone.
    }
  }
});

/**
 * Removes `dir` when the test file's process ends, whether its tests pass or
 * fail (kept with KEEP_TEST_FILES=1). For dirs shared by several tests.
 */
export function removeAtExit(dir: string): string {
  if (Deno.env.get("KEEP_TEST_FILES") !== "1") atExit.push(dir);
  return dir;
}

/** A temp dir removed when the test file's process ends (see {@link removeAtExit}). */
export async function tempDirAtExit(prefix = "seg-test-"): Promise<string> {
  return removeAtExit(await Deno.makeTempDir({ prefix }));
}

/** A temp dir for one scope: `await using tmp = await scopedTempDir()`; removed when the scope ends, also on failure. */
export async function scopedTempDir(
  prefix = "seg-test-",
): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}

/** A temp data dir holding a copy of the `stimuli/` files of `source` (all, or those named); removed at exit. */
export async function copyOfDataDir(
  source: string,
  names?: string[],
): Promise<string> {
  const dir = await tempDirAtExit("seg-copy-");
  await Deno.mkdir(join(dir, "stimuli"));
  for await (const entry of Deno.readDir(join(source, "stimuli"))) {
    if (names && !names.includes(entry.name)) continue;
    await Deno.copyFile(
      join(source, "stimuli", entry.name),
      join(dir, "stimuli", entry.name),
    );
  }
  return dir;
}

/** A temp data dir holding a copy of the h5py fixture's stimuli/ files; removed at exit. */
export function copyOfH5pyFixture(): Promise<string> {
  return copyOfDataDir(H5PY_FIXTURE);
}

let smallSample: Promise<string> | undefined;
/** A small synthetic sample (8 images, 96 x 96 px) written once per test process by h5wasm; removed at exit. */
export function smallSampleDir(): Promise<string> {
  smallSample ??= (async () => {
    const dir = await tempDirAtExit("seg-sample-");
    await writeSample(dir, { images: 8, size: 96 });
    return dir;
  })();
  return smallSample;
}

/** Runs `fn` with environment variables set (undefined: removed), then restores them. */
export async function withEnv<T>(
  vars: Record<string, string | undefined>,
  fn: () => Promise<T> | T,
): Promise<T> {
  const saved = Object.fromEntries(
    Object.keys(vars).map((k) => [k, Deno.env.get(k)]),
  );
  const apply = (v: Record<string, string | undefined>) => {
    for (const [k, val] of Object.entries(v)) {
      val === undefined ? Deno.env.delete(k) : Deno.env.set(k, val);
    }
  };
  apply(vars);
  try {
    return await fn();
  } finally {
    apply(saved);
  }
}

/**
 * Deno's own cache folder, as this process resolved it. A child process
 * given another XDG_CACHE_HOME would otherwise look for Deno's cache (npm
 * packages included) under it, and download every package again.
 */
export const DENO_DIR: string = await (async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "null",
  }).output();
  return (JSON.parse(new TextDecoder().decode(out.stdout)) as {
    denoDir: string;
  }).denoDir;
})();

/** Debian's Python, which has h5py (the pyenv python3 first on PATH may not). */
export const PYTHON = "/usr/bin/python3";

/**
 * Whether {@link PYTHON} imports h5py; under CI=true its absence is an
 * error, never a skipped test.
 */
export async function h5pyAvailable(): Promise<boolean> {
  let ok = false;
  try {
    ({ success: ok } = await new Deno.Command(PYTHON, {
      args: ["-c", "import h5py"],
      stdout: "null",
      stderr: "null",
    }).output());
  } catch {
    ok = false;
  }
  if (!ok && Deno.env.get("CI") === "true") {
    throw new Error(`${PYTHON} with h5py is required under CI=true`);
  }
  return ok;
}
