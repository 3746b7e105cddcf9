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

export { default as pl } from "nodejs-polars";
export * from "./lib/config.ts";
export * from "./lib/download.ts";
export * from "./lib/mask.ts";
export * from "./lib/metadata.ts";
export * from "./lib/paths.ts";
export * from "./lib/sample.ts";
export * from "./lib/segmentations.ts";
export * from "./lib/stimuli.ts";
export * from "./lib/noun_counts.ts";
export * from "./lib/noun_heatmap.ts";
export * from "./lib/plot_noun_frequency.ts";
export * from "./lib/plot_scores.ts";
export * from "./lib/show.ts";
