// seg.grids() and mask.grid() against numpy's area-weighted pooling
// (upsampling by np.kron) on h5py-written fixtures, for sizes that divide
// the mask's sides and sizes that do not (and more cells than pixels).
import assert from "node:assert/strict";
import { Segmentations } from "../../../mod.ts";
import { ANALYSIS_FIXTURE, FIXTURES } from "../../_support/analysis_fixture.ts";
import { smallSampleDir } from "../../_support/helpers.ts";

function assertCells(got: Float32Array, want: number[], what: string) {
  assert.equal(got.length, want.length, what);
  for (let i = 0; i < want.length; i++) {
    assert.ok(
      Math.abs(got[i] - want[i]) < 1e-6,
      `${what} cell ${i}: ${got[i]} != ${want[i]}`,
    );
  }
}

for (const { label, dir, expected } of FIXTURES) {
  Deno.test(`${label}: grids of every mask equal numpy's, for every size`, async () => {
    using seg = await Segmentations.open({ dataDir: dir });
    const sizes = Object.keys(expected.grids[0]).map(Number);
    assert.ok(sizes.some((s) => seg.width % s !== 0), "a size not dividing");
    assert.ok(sizes.some((s) => s > seg.width), "more cells than pixels");
    for (const size of sizes) {
      const rows = expected.grids.flatMap((g, r) =>
        String(size) in g ? [r] : []
      );
      const grids = await seg.grids(rows, { size });
      assert.equal(grids.size, size);
      assert.deepEqual([...grids.maskRows], rows);
      assert.equal(grids.data.length, rows.length * size * size);
      rows.forEach((r, i) => {
        const cells = grids.data.subarray(
          i * size * size,
          (i + 1) * size * size,
        );
        assertCells(
          cells,
          expected.grids[r][String(size)],
          `row ${r} size ${size}`,
        );
        // Area-weighted: the grid sums to area / cell area.
        const cellArea = (seg.width / size) * (seg.height / size);
        const sum = cells.reduce((a, b) => a + b, 0);
        assert.ok(
          Math.abs(sum - expected.areas[r] / cellArea) < 1e-3,
          `row ${r} size ${size}: sum ${sum}`,
        );
        assertCells(
          seg.row(r).grid(size),
          expected.grids[r][String(size)],
          `mask.grid row ${r}`,
        );
      });
    }
  });
}

Deno.test("grids: selection order and repeated rows are kept; all rows by default", async () => {
  using seg = await Segmentations.open({ dataDir: ANALYSIS_FIXTURE });
  const expected = FIXTURES[1].expected;
  const rows = [30, 2, 7, 2, 0];
  const grids = await seg.grids(rows, { size: 7 });
  assert.deepEqual([...grids.maskRows], rows);
  rows.forEach((r, i) =>
    assertCells(
      grids.data.subarray(i * 49, (i + 1) * 49),
      expected.grids[r]["7"],
      `row ${r}`,
    )
  );
  const all = await seg.grids(undefined, { size: 3 });
  assert.deepEqual([...all.maskRows], [...Array(seg.length).keys()]);
  using forced = await Segmentations.open({
    dataDir: ANALYSIS_FIXTURE,
    reader: "h5wasm",
  });
  assert.deepEqual(all.data, (await forced.grids(undefined, { size: 3 })).data);
  assert.equal((await seg.grids()).size, 32, "default size");
});

Deno.test("grids: a size that is not a positive integer is a RangeError", async () => {
  using seg = await Segmentations.open({ dataDir: ANALYSIS_FIXTURE });
  for (const size of [0, -3, 2.5, NaN]) {
    await assert.rejects(() => seg.grids([0], { size }), RangeError);
    assert.throws(() => seg.row(0).grid(size), RangeError);
  }
  await assert.rejects(() => seg.grids([seg.length]), RangeError);
});

Deno.test("grids: masks read as runs pool exactly as decoded masks do", async () => {
  using seg = await Segmentations.open({ dataDir: await smallSampleDir() });
  const rows = [...Array(seg.length).keys()];
  for (const size of [5, 7, 32, 100]) {
    const grids = await seg.grids(rows, { size });
    for (const r of rows) {
      const cells = grids.data.subarray(r * size * size, (r + 1) * size * size);
      assertCells(cells, [...seg.row(r).grid(size)], `row ${r} size ${size}`);
    }
  }
});
