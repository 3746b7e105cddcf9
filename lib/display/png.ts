// PNG encoding through @napi-rs/canvas (Skia).
import { createCanvas } from "../deps.ts";

/** Encodes RGBA pixels as PNG bytes (synchronously: Jupyter's display hook is synchronous). */
export function encodePng(
  rgba: Uint8ClampedArray,
  width: number,
  height: number,
): Uint8Array {
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(width, height);
  image.data.set(rgba);
  ctx.putImageData(image, 0, 0);
  return new Uint8Array(canvas.toBuffer("image/png"));
}
