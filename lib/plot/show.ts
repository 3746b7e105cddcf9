/**
 * {@link show}: an image's masks as one overlay, a colour per noun with a
 * legend, drawn over the stimulus image when the archive is present.
 *
 * @module
 */

import { checkSegArgs } from "./options.ts";
import { Plot } from "../deps.ts";
import { column } from "../reader/frame_columns.ts";
import { filterMasks, type MaskFilter } from "../reader/mask_filter.ts";
import { didYouMean, requireName } from "../base/suggest.ts";
import { type NounColors, paletteOf, withColors } from "./palette.ts";
import type { NounGrouping } from "../reader/noun_table.ts";
import type { pl } from "../deps.ts";
import { groupKeys } from "./_group_keys.ts";
import {
  displayable,
  type PlotDocument,
  type PlotFigure,
  styleFigure,
} from "./figure.ts";
import { defaultDocument } from "./_document.ts";
import { degreeAxes, visualFieldMarks } from "./_visual_field.ts";
import type { SegmentationsReader } from "../reader/reader.ts";
import { compositeLayers, type Drawn, readDrawn } from "./_overlay.ts";
import {
  type Chip,
  LABEL_FONT_FAMILY,
  LABEL_FONT_SIZE,
  placeChips,
  tooltip,
} from "./_labels.ts";
import { stimulusDataUrl } from "./_stimulus_layer.ts";

export type {
  PlotDocument,
  PlotElement,
  PlotFigure,
  PlotScale,
} from "./figure.ts";

