// A new user's common mistakes with each public function, and the one-line
// answer each gets: the function, the parameter, what it got, what it takes.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  datasetInitialize,
  downloadSegmentations,
  ensureSample,
  imagesWith,
  loadStimuli,
  meanMask,
  nounCounts,
  nounHeatmap,
  plotNounFrequency,
  plotScores,
  readMetadata,
  segmentationPaths,
  Segmentations,
  show,
  StimulusArchive,
  writeSample,
} from "../../mod.ts";
import type {
  DownloadOptions,
  ImagesWithOptions,
  ImagesWithQuery,
  MasksOptions,
  MeanMaskOptions,
  NounHeatmapOptions,
  NounsOptions,
  PlotNounFrequencyOptions,
  PlotScoresOptions,
  SegmentationsOpenOptions,
  ShowOptions,
  StatsOptions,
  StreamOptions,
  WriteSampleOptions,
} from "../../mod.ts";
import type {
  CocoOptions,
  CoverageOptions,
  GridsOptions,
  MaskDisplayOptions,
  MaskFilter,
  StimulusArchiveOptions,
  StimulusImageOptions,
  TrialCoverageOptions,
  TrialNounsOptions,
} from "../../mod.ts";
import type {
  ExploreOptions,
  GalleryOptions,
  PrfOverlapOptions,
  ScanOptions,
  VisualFieldOptions,
} from "../../mod.ts";
import type {
  EXPLORE_OPTIONS,
  GALLERY_OPTIONS,
} from "../../lib/plot/options.ts";
import type { PRF_OVERLAP_OPTIONS } from "../../lib/reader/tables/prf.ts";
import type { VISUAL_FIELD_OPTIONS } from "../../lib/reader/visual_field.ts";
import type { MASK_FILTER_OPTIONS } from "../../lib/reader/mask_filter.ts";
import type {
  DOWNLOAD_OPTIONS,
  WRITE_SAMPLE_OPTIONS,
} from "../../lib/data/_args.ts";
import type {
  COCO_OPTIONS,
  COVERAGE_OPTIONS,
  GRIDS_OPTIONS,
  IMAGES_WITH_OPTIONS,
  IMAGES_WITH_QUERY,
  MASK_DISPLAY_OPTIONS,
  MASKS_OPTIONS,
  NOUNS_OPTIONS,
  OPEN_OPTIONS,
  SCAN_OPTIONS,
  STATS_OPTIONS,
  STREAM_OPTIONS,
  TRIAL_COVERAGE_OPTIONS,
} from "../../lib/reader/_args.ts";
import type {
  STIMULUS_ARCHIVE_OPTIONS,
  STIMULUS_IMAGE_OPTIONS,
} from "../../lib/stimuli/_args.ts";
import type {
  MEAN_MASK_OPTIONS,
  NOUN_FREQUENCY_OPTIONS,
  NOUN_HEATMAP_OPTIONS,
  SCORES_OPTIONS,
  SHOW_OPTIONS,
} from "../../lib/plot/options.ts";
import { smallSampleDir } from "../_support/helpers.ts";

// The checked option names match the options interfaces exactly: a field
// added to an interface without its check (or the reverse) fails to compile.
type SameKeys<A, B> = [Exclude<A, B>, Exclude<B, A>] extends [never, never]
  ? true
  : false;
