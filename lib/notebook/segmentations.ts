/**
 * What a notebook user opens: the reader plus its figures.
 *
 * @module
 */

import { checkOpenArgs } from "../reader/_args.ts";
import { checkSegArgs } from "../plot/_args.ts";
import type { PlotFigure } from "../plot/figure.ts";
import { show, type ShowOptions } from "../plot/show.ts";
import { paletteOf, type PaletteOptions, withColors } from "../plot/palette.ts";
import { StimulusArchive } from "../reader/stimuli.ts";
import { openWith, type SegmentationsOpenOptions } from "../reader/_open.ts";
import { SegmentationsReader } from "../reader/segmentations.ts";

/**
 * The LAION-fMRI object-segmentation masks: the metadata CSV as a Polars
 * DataFrame and the HDF5 masks, looked up by image and noun, with the
 * overlay figure one call away. Everything but {@link Segmentations.show}
 * is {@link SegmentationsReader}'s.
 *
 * @example Open the bundled synthetic sample, read and draw one image's masks
 * ```ts
 * import { ensureSample } from "../data/sample.ts";
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
  static override async open(
    options: SegmentationsOpenOptions = {},
  ): Promise<Segmentations> {
    return await openWith(Segmentations, options);
  }

  /**
   * The image's masks as an overlay figure over the stimulus image: a colour
   * per noun with a legend, boxes and labels. See {@link show} for the options.
   *
   * @throws {RangeError} When the image has no masks.
   */
  async show(
    imageName: string,
    options?: ShowOptions,
  ): Promise<PlotFigure> {
    checkSegArgs("seg.show", this, imageName, options);
    return await show(this, imageName, options);
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
 * import { ensureSample } from "../data/sample.ts";
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
  return {
    dataDir: segmentations.dataDir,
    segmentations,
    images,
    close,
    [Symbol.dispose]: close,
  };
}
