// Shared test helpers: temp data dirs, fixture copies and env overrides.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeSample } from "../../lib/data/sample.ts";

/** tests/fixtures/h5py: written by tests/fixtures/make_h5py_fixture.py with h5py. */
export const H5PY_FIXTURE = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "fixtures",
  "h5py",
);

/** A temp data dir holding a copy of the `stimuli/` files of `source` (all, or those named). */
export async function copyOfDataDir(
  source: string,
  names?: string[],
): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "seg-copy-" });
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

/** A temp data dir holding a copy of the h5py fixture's stimuli/ files. */
export function copyOfH5pyFixture(): Promise<string> {
  return copyOfDataDir(H5PY_FIXTURE);
}

let smallSample: Promise<string> | undefined;
/** A small synthetic sample (8 images, 96 x 96 px) written once per test process by h5wasm. */
export function smallSampleDir(): Promise<string> {
  smallSample ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "seg-sample-" });
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
