/**
 * Explore the object-segmentation masks of the LAION-fMRI stimuli from Deno,
 * in Jupyter notebooks with the Deno kernel: the metadata as a Polars
 * DataFrame, masks by image and noun, shown inline.
 *
 * A port of the Python package's `laion_fmri.segmentations.Segmentations`,
 * reading the same files (`<data_dir>/stimuli/task-images_desc-segmentations.h5`
 * and `..._metadata.csv`) and the same configuration.
 *
 * @example Open the bundled synthetic sample
 * ```ts
 * import { ensureSample, pl, Segmentations } from "./mod.ts";
 *
 * using seg = await Segmentations.open({ dataDir: await ensureSample() });
 * const confident = seg.metadata.filter(pl.col("score").gt(0.5));
 * const image = seg.images()[0];
 * const mask = seg.get(image, seg.nouns(image)[0]);
 * console.log(confident.height <= seg.length, mask.area > 0); // true true
 * ```
 *
 * @module
 */

export { pl } from "./lib/deps.ts";
export * from "./lib/data/config.ts";
export * from "./lib/data/download/download.ts";
export * from "./lib/data/paths.ts";
export * from "./lib/data/sample/sample.ts";
export * from "./lib/reader/masks/mask.ts";
export type { MaskFilter } from "./lib/reader/mask_filter.ts";
export * from "./lib/reader/metadata.ts";
export * from "./lib/reader/noun_counts.ts";
export {
  describeNouns,
  type DescribeNounsOptions,
  NOUN_CATEGORIES,
  NOUN_COLUMNS,
  type NounCategory,
} from "./lib/nouns/mod.ts";
export {
  groupOf,
  NOUN_GROUPINGS,
  type NounGrouping,
  nounTable,
  type NounTableOptions,
  withNouns,
} from "./lib/reader/noun_table.ts";
export * from "./lib/reader/reader.ts";
export * from "./lib/stimuli/stimuli.ts";
export type { CoverageOptions } from "./lib/reader/tables/coverage.ts";
export type {
  Prf,
  PrfOverlap,
  PrfOverlapOptions,
} from "./lib/reader/tables/prf.ts";
export type {
  VisualField,
  VisualFieldOptions,
} from "./lib/reader/visual_field.ts";
export type { GridsOptions, MaskGrids } from "./lib/reader/tables/grids.ts";
export * from "./lib/reader/tables/trials.ts";
export * from "./lib/reader/masks/coco_rle.ts";
export type {
  CocoAnnotation,
  CocoCategory,
  CocoDataset,
  CocoImage,
  CocoOptions,
} from "./lib/reader/tables/coco.ts";
export * from "./lib/plot/noun_frequency.ts";
export * from "./lib/plot/noun_heatmap.ts";
export * from "./lib/plot/scores.ts";
export * from "./lib/plot/show.ts";
export { gallery, type GalleryOptions } from "./lib/plot/gallery.ts";
export {
  explore,
  type ExploreOptions,
  type Explorer,
} from "./lib/plot/explore.ts";
export * from "./lib/plot/save.ts";
export * from "./lib/plot/matrix.ts";
export {
  type NounColors,
  paletteFor,
  type PaletteOptions,
} from "./lib/plot/palette.ts";
export * from "./lib/notebook/segmentations.ts";
// In the Jupyter kernel only: DataFrames display first, as Python Polars shows them.
import "./lib/notebook/frame_display.ts";