const _inSync: true[] = [
  true satisfies SameKeys<
    keyof typeof OPEN_OPTIONS,
    keyof SegmentationsOpenOptions
  >,
  true satisfies SameKeys<keyof typeof STREAM_OPTIONS, keyof StreamOptions>,
  true satisfies SameKeys<keyof typeof MASKS_OPTIONS, keyof MasksOptions>,
  true satisfies SameKeys<keyof typeof STATS_OPTIONS, keyof StatsOptions>,
  true satisfies SameKeys<keyof typeof NOUNS_OPTIONS, keyof NounsOptions>,
  true satisfies SameKeys<keyof typeof NOUNS_OPTIONS, keyof TrialNounsOptions>,
  true satisfies SameKeys<keyof typeof MASK_FILTER_OPTIONS, keyof MaskFilter>,
  true satisfies SameKeys<keyof typeof SCAN_OPTIONS, keyof ScanOptions>,
  true satisfies SameKeys<keyof typeof COVERAGE_OPTIONS, keyof CoverageOptions>,
  true satisfies SameKeys<
    keyof typeof TRIAL_COVERAGE_OPTIONS,
    keyof TrialCoverageOptions
  >,
  true satisfies SameKeys<keyof typeof GRIDS_OPTIONS, keyof GridsOptions>,
  true satisfies SameKeys<keyof typeof COCO_OPTIONS, keyof CocoOptions>,
  true satisfies SameKeys<
    keyof typeof STIMULUS_ARCHIVE_OPTIONS,
    keyof StimulusArchiveOptions
  >,
  true satisfies SameKeys<
    keyof typeof STIMULUS_IMAGE_OPTIONS,
    keyof StimulusImageOptions
  >,
  true satisfies SameKeys<
    keyof typeof MASK_DISPLAY_OPTIONS,
    keyof MaskDisplayOptions
  >,
  true satisfies SameKeys<
    keyof typeof IMAGES_WITH_QUERY,
    keyof ImagesWithQuery
  >,
  true satisfies SameKeys<
    keyof typeof IMAGES_WITH_OPTIONS,
    keyof ImagesWithOptions
  >,
  true satisfies SameKeys<keyof typeof SHOW_OPTIONS, keyof ShowOptions>,
  true satisfies SameKeys<keyof typeof GALLERY_OPTIONS, keyof GalleryOptions>,
  true satisfies SameKeys<keyof typeof EXPLORE_OPTIONS, keyof ExploreOptions>,
  true satisfies SameKeys<
    keyof typeof PRF_OVERLAP_OPTIONS,
    keyof PrfOverlapOptions
  >,
  true satisfies SameKeys<
    keyof typeof VISUAL_FIELD_OPTIONS,
    keyof VisualFieldOptions
  >,
  true satisfies SameKeys<
    keyof typeof NOUN_FREQUENCY_OPTIONS,
    keyof PlotNounFrequencyOptions
  >,
  true satisfies SameKeys<keyof typeof SCORES_OPTIONS, keyof PlotScoresOptions>,
  true satisfies SameKeys<
    keyof typeof MEAN_MASK_OPTIONS,
    keyof MeanMaskOptions
  >,
  true satisfies SameKeys<
    keyof typeof NOUN_HEATMAP_OPTIONS,
    keyof NounHeatmapOptions
  >,
  true satisfies SameKeys<keyof typeof DOWNLOAD_OPTIONS, keyof DownloadOptions>,
  true satisfies SameKeys<
    keyof typeof WRITE_SAMPLE_OPTIONS,
    keyof WriteSampleOptions
  >,
];

const dataDir = await smallSampleDir();
const seg = await Segmentations.open({ dataDir });
const image = seg.images()[0];
const noun = seg.nouns(image)[0];
const closed = await Segmentations.open({ dataDir });
closed.close();
const stim = new StimulusArchive(dataDir);
// deno-lint-ignore no-explicit-any
const any = (v: unknown) => v as any;

