/**
 * Where on the retina: image pixels as degrees of visual angle, with the
 * conventions of population receptive field (pRF) maps.
 *
 * The stimulus, `width` x `height` pixels, spans `widthDegrees` horizontally
 * (9.2 degrees in the LAION-fMRI experiment: 26.5 cm at about 165 cm),
 * square pixels, centred on the fixation point. Degrees are measured from
 * fixation with **x to the right and y up**; the polar angle is
 * counter-clockwise from the right horizontal meridian, in `[0, 360)`.
 * Pixel `(x, y)` (column, row from the top) has its centre at
 * `((x + 0.5 - fx) * k, (fy - y - 0.5) * k)` degrees, where `(fx, fy)` is
 * the fixation point in pixel coordinates (edges at integers: the image
 * centre is `(width / 2, height / 2)`) and `k = widthDegrees / width`.
 *
 * @module
 */

import { checkNumber, checkOptions } from "../base/args.ts";

/** Options of the visual field (`Segmentations.open({ visualField })`). */
export interface VisualFieldOptions {
  /**
   * Width of the stimulus in degrees of visual angle.
   *
   * @default {9.2}
   */
  widthDegrees?: number;
  /**
   * The fixation point `[x, y]` in image pixel coordinates (x right, y down,
   * pixel edges at integers).
   *
   * @default {[width / 2, height / 2]} (the image centre)
   */
  fixation?: readonly [number, number];
}

/** The option spec of {@link VisualFieldOptions}. */
export const VISUAL_FIELD_OPTIONS = {
  widthDegrees: "number",
  fixation: "any",
} as const;

/** A reader's visual field: how its pixels map to degrees. */
export interface VisualField {
  /** Width of the stimulus in degrees. */
  readonly widthDegrees: number;
  /** Height of the stimulus in degrees (square pixels). */
  readonly heightDegrees: number;
  /** Fixation in image pixel coordinates `[x, y]`. */
  readonly fixation: readonly [number, number];
  /** Degrees per pixel. */
  readonly degreesPerPixel: number;
  /** Image width in pixels. */
  readonly width: number;
  /** Image height in pixels. */
  readonly height: number;
}

/** The LAION-fMRI stimuli's width in degrees of visual angle. */
export const WIDTH_DEGREES = 9.2;

/**
 * The visual field of a `width` x `height` stimulus under `options`.
 *
 * @throws {TypeError} For an unknown option or a value of the wrong kind.
 * @throws {RangeError} For a width that is not positive, or a fixation
 * that is not two finite numbers.
 */
export function visualField(
  width: number,
  height: number,
  options: VisualFieldOptions = {},
  fn = "Segmentations.open",
): VisualField {
  checkOptions(fn, options, VISUAL_FIELD_OPTIONS, "options.visualField");
  const widthDegrees = options.widthDegrees ?? WIDTH_DEGREES;
  checkNumber(fn, "options.visualField.widthDegrees", widthDegrees, {
    min: Number.MIN_VALUE,
  });
  const fixation = options.fixation ?? [width / 2, height / 2];
  if (
    !Array.isArray(fixation) || fixation.length !== 2 ||
    !fixation.every((v) => typeof v === "number" && Number.isFinite(v))
  ) {
    throw new RangeError(
      `${fn}: options.visualField.fixation must be [x, y] in image pixels (e.g. [${
        width / 2
      }, ${height / 2}], the centre); got ${JSON.stringify(fixation)}.`,
    );
  }
  const k = widthDegrees / width;
  return Object.freeze({
    widthDegrees,
    heightDegrees: k * height,
    fixation: Object.freeze([fixation[0], fixation[1]]) as readonly [
      number,
      number,
    ],
    degreesPerPixel: k,
    width,
    height,
  });
}

/** A point of the image in pixel coordinates as `[x, y]` degrees (x right, y up). */
export function toDegrees(
  field: VisualField,
  x: number,
  y: number,
): [number, number] {
  const k = field.degreesPerPixel;
  return [(x - field.fixation[0]) * k, (field.fixation[1] - y) * k];
}

/** The polar angle of `(x, y)` degrees, counter-clockwise from the right horizontal meridian, in `[0, 360)`. */
export function polarAngle(x: number, y: number): number {
  const a = Math.atan2(y, x) * 180 / Math.PI;
  return a < 0 ? a + 360 : a === 360 ? 0 : a;
}
