// Degrees of visual angle (issue 28) against numpy at full resolution on an
// h5py-written file (tests/fixtures/degrees_reference.py): the degree
// columns of stats(), and prfOverlap() for pRFs inside, across and outside
// the stimulus, with the default and a custom visual field.
import assert from "node:assert/strict";
import { join } from "node:path";
import { pl, Segmentations } from "../../../mod.ts";
import type { VisualFieldOptions } from "../../../mod.ts";
import { ANALYSIS_FIXTURE } from "../../_support/analysis_fixture.ts";
import {
  h5pyAvailable,
  PYTHON,
  tempDirAtExit,
  withEnv,
} from "../../_support/helpers.ts";

const PRFS: [number, number, number, number][] = [
  [0, 0, 1, 1],
  [-2, 1.5, 0.5, 1],
  [3.5, -2.5, 0.8, 0.5],
  [4.4, 3.1, 2, 1], // centred near a corner: half of it off the stimulus
  [-8, 0, 1.2, 1], // outside, its tail on the stimulus
  [1, -1, 0.15, 1], // small: a few pixels
  [0.7, 0.2, 6, 0.3], // larger than the stimulus
];

interface Reference {
  stats: Record<string, Record<string, number> | null>;
  overlap: number[][];
  images: string[];
}

async function reference(
  field: { width_degrees: number; fixation: [number, number] | null },
  radius: number,
): Promise<Reference> {
  assert.ok(await h5pyAvailable(), "numpy and h5py compute the reference");
  const dir = await tempDirAtExit("seg-degrees-");
  const spec = join(dir, "spec.json");
  await Deno.writeTextFile(
    spec,
    JSON.stringify({ ...field, radius, prfs: PRFS, localized_only: true }),
  );
  const out = await new Deno.Command(PYTHON, {
    args: [
      new URL("../../fixtures/degrees_reference.py", import.meta.url).pathname,
      ANALYSIS_FIXTURE,
      spec,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

const FIELDS: [string, VisualFieldOptions | undefined, number][] = [
  ["default visual field", undefined, 1],
  ["12 degrees wide, fixation off centre", {
    widthDegrees: 12,
    fixation: [15.5, 12],
  }, 2],
];

for (const [label, visualField, radius] of FIELDS) {
  Deno.test(`degrees (${label}): stats()' degree columns equal numpy's`, async () => {
    using seg = await Segmentations.open({
      dataDir: ANALYSIS_FIXTURE,
      visualField,
    });
    const ref = await reference({
      width_degrees: visualField?.widthDegrees ?? 9.2,
      fixation: visualField?.fixation as [number, number] ?? null,
    }, radius);
    const stats = await seg.stats(undefined, {
      cache: false,
      fovealRadius: radius,
    });
    const columns = Object.keys(ref.stats["0"]!);
    for (const r of stats.toRecords()) {
      const want = ref.stats[String(r.mask_row)];
      for (const c of columns) {
        if (want === null) {
          // An empty mask: no position; its area is 0.
          assert.equal(
            r[c],
            c === "area_deg2" ? 0 : null,
            `row ${r.mask_row} ${c}`,
          );
          continue;
        }
        assert.ok(
          Math.abs((r[c] as number) - want[c]) < 1e-9,
          `row ${r.mask_row} ${c}: ${r[c]} vs numpy ${want[c]}`,
        );
      }
    }
    assert.equal(
      seg.visualField.widthDegrees,
      visualField?.widthDegrees ?? 9.2,
    );
  });

  Deno.test(`degrees (${label}): prfOverlap equals numpy's full-resolution overlap`, async () => {
    using seg = await Segmentations.open({
      dataDir: ANALYSIS_FIXTURE,
      visualField,
    });
    const ref = await reference({
      width_degrees: visualField?.widthDegrees ?? 9.2,
      fixation: visualField?.fixation as [number, number] ?? null,
    }, radius);
    const prfs = pl.DataFrame({
      x_deg: PRFS.map((p) => p[0]),
      y_deg: PRFS.map((p) => p[1]),
      sigma_deg: PRFS.map((p) => p[2]),
      exponent: PRFS.map((p) => p[3]),
    });
    const result = await seg.prfOverlap(prfs);
    assert.deepEqual(result.images, seg.images());
    assert.equal(result.groups, null);
    assert.equal(result.prfs, PRFS.length);
    let worst = 0;
    PRFS.forEach((_, p) => {
      result.images.forEach((image, i) => {
        const want = ref.overlap[p][ref.images.indexOf(image)];
        const got = result.values[p * result.images.length + i];
        worst = Math.max(worst, Math.abs(got - want));
      });
    });
    assert.ok(worst < 1e-5, `largest difference ${worst}`);
    // The long frame holds the same numbers.
    const frame = result.frame;
    assert.deepEqual(frame.columns, ["prf", "image_name", "overlap"]);
    assert.equal(frame.height, PRFS.length * result.images.length);
    const rec = frame.row(result.images.length + 2);
    assert.deepEqual(rec.slice(0, 2), [1, result.images[2]]);
    assert.ok(
      Math.abs((rec[2] as number) - result.values[result.images.length + 2]) <
        1e-12,
    );
  });
}

Deno.test("prfOverlap by noun: each block is the union of that noun's masks", async () => {
  using seg = await Segmentations.open({ dataDir: ANALYSIS_FIXTURE });
  const prfs = PRFS.map(([x_deg, y_deg, sigma_deg]) => ({
    x_deg,
    y_deg,
    sigma_deg,
  }));
  const grouped = await seg.prfOverlap(prfs, undefined, { by: "noun" });
  assert.ok(grouped.groups!.length > 1);
  const I = grouped.images.length, P = prfs.length;
  assert.equal(grouped.values.length, grouped.groups!.length * P * I);
  for (const [g, noun] of grouped.groups!.entries()) {
    const one = await seg.prfOverlap(prfs, undefined, { nouns: [noun] });
    const block = grouped.values.subarray(g * P * I, (g + 1) * P * I);
    assert.deepEqual([...block], [...one.values], noun);
  }
  assert.deepEqual(grouped.frame.columns, [
    "prf",
    "image_name",
    "group",
    "overlap",
  ]);
  // An image without a mask of the filter keeps its column, at 0.
  const cups = await seg.prfOverlap(prfs, undefined, { nouns: ["cup"] });
  const withCup = new Set(seg.imagesWith({ anyOf: ["cup"] }));
  cups.images.forEach((image, i) => {
    if (!withCup.has(image)) {
      for (let p = 0; p < P; p++) assert.equal(cups.values[p * I + i], 0);
    }
  });
});

Deno.test("prfOverlap and the visual field: bad input is a clear error", async () => {
  using seg = await Segmentations.open({ dataDir: ANALYSIS_FIXTURE });
  await assert.rejects(
    () => seg.prfOverlap(pl.DataFrame({ x: [0], y_deg: [0], sigma_deg: [1] })),
    /prfs has no x_deg column/,
  );
  await assert.rejects(
    () => seg.prfOverlap([{ x_deg: 0, y_deg: 0, sigma_deg: 0 }]),
    /pRF 0 has sigma_deg 0/,
  );
  await assert.rejects(
    () =>
      seg.prfOverlap(
        [{ x_deg: 0, y_deg: 0, sigma_deg: 1 }],
        undefined,
        { by: "nouns" } as never,
      ),
    /options\.by must be one of "noun"/,
  );
  await assert.rejects(
    () =>
      seg.prfOverlap([{ x_deg: 0, y_deg: 0, sigma_deg: 1 }], undefined, {
        nouns: ["cupp"],
      }),
    /Did you mean "cup"/,
  );
  await assert.rejects(
    () =>
      Segmentations.open({
        dataDir: ANALYSIS_FIXTURE,
        visualField: { widthDegree: 9 } as never,
      }),
    /did you mean "widthDegrees"/,
  );
  await assert.rejects(
    () =>
      Segmentations.open({
        dataDir: ANALYSIS_FIXTURE,
        visualField: { fixation: [1] } as never,
      }),
    /fixation must be \[x, y\]/,
  );
  await assert.rejects(
    () => seg.stats(undefined, { cache: false, fovealRadius: -1 }),
    /fovealRadius must be/,
  );
});

Deno.test("show({ visualField: true }): degree axes from fixation, eccentricity rings, the fixation point", async () => {
  using seg = await Segmentations.open({
    dataDir: ANALYSIS_FIXTURE,
    visualField: { widthDegrees: 8, fixation: [10, 15] },
  });
  const image = seg.images()[0];
  const plain = await seg.show(image);
  assert.equal(plain.querySelector(".seg-eccentricity"), null);
  const figure = await seg.show(image, { visualField: true });
  const ticks = [
    ...figure.querySelectorAll("g[aria-label='x-axis tick label'] text"),
  ]
    .map((t) => t.textContent);
  // 8 degrees over 40 px, fixation at x = 10 px: -2 to 6 degrees.
  assert.deepEqual(ticks, [
    "-2°",
    "-1°",
    "0°",
    "1°",
    "2°",
    "3°",
    "4°",
    "5°",
    "6°",
  ]);
  const yTicks = [
    ...figure.querySelectorAll("g[aria-label='y-axis tick label'] text"),
  ]
    .map((t) => t.textContent);
  assert.ok(yTicks.includes("0°") && yTicks.includes("3°"), yTicks.join(" "));
  assert.ok(figure.querySelector(".seg-eccentricity path"), "rings");
  assert.ok(figure.querySelector(".seg-fixation"), "fixation");
  assert.match(
    figure.textContent!,
    /Degrees of visual angle from fixation \(8° wide/,
  );
});

Deno.test("stats(): degree sums from the statistics' own pass and from the scan (a cached table, a new radius) agree", async () => {
  const cacheDir = await tempDirAtExit("seg-deg-cache-");
  await withEnv({ LAION_FMRI_CACHE_DIR: cacheDir }, async () => {
    using seg = await Segmentations.open({ dataDir: ANALYSIS_FIXTURE });
    await seg.stats(); // decodes: statistics and the radius-1 sums, cached
    let decoded = 0;
    const cached = await seg.stats(undefined, {
      fovealRadius: 2,
      onProgress: () => decoded++,
    }); // the table from cache, the radius-2 sums by a scan
    assert.ok(decoded > 0, "the scan ran");
    const fresh = await seg.stats(undefined, { cache: false, fovealRadius: 2 });
    // The same sums in another grouping: equal to the last bits or so.
    const near = (
      a: Record<string, unknown>[],
      b: Record<string, unknown>[],
    ) => {
      assert.equal(a.length, b.length);
      a.forEach((r, i) => {
        for (const [c, v] of Object.entries(r)) {
          const w = b[i][c];
          if (typeof v === "number" && typeof w === "number") {
            assert.ok(
              Math.abs(v - w) <= 1e-12 * Math.max(1, Math.abs(w)),
              `${c}: ${v} vs ${w}`,
            );
          } else assert.deepEqual(v, w, c);
        }
      });
    };
    near(cached.toRecords(), fresh.toRecords());
    decoded = 0;
    const again = await seg.stats(undefined, {
      fovealRadius: 2,
      onProgress: () => decoded++,
    });
    assert.equal(decoded, 0, "both caches answer");
    assert.deepEqual(again.toRecords(), cached.toRecords());
  });
});