/** [call as a user writes it, error class, what the message must say] */
const MISTAKES: [string, () => unknown, ErrorConstructor, RegExp][] = [
  [
    "seg.stats({ cache: false })",
    () => seg.stats(any({ cache: false })),
    TypeError,
    /^seg\.stats: selection must be a metadata DataFrame \(with a mask_row column\) or an array of mask rows; got an object with keys \{cache\}\. Options go second: seg\.stats\(undefined, \{"cache":false\}\)\.$/,
  ],
  [
    "seg.stats(undefined, { cahce: false })",
    () => seg.stats(undefined, any({ cahce: false })),
    TypeError,
    /^seg\.stats: unknown option "cahce" in options; did you mean "cache"\?/,
  ],
  [
    "seg.stats(seg.nounCounts())",
    () => seg.stats(seg.nounCounts()),
    TypeError,
    /^seg\.stats: selection has no mask_row column \(it has: noun, masks, images\)/,
  ],
  [
    "seg.masks(frame without mask_row)",
    () => seg.masks(seg.metadata.select("noun")),
    TypeError,
    /^seg\.masks: selection has no mask_row column \(it has: noun\)/,
  ],
  [
    "seg.masks(rows, { workers: 1.5 })",
    () => seg.masks([0], { workers: 1.5 }),
    RangeError,
    /^seg\.masks: options\.workers must be an integer; got 1\.5\.$/,
  ],
  [
    "seg.masks(rows, { signal: 1000 })",
    () => seg.masks([0], any({ signal: 1000 })),
    TypeError,
    /^seg\.masks: options\.signal must be an AbortSignal/,
  ],
  [
    "seg.masks(['a'])",
    () => seg.masks(any(["a"])),
    TypeError,
    /^seg\.masks: selection must be mask rows \(numbers\) or a metadata DataFrame; the array holds the string "a"\.$/,
  ],
  [
    "seg.get(0, noun)",
    () => seg.get(any(0), noun),
    TypeError,
    /^seg\.get: imageName must be a string; got the number 0\.$/,
  ],
  [
    "seg.get(image)",
    () => seg.get(image, any(undefined)),
    TypeError,
    /^seg\.get: noun must be a string; got undefined\.$/,
  ],
  [
    "seg.get(image, noun, '1')",
    () => seg.get(image, noun, any("1")),
    TypeError,
    /^seg\.get: instance must be an integer >= 0; got the string "1"\.$/,
  ],
  [
    "seg.row('3')",
    () => seg.row(any("3")),
    TypeError,
    /^seg\.row: maskRow must be an integer; got the string "3"\.$/,
  ],
  [
    "seg.row(1.5)",
    () => seg.row(1.5),
    RangeError,
    /^seg\.row: maskRow must be an integer \(a row of .*, 0 to \d+ or -\d+ to -1 from the end\); got 1\.5\.$/,
  ],
  [
    "seg.row(1e9)",
    () => seg.row(1e9),
    RangeError,
    /^Mask row 1000000000 is out of range: .* holds rows 0 to \d+ \(or -\d+ to -1 from the end\)\.$/,
  ],
  [
    "seg.forImage()",
    () => seg.forImage(any(undefined)),
    TypeError,
    /^seg\.forImage: imageName must be a string; got undefined\.$/,
  ],
  [
    "seg.nouns(image, { localizedonly: false })",
    () => seg.nouns(image, any({ localizedonly: false })),
    TypeError,
    /^seg\.nouns: unknown option "localizedonly" in options; did you mean "localizedOnly"\?/,
  ],
  [
    "seg.nouns(image, false)",
    () => seg.nouns(image, any(false)),
    TypeError,
    /^seg\.nouns: options must be an object such as \{ localizedOnly: \.\.\. \}; got the boolean false/,
  ],
  [
    "seg.hasImage(['a'])",
    () => seg.hasImage(any(["a"])),
    TypeError,
    /^seg\.hasImage: imageName must be a string; got an array of 1 item\.$/,
  ],
  [
    "seg.nounCounts(stats frame)",
    () => seg.nounCounts(seg.metadata.select("mask_row")),
    TypeError,
    /^nounCounts: the frame has no "noun" column \(it has: mask_row\)/,
  ],
  [
    "seg.imagesWith(['face'])",
    () => seg.imagesWith(any(["face"])),
    TypeError,
    /^seg\.imagesWith: query must be an object such as \{ anyOf: \.\.\. \}; got an array of 1 item/,
  ],
  [
    "seg.imagesWith({ allof: [...] })",
    () => seg.imagesWith(any({ allof: ["face"] })),
    TypeError,
    /^seg\.imagesWith: unknown option "allof" in query; did you mean "allOf"\?/,
  ],
  [
    "seg.imagesWith({ anyOf: 'face' })",
    () => seg.imagesWith(any({ anyOf: "face" })),
    TypeError,
    /^imagesWith: anyOf must be an array of nouns, e\.g\. \{ anyOf: \["face"\] \}; got the string "face"\.$/,
  ],
  [
    "seg.imagesWith()",
    () => seg.imagesWith(any(undefined)),
    TypeError,
    /^seg\.imagesWith: query is required/,
  ],
  [
    "seg.show(image, { minscore: 0.5 })",
    () => seg.show(image, any({ minscore: 0.5 })),
    TypeError,
    /^seg\.show: unknown option "minscore" in options; did you mean "minScore"\?/,
  ],
  [
    "seg.show(image, { nouns: 'face' })",
    () => seg.show(image, any({ nouns: "face" })),
    TypeError,
    /^seg\.show: options\.nouns must be an array of strings/,
  ],
  [
    "seg.show(image, { opacity: '0.5' })",
    () => seg.show(image, any({ opacity: "0.5" })),
    TypeError,
    /^seg\.show: options\.opacity must be a finite number; got the string "0\.5"\.$/,
  ],
  [
    "seg.show(3)",
    () => seg.show(any(3)),
    TypeError,
    /^seg\.show: imageName must be a string; got the number 3\.$/,
  ],
  [
    "show(image, seg)",
    () => show(any(image), any(seg)),
    TypeError,
    /^show: seg must be an open Segmentations \(await Segmentations\.open\(\)\); got the string /,
  ],
  [
    "plotNounFrequency(seg)",
    () => plotNounFrequency(any(seg)),
    TypeError,
    /^plotNounFrequency: frame must be a Polars DataFrame \(e\.g\. seg\.metadata or a filter of it\); got a Segmentations\.$/,
  ],
  [
    "plotNounFrequency(frame, { by: 'nouns' })",
    () => plotNounFrequency(seg.metadata, any({ by: "nouns" })),
    RangeError,
    /^plotNounFrequency: options\.by must be one of "noun", "head", "category", "supersense", "masks", "images"; got the string "nouns"\.$/,
  ],
  [
    "plotNounFrequency(counts)",
    () => plotNounFrequency(seg.nounCounts()),
    TypeError,
    /^plotNounFrequency: the frame has no "image_name" column/,
  ],
  [
    "plotScores(frame, { bin: 10 })",
    () => plotScores(seg.metadata, any({ bin: 10 })),
    TypeError,
    /^plotScores: unknown option "bin" in options; did you mean "bins"\?/,
  ],
  [
    "plotScores(stats frame)",
    () => plotScores(seg.metadata.select("noun")),
    TypeError,
    /^plotScores: the frame has no "score" column/,
  ],
  [
    "meanMask(seg, noun, { cellsize: 2 })",
    () => meanMask(seg, noun, any({ cellsize: 2 })),
    TypeError,
    /^meanMask: unknown option "cellsize" in options; did you mean "cellSize"\?/,
  ],
  [
    "meanMask(seg, 3)",
    () => meanMask(seg, any(3)),
    TypeError,
    /^meanMask: noun must be a string; got the number 3\.$/,
  ],
  [
    "nounHeatmap(seg, noun, { cellSize: 2 })",
    () => nounHeatmap(seg, noun, any({ cellSize: 2 })),
    TypeError,
    /^nounHeatmap: unknown option "cellSize" in options; \(accepted: /,
  ],
  [
    "nounHeatmap(noun)",
    () => nounHeatmap(any(noun), any(undefined)),
    TypeError,
    /^nounHeatmap: seg must be an open Segmentations/,
  ],
  [
    "nounCounts([...])",
    () => nounCounts(any([1, 2])),
    TypeError,
    /^nounCounts: frame must be a Polars DataFrame \(e\.g\. seg\.metadata or a filter of it\); got an array of 2 items\.$/,
  ],
  [
    "imagesWith(frame, { anyOf: 'face' })",
    () => imagesWith(seg.metadata, any({ anyOf: "face" })),
    TypeError,
    /^imagesWith: anyOf must be an array of nouns/,
  ],
  [
    "imagesWith({ anyOf: [...] })",
    () => imagesWith(any({ anyOf: ["face"] }), any(undefined)),
    TypeError,
    /^imagesWith: frame must be a Polars DataFrame .*; got an object with keys \{anyOf\}\.$/,
  ],
  [
    "downloadSegmentations({ datadir })",
    () => downloadSegmentations(any({ datadir: "/nowhere" })),
    TypeError,
    /^downloadSegmentations: unknown option "datadir" in options; did you mean "dataDir"\?/,
  ],
  [
    "downloadSegmentations({ signal: 1000 })",
    () => downloadSegmentations(any({ dataDir: "/nowhere", signal: 1000 })),
    TypeError,
    /^downloadSegmentations: options\.signal must be an AbortSignal/,
  ],
  [
    "downloadSegmentations('/data')",
    () => downloadSegmentations(any("/data")),
    TypeError,
    /^downloadSegmentations: options must be an object such as \{ dataDir: \.\.\. \}; got the string "\/data"/,
  ],
  [
    "writeSample(42)",
    () => writeSample(any(42)),
    TypeError,
    /^writeSample: dataDir must be a string; got the number 42\.$/,
  ],
  [
    "writeSample(dir, { image: 3 })",
    () => writeSample("/nowhere", any({ image: 3 })),
    TypeError,
    /^writeSample: unknown option "image" in options; did you mean "images"\?/,
  ],
  [
    "ensureSample(42)",
    () => ensureSample(any(42)),
    TypeError,
    /^ensureSample: dir must be a string; got the number 42\.$/,
  ],
  [
    "datasetInitialize()",
    () => datasetInitialize(any(undefined)),
    TypeError,
    /^datasetInitialize: path must be a string; got undefined\.$/,
  ],
  [
    "Segmentations.open('/data')",
    () => Segmentations.open(any("/data")),
    TypeError,
    /^Segmentations\.open: options must be an object such as \{ dataDir: \.\.\. \}; got the string "\/data"/,
  ],
  [
    "Segmentations.open({ datadir })",
    () => Segmentations.open(any({ datadir: dataDir })),
    TypeError,
    /^Segmentations\.open: unknown option "datadir" in options; did you mean "dataDir"\?/,
  ],
  [
    "Segmentations.open({ reader: 'fast' })",
    () => Segmentations.open(any({ dataDir, reader: "fast" })),
    RangeError,
    /^Segmentations\.open: options\.reader must be one of "auto", "chunks", "h5wasm"; got the string "fast"\.$/,
  ],
  [
    "loadStimuli({ dir })",
    () => loadStimuli(any({ dir: dataDir })),
    TypeError,
    /^loadStimuli: unknown option "dir" in options; \(accepted: dataDir, reader, visualField\)\.$/,
  ],
  [
    "readMetadata()",
    () => readMetadata(any(undefined)),
    TypeError,
    /^readMetadata: path must be a string; got undefined\.$/,
  ],
  [
    "segmentationPaths({ dataDir })",
    () => segmentationPaths(any({ dataDir })),
    TypeError,
    /^segmentationPaths: dataDir must be a string; got an object with keys \{dataDir\}\.$/,
  ],
  [
    "new StimulusArchive()",
    () => new StimulusArchive(any(undefined)),
    TypeError,
    /^new StimulusArchive: dataDir must be a string; got undefined\.$/,
  ],
  [
    "stim.jpeg(0)",
    () => stim.jpeg(any(0)),
    TypeError,
    /^images\.jpeg: imageName must be a string; got the number 0\.$/,
  ],
  [
    "closed.get(...)",
    () => closed.get(image, noun),
    Error,
    /^This reader \(.*task-images_desc-segmentations\.h5\) is closed; open it again\.$/,
  ],
  [
    "closed.stats()",
    () => closed.stats(),
    Error,
    /is closed; open it again\.$/,
  ],
  [
    "closed.masks()",
    () => closed.masks(),
    Error,
    /is closed; open it again\.$/,
  ],
];

/** Runs a call to its first error: sync, a promise, or an async generator's first step. */
async function settle(call: () => unknown): Promise<void> {
  const result = call();
  const r = result as { next?: () => Promise<unknown>; then?: unknown };
  if (r && typeof r.next === "function") await r.next();
  else await result;
}

for (const [what, call, Err, pattern] of MISTAKES) {
  Deno.test(`mistakes: ${what}`, async () => {
    await assert.rejects(settle(call), (err: unknown) => {
      assert.ok(err instanceof Err, `${what}: ${err}`);
      const message = (err as Error).message;
      assert.match(message, pattern);
      assert.ok(!message.includes("\n"), `one line: ${message}`);
      assert.ok(message.length < 400, `short: ${message}`);
      return true;
    });
  });
}

Deno.test("mistakes: the right calls still work", async () => {
  assert.equal(seg.nouns(image, { localizedOnly: false }).length > 0, true);
  const stats = await seg.stats(seg.forImage(image), { cache: false });
  assert.equal(stats.height, seg.forImage(image).height);
  assert.equal(seg.imagesWith({ anyOf: [noun] }).includes(image), true);
  const dir = await Deno.makeTempDir({ prefix: "seg-mistakes-" });
  try {
    await writeSample(join(dir, "s"), { images: 2, size: 32 });
    using again = await Segmentations.open({
      dataDir: join(dir, "s"),
      reader: "h5wasm",
    });
    assert.equal(again.reader, "h5wasm");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

globalThis.addEventListener("unload", () => {
  seg.close();
  stim.close();
});