/** Options for {@link show} and `seg.show`. */
export interface ShowOptions extends MaskFilter {
  /**
   * Opacity of the mask fill, from 0 (outlines only) to 1 (opaque).
   *
   * @default {0.5}
   */
  opacity?: number;
  /**
   * Draw each mask's outline at full colour, so touching masks stay apart.
   *
   * @default {true}
   */
  outlines?: boolean;
  /**
   * Draw the detector's bounding boxes (dashed; from the CSV's `box_*`).
   *
   * @default {true}
   */
  boxes?: boolean;
  /**
   * Label masks "noun #instance (score)" next to their boxes, largest mask
   * first; a label that would overlap another is left out (the caption says
   * how many; the box's tooltip has it) and long phrase nouns are shortened
   * with "…", so labels never pile up.
   *
   * @default {true}
   */
  labels?: boolean;
  /**
   * Draw the stimulus image under the masks when the stimulus archive holds
   * it; otherwise (or when `false`) the masks sit on a neutral background.
   *
   * @default {true}
   */
  stimulus?: boolean;
  /**
   * Figure width in pixels; the height follows from the masks' aspect ratio.
   *
   * @default {640}
   */
  width?: number;
  /**
   * Maximum figure height in pixels; when the aspect ratio would exceed it,
   * the width shrinks instead.
   *
   * @default {undefined} (no limit)
   */
  height?: number;
  /**
   * Show the pixel axes.
   *
   * @default {true}
   */
  axes?: boolean;
  /**
   * Colour the masks (and key the legend) by noun, or by each noun's head,
   * category or supersense (see `describeNouns`); the labels stay the nouns.
   *
   * @default {"noun"}
   */
  by?: NounGrouping;
  /**
   * Your corrections of the computed heads and categories, for `by`.
   *
   * @default {undefined} (none)
   */
  overrides?: pl.DataFrame | string;
  /**
   * Draw the visual field: axes in degrees of visual angle from fixation
   * (x right, y up; see `seg.visualField`), eccentricity rings and the
   * fixation point.
   *
   * @default {false}
   */
  visualField?: boolean;
  /**
   * The figure's title.
   *
   * @default {imageName}
   */
  title?: string;
  /**
   * Colours for some nouns (`#rrggbb`), in place of the reader's palette
   * (`seg.palette()`: one colour per noun for the whole dataset, so a noun
   * keeps its colour from figure to figure).
   *
   * @default {undefined} (`seg.palette()`)
   */
  colors?: NounColors;
  /**
   * The DOM document to build the figure with.
   *
   * @default {a headless linkedom document with a Skia canvas}
   */
  document?: PlotDocument;
  /**
   * Stops reading masks; the promise rejects with the signal's reason.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

const MARGIN = { top: 6, right: 14, bottom: 24, left: 36 };
const NEUTRAL_BACKGROUND = "#ececec";

/**
 * An image's masks as an Observable Plot figure: each noun in its own colour
 * with a legend, masks filled translucently and outlined, dashed detector
 * boxes, and a "noun #instance (score)" label per mask, drawn over the
 * stimulus image when the stimulus archive (`task-images_stimuli.h5`) holds
 * it, else on a neutral background. Coordinates are image pixels, y down;
 * the aspect ratio is kept.
 *
 * The masks are composited on the figure's own pixel grid (or the masks'
 * own when smaller; larger masks under smaller ones), so a figure of a
 * 1000 x 1000 image stays well under 1 MB (about 50 kB). The stimulus is
 * resized onto the masks' pixel frame, the frame the masks were computed in.
 *
 * When filters leave no mask the figure still shows the image, with a note.
 *
 * @throws {RangeError} When `imageName` has no masks at all (only the shared
 * stimulus set has any; `seg.hasImage(name)` tells which), or an option is out
 * of range.
 *
 * @example Show the first image's confident masks
 * ```ts
 * import { ensureSample, Segmentations, show } from "../../mod.ts";
 *
 * using seg = await Segmentations.open({ dataDir: await ensureSample() });
 * const image = seg.images()[0];
 * const figure = await show(seg, image, { minScore: 0.5, width: 320 });
 * console.log(figure.outerHTML.includes(image)); // true
 * ```
 */
export async function show(
  seg: SegmentationsReader,
  imageName: string,
  options: ShowOptions = {},
): Promise<PlotFigure> {
  checkSegArgs("show", seg, imageName, options);
  requireName(imageName, "show", "imageName", "Pass one image name.");
  const {
    nouns: onlyNouns,
    minScore = 0,
    localizedOnly = true,
    opacity = 0.5,
    outlines = true,
    boxes = true,
    labels = true,
    stimulus = true,
    axes = true,
    signal,
  } = options;
  if (!(opacity >= 0 && opacity <= 1)) {
    throw new RangeError(
      `show: opacity must be between 0 and 1; got ${opacity}.`,
    );
  }
  if (!seg.hasImage(imageName)) {
    throw new RangeError(
      `show: no masks for image "${imageName}". Segmentation masks exist only for the shared ` +
        `stimulus set; seg.hasImage(name) tells which images have some, seg.images() lists them.` +
        didYouMean(imageName, seg.images()),
    );
  }

  // The one filter of every function that takes one; a noun the image
  // does not have is an error, never an empty figure.
  const frame = filterMasks(seg.forImage(imageName), options, {
    fn: "show",
    where: `image "${imageName}"`,
  });

  const W = seg.width, H = seg.height;
  const { innerW, innerH } = frameSize(W, H, options);
  const marginLeft = axes ? MARGIN.left : 0;
  const marginBottom = axes ? MARGIN.bottom : 0;
  const marginTop = MARGIN.top, marginRight = axes ? MARGIN.right : 0;
  const kx = W / innerW, ky = H / innerH; // image pixels per figure pixel

  // The masks' display grid: the frame's pixels, or the masks' own when fewer.
  const gw = Math.min(innerW, W), gh = Math.min(innerH, H);
  const drawn = await readDrawn(seg, frame, gw, gh, signal);
  // Colours and the legend by noun, or by a group of nouns (`by`).
  const keyOf = await groupKeys(seg, options);
  const nouns = [...new Set(drawn.map((d) => keyOf(d.noun)))];
  // The dataset's palette, so a noun (or group) has one colour in every figure.
  const base = keyOf.palette ?? paletteOf(seg);
  const palette = options.colors === undefined
    ? base
    : withColors(base, options.colors, "show");
  const colors = nouns.map((n) => palette.get(n)!);
  const keyColor = new Map(nouns.map((n, i) => [n, colors[i]]));
  const colorOf = new Map(
    drawn.map((d) => [d.noun, keyColor.get(keyOf(d.noun))!]),
  );

  const background = stimulus
    ? await stimulusDataUrl(seg.dataDir, imageName, innerW, innerH)
    : null;

  const marks: Plot.Markish[] = [];
  // The stimulus is smoothed; mask layers keep their cells sharp.
  const frameImage = (src: string, className: string, pixelated = true) =>
    Plot.image([0], {
      x: W / 2,
      y: H / 2,
      width: innerW,
      height: innerH,
      src,
      preserveAspectRatio: "none",
      ...(pixelated ? { imageRendering: "pixelated" } : {}),
      className,
    } as Plot.ImageOptions);
  if (background) {
    marks.push(frameImage(background.url, "seg-stimulus", false));
  } else {
    marks.push(Plot.frame({ fill: NEUTRAL_BACKGROUND, stroke: null }));
  }
  if (drawn.length > 0) {
    // Painted here, not by Plot.raster: its per-pixel scale lookups cost ~1 s.
    const layers = compositeLayers(
      seg,
      drawn,
      column<number>(frame, "mask_row", "show"),
      colorOf,
      gw,
      gh,
      opacity,
      outlines,
    );
    marks.push(frameImage(layers.fill, "seg-masks"));
    if (layers.edge) marks.push(frameImage(layers.edge, "seg-outlines"));
  }
  if (boxes) {
    const withBox = drawn.filter((d) => d.detectorBox);
    marks.push(Plot.rect(withBox, {
      x1: (d: Drawn) => d.box![0],
      y1: (d: Drawn) => d.box![1],
      x2: (d: Drawn) => d.box![2],
      y2: (d: Drawn) => d.box![3],
      stroke: { value: (d: Drawn) => keyOf(d.noun), scale: "color" },
      strokeWidth: 1.75,
      strokeDasharray: "5,3",
      fill: "none",
      title: (d: Drawn) => tooltip(d),
      className: "seg-boxes",
    } as Plot.RectOptions));
  }
  let unlabelled = 0;
  if (labels) {
    const { chips, skipped } = placeChips(drawn, colorOf, W, H, innerW, kx, ky);
    unlabelled = skipped;
    marks.push(
      Plot.rect(chips, {
        x1: "x1",
        y1: "y1",
        x2: "x2",
        y2: "y2",
        fill: { value: (d: Chip) => keyOf(d.noun), scale: "color" },
        rx: 2,
        title: "tip",
        className: "seg-label-chips",
      } as Plot.RectOptions),
      Plot.text(chips, {
        x: "tx",
        y: "ty",
        text: "label",
        fill: { value: (d: Chip) => d.textColor, scale: null },
        textAnchor: "start",
        lineAnchor: "middle",
        fontSize: LABEL_FONT_SIZE,
        fontFamily: LABEL_FONT_FAMILY,
        title: "tip",
        className: "seg-labels",
      } as Plot.TextOptions),
    );
  }
  const field = options.visualField ? seg.visualField : undefined;
  if (field) marks.push(...visualFieldMarks(field));
  if (drawn.length === 0) {
    marks.push(Plot.text([noMasksNote(options)], {
      frameAnchor: "middle",
      fontSize: 13,
      fill: "#333",
      stroke: "white",
      strokeWidth: 4,
      className: "seg-note",
    }));
  }

  const filters: string[] = [];
  if (localizedOnly) filters.push("localized only");
  if (minScore > 0) filters.push(`score ≥ ${minScore}`);
  if (onlyNouns !== undefined) filters.push(`nouns: ${onlyNouns.join(", ")}`);
  const subtitle = `${drawn.length} mask${
    drawn.length === 1 ? "" : "s"
  } · ${nouns.length} ${
    keyOf.by === "noun"
      ? "noun"
      : keyOf.by === "category"
      ? (nouns.length === 1 ? "category" : "categorie")
      : keyOf.by
  }${nouns.length === 1 ? "" : "s"}${
    filters.length ? ` · ${filters.join(" · ")}` : ""
  }`;
  const caption =
    (background
      ? `Over the stimulus image${
        background.hasAlpha
          ? " (its transparent pixels on the presentation grey, as shown)"
          : ""
      }; masks at ${opacity} opacity${boxes ? ", dashed detector boxes" : ""}.`
      : stimulus
      ? `No stimulus image in ${
        seg.paths.stimuliH5.split("/").pop()
      } for this image (or no archive; the stimulus images are not in the public bucket, request access): masks on a neutral background.`
      : "Masks on a neutral background.") +
    (unlabelled > 0
      ? ` Labels on the largest masks; ${unlabelled} more would overlap them (hover a box for its label).`
      : "") +
    (field
      ? ` Degrees of visual angle from fixation (${field.widthDegrees}° wide, y up), eccentricity rings.`
      : "");

  const figure = Plot.plot({
    document: (options.document ?? defaultDocument()) as never,
    width: innerW + marginLeft + marginRight,
    height: innerH + marginTop + marginBottom,
    marginTop,
    marginRight,
    marginBottom,
    marginLeft,
    title: options.title ?? imageName,
    subtitle,
    caption,
    style: { fontSize: "11px" },
    x: {
      domain: [0, W],
      axis: axes ? "bottom" : null,
      ticks: 5,
      tickFormat: "d",
      label: null,
      tickSize: 4,
      ...(field ? degreeAxes(field).x : {}),
    },
    y: {
      domain: [0, H],
      reverse: true,
      axis: axes ? "left" : null,
      ticks: 5,
      tickFormat: "d",
      label: null,
      tickSize: 4,
      ...(field ? degreeAxes(field).y : {}),
    },
    color: {
      type: "ordinal",
      domain: nouns,
      range: colors,
      legend: nouns.length > 0,
    },
    marks,
  }) as unknown as PlotFigure;
  return displayable(
    styleFigure(figure),
    `${imageName}: ${subtitle}${nouns.length ? ` (${nouns.join(", ")})` : ""}`,
  );
}

/** The plot frame's size in figure pixels, keeping the masks' aspect ratio. */
function frameSize(
  W: number,
  H: number,
  options: ShowOptions,
): { innerW: number; innerH: number } {
  const axes = options.axes ?? true;
  const width = options.width ?? 640;
  const padX = axes ? MARGIN.left + MARGIN.right : 0;
  const padY = MARGIN.top + (axes ? MARGIN.bottom : 0);
  if (!(width > padX + 16)) {
    throw new RangeError(
      `show: width must be more than ${padX + 16} pixels; got ${width}.`,
    );
  }
  let innerW = Math.round(width - padX);
  let innerH = Math.max(1, Math.round(innerW * H / W));
  if (options.height !== undefined) {
    if (!(options.height > padY + 16)) {
      throw new RangeError(
        `show: height must be more than ${
          padY + 16
        } pixels; got ${options.height}.`,
      );
    }
    const maxH = Math.round(options.height - padY);
    if (innerH > maxH) {
      innerH = maxH;
      innerW = Math.max(1, Math.round(maxH * W / H));
    }
  }
  return { innerW, innerH };
}

function noMasksNote(options: ShowOptions): string {
  const parts: string[] = [];
  if (options.nouns !== undefined) parts.push("nouns");
  if ((options.minScore ?? 0) > 0) parts.push("minScore");
  if (options.localizedOnly ?? true) parts.push("localizedOnly");
  return `No masks pass the filters (${parts.join(", ")}).`;
}
