/**
 * {@link explore}: an interactive view of many images and their masks in a
 * cell's output, self-contained (HTML, CSS and a small script; the images
 * and masks embedded), so it works without a server or network in the
 * classic Notebook, JupyterLab, VS Code and nbconvert's HTML export.
 *
 * @module
 */

import { createCanvas } from "../deps.ts";
import { pl } from "../deps.ts";
import { escapeHtml } from "../display/escape.ts";
import { displayHook, setDisplay } from "../display/jupyter.ts";
import { StimulusArchive } from "../stimuli/stimuli.ts";
import type { MaskFilter } from "../reader/mask_filter.ts";
import type { SegmentationsReader } from "../reader/reader.ts";
import { EXPLORE_OPTIONS } from "./options.ts";
import { manyImages, positive } from "./_many_images.ts";
import { paletteOf } from "./palette.ts";
import { readDrawn } from "./_overlay.ts";
import { NEUTRAL_RGB, stimulusPixels } from "./_thumbnails.ts";
import { EXPLORER_CSS, EXPLORER_SCRIPT } from "./_explorer_page.ts";

/** Options for {@link explore} and `seg.explore`. */
export interface ExploreOptions extends MaskFilter {
  /**
   * Width in pixels of the embedded stimulus JPEGs (shown in the grid and,
   * larger, when an image is clicked); the height follows the aspect ratio.
   *
   * @default {256}
   */
  size?: number;
  /**
   * Width of the grid each mask is embedded at (run-length coded); masks
   * are drawn scaled to the image.
   *
   * @default {128}
   */
  maskSize?: number;
  /**
   * At most this many images (the first ones in `seg.images()` order that
   * have a mask passing the filter); the view says how many more matched.
   * The output grows with it (see the README for the bytes per image).
   *
   * @default {100}
   */
  limit?: number;
  /**
   * Images per page of the grid.
   *
   * @default {24}
   */
  pageSize?: number;
  /**
   * Embed the stimuli when the archive has them; `false` (or no archive)
   * draws the masks on a neutral background.
   *
   * @default {true}
   */
  stimulus?: boolean;
  /**
   * The view's title.
   *
   * @default {"Explorer"}
   */
  title?: string;
  /** Stops the reading (the call rejects with the signal's reason). */
  signal?: AbortSignal;
}

/** What {@link explore} returns: shown by the Deno Jupyter kernel as HTML. */
export interface Explorer {
  /** The whole view: one self-contained HTML fragment. */
  readonly html: string;
  /** Its size in bytes (UTF-8). */
  readonly bytes: number;
  /** Images embedded. */
  readonly images: number;
  /** Masks embedded. */
  readonly masks: number;
  /** Images that matched but were left out by `limit`. */
  readonly leftOut: number;
  /** A one-line description. */
  toString(): string;
}

/** One embedded mask. */
interface MaskEntry {
  /** Index into `nouns`. */
  n: number;
  /** Instance id. */
  i: number;
  /** Score (null without one). */
  s: number | null;
  /** HDF5 row. */
  r: number;
  /** Set cells on the mask grid. */
  a: number;
  /** Run lengths over the mask grid, row-major, starting with unset cells. */
  c: number[];
}

/**
 * The images of `selection` (a filter of `seg.metadata`; all when omitted)
 * that have a mask passing the filter, as an interactive view: a paged grid
 * of thumbnails with a type-ahead filter by noun and a score slider; a
 * click shows the image large with every mask and a legend, and hovering a
 * mask names its noun, instance and score and highlights it. Everything it
 * shows comes from the data, escaped.
 *
 * @example The first images of the sample
 * ```ts
 * import { ensureSample, explore, Segmentations } from "../../mod.ts";
 * using seg = await Segmentations.open({ dataDir: await ensureSample() });
 * const view = await explore(seg, undefined, { limit: 4, size: 96 });
 * console.log(view.images, view.html.includes("<script>")); // 4 true
 * ```
 *
 * @throws {RangeError} When a noun of `nouns` is not in the selection, or
 * a size, `limit` or `pageSize` is not a positive integer.
 */
