// LAION_FMRI_CACHE_DIR moves the library's caches (statistics, coverage,
// digests, the synthetic sample) and nothing else: XDG_CACHE_HOME, which
// Deno's own cache follows, is left alone.
import assert from "node:assert/strict";
import { join } from "node:path";
import { userCacheDir } from "../../lib/data/paths.ts";
import { sampleDir } from "../../lib/data/sample/sample.ts";
import { Segmentations } from "../../mod.ts";
import {
  copyOfDataDir,
  scopedTempDir,
  smallSampleDir,
  withEnv,
} from "../_support/helpers.ts";

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for await (const e of Deno.readDir(d)) {
      const p = join(d, e.name);
      if (e.isDirectory) await walk(p);
      else out.push(p.slice(dir.length + 1));
    }
  };
  await walk(dir);
  return out.sort();
}

Deno.test("LAION_FMRI_CACHE_DIR: stats and coverage caches go there, none under XDG_CACHE_HOME", async () => {
  await using own = await scopedTempDir("seg-own-cache-");
  await using xdg = await scopedTempDir("seg-xdg-cache-");
  const dataDir = await copyOfDataDir(await smallSampleDir());
  try {
    await withEnv(
      { LAION_FMRI_CACHE_DIR: own.path, XDG_CACHE_HOME: xdg.path },
      async () => {
        assert.equal(userCacheDir(), own.path);
        assert.equal(sampleDir().startsWith(own.path + "/"), true);
        using seg = await Segmentations.open({ dataDir });
        await seg.stats(undefined, { workers: 0 });
        await seg.coverage();
      },
    );
    const written = await files(own.path);
    assert.ok(
      written.some((f) => f.startsWith("stats/") && f.endsWith(".parquet")),
      written.join(", "),
    );
    assert.ok(written.some((f) => f.startsWith("coverage/")), written.join());
    assert.deepEqual(await files(xdg.path), [], "nothing under XDG_CACHE_HOME");
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("LAION_FMRI_CACHE_DIR unset or empty: the XDG cache folder as before", async () => {
  await withEnv(
    { LAION_FMRI_CACHE_DIR: "", XDG_CACHE_HOME: "/srv/cache" },
    () => assert.equal(userCacheDir(), "/srv/cache/laion-fmri-segmentations"),
  );
  await withEnv(
    { LAION_FMRI_CACHE_DIR: undefined, XDG_CACHE_HOME: undefined, HOME: "/h" },
    () => assert.equal(userCacheDir(), "/h/.cache/laion-fmri-segmentations"),
  );
});
