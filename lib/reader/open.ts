// Opening a data directory's segmentation files, shared by the reader and
// the notebook layer's Segmentations (which adds figures to the reader).
import { basename, dirname, join, resolve } from "node:path";
import { checkOpenArgs } from "./_args.ts";

export { checkOpenArgs };
import type { pl } from "../deps.ts";
import { getDataDir } from "../data/config.ts";
import {
  MASKS_DATASET,
  type SegmentationPaths,
  segmentationPaths,
} from "../data/paths.ts";
import { type MaskSource, openMaskSource } from "./source/mask_source.ts";
import { readMetadata } from "./metadata.ts";
import {
  type VisualField,
  visualField,
  type VisualFieldOptions,
} from "./visual_field.ts";

/** Options for `Segmentations.open`. */
export interface SegmentationsOpenOptions {
  /**
   * Folder that holds `stimuli/`. Falls back to env `LAION_FMRI_DATA_DIR`,
   * then the Python package's config file.
   *
   * @default {getDataDir()}
   */
  dataDir?: string;
  /**
   * Which HDF5 reader serves the masks: `"auto"` uses the fast chunk reader
   * (positional reads and native inflate) when it understands the file's
   * layout and h5wasm otherwise; the other values force one.
   *
   * @default {"auto"}
   */
  reader?: "auto" | "chunks" | "h5wasm";
  /**
   * How the stimulus maps to degrees of visual angle (for the degree
   * columns of `stats()`, `prfOverlap()` and `show({ visualField })`).
   *
   * @default {{ widthDegrees: 9.2, fixation: the image centre }}
   */
  visualField?: VisualFieldOptions;
}

/** What a reader is built from (see {@link openWith}). */
export interface OpenedFiles {
  dataDir: string;
  paths: SegmentationPaths;
  metadata: pl.DataFrame;
  source: MaskSource;
  visualField: VisualField;
}

/**
 * Opens the files of a data directory and builds `Reader` on them; shared by
 * `SegmentationsReader.open` and the notebook layer's `Segmentations`,
 * which adds figures to the reader.
 */
export async function openWith<T>(
  Reader: new (opened: OpenedFiles) => T,
  options: SegmentationsOpenOptions,
): Promise<T> {
  checkOpenArgs("Segmentations.open", options);
  // Checked before any file is read (the image size comes later).
  if (options.visualField !== undefined) {
    visualField(1000, 1000, options.visualField);
  }
  const dataDir = options.dataDir ?? getDataDir();
  if (dataDir === undefined) {
    throw new Error(
      "No LAION-fMRI data directory is set. Pass { dataDir }, set LAION_FMRI_DATA_DIR, or run " +
        "`deno task cli init PATH` (the Python package's dataset_initialize writes the same config). " +
        "To try the bundled synthetic sample: Segmentations.open({ dataDir: await ensureSample() }).",
    );
  }
  const paths = segmentationPaths(dataDir);
  const missing = [paths.h5, paths.csv].filter((p) => !presentFile(p));
  if (missing.length > 0) {
    const inside = [paths.h5, paths.csv].some((p) =>
      presentFile(join(dataDir, basename(p)))
    );
    if (inside || basename(resolve(dataDir)) === "stimuli") {
      const parent = dirname(resolve(dataDir));
      throw new Deno.errors.NotFound(
        `${dataDir} looks like the stimuli/ folder itself: the data directory is its parent, ` +
          `which holds stimuli/. Pass { dataDir: ${JSON.stringify(parent)} } ` +
          `(or set LAION_FMRI_DATA_DIR=${parent}).`,
      );
    }
    throw new Deno.errors.NotFound(
      `Segmentation files missing in ${paths.stimuliDir}/: ${
        missing.map((p) => p.split("/").pop()).join(", ")
      }. ` +
        `Download them with \`deno task cli download-segmentations --data-dir ${dataDir}\` ` +
        `(or downloadSegmentations({ dataDir })).`,
    );
  }
  const metadata = readMetadata(paths.csv);
  const source = await openMaskSource(paths.h5, MASKS_DATASET, {
    reader: options.reader,
  });
  try {
    const [, height, width] = source.shape;
    const field = visualField(width, height, options.visualField);
    return new Reader({ dataDir, paths, metadata, source, visualField: field });
  } catch (err) {
    source.close();
    throw err;
  }
}

/**
 * Whether `path` exists as a file: `false` when it does not; an error
 * saying "permission denied" (naming the path) when a folder on the way
 * cannot be read, and one naming the path when it is a directory.
 */
function presentFile(path: string): boolean {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    if (
      err instanceof Deno.errors.PermissionDenied ||
      err instanceof Deno.errors.NotCapable
    ) {
      throw new Deno.errors.PermissionDenied(
        `${path}: permission denied (a folder on the way or the file is not readable by this user); ` +
          `fix the permissions (e.g. chmod -R u+rX on the data folder) and try again`,
        { cause: err },
      );
    }
    throw err;
  }
  if (info.isDirectory) {
    throw new Error(
      `${path} is a directory, not a file; remove it and download the segmentation files again`,
    );
  }
  return true;
}
