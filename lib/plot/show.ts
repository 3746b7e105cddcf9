/**
 * {@link show}: an image's masks as one overlay, a colour per noun with a
 * legend, drawn over the stimulus image when the archive is present.
 *
 * @module
 */

import { checkSegArgs } from "./_args.ts";
import { createCanvas, GlobalFonts, loadImage } from "../deps.ts";
import { Plot } from "../deps.ts";
import { pl } from "../deps.ts";
import { nounColors, textColorOn } from "./_colors.ts";
import { column } from "../reader/_frame.ts";
import {
  displayable,
  type PlotDocument,
  type PlotFigure,
  styleFigure,
} from "./figure.ts";
import { masksOf } from "./_masks_of.ts";
import { defaultDocument } from "./_document.ts";
import type { SegmentationsReader } from "../reader/segmentations.ts";
import { StimulusArchive } from "../reader/stimuli.ts";

export type {
  PlotDocument,
  PlotElement,
  PlotFigure,
  PlotScale,
} from "./figure.ts";

/** Options for {@link show} and `seg.show`. */
export interface ShowOptions {
  /**
   * Draw only these nouns (in the legend's order of first appearance).
   *
   * @default {undefined} (all of the image's nouns)
   */
  nouns?: readonly string[];
  /**
   * Draw only masks whose detector score is at least this.
   *
   * @default {0}
   */
  minScore?: number;
  /**
   * Draw only localized masks (`localized == 1`: a box was given and the
   * mask covers < 99% of the image), as `seg.nouns` lists by default.
   *
   * @default {true}
   */
  localizedOnly?: boolean;
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
   * Label each mask "noun #instance (score)" at its box's top-left corner.
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
   * The figure's title.
   *
   * @default {imageName}
   */
  title?: string;
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

/** One drawn mask, as the figure's marks see it. */
interface Drawn {
  noun: string;
  instance: number;
  score: number;
  localized: boolean;
  /** Box in image pixels: the detector's, else the mask's own extent. */
  box: [number, number, number, number] | null;
  /** Whether `box` is the detector's. */
  detectorBox: boolean;
  /** Set cells on the display grid. */
  cells: number;
  grid: Uint8Array;
  label: string;
}

interface Chip {
  noun: string;
  label: string;
  tip: string;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  tx: number;
  ty: number;
  textColor: string;
}

const MARGIN = { top: 6, right: 14, bottom: 24, left: 36 };
const LABEL_FONT_SIZE = 11;
// Verdana's metrics are close to DejaVu Sans' (a descendant of Bitstream
// Vera): chips are measured with DejaVu Sans and fit either.
const LABEL_FONT_FAMILY = '"DejaVu Sans", Verdana, sans-serif';
const CHIP_HEIGHT = 16;
const CHIP_PAD = 4;
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
        `stimulus set; seg.hasImage(name) tells which images have some, seg.images() lists them.`,
    );
  }

  // Filter the image's rows with the same Polars expressions users write.
  let frame = seg.forImage(imageName);
  if (localizedOnly) frame = frame.filter(pl.col("localized").eq(1));
  if (minScore > 0) frame = frame.filter(pl.col("score").gtEq(minScore));
  if (onlyNouns !== undefined) {
    frame = frame.filter(pl.col("noun").isIn([...onlyNouns]));
  }

  const W = seg.width, H = seg.height;
  const { innerW, innerH } = frameSize(W, H, options);
  const marginLeft = axes ? MARGIN.left : 0;
  const marginBottom = axes ? MARGIN.bottom : 0;
  const marginTop = MARGIN.top, marginRight = axes ? MARGIN.right : 0;
  const kx = W / innerW, ky = H / innerH; // image pixels per figure pixel

  // The masks' display grid: the frame's pixels, or the masks' own when fewer.
  const gw = Math.min(innerW, W), gh = Math.min(innerH, H);
  const drawn = await readDrawn(seg, frame, gw, gh, signal);
  const nouns = [...new Set(drawn.map((d) => d.noun))];
  const colors = nounColors(nouns);
  const colorOf = new Map(nouns.map((n, i) => [n, colors[i]]));

  // Composite: larger masks first so smaller ones stay visible on top.
  const order = drawn.map((_, i) => i).sort((a, b) =>
    drawn[b].cells - drawn[a].cells || a - b
  );
  const n = gw * gh;
  const top = new Int32Array(n).fill(-1);
  for (const i of order) {
    const g = drawn[i].grid;
    for (let c = 0; c < n; c++) if (g[c]) top[c] = i;
  }
  const fill: (string | null)[] = new Array(n).fill(null);
  const edge: (string | null)[] = new Array(n).fill(null);
  for (let c = 0; c < n; c++) {
    const i = top[c];
    if (i < 0) continue;
    fill[c] = drawn[i].noun;
    const x = c % gw;
    // A cell is on an outline when a 4-neighbour shows another mask (or none).
    if (
      (x > 0 && top[c - 1] !== i) || (x < gw - 1 && top[c + 1] !== i) ||
      (c >= gw && top[c - gw] !== i) || (c < n - gw && top[c + gw] !== i)
    ) {
      edge[c] = drawn[i].noun;
    }
  }

  const background = stimulus
    ? await stimulusDataUrl(seg.dataDir, imageName, innerW, innerH)
    : null;

  const grid = { width: gw, height: gh, x1: 0, y1: 0, x2: W, y2: H };
  const marks: Plot.Markish[] = [];
  if (background) {
    marks.push(Plot.image([0], {
      x: W / 2,
      y: H / 2,
      width: innerW,
      height: innerH,
      src: background,
      preserveAspectRatio: "none",
      className: "seg-stimulus",
    }));
  } else {
    marks.push(Plot.frame({ fill: NEUTRAL_BACKGROUND, stroke: null }));
  }
  if (drawn.length > 0) {
    marks.push(Plot.raster(fill, {
      ...grid,
      fill: { value: (d: string | null) => d, scale: "color" },
      fillOpacity: opacity,
      imageRendering: "pixelated",
      className: "seg-masks",
    } as Plot.RasterOptions));
    if (outlines) {
      marks.push(Plot.raster(edge, {
        ...grid,
        fill: { value: (d: string | null) => d, scale: "color" },
        fillOpacity: 0.95,
        imageRendering: "pixelated",
        className: "seg-outlines",
      } as Plot.RasterOptions));
    }
  }
  if (boxes) {
    const withBox = drawn.filter((d) => d.detectorBox);
    marks.push(Plot.rect(withBox, {
      x1: (d: Drawn) => d.box![0],
      y1: (d: Drawn) => d.box![1],
      x2: (d: Drawn) => d.box![2],
      y2: (d: Drawn) => d.box![3],
      stroke: { value: (d: Drawn) => d.noun, scale: "color" },
      strokeWidth: 1.75,
      strokeDasharray: "5,3",
      fill: "none",
      title: (d: Drawn) => tooltip(d),
      className: "seg-boxes",
    } as Plot.RectOptions));
  }
  if (labels) {
    const chips = placeChips(drawn, colorOf, W, H, kx, ky);
    marks.push(
      Plot.rect(chips, {
        x1: "x1",
        y1: "y1",
        x2: "x2",
        y2: "y2",
        fill: { value: (d: Chip) => d.noun, scale: "color" },
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
  } · ${nouns.length} noun${nouns.length === 1 ? "" : "s"}${
    filters.length ? ` · ${filters.join(" · ")}` : ""
  }`;
  const caption = background
    ? `Over the stimulus image; masks at ${opacity} opacity${
      boxes ? ", dashed detector boxes" : ""
    }.`
    : stimulus
    ? `No stimulus image in ${
      seg.paths.stimuliH5.split("/").pop()
    } for this image (or no archive): masks on a neutral background.`
    : "Masks on a neutral background.";

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
    },
    y: {
      domain: [0, H],
      reverse: true,
      axis: axes ? "left" : null,
      ticks: 5,
      tickFormat: "d",
      label: null,
      tickSize: 4,
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

/** Reads the frame's masks and samples each onto the display grid. */
async function readDrawn(
  seg: SegmentationsReader,
  frame: pl.DataFrame,
  gw: number,
  gh: number,
  signal: AbortSignal | undefined,
): Promise<Drawn[]> {
  const rows = column<number>(frame, "mask_row", "show");
  const noun = column<string>(frame, "noun", "show");
  const instance = column<number>(frame, "instance_id", "show");
  const score = column<number>(frame, "score", "show");
  const localized = column<number>(frame, "localized", "show");
  const bx = ["box_x0", "box_y0", "box_x1", "box_y1"].map((c) =>
    column<number | null>(frame, c, "show")
  );
  const W = seg.width, H = seg.height;
  // Nearest-neighbour sampling at cell centres: the source pixel of each column and row.
  const sx = Int32Array.from(
    { length: gw },
    (_, x) => Math.min(W - 1, Math.floor((x + 0.5) * W / gw)),
  );
  const sy = Int32Array.from(
    { length: gh },
    (_, y) => Math.min(H - 1, Math.floor((y + 0.5) * H / gh)),
  );
  const out: Drawn[] = [];
  let i = 0;
  for await (const mask of masksOf(seg, rows, { signal })) {
    const grid = new Uint8Array(gw * gh);
    let cells = 0, x0 = gw, y0 = gh, x1 = -1, y1 = -1;
    const data = mask.data;
    for (let y = 0; y < gh; y++) {
      const src = sy[y] * W, dst = y * gw;
      for (let x = 0; x < gw; x++) {
        if (data[src + sx[x]]) {
          grid[dst + x] = 1;
          cells++;
          if (x < x0) x0 = x;
          if (x > x1) x1 = x;
          if (y < y0) y0 = y;
          y1 = y;
        }
      }
    }
    const b = bx.map((col) => col[i]);
    const detectorBox = b.every((v) => v !== null && Number.isFinite(v));
    const box: Drawn["box"] = detectorBox
      ? b as [number, number, number, number]
      : cells > 0
      ? [x0 * W / gw, y0 * H / gh, (x1 + 1) * W / gw, (y1 + 1) * H / gh]
      : null;
    out.push({
      noun: noun[i],
      instance: instance[i],
      score: score[i],
      localized: localized[i] === 1,
      box,
      detectorBox,
      cells,
      grid,
      label: `${noun[i]} #${instance[i]} (${score[i].toFixed(2)})`,
    });
    i++;
  }
  return out;
}

