/**
 * {@link gallery}: many images at once, each a thumbnail of the stimulus
 * (when the archive is present) with its masks in the nouns' colours.
 *
 * @module
 */

import { pl, Plot } from "../deps.ts";
import { GALLERY_OPTIONS } from "./options.ts";
import { manyImages, positive } from "./_many_images.ts";
import { StimulusArchive } from "../stimuli/stimuli.ts";
import type { MaskFilter } from "../reader/mask_filter.ts";
import type { SegmentationsReader } from "../reader/reader.ts";
import { paletteOf } from "./palette.ts";
import { groupKeys } from "./_group_keys.ts";
import type { NounGrouping } from "../reader/noun_table.ts";
import { readDrawn } from "./_overlay.ts";
import {
  compositeThumbnail,
  stimulusPixels,
  thumbnailSize,
} from "./_thumbnails.ts";
import {
  displayable,
  type PlotDocument,
  type PlotFigure,
  styleFigure,
} from "./figure.ts";
import { defaultDocument } from "./_document.ts";

/** Options for {@link gallery} and `seg.gallery`. */
export interface GalleryOptions extends MaskFilter {
  /**
   * Colour the masks (and key the legend) by noun, or by each noun's head,
   * category or supersense (see `describeNouns`).
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
   * Thumbnails per row.
   *
   * @default {6}
   */
  columns?: number;
  /**
   * Thumbnail width in pixels (the height follows the images' aspect ratio).
   *
   * @default {150}
   */
  size?: number;
  /**
   * At most this many images (the first ones, in `seg.images()` order); the
   * caption says how many more matched.
   *
   * @default {36}
   */
  limit?: number;
  /**
   * Draw the stimulus under the masks when the archive has it; `false` (or
   * no archive) draws the masks on a neutral background.
   *
   * @default {true}
   */
  stimulus?: boolean;
  /**
   * The figure's title.
   *
   * @default {"Gallery"}
   */
  title?: string;
  /**
   * The DOM document to build the figure with.
   *
   * @default {a headless linkedom document with a Skia canvas}
   */
  document?: PlotDocument;
  /** Stops the reading (the call rejects with the signal's reason). */
  signal?: AbortSignal;
}

/** One thumbnail of the gallery. */
interface Tile {
  image: string;
  masks: number;
  url: string;
  x: number;
  y: number;
}

const CAPTION = 26;
const GAP = 8;

/**
 * The images of `selection` (a filter of `seg.metadata`; all when omitted)
 * that have at least one mask passing the filter, as one figure: a grid of
 * thumbnails with their masks overlaid (a colour per noun, the legend
 * below), each captioned with its name and mask count. Images come in
 * `seg.images()` order, at most `limit` of them. A repeat with another
 * filter reuses the resized stimuli.
 *
 * @example Images with a person
 * ```ts
 * import { ensureSample, gallery, Segmentations } from "../../mod.ts";
 * using seg = await Segmentations.open({ dataDir: await ensureSample() });
 * const noun = seg.nounCounts().getColumn("noun").get(0) as string;
 * const figure = await gallery(seg, undefined, { nouns: [noun], limit: 4, size: 80 });
 * console.log(figure.querySelectorAll("image").length <= 4); // true
 * ```
 *
 * @throws {RangeError} When a noun of `nouns` is not in the selection, or
 * `columns`, `size` or `limit` is not a positive integer.
 */