export async function explore(
  seg: SegmentationsReader,
  selection?: pl.DataFrame,
  options: ExploreOptions = {},
): Promise<Explorer> {
  const { frame, byImage, matched } = manyImages(
    "explore",
    seg,
    selection,
    options,
    EXPLORE_OPTIONS,
  );
  const size = positive("explore", "size", options.size ?? 256);
  const maskSize = positive("explore", "maskSize", options.maskSize ?? 128);
  const limit = positive("explore", "limit", options.limit ?? 100);
  const pageSize = positive("explore", "pageSize", options.pageSize ?? 24);
  const shown = matched.slice(0, limit);
  const frameNouns = frame.getColumn("noun").toArray() as string[];
  const nounCount = new Map<string, number>();
  for (const image of shown) {
    for (const i of byImage.get(image)!) {
      nounCount.set(frameNouns[i], (nounCount.get(frameNouns[i]) ?? 0) + 1);
    }
  }
  const nouns = [...nounCount].sort((a, b) =>
    b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)
  ).map(([n]) => n);
  const nounIndex = new Map(nouns.map((n, k) => [n, k]));
  const iw = size, ih = Math.max(1, Math.round(size * seg.height / seg.width));
  const gw = maskSize;
  const gh = Math.max(1, Math.round(maskSize * seg.height / seg.width));
  using archive = options.stimulus === false
    ? null
    : new StimulusArchive(seg.dataDir);
  const images: { name: string; src: string | null; masks: MaskEntry[] }[] = [];
  let maskTotal = 0;
  for (const image of shown) {
    options.signal?.throwIfAborted();
    const take = pl.Series("take", byImage.get(image)!, pl.UInt32);
    const own = frame.select(pl.col("*").gather(take));
    const drawn = await readDrawn(seg, own, gw, gh, options.signal);
    const rows = own.getColumn("mask_row").toArray() as number[];
    const masks = drawn.map((d, k): MaskEntry => ({
      n: nounIndex.get(d.noun)!,
      i: d.instance,
      s: d.score === null || Number.isNaN(d.score) ? null : d.score,
      r: Number(rows[k]),
      a: d.cells,
      c: runLengths(d.grid),
    }));
    maskTotal += masks.length;
    const base = await stimulusPixels(
      seg,
      archive?.available ? archive : null,
      image,
      iw,
      ih,
    );
    images.push({
      name: image,
      src: base ? jpegUrl(base, iw, ih) : null,
      masks,
    });
  }
  const id = `seg-explore-${crypto.randomUUID().slice(0, 8)}`;
  // The reader's palette: a noun has one colour in every figure.
  const palette = paletteOf(seg);
  const title = options.title ?? "Explorer";
  const data = {
    id,
    title,
    iw,
    ih,
    gw,
    gh,
    pageSize,
    matched: matched.length,
    neutral: `rgb(${NEUTRAL_RGB.join(",")})`,
    nouns,
    colors: nouns.map((n) => palette.get(n) ?? "#888888"),
    images,
  };
  const html = `<div id="${id}" class="seg-explore">` +
    `<style>${EXPLORER_CSS.replaceAll("#ROOT", `#${id}`)}</style>` +
    `<div class="seg-x-head"><b>${escapeHtml(title)}</b> ` +
    `<span class="seg-x-count"></span></div>` +
    `<div class="seg-x-controls">` +
    `<label>noun <input class="seg-x-noun" list="${id}-nouns" ` +
    `placeholder="type a noun" autocomplete="off"></label>` +
    `<datalist id="${id}-nouns">${
      nouns.map((n) => `<option value="${escapeHtml(n)}"></option>`).join("")
    }</datalist>` +
    `<label>score ≥ <input class="seg-x-score" type="range" min="0" max="1" ` +
    `step="0.01" value="0"> <span class="seg-x-score-value">0.00</span></label>` +
    `<button class="seg-x-prev" type="button">‹ prev</button>` +
    `<span class="seg-x-page"></span>` +
    `<button class="seg-x-next" type="button">next ›</button></div>` +
    `<div class="seg-x-grid"></div>` +
    `<div class="seg-x-detail" hidden><div class="seg-x-detail-head">` +
    `<b class="seg-x-detail-name"></b> <button class="seg-x-close" type="button">close ✕</button></div>` +
    `<div class="seg-x-stage"><canvas class="seg-x-canvas"></canvas>` +
    `<div class="seg-x-tip" hidden></div></div><ul class="seg-x-legend"></ul></div>` +
    `<noscript>This view needs JavaScript (a trusted notebook output).</noscript>` +
    `<script type="application/json" id="${id}-data">${
      jsonForScript(data)
    }</script>` +
    `<script>${EXPLORER_SCRIPT.replaceAll("__ROOT_ID__", id)}</script></div>`;
  const bytes = new TextEncoder().encode(html).length;
  const leftOut = matched.length - shown.length;
  const summary = `Explorer(${shown.length} images, ${maskTotal} masks, ${
    (bytes / 1024).toFixed(0)
  } KiB${leftOut > 0 ? `, ${leftOut} more left out by limit` : ""})`;
  const view: Explorer = {
    html,
    bytes,
    images: shown.length,
    masks: maskTotal,
    leftOut,
    toString: () => summary,
  };
  setDisplay(
    view,
    displayHook(() => ({ "text/html": html, "text/plain": summary })),
  );
  return view;
}

/** Run lengths of a 0/1 grid, starting with a run of zeros (COCO's convention). */
export function runLengths(grid: Uint8Array): number[] {
  const out: number[] = [];
  let value = 0, run = 0;
  for (let i = 0; i < grid.length; i++) {
    const v = grid[i] ? 1 : 0;
    if (v === value) run++;
    else {
      out.push(run);
      value = v;
      run = 1;
    }
  }
  out.push(run);
  return out;
}

/** JSON that can sit inside a `<script>` element (no `</script>`, no line separators). */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(
    /\u2028/g,
    "\\u2028",
  ).replace(/\u2029/g, "\\u2029");
}

function jpegUrl(rgba: Uint8ClampedArray, w: number, h: number): string {
  const canvas = createCanvas(w, h);
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(w, h);
  image.data.set(rgba);
  ctx.putImageData(image, 0, 0);
  return canvas.toDataURL("image/jpeg", 0.82);
}
