/**
 * What a notebook user opens: the reader plus its figures.
 *
 * @module
 */

import { checkSegArgs } from "../plot/options.ts";
import type { PlotFigure } from "../plot/figure.ts";
import { show, type ShowOptions } from "../plot/show.ts";
import { gallery, type GalleryOptions } from "../plot/gallery.ts";
import {
  explore,
  type ExploreOptions,
  type Explorer,
} from "../plot/explore.ts";
import { paletteOf, type PaletteOptions, withColors } from "../plot/palette.ts";
import { StimulusArchive } from "../stimuli/stimuli.ts";
import {
  checkOpenArgs,
  openWith,
  type SegmentationsOpenOptions,
} from "../reader/open.ts";
import {
  type MaskSelection,
  type MasksOptions,
  SegmentationsReader,
  type StatsOptions,
} from "../reader/reader.ts";
import type { Mask } from "../reader/masks/mask.ts";
import type { CoverageOptions } from "../reader/tables/coverage.ts";
import type { GridsOptions, MaskGrids } from "../reader/tables/grids.ts";
import type { CocoDataset, CocoOptions } from "../reader/tables/coco.ts";
import type { pl } from "../deps.ts";
import type { StreamOptions } from "../reader/reader.ts";
import { awaitHint, CUSTOM_INSPECT, setInspect } from "../display/inspect.ts";
import { workProgress } from "../display/progress.ts";

/**
 * The LAION-fMRI object-segmentation masks: the metadata CSV as a Polars
 * DataFrame and the HDF5 masks, looked up by image and noun, with the
 * overlay figure one call away. Everything but {@link Segmentations.show}
 * and {@link Segmentations.palette} is {@link SegmentationsReader}'s; in a
 * notebook or a terminal the long calls (`stats`, `coverage`, `grids`,
 * `toCoco`, a long `masks()` stream) also show their progress when the
 * caller passes no `onProgress` (nothing when answered from a cache), and a
 * Promise shown without `await` says so.
 *
 * @example Open the bundled synthetic sample, read and draw one image's masks
 * ```ts
 * import { ensureSample } from "../data/sample/sample.ts";
 * import { Segmentations } from "./segmentations.ts";
 * using seg = await Segmentations.open({ dataDir: await ensureSample() });
 * const image = seg.images()[0];
 * const mask = seg.get(image, seg.nouns(image)[0]);
 * const figure = await seg.show(image);
 * console.log(mask.area > 0, figure.tagName); // true FIGURE
 * ```
 */
export class Segmentations extends SegmentationsReader {
  /**
   * Opens the segmentation files of a data directory.
   *
   * @throws {Error} When no data directory is configured, a file is missing,
   * or a file is malformed; the message names the file and what to do.
   */
  static override open(
    options: SegmentationsOpenOptions = {},
  ): Promise<Segmentations> {
    return awaitHint(
      (async () => await openWith(Segmentations, options))(),
      "a Segmentations reader",
      "Segmentations.open()",
    );
  }

  /**
   * The image's masks as an overlay figure over the stimulus image: a colour
   * per noun with a legend, boxes and labels. See {@link show} for the options.
   *
   * @throws {RangeError} When the image has no masks.
   */
  show(
    imageName: string,
    options?: ShowOptions,
  ): Promise<PlotFigure> {
    return awaitHint(
      (async () => {
        checkSegArgs("seg.show", this, imageName, options);
        return await show(this, imageName, options);
      })(),
      "a figure",
      `seg.show(${JSON.stringify(imageName)})`,
    );
  }

  /** Per-mask statistics; see {@link SegmentationsReader.stats}. Shows progress when long. */
  override stats(
    selection?: MaskSelection,
    options: StatsOptions = {},
  ): Promise<pl.DataFrame> {
    return awaitHint(
      withProgress("seg.stats", options, (o) => super.stats(selection, o)),
      "a DataFrame",
      "seg.stats()",
    );
  }

  /** Coverage per (image, noun); see {@link SegmentationsReader.coverage}. Shows progress when long. */
  override coverage(
    selection?: MaskSelection,
    options: CoverageOptions = {},
  ): Promise<pl.DataFrame> {
    return awaitHint(
      withProgress(
        "seg.coverage",
        options,
        (o) => super.coverage(selection, o),
      ),
      "a DataFrame",
      "seg.coverage()",
    );
  }

  /** Pooled grids; see {@link SegmentationsReader.grids}. Shows progress when long. */
  override grids(
    selection?: MaskSelection,
    options: GridsOptions = {},
  ): Promise<MaskGrids> {
    return awaitHint(
      withProgress("seg.grids", options, (o) => super.grids(selection, o)),
      "the grids",
      "seg.grids(selection)",
    );
  }

