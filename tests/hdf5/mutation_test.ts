/**
 * Never a wrong mask: thousands of single-byte mutants of small mask files
 * written by h5py (default and libver="latest" formats; row-wise and auto
 * chunks; gzip+shuffle and lzf; v1 B-tree, fixed array, extensible array,
 * v2 B-tree and single-chunk indexes), each read row by row by the library
 * (the reader layer's mask source: fast path and the h5wasm fallback where
 * it is reached) and by h5py (tests/fixtures/mutants.py, one Python
 * process). Every row the library returns must be the original mask or an
 * error. The one exception the format itself allows: lzf chunk data carries
 * no checksum, so a flipped byte there can decode to another binary mask;
 * then h5py returns the very same bytes, and the test asserts exactly that.
 */

import { h5pyAvailable, PYTHON } from "../_support/helpers.ts";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openMaskSource } from "../../lib/reader/_mask_source.ts";

const SCRIPT = fileURLToPath(
  new URL("../fixtures/mutants.py", import.meta.url),
);
const COUNT = 2400;
const SEED = 16;
/** Per-mutant bounds: a damaged file is answered quickly and cheaply. */
const MAX_MS_PER_FILE = 5_000;
const MAX_RSS_BYTES = 1.5 * 1024 ** 3;

interface Summary {
  hdf5: string;
  files: Record<string, {
    path: string;
    rows: string[];
    shape: number[];
    lzf: boolean;
  }>;
  mutants: {
    file: string;
    offset: number;
    xor: number;
    region: string;
    h5py: string[] | string;
  }[];
}

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

const available = await h5pyAvailable();

Deno.test({
  name:
    `${COUNT} single-byte mutants: every row is the original mask or an error`,
  ignore: !available,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "mutants-" });
    try {
      const py = await new Deno.Command(PYTHON, {
        args: [SCRIPT, dir, String(COUNT), String(SEED)],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.ok(py.success, new TextDecoder().decode(py.stderr));
      const summary: Summary = JSON.parse(
        await Deno.readTextFile(join(dir, "summary.json")),
      );
      assert.equal(summary.mutants.length, COUNT);
      // The originals, as the library reads the intact files (and h5py wrote).
      const base = new Map<string, Uint8Array>();
      const originals = new Map<string, Uint8Array[]>();
      for (const [name, info] of Object.entries(summary.files)) {
        base.set(name, await Deno.readFile(info.path));
        const src = await openMaskSource(info.path, "masks");
        try {
          assert.equal(
            src.reader,
            name.includes("dense") ? "h5wasm" : "chunks",
            `${name}: which reader serves it`,
          );
          const rows = info.rows.map((_, r) => src.readRow(r));
          assert.deepEqual(rows.map(sha), info.rows, `${name} originals`);
          originals.set(name, rows);
        } finally {
          src.close();
        }
      }

      const path = join(dir, "mutant.h5");
      const table = new Map<string, number>();
      const count = (key: string) => table.set(key, (table.get(key) ?? 0) + 1);
      const violations: string[] = [];
      let undetectable = 0;
      let slowest = 0;
      let fallback = 0;
      for (const [i, m] of summary.mutants.entries()) {
        const bytes = base.get(m.file)!.slice();
        bytes[m.offset] ^= m.xor;
        await Deno.writeFile(path, bytes);
        const orig = originals.get(m.file)!;
        const t0 = performance.now();
        const got: (Uint8Array | Error)[] = [];
        try {
          const src = await openMaskSource(path, "masks");
          if (src.reader === "h5wasm") fallback++;
          try {
            for (let r = 0; r < orig.length; r++) {
              try {
                got.push(src.readRow(r));
              } catch (err) {
                got.push(err as Error);
              }
            }
          } finally {
            src.close();
          }
        } catch (err) {
          for (let r = 0; r < orig.length; r++) got.push(err as Error);
        }
        const ms = performance.now() - t0;
        slowest = Math.max(slowest, ms);
        assert.ok(
          ms < MAX_MS_PER_FILE,
          `mutant ${i} took ${ms.toFixed(0)} ms`,
        );
        const rss = Deno.memoryUsage().rss;
        assert.ok(rss < MAX_RSS_BYTES, `mutant ${i}: RSS ${rss} bytes`);

        let outcome = "all rows intact";
        for (let r = 0; r < orig.length; r++) {
          const g = got[r];
          if (g instanceof Error) {
            // An error names the file.
            if (!g.message.includes(path)) {
              violations.push(
                `mutant ${i} row ${r}: error without the path: ${g.message}`,
              );
            }
            outcome = "error(s)";
            continue;
          }
          if (
            g.length === orig[r].length && sha(g) === sha(orig[r])
          ) continue;
          const h = Array.isArray(m.h5py) ? m.h5py[r] : m.h5py;
          const same = h === `wrong:${sha(g)}`;
          if (same && m.region === "chunk data" && summary.files[m.file].lzf) {
            undetectable++;
            outcome = "lzf data: same mask as h5py";
            continue;
          }
          violations.push(
            `mutant ${i} (${m.file} byte ${m.offset} ^ ${m.xor}, ${m.region}) row ${r}: ` +
              `a wrong mask (h5py: ${h})`,
          );
        }
        const h5py = typeof m.h5py === "string"
          ? "h5py: open error"
          : m.h5py.some((x) => x.startsWith("wrong"))
          ? "h5py: wrong mask"
          : m.h5py.includes("error")
          ? "h5py: error"
          : "h5py: intact";
        count(`${m.region.padEnd(17)} | ${outcome.padEnd(28)} | ${h5py}`);
      }
      console.log(
        `HDF5 ${summary.hdf5} (h5py); ${COUNT} mutants; h5wasm fallback for ${fallback}; ` +
          `slowest ${
            slowest.toFixed(0)
          } ms; lzf-data mutants decoding to h5py's same wrong mask: ${undetectable}`,
      );
      for (const [k, v] of [...table].sort()) {
        console.log(`${String(v).padStart(5)}  ${k}`);
      }
      const regions = new Set(summary.mutants.map((m) => m.region));
      for (
        const r of [
          "superblock",
          "object header",
          "chunk data",
          "v1 B-tree",
          "fixed array",
          "extensible array",
          "v2 B-tree",
        ]
      ) {
        assert.ok(regions.has(r), `mutants cover the ${r}`);
      }
      assert.deepEqual(
        violations.slice(0, 20),
        [],
        `${violations.length} violations`,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
