/**
 * File names of the LAION-fMRI stimulus files, as the Python package and the
 * public bucket name them, and the columns of the segmentation CSV.
 *
 * @module
 */

import { join } from "node:path";
import { checkPathArg } from "./_args.ts";

/** Folder inside the data directory that holds the stimulus files. */
export const STIMULI_DIR = "stimuli";
/** The masks: one dataset `masks`, (N, height, width) uint8. */
export const SEGMENTATIONS_H5 = "task-images_desc-segmentations.h5";
/** One row per mask. */
export const SEGMENTATIONS_CSV = "task-images_desc-segmentations_metadata.csv";
/** The stimulus images: one 1-D dataset `images` of JPEG bytes. */
export const STIMULI_H5 = "task-images_stimuli.h5";
/** One row per stimulus image, row-aligned with {@link STIMULI_H5}; column `image_name`. */
export const STIMULI_CSV = "task-images_metadata.csv";
/** Name of the masks dataset. */
export const MASKS_DATASET = "masks";
/** Name of the stimulus images dataset. */
export const IMAGES_DATASET = "images";

/** Paths of the segmentation files inside a data directory. */
export interface SegmentationPaths {
  /** `<dataDir>/stimuli`. */
  stimuliDir: string;
  /** The masks HDF5 file. */
  h5: string;
  /** The metadata CSV. */
  csv: string;
  /** The stimulus archive (may be absent). */
  stimuliH5: string;
  /** The stimulus archive's metadata (may be absent). */
  stimuliCsv: string;
}

/** Where the files of `dataDir` live. */
export function segmentationPaths(dataDir: string): SegmentationPaths {
  checkPathArg("segmentationPaths", "dataDir", dataDir);
  const stimuliDir = join(dataDir, STIMULI_DIR);
  return {
    stimuliDir,
    h5: join(stimuliDir, SEGMENTATIONS_H5),
    csv: join(stimuliDir, SEGMENTATIONS_CSV),
    stimuliH5: join(stimuliDir, STIMULI_H5),
    stimuliCsv: join(stimuliDir, STIMULI_CSV),
  };
}

/** The columns every segmentation metadata CSV has, in file order. */
export const METADATA_COLUMNS = [
  "mask_row",
  "image_name",
  "noun",
  "instance_id",
  "score",
  "box_x0",
  "box_y0",
  "box_x1",
  "box_y1",
  "localized",
  "mask_file",
] as const;

/**
 * This package's cache folder: `$LAION_FMRI_CACHE_DIR` when set (it moves
 * this library's caches alone), else `$XDG_CACHE_HOME/laion-fmri-segmentations`,
 * else `~/.cache/laion-fmri-segmentations`. Caches and the synthetic sample
 * live here, never in a data folder (often shared or read-only). Every cache
 * of the library asks this function.
 *
 * Why a variable of its own: `XDG_CACHE_HOME` also moves Deno's cache (its
 * npm packages), so setting it to move ours re-downloads every package.
 *
 * @example A cache folder of its own
 * ```ts
 * import { userCacheDir } from "./paths.ts";
 * Deno.env.set("LAION_FMRI_CACHE_DIR", "/scratch/seg-cache");
 * console.log(userCacheDir()); // /scratch/seg-cache
 * Deno.env.delete("LAION_FMRI_CACHE_DIR");
 * ```
 */
export function userCacheDir(): string {
  const own = Deno.env.get("LAION_FMRI_CACHE_DIR");
  if (own && own.length > 0) return own;
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  const home = Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE") ?? ".";
  return join(
    xdg && xdg.length > 0 ? xdg : join(home, ".cache"),
    "laion-fmri-segmentations",
  );
}
