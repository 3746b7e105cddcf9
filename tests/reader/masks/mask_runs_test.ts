// The run-level inflate behind whole-file tables: byte for byte what zlib
// gives, on synthetic streams and on every mask of h5py-written files; the
// reader's one scan gives every row's pixels, through either HDF5 reader;
// unions agree with masks ORed by hand; a damaged chunk is an error, never a
// wrong number.
import assert from "node:assert/strict";
import { deflateSync } from "node:zlib";
import { join } from "node:path";
import { Segmentations } from "../../../mod.ts";
import { inflateRuns } from "../../../lib/hdf5/inflate_runs.ts";
import { openMaskSource } from "../../../lib/reader/source/mask_source.ts";
import { scanIntervals } from "../../../lib/reader/source/scan.ts";
import { unionAreas } from "../../../lib/reader/tables/_union_area.ts";
import { ChunkedDataset } from "../../../lib/hdf5/chunks.ts";
import { ANALYSIS_FIXTURE } from "../../_support/analysis_fixture.ts";
import {
  copyOfDataDir,
  H5PY_FIXTURE,
  smallSampleDir,
} from "../../_support/helpers.ts";

function bytesOf(runs: { start: number[]; value: number[]; length: number }) {
  const out = new Uint8Array(runs.length);
  runs.start.forEach((s, k) =>
    out.fill(runs.value[k], s, runs.start[k + 1] ?? runs.length)
  );
  return out;
}

Deno.test("inflateRuns: the bytes zlib compressed, at every level, for masks, noise and empty input", () => {
  let seed = 7;
  const rand = () =>
    (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const mask = new Uint8Array(120_000).map((_, i) =>
    (i % 400 < 150 ? 1 : 0) ^ (rand() < 0.01 ? 1 : 0)
  );
  const noise = new Uint8Array(40_000).map(() => Math.floor(rand() * 256));
  for (const level of [0, 1, 4, 6, 9]) {
    for (
      const data of [mask, noise, new Uint8Array(0), new Uint8Array(70_000)]
    ) {
      const z = new Uint8Array(deflateSync(data, { level }));
      assert.deepEqual(
        bytesOf(inflateRuns(z, data.length)),
        data,
        `level ${level}`,
      );
    }
  }
});

Deno.test("inflateRuns: a damaged stream, a wrong checksum or length is an error", () => {
  const data = new Uint8Array(5000).map((_, i) => (i % 70 < 20 ? 1 : 0));
  const z = new Uint8Array(deflateSync(data));
  const badSum = z.slice();
  badSum[badSum.length - 1] ^= 1;
  assert.throws(() => inflateRuns(badSum, data.length), /Adler-32/);
  assert.throws(() => inflateRuns(z, data.length + 1), /expected 5001/);
  assert.throws(() => inflateRuns(z, data.length - 1), /too long/);
  assert.throws(() => inflateRuns(z.subarray(0, z.length - 6), data.length));
  assert.throws(
    () => inflateRuns(new Uint8Array([1, 2, 3, 4, 5, 6]), 1),
    /not a zlib/,
  );
});

for (
  const [label, dir] of [
    ["h5py analysis fixture", () => Promise.resolve(ANALYSIS_FIXTURE)],
    ["h5wasm sample", smallSampleDir],
    ["h5py fixture, 3 masks per chunk", () => Promise.resolve(H5PY_FIXTURE)],
  ] as const
) {
  for (const reader of ["chunks", "h5wasm"] as const) {
    Deno.test(`${label}, ${reader} reader: every mask read as runs has exactly the decoded mask's pixels`, async () => {
      const dataDir = await dir();
      using seg = await Segmentations.open({ dataDir });
      const source = await openMaskSource(seg.paths.h5, "masks", { reader });
      try {
        assert.equal(source.reader, reader);
        for (let r = 0; r < seg.length; r++) {
          const data = seg.row(r).data;
          const set = new Uint8Array(data.length);
          const iv = source.readIntervals(r);
          for (let i = 0; i < iv.length; i += 2) set.fill(1, iv[i], iv[i + 1]);
          assert.deepEqual(set, data, `row ${r}`);
        }
      } finally {
        source.close();
      }
    });
  }
}

Deno.test("union areas: the scan's unions equal masks ORed by hand, on every set", async () => {
  using seg = await Segmentations.open({ dataDir: await smallSampleDir() });
  const source = await openMaskSource(seg.paths.h5, "masks");
  try {
    const analysis = {
      width: seg.width,
      height: seg.height,
      length: seg.length,
      metadata: seg.metadata,
      paths: seg.paths,
      images: () => seg.images(),
      scan: (rows: readonly number[]) => scanIntervals(source, rows),
    };
    const rows = [...Array(seg.length).keys()];
    const sets = [
      ...rows.map((r) => [r]),
      rows.slice(0, 7),
      rows.filter((r) => r % 3 === 0),
      rows,
      [],
    ];
    const byScan = await unionAreas(analysis, sets);
    const byHand = sets.map((set) => {
      const or = new Uint8Array(seg.width * seg.height);
      for (const r of set) seg.row(r).data.forEach((v, i) => or[i] |= v);
      return or.reduce((a, b) => a + b, 0);
    });
    assert.deepEqual([...byScan], byHand);
    assert.equal(byScan[0], seg.row(0).area);
  } finally {
    source.close();
  }
});

Deno.test("coverage of a file with a damaged chunk is an error naming the file and row", async () => {
  const dataDir = await copyOfDataDir(ANALYSIS_FIXTURE);
  try {
    const h5 = join(dataDir, "stimuli", "task-images_desc-segmentations.h5");
    const opened = ChunkedDataset.open(h5, "masks");
    assert.ok("reader" in opened);
    const chunk = opened.reader.chunks().find((c) => c.offset[0] === 3)!;
    opened.reader.close();
    const bytes = await Deno.readFile(h5);
    for (let i = 4; i < chunk.size - 4; i++) bytes[chunk.address + i] ^= 0x55;
    await Deno.writeFile(h5, bytes);
    using seg = await Segmentations.open({ dataDir });
    await assert.rejects(
      () => seg.coverage(undefined, { cache: false }),
      (e: Error) => e.message.includes(h5) && /\brow 3\b/.test(e.message),
    );
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
