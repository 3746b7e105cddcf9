// Small pictures of many images at once (the gallery and the explorer): the
// stimulus resized once per reader, image and size (a repeat with another
// filter decodes nothing), with the masks composited over it.
import { createCanvas, loadImage } from "../deps.ts";
import {
  imageFormat,
  pngHasAlpha,
  PRESENTATION_GREY,
  type StimulusArchive,
} from "../stimuli/stimuli.ts";
import type { SegmentationsReader } from "../reader/reader.ts";
import { rgbOf } from "./_colors.ts";
import type { Drawn } from "./_overlay.ts";

/** Where no stimulus is drawn (as in `show`). */
export const NEUTRAL_RGB: readonly [number, number, number] = [236, 236, 236];

/** Resized stimuli kept per reader, about this many bytes at most. */
const PIXEL_BUDGET = 48 * 1024 * 1024;

interface PixelCache {
  entries: Map<string, Uint8ClampedArray>;
  bytes: number;
}

const caches = new WeakMap<SegmentationsReader, PixelCache>();

/** A thumbnail's size: `size` wide, the masks' aspect ratio. */
export function thumbnailSize(
  seg: SegmentationsReader,
  size: number,
): { w: number; h: number } {
  return { w: size, h: Math.max(1, Math.round(size * seg.height / seg.width)) };
}

/**
 * The stimulus of `imageName` at `w` x `h` as RGBA (transparent pixels over
 * the presentation grey), or `null` when the archive lacks it.
 */
export async function stimulusPixels(
  seg: SegmentationsReader,
  archive: StimulusArchive | null,
  imageName: string,
  w: number,
  h: number,
): Promise<Uint8ClampedArray | null> {
  if (!archive || !archive.has(imageName)) return null;
  let cache = caches.get(seg);
  if (!cache) caches.set(seg, cache = { entries: new Map(), bytes: 0 });
  const key = `${imageName}\u0000${w}x${h}`;
  const hit = cache.entries.get(key);
  if (hit) {
    cache.entries.delete(key);
    cache.entries.set(key, hit);
    return hit;
  }
  const bytes = await archive.bytes(imageName);
  if (imageFormat(bytes) === null) {
    // The archive's own decoder names the image and the file.
    await archive.image(imageName);
  }
  const image = await loadImage(bytes);
  const canvas = createCanvas(w, h);
  const ctx = canvas.getContext("2d");
  if (imageFormat(bytes) === "png" && pngHasAlpha(bytes)) {
    ctx.fillStyle = `rgb(${PRESENTATION_GREY.join(",")})`;
    ctx.fillRect(0, 0, w, h);
  }
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(image, 0, 0, w, h);
  const pixels = new Uint8ClampedArray(ctx.getImageData(0, 0, w, h).data);
  cache.entries.set(key, pixels);
  cache.bytes += pixels.length;
  for (const [k, v] of cache.entries) {
    if (cache.bytes <= PIXEL_BUDGET) break;
    cache.entries.delete(k);
    cache.bytes -= v.length;
  }
  return pixels;
}

/**
 * The masks (sampled onto the same `w` x `h` grid) over `base` (or the
 * neutral background), larger masks first so smaller ones stay visible:
 * translucent fills, opaque outlines. A JPEG data URL.
 */
export function compositeThumbnail(
  base: Uint8ClampedArray | null,
  drawn: readonly Drawn[],
  colorOf: ReadonlyMap<string, string>,
  w: number,
  h: number,
  opacity = 0.45,
): string {
  const n = w * h;
  const out = new Uint8ClampedArray(n * 4);
  if (base) out.set(base);
  else {
    for (let p = 0; p < out.length; p += 4) {
      out[p] = NEUTRAL_RGB[0];
      out[p + 1] = NEUTRAL_RGB[1];
      out[p + 2] = NEUTRAL_RGB[2];
    }
  }
  const order = drawn.map((_, i) => i).sort((a, b) =>
    drawn[b].cells - drawn[a].cells || a - b
  );
  const top = new Int32Array(n).fill(-1);
  for (const i of order) {
    const g = drawn[i].grid;
    for (let c = 0; c < n; c++) if (g[c]) top[c] = i;
  }
  const rgb = drawn.map((d) => rgbOf(colorOf.get(d.noun) ?? "#888888"));
  for (let c = 0, p = 0; c < n; c++, p += 4) {
    const i = top[c];
    if (i >= 0) {
      const x = c % w;
      const edge = (x > 0 && top[c - 1] !== i) ||
        (x < w - 1 && top[c + 1] !== i) ||
        (c >= w && top[c - w] !== i) || (c < n - w && top[c + w] !== i);
      const a = edge ? 1 : opacity;
      const [r, g, b] = rgb[i];
      out[p] = out[p] * (1 - a) + r * a;
      out[p + 1] = out[p + 1] * (1 - a) + g * a;
      out[p + 2] = out[p + 2] * (1 - a) + b * a;
    }
    out[p + 3] = 255;
  }
  const canvas = createCanvas(w, h);
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(w, h);
  image.data.set(out);
  ctx.putImageData(image, 0, 0);
  return canvas.toDataURL("image/jpeg", 0.88);
}
