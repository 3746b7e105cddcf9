/**
 * Never a wrong mask: thousands of mutants of small mask files written by
 * h5py (default and libver="latest" formats; row-wise, tiled and auto
 * chunks, and contiguous; gzip+shuffle and lzf; v1 B-tree, fixed array (one
 * block and paged), extensible array (with super and data blocks), v2 B-tree
 * (one and several levels) and single-chunk indexes), each read row by row
 * by the library (the reader layer's mask source: the default reader, and a
 * sample again with `reader: "h5wasm"`) and by h5py
 * (tests/fixtures/mutants.py, one Python process). Mutants: single bytes,
 * runs and scattered bytes XORed, truncations, and every 4 KiB page of every
 * file zeroed in turn.
 *
 * The rule: every mask the library returns is the original, or the very
 * mask h5py returns for that row (damage the format cannot detect: lzf or
 * unfiltered data carry no checksum); anything else is a failure. Every
 * error names the file.
 */

import { h5pyAvailable, PYTHON } from "../_support/helpers.ts";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openMaskSource } from "../../lib/reader/source/mask_source.ts";

const SCRIPT = fileURLToPath(
  new URL("../fixtures/mutants.py", import.meta.url),
);
const COUNT = 3000;
const SEED = 16;
/** Every this many mutants is read again with `reader: "h5wasm"`. */
const H5WASM_EVERY = 3;
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
    kind: string;
    region: string;
    edits?: [number, number][];
    truncate?: number;
    zero?: [number, number];
    h5py: string[] | string;
  }[];
}

/** The mutant's bytes, rebuilt from its base file. */
function mutate(base: Uint8Array, m: Summary["mutants"][number]): Uint8Array {
  const bytes = base.slice(0, m.truncate ?? base.length);
  for (const [off, xor] of m.edits ?? []) bytes[off] ^= xor;
  if (m.zero) bytes.fill(0, m.zero[0], m.zero[1]);
  return bytes;
}

/** Every row of `path` through `reader`: the mask or the error. */
async function readAll(
  path: string,
  rows: number,
  reader: "auto" | "h5wasm",
): Promise<(Uint8Array | Error)[]> {
  const got: (Uint8Array | Error)[] = [];
  try {
    const src = await openMaskSource(path, "masks", { reader });
    try {
      for (let r = 0; r < rows; r++) {
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
    for (let r = 0; r < rows; r++) got.push(err as Error);
  }
  return got;
}

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

const available = await h5pyAvailable();

Deno.test({
  name:
    `${COUNT} sampled mutants and every zeroed page: every mask returned is the original or h5py's same mask`,
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
      const pages = summary.mutants.filter((m) => m.kind === "zeroed page");
      assert.equal(summary.mutants.length - pages.length, COUNT);
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
      let viaH5wasm = 0;
      for (const [i, m] of summary.mutants.entries()) {
        await Deno.writeFile(path, mutate(base.get(m.file)!, m));
        const orig = originals.get(m.file)!;
        const readers: ("auto" | "h5wasm")[] = i % H5WASM_EVERY === 0
          ? ["auto", "h5wasm"]
          : ["auto"];
        for (const reader of readers) {
          const t0 = performance.now();
          const got = await readAll(path, orig.length, reader);
          const ms = performance.now() - t0;
          slowest = Math.max(slowest, ms);
          assert.ok(
            ms < MAX_MS_PER_FILE,
            `mutant ${i} (${reader}) took ${ms.toFixed(0)} ms`,
          );
          const rss = Deno.memoryUsage().rss;
          assert.ok(rss < MAX_RSS_BYTES, `mutant ${i}: RSS ${rss} bytes`);
          if (reader === "h5wasm") viaH5wasm++;

          let outcome = "all rows intact";
          for (let r = 0; r < orig.length; r++) {
            const g = got[r];
            if (g instanceof Error) {
              if (!g.message.includes(path)) {
                violations.push(
                  `mutant ${i} (${reader}) row ${r}: error without the path: ${g.message}`,
                );
              }
              outcome = "error(s)";
              continue;
            }
            if (g.length === orig[r].length && sha(g) === sha(orig[r])) {
              continue;
            }
            const h = Array.isArray(m.h5py) ? m.h5py[r] : m.h5py;
            if (h === `wrong:${sha(g)}`) {
              // Damage the format cannot detect: h5py returns the same mask.
              undetectable++;
              outcome = "h5py's same wrong mask";
              continue;
            }
            violations.push(
              `mutant ${i} (${m.file}, ${m.kind} ${
                JSON.stringify(m.edits ?? m.truncate ?? m.zero)
              }, ${m.region}; ${reader}) row ${r}: a wrong mask (h5py: ${h})`,
            );
          }
          const h5py = typeof m.h5py === "string"
            ? "h5py: open error"
            : m.h5py.some((x) => x.startsWith("wrong"))
            ? "h5py: wrong mask"
            : m.h5py.includes("error")
            ? "h5py: error"
            : "h5py: intact";
          if (reader === "auto") {
            count(
              `${m.kind.padEnd(11)} | ${m.region.padEnd(17)} | ${
                outcome.padEnd(22)
              } | ${h5py}`,
            );
          }
        }
        // The fallback count: which reader served the default path.
        if (m.file.includes("dense")) fallback++;
      }
      console.log(
        `HDF5 ${summary.hdf5} (h5py); ${summary.mutants.length} mutants ` +
          `(${pages.length} zeroed pages), ${viaH5wasm} also read by h5wasm; ` +
          `default reader through h5wasm for ${fallback}; slowest ${
            slowest.toFixed(0)
          } ms; masks equal to h5py's same wrong mask: ${undetectable}`,
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
          "truncation",
        ]
      ) {
        assert.ok(regions.has(r), `mutants cover the ${r}`);
      }
      const kinds = new Set(summary.mutants.map((m) => m.kind));
      for (
        const k of ["byte", "run", "scattered", "truncation", "zeroed page"]
      ) {
        assert.ok(kinds.has(k), `mutants include ${k}`);
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