  /** A COCO dataset; see {@link SegmentationsReader.toCoco}. Shows progress when long. */
  override toCoco(
    selection?: MaskSelection,
    options: CocoOptions = {},
  ): Promise<CocoDataset> {
    return awaitHint(
      withProgress("seg.toCoco", options, (o) => super.toCoco(selection, o)),
      "a COCO dataset",
      "seg.toCoco()",
    );
  }

  /** Streams masks; see {@link SegmentationsReader.masks}. A long stream shows progress. */
  override async *masks(
    selection?: MaskSelection,
    options: MasksOptions = {},
  ): AsyncGenerator<Mask> {
    if (
      options === null || typeof options !== "object" ||
      options.onProgress !== undefined
    ) {
      // The caller's own progress, or options the reader will name as wrong.
      yield* super.masks(selection, options);
      return;
    }
    const progress = workProgress("seg.masks");
    let ok = false;
    try {
      yield* super.masks(selection, {
        ...options,
        onProgress: progress.onProgress,
      });
      ok = true;
    } finally {
      // A loop left early (break, an error) says where it stopped.
      await progress.finish(!ok);
    }
  }

  /** One line: what `console.log(seg)` shows. */
  [CUSTOM_INSPECT](): string {
    return this.toString();
  }

  /**
   * Every noun's colour, as a `Map` ordered by the nouns' frequency in the
   * whole file (most masks first): what `show()` and its legend use, so a
   * noun has one colour in every figure. `colors` replaces some (as
   * `show(image, { colors })` does); the result is a copy.
   *
   * @throws {RangeError} When `colors` names an unknown noun or a colour
   * that is not `#rrggbb`.
   */
  palette(options: PaletteOptions = {}): Map<string, string> {
    return withColors(paletteOf(this), options.colors, "seg.palette");
  }

  /**
   * Many images at once: thumbnails of the selection's images with their
   * masks overlaid, captioned, with a legend. See {@link gallery}.
   */
  async gallery(
    selection?: pl.DataFrame,
    options?: GalleryOptions,
  ): Promise<PlotFigure> {
    return await gallery(this, selection, options);
  }

  /**
   * An interactive, self-contained view of the selection's images and
   * masks: filter by noun and score, page, click, hover. See {@link explore}.
   */
  async explore(
    selection?: pl.DataFrame,
    options?: ExploreOptions,
  ): Promise<Explorer> {
    return await explore(this, selection, options);
  }
}

/** What {@link loadStimuli} returns. */
export interface Stimuli extends Disposable {
  /** The data directory. */
  dataDir: string;
  /** The segmentation masks and their metadata. */
  segmentations: Segmentations;
  /** The stimulus images, when the archive is present. */
  images: StimulusArchive;
  /** Closes both. Safe to call twice. */
  close(): void;
}

/**
 * Opens the stimulus files of a data directory, as the Python package's
 * `load_stimuli` does: `stim.segmentations.nouns(image)`.
 *
 * @example Quick start on the synthetic sample
 * ```ts
 * import { ensureSample } from "../data/sample/sample.ts";
 * import { loadStimuli } from "./segmentations.ts";
 * using stim = await loadStimuli({ dataDir: await ensureSample() });
 * const image = stim.segmentations.images()[0];
 * console.log(stim.segmentations.nouns(image).length > 0); // true
 * ```
 */
export async function loadStimuli(
  options: SegmentationsOpenOptions = {},
): Promise<Stimuli> {
  checkOpenArgs("loadStimuli", options);
  const segmentations = await Segmentations.open(options);
  const images = new StimulusArchive(segmentations.dataDir);
  const close = () => {
    segmentations.close();
    images.close();
  };
  return setInspect({
    dataDir: segmentations.dataDir,
    segmentations,
    images,
    close,
    [Symbol.dispose]: close,
  }, () => `Stimuli(${segmentations.dataDir}: .segmentations, .images)`);
}

/**
 * Runs a long call with a default progress display (notebook, terminal)
 * when the caller gave no `onProgress`; the display shows only once the
 * call has lasted a moment, so an answer from a cache shows nothing.
 */
async function withProgress<O extends StreamOptions, T>(
  label: string,
  options: O,
  run: (options: O) => Promise<T>,
): Promise<T> {
  if (options === null || typeof options !== "object") {
    return await run(options); // the reader's own check names the mistake
  }
  if (options.onProgress !== undefined) return await run(options);
  const progress = workProgress(label);
  let ok = false;
  try {
    const result = await run({ ...options, onProgress: progress.onProgress });
    ok = true;
    return result;
  } finally {
    await progress.finish(!ok);
  }
}
