// The overlay's pixels: each mask sampled onto the figure's pixel grid (kept
// per reader, so showing an image again reads nothing), and the composite of
// all of them as two PNG layers (translucent fill, opaque outlines) painted
// here rather than by Plot.raster, whose per-pixel scale lookups cost a
// second per figure.
import { encodePng } from "../display/png.ts";
import { column } from "../reader/frame_columns.ts";
import type { pl } from "../deps.ts";
import type { SegmentationsReader } from "../reader/reader.ts";
import { rgbOf } from "./_colors.ts";
import { masksOf } from "./_masks_of.ts";

/** One drawn mask, as the figure's marks see it. */
export interface Drawn {
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
}

/** A mask on a display grid. */
interface Sampled {
  grid: Uint8Array;
  cells: number;
  /** Extent on the grid `[x0, y0, x1, y1]` (inclusive), or null when empty. */
  extent: [number, number, number, number] | null;
}

/** Sampled masks kept per reader, about this many grid bytes at most (~40 figures' worth of masks). */
const GRID_BUDGET = 64 * 1024 * 1024;
/** Composited layers kept per reader. */
const LAYER_ENTRIES = 8;

interface ReaderCache {
  grids: Map<string, Sampled>;
  gridBytes: number;
  layers: Map<string, Layers>;
}
const caches = new WeakMap<SegmentationsReader, ReaderCache>();

function cacheOf(seg: SegmentationsReader): ReaderCache {
  let cache = caches.get(seg);
  if (!cache) {
    cache = { grids: new Map(), gridBytes: 0, layers: new Map() };
    caches.set(seg, cache);
  }
  return cache;
}

/** Reads the frame's masks and samples each onto a `gw` x `gh` grid (cached). */
export async function readDrawn(
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
  const cache = cacheOf(seg);
  const key = (row: number) => `${row}:${gw}x${gh}`;
  const missing = rows.filter((r) => !cache.grids.has(key(r)));
  for await (const mask of masksOf(seg, missing, { signal })) {
    const sampled = sample(mask.data, seg.width, seg.height, gw, gh);
    cache.grids.set(key(mask.maskRow), sampled);
    cache.gridBytes += sampled.grid.length;
  }
  signal?.throwIfAborted();
  const W = seg.width, H = seg.height;
  const out = rows.map((row, i): Drawn => {
    const k = key(row);
    const s = cache.grids.get(k)!;
    // Most recently used last, so the budget evicts the oldest.
    cache.grids.delete(k);
    cache.grids.set(k, s);
    const b = bx.map((col) => col[i]);
    const detectorBox = b.every((v) => v !== null && Number.isFinite(v));
    const e = s.extent;
    const box: Drawn["box"] = detectorBox
      ? b as [number, number, number, number]
      : e
      ? [e[0] * W / gw, e[1] * H / gh, (e[2] + 1) * W / gw, (e[3] + 1) * H / gh]
      : null;
    return {
      noun: noun[i],
      instance: instance[i],
      score: score[i],
      localized: localized[i] === 1,
      box,
      detectorBox,
      cells: s.cells,
      grid: s.grid,
    };
  });
  const inUse = new Set(rows.map(key));
  for (const [k, s] of cache.grids) {
    if (cache.gridBytes <= GRID_BUDGET) break;
    if (inUse.has(k)) continue;
    cache.grids.delete(k);
    cache.gridBytes -= s.grid.length;
  }
  return out;
}

/** Nearest-neighbour sampling at cell centres. */
function sample(
  data: Uint8Array,
  W: number,
  H: number,
  gw: number,
  gh: number,
): Sampled {
  const sx = Int32Array.from(
    { length: gw },
    (_, x) => Math.min(W - 1, Math.floor((x + 0.5) * W / gw)),
  );
  const grid = new Uint8Array(gw * gh);
  let cells = 0, x0 = gw, y0 = gh, x1 = -1, y1 = -1;
  for (let y = 0; y < gh; y++) {
    const src = Math.min(H - 1, Math.floor((y + 0.5) * H / gh)) * W;
    const dst = y * gw;
    let first = -1, last = -1;
    for (let x = 0; x < gw; x++) {
      if (data[src + sx[x]]) {
        grid[dst + x] = 1;
        cells++;
        if (first < 0) first = x;
        last = x;
      }
    }
    if (first < 0) continue;
    if (first < x0) x0 = first;
    if (last > x1) x1 = last;
    if (y < y0) y0 = y;
    y1 = y;
  }
  return { grid, cells, extent: x1 < 0 ? null : [x0, y0, x1, y1] };
}

/** The overlay's two layers as PNG data URLs. */
export interface Layers {
  /** Each cell in the colour of its topmost mask's noun, at the fill opacity. */
  fill: string;
  /** Opaque outlines where a cell's 4-neighbour shows another mask (or none); `null` without outlines. */
  edge: string | null;
}

/**
 * Composites the masks, larger first so smaller ones stay visible on top,
 * into PNG layers (cached per reader for the same masks, colours and options).
 */
export function compositeLayers(
  seg: SegmentationsReader,
  drawn: readonly Drawn[],
  rows: readonly number[],
  colorOf: ReadonlyMap<string, string>,
  gw: number,
  gh: number,
  opacity: number,
  outlines: boolean,
): Layers {
  const cache = cacheOf(seg).layers;
  const key = JSON.stringify([
    rows,
    drawn.map((d) => colorOf.get(d.noun)),
    gw,
    gh,
    opacity,
    outlines,
  ]);
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const n = gw * gh;
  const order = drawn.map((_, i) => i).sort((a, b) =>
    drawn[b].cells - drawn[a].cells || a - b
  );
  const top = new Int32Array(n).fill(-1);
  for (const i of order) {
    const g = drawn[i].grid;
    for (let c = 0; c < n; c++) if (g[c]) top[c] = i;
  }
  const rgb = drawn.map((d) => rgbOf(colorOf.get(d.noun)!));
  const alpha = Math.round(opacity * 255);
  const fill = new Uint8ClampedArray(n * 4);
  const edge = outlines ? new Uint8ClampedArray(n * 4) : null;
  for (let c = 0, p = 0; c < n; c++, p += 4) {
    const i = top[c];
    if (i < 0) continue;
    const [r, g, b] = rgb[i];
    fill[p] = r;
    fill[p + 1] = g;
    fill[p + 2] = b;
    fill[p + 3] = alpha;
    if (!edge) continue;
    const x = c % gw;
    if (
      (x > 0 && top[c - 1] !== i) || (x < gw - 1 && top[c + 1] !== i) ||
      (c >= gw && top[c - gw] !== i) || (c < n - gw && top[c + gw] !== i)
    ) {
      edge[p] = r;
      edge[p + 1] = g;
      edge[p + 2] = b;
      edge[p + 3] = 255;
    }
  }
  const layers: Layers = {
    fill: pngDataUrl(fill, gw, gh),
    edge: edge ? pngDataUrl(edge, gw, gh) : null,
  };
  cache.set(key, layers);
  if (cache.size > LAYER_ENTRIES) cache.delete(cache.keys().next().value!);
  return layers;
}

function pngDataUrl(
  rgba: Uint8ClampedArray,
  width: number,
  height: number,
): string {
  const bytes = encodePng(rgba, width, height);
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return `data:image/png;base64,${btoa(s)}`;
}