export async function gallery(
  seg: SegmentationsReader,
  selection?: pl.DataFrame,
  options: GalleryOptions = {},
): Promise<PlotFigure> {
  const { frame, byImage, matched } = manyImages(
    "gallery",
    seg,
    selection,
    options,
    GALLERY_OPTIONS,
  );
  const columns = positive("gallery", "columns", options.columns ?? 6);
  const size = positive("gallery", "size", options.size ?? 150);
  const limit = positive("gallery", "limit", options.limit ?? 36);
  const shown = matched.slice(0, limit);
  // Colours and the legend by noun, or by group (`by`), from the reader's
  // palette: a noun (or group) has one colour in every figure.
  const keyOf = await groupKeys(seg, options);
  const palette = keyOf.palette ?? paletteOf(seg);
  const byNoun = nounsByFrequency(frame, shown);
  const nouns = [...new Set(byNoun.map(keyOf))];
  const colorOf = new Map(
    byNoun.map((n) => [n, palette.get(keyOf(n)) ?? "#888888"]),
  );
  const { w, h } = thumbnailSize(seg, size);
  using archive = options.stimulus === false
    ? null
    : new StimulusArchive(seg.dataDir);
  const tiles: Tile[] = [];
  for (const [k, image] of shown.entries()) {
    options.signal?.throwIfAborted();
    const rows = pl.Series("take", byImage.get(image)!, pl.UInt32);
    const own = frame.select(pl.col("*").gather(rows));
    const drawn = await readDrawn(seg, own, w, h, options.signal);
    const base = await stimulusPixels(
      seg,
      archive?.available ? archive : null,
      image,
      w,
      h,
    );
    tiles.push({
      image,
      masks: drawn.length,
      url: compositeThumbnail(base, drawn, colorOf, w, h),
      x: (k % columns) * (w + GAP) + w / 2,
      y: Math.floor(k / columns) * (h + CAPTION + GAP) + h / 2,
    });
  }
  const rowsOfTiles = Math.max(1, Math.ceil(shown.length / columns));
  const width = Math.max(1, Math.min(columns, shown.length)) * (w + GAP) - GAP;
  const height = rowsOfTiles * (h + CAPTION + GAP) - GAP;
  const left = matched.length - shown.length;
  const figure = Plot.plot({
    document: (options.document ?? defaultDocument()) as never,
    width: Math.max(width, 200),
    height: Math.max(height, 40),
    margin: 0,
    title: options.title ?? "Gallery",
    subtitle: `${shown.length} of ${matched.length} image${
      matched.length === 1 ? "" : "s"
    } with masks${filterText(options)}`,
    caption: left > 0
      ? `${left} more image${
        left === 1 ? "" : "s"
      } not shown (limit ${limit}); pass { limit } to see more.`
      : matched.length === 0
      ? "No image has a mask that passes the filters."
      : undefined,
    x: { type: "identity", axis: null },
    y: { type: "identity", axis: null },
    color: {
      type: "ordinal",
      domain: nouns,
      range: nouns.map((n) => palette.get(n) ?? "#888888"),
      legend: nouns.length > 0,
    },
    marks: [
      // The colour scale's channel: nothing drawn.
      Plot.dot(nouns, { x: 0, y: 0, fill: (d: string) => d, r: 0 }),
      Plot.image(tiles, {
        x: "x",
        y: "y",
        width: w,
        height: h,
        src: "url",
        title: (d: Tile) =>
          `${d.image}: ${d.masks} mask${d.masks === 1 ? "" : "s"}`,
        preserveAspectRatio: "none",
      }),
      Plot.text(tiles, {
        x: (d: Tile) => d.x - w / 2,
        y: (d: Tile) => d.y + h / 2 + 11,
        text: (d: Tile) => d.image,
        textAnchor: "start",
        fontSize: 10,
        lineWidth: (w - 4) / 10,
        textOverflow: "ellipsis-start",
        fill: "#333",
      }),
      Plot.text(tiles, {
        x: (d: Tile) => d.x - w / 2,
        y: (d: Tile) => d.y + h / 2 + 22,
        text: (d: Tile) => `${d.masks} mask${d.masks === 1 ? "" : "s"}`,
        textAnchor: "start",
        fontSize: 10,
        fill: "#777",
      }),
    ],
  }) as unknown as PlotFigure;
  return displayable(
    styleFigure(figure),
    `gallery: ${shown.length} of ${matched.length} images${
      filterText(options)
    }`,
  );
}

/** The nouns of the shown images' masks, most masks first. */
function nounsByFrequency(frame: pl.DataFrame, shown: string[]): string[] {
  const count = new Map<string, number>();
  const set = new Set(shown);
  const images = frame.getColumn("image_name").toArray() as string[];
  const nouns = frame.getColumn("noun").toArray() as string[];
  images.forEach((image, i) => {
    if (set.has(image)) count.set(nouns[i], (count.get(nouns[i]) ?? 0) + 1);
  });
  return [...count].sort((a, b) =>
    b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)
  ).map(([n]) => n);
}

function filterText(options: MaskFilter): string {
  const parts: string[] = [];
  if (options.localizedOnly ?? true) parts.push("localized");
  if (options.minScore !== undefined) parts.push(`score ≥ ${options.minScore}`);
  if (options.nouns) parts.push(`nouns: ${options.nouns.join(", ")}`);
  return parts.length ? ` (${parts.join(", ")})` : "";
}
