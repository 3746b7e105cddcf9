// The stimulus under an overlay: decoded by content, RGBA composited over the
// presentation grey, resized onto the plot frame and kept (keyed by the
// archive file's identity), so showing an image again decodes nothing.
import { createCanvas, loadImage } from "../deps.ts";
import {
  decodeStimulus,
  imageFormat,
  pngHasAlpha,
  PRESENTATION_GREY,
  StimulusArchive,
} from "../stimuli/stimuli.ts";

const ENTRIES = 16;
/** A stimulus ready to draw under an overlay. */
export interface StimulusLayer {
  /** JPEG data URL at the frame's size. */
  url: string;
  /** Whether the stored image had transparent pixels (now the presentation grey). */
  hasAlpha: boolean;
}

const cache = new Map<string, StimulusLayer>();

/** The stimulus resized to `width` x `height`; `null` without one. */
export async function stimulusDataUrl(
  dataDir: string,
  imageName: string,
  width: number,
  height: number,
): Promise<StimulusLayer | null> {
  using archive = new StimulusArchive(dataDir);
  if (!archive.has(imageName)) return null;
  let identity: string;
  try {
    const s = Deno.statSync(archive.h5Path);
    identity = `${s.size}:${s.mtime?.getTime()}`;
  } catch {
    return null;
  }
  const key = JSON.stringify([
    archive.h5Path,
    identity,
    imageName,
    width,
    height,
  ]);
  const hit = cache.get(key);
  if (hit !== undefined) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  // Drawn straight from the decoded image (no pixel round trip): an RGBA PNG
  // composited over the presentation grey by the canvas itself.
  const bytes = await archive.bytes(imageName);
  const format = imageFormat(bytes);
  if (format === null) {
    await decodeStimulus(bytes, { name: imageName, source: archive.h5Path }); // throws, naming it
  }
  const image = await loadImage(bytes);
  const hasAlpha = format === "png" && pngHasAlpha(bytes);
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext("2d");
  if (hasAlpha) {
    ctx.fillStyle = `rgb(${PRESENTATION_GREY.join(",")})`;
    ctx.fillRect(0, 0, width, height);
  }
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(image, 0, 0, width, height);
  const layer = {
    url: canvas.toDataURL("image/jpeg", 0.85),
    hasAlpha,
  };
  cache.set(key, layer);
  if (cache.size > ENTRIES) cache.delete(cache.keys().next().value!);
  return layer;
}