let measureContext: ReturnType<ReturnType<typeof createCanvas>["getContext"]>;

function textWidth(text: string): number {
  // Without DejaVu Sans here, estimate from its average advance (~0.6 em).
  const estimate = text.length * LABEL_FONT_SIZE * 0.6;
  if (!GlobalFonts.has("DejaVu Sans")) return estimate;
  measureContext ??= createCanvas(1, 1).getContext("2d");
  measureContext.font = `${LABEL_FONT_SIZE}px "DejaVu Sans"`;
  return measureContext.measureText(text).width * 1.05;
}

/** Label chips at the boxes' top-left corners, nudged so they do not overlap. */
function placeChips(
  drawn: Drawn[],
  colorOf: Map<string, string>,
  W: number,
  H: number,
  kx: number,
  ky: number,
): Chip[] {
  const chips: Chip[] = [];
  const h = CHIP_HEIGHT * ky;
  for (const d of drawn) {
    if (!d.box) continue;
    const w = (textWidth(d.label) + 2 * CHIP_PAD) * kx;
    const [bx0, by0, , by1] = d.box;
    const x1 = Math.max(0, Math.min(bx0, W - w));
    // Above the box when there is room, else just inside its top edge; then
    // step down past chips already placed.
    let y1 = by0 - h >= 0 ? by0 - h : by0;
    for (let tries = 0; tries < 12; tries++) {
      const hit = chips.find((c) =>
        c.x1 < x1 + w && x1 < c.x2 && c.y1 < y1 + h && y1 < c.y2
      );
      if (!hit) break;
      y1 = hit.y2;
    }
    y1 = Math.max(0, Math.min(y1, Math.max(by1, by0 + h) - h, H - h));
    const color = colorOf.get(d.noun)!;
    chips.push({
      noun: d.noun,
      label: d.label,
      tip: tooltip(d),
      x1,
      y1,
      x2: x1 + w,
      y2: y1 + h,
      tx: x1 + CHIP_PAD * kx,
      ty: y1 + h / 2,
      textColor: textColorOn(color),
    });
  }
  return chips;
}

function tooltip(d: Drawn): string {
  const box = d.detectorBox && d.box
    ? `box [${d.box.map((v) => Math.round(v)).join(", ")}]`
    : "no detector box";
  return `${d.noun} #${d.instance}\nscore ${d.score.toFixed(3)}\n${box}${
    d.localized ? "" : "\nnot localized"
  }`;
}

function noMasksNote(options: ShowOptions): string {
  const parts: string[] = [];
  if (options.nouns !== undefined) parts.push("nouns");
  if ((options.minScore ?? 0) > 0) parts.push("minScore");
  if (options.localizedOnly ?? true) parts.push("localizedOnly");
  return `No masks pass the filters (${parts.join(", ")}).`;
}

/** The stimulus JPEG resized to the plot frame, as a data URL; `null` without one. */
async function stimulusDataUrl(
  dataDir: string,
  imageName: string,
  width: number,
  height: number,
): Promise<string | null> {
  using archive = new StimulusArchive(dataDir);
  const jpeg = await archive.jpeg(imageName);
  if (!jpeg) return null;
  const image = await loadImage(jpeg);
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(image, 0, 0, width, height);
  return canvas.toDataURL("image/jpeg", 0.85);
}
