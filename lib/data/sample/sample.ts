/**
 * A deterministic synthetic dataset in exactly the real file format, so that
 * everything runs offline. The images and masks are made up: they are not
 * LAION-fMRI data.
 *
 * @module
 */

import { checkPathArg, checkWriteSampleArgs } from "../_args.ts";
import { join } from "node:path";
import { csvField } from "../csv.ts";
import { h5wasmReady } from "../../hdf5/mod.ts";
import {
  MASKS_DATASET,
  METADATA_COLUMNS,
  SEGMENTATIONS_CSV,
  SEGMENTATIONS_H5,
  STIMULI_DIR,
  userCacheDir,
} from "../paths.ts";
import { plan, type SampleMask } from "./_plan.ts";
import { rasterize, rng } from "./_shapes.ts";
import { writeStimuli } from "./_stimuli.ts";

/** Options for {@link writeSample}. */
export interface WriteSampleOptions {
  /**
   * Number of shared images with masks (every tenth an OOD RGBA PNG, a few
   * busy ones with 20+ masks).
   *
   * @default {40}
   */
  images?: number;
  /**
   * Mask and image side in pixels (the real data is 1000 x 1000).
   *
   * @default {1000}
   */
  size?: number;
  /**
   * Seed of the generator: the same seed writes the same masks and CSV.
   *
   * @default {1}
   */
  seed?: number;
  /**
   * Also write the stimulus archive (`task-images_stimuli.h5` with synthetic
   * JPEGs and RGBA PNGs, and `task-images_metadata.csv`).
   *
   * @default {true}
   */
  stimuli?: boolean;
}

/** What {@link writeSample} wrote. */
export interface SampleSummary {
  /** The data directory (holds `stimuli/`). */
  dataDir: string;
  /** Masks written. */
  masks: number;
  /** Images with masks. */
  images: number;
}

/** Version of the sample's content: bump it when the generator changes so cached samples are rewritten. */
export const SAMPLE_VERSION = 2;

/**
 * Writes the synthetic sample into `<dataDir>/stimuli/`: the masks HDF5 file
 * and metadata CSV, and (unless `stimuli: false`) a stimulus archive with
 * synthetic JPEGs and RGBA PNGs. Deterministic for a given seed.
 *
 * It teaches the real data's quirks: free-text phrase nouns (some with
 * commas), instance ids that skip numbers, instance 0 not always the best
 * score, a few images with 20+ masks and long phrases, whole-image masks
 * without a box, RGBA PNG stimuli in the OOD set, and subject-unique images
 * (no masks) in the stimulus CSV.
 *
 * @example Write a small sample
 * ```ts
 * import { writeSample } from "./sample.ts";
 * const dir = await Deno.makeTempDir();
 * const summary = await writeSample(dir, { images: 3, size: 64, stimuli: false });
 * console.log(summary.images); // 3
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeSample(
  dataDir: string,
  options: WriteSampleOptions = {},
): Promise<SampleSummary> {
  checkWriteSampleArgs(dataDir, options);
  const size = options.size ?? 1000;
  const rand = rng(options.seed ?? 1);
  const { masks, names, stimuli } = plan(options.images ?? 40, size, rand);
  const dir = join(dataDir, STIMULI_DIR);
  await Deno.mkdir(dir, { recursive: true });
  await writeMasks(join(dir, SEGMENTATIONS_H5), masks, size);

  const lines = [METADATA_COLUMNS.join(",")];
  masks.forEach((m, row) => {
    const stem = m.image.replace(/\.(jpg|png)$/, "");
    const box = m.box ?? [null, null, null, null];
    lines.push(
      [
        row,
        m.image,
        m.noun,
        m.instance,
        m.score,
        ...box,
        m.localized,
        `${stem}/${m.noun}_${m.instance}.png`,
      ]
        .map(csvField).join(","),
    );
  });
  await Deno.writeTextFile(
    join(dir, SEGMENTATIONS_CSV),
    lines.join("\n") + "\n",
  );

  if (options.stimuli ?? true) await writeStimuli(dir, stimuli, masks, size);
  return { dataDir, masks: masks.length, images: names.length };
}

/**
 * The masks dataset, one gzip chunk per mask, written a mask at a time so
 * memory holds one mask, not all of them.
 */
async function writeMasks(
  path: string,
  masks: readonly SampleMask[],
  size: number,
): Promise<void> {
  const h5 = await h5wasmReady();
  const file = new h5.File(path, "w");
  try {
    const pixels = new Uint8Array(size * size);
    rasterize(masks[0]?.shape ?? null, size, pixels);
    const dataset = file.create_dataset({
      name: MASKS_DATASET,
      data: pixels,
      shape: [1, size, size],
      maxshape: [null, size, size],
      dtype: "<B",
      chunks: [1, size, size],
      compression: "gzip",
      compression_opts: 4,
    });
    dataset.resize([masks.length, size, size]);
    for (let i = 1; i < masks.length; i++) {
      rasterize(masks[i].shape, size, pixels);
      dataset.write_slice([[i, i + 1], [], []], pixels);
    }
  } finally {
    file.close();
  }
}

/** Where {@link ensureSample} keeps the sample: `$XDG_CACHE_HOME` (or `~/.cache`)`/laion-fmri-segmentations/sample-v<N>`. */
export function sampleDir(): string {
  return join(userCacheDir(), `sample-v${SAMPLE_VERSION}`);
}

/**
 * The bundled synthetic sample's data directory, written on first use (a few
 * seconds) into {@link sampleDir} and reused afterwards. Written to a
 * temporary folder and renamed, so an interrupted write is never taken as a
 * complete sample.
 *
 * @returns The data directory to pass as `dataDir`.
 */
export async function ensureSample(dir: string = sampleDir()): Promise<string> {
  checkPathArg("ensureSample", "dir", dir);
  const done = join(dir, "COMPLETE");
  try {
    await Deno.stat(done);
    return dir;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const parent = join(dir, "..");
  await Deno.mkdir(parent, { recursive: true });
  const tmp = await Deno.makeTempDir({ dir: parent, prefix: ".sample-" });
  try {
    await writeSample(tmp);
    await Deno.writeTextFile(
      join(tmp, "COMPLETE"),
      `synthetic sample v${SAMPLE_VERSION}\n`,
    );
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await Deno.rename(tmp, dir);
  } catch (err) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    // Another process may have written it meanwhile.
    try {
      await Deno.stat(done);
      return dir;
    } catch {
      throw err;
    }
  }
  return dir;
}
