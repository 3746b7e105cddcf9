// The h5py-written fixtures of the analysis tables and the values numpy
// computed for them (tests/fixtures/make_h5py_analysis_fixture.py).
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { H5PY_FIXTURE } from "./helpers.ts";

/** tests/fixtures/h5py_analysis: overlapping instances, ellipses, an unlisted HDF5 row. */
export const ANALYSIS_FIXTURE = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "fixtures",
  "h5py_analysis",
);

/** One coverage row as numpy computed it. */
export interface ExpectedCoverageRow {
  image_name: string;
  noun: string;
  masks: number;
  pixels: number;
  fraction: number;
}

/** What numpy computed for one fixture. */
export interface Expected {
  height: number;
  width: number;
  coverage: { localized: ExpectedCoverageRow[]; all: ExpectedCoverageRow[] };
  /** Per HDF5 row: grid size -> row-major cells. */
  grids: Record<string, number[]>[];
  /** Per HDF5 row: COCO compressed RLE string. */
  rle: string[];
  /** Per HDF5 row: set pixels. */
  areas: number[];
}

const all = JSON.parse(
  Deno.readTextFileSync(join(ANALYSIS_FIXTURE, "expected.json")),
) as Record<"h5py" | "h5py_analysis", Expected>;

/** Both fixtures: data dir and expected values. */
export const FIXTURES: readonly {
  label: string;
  dir: string;
  expected: Expected;
}[] = [
  { label: "h5py fixture", dir: H5PY_FIXTURE, expected: all.h5py },
  {
    label: "h5py analysis fixture",
    dir: ANALYSIS_FIXTURE,
    expected: all.h5py_analysis,
  },
];
