// A PNG shown in a notebook at a chosen size under a title: the HTML bundle
// Mask uses, built by hand (no DOM needed) with every text escaped.
import { escapeHtml } from "./escape.ts";

/** What {@link pngBundle} shows. */
export interface PngBundleInput {
  /** The PNG file's bytes (shown as they are, never re-encoded). */
  png: Uint8Array;
  /** The PNG's width in pixels. */
  width: number;
  /** The PNG's height in pixels. */
  height: number;
  /** Shown width in CSS pixels; the height follows the aspect ratio. */
  size: number;
  /** Title line (bold). */
  title: string;
  /** Second line, smaller. */
  details: string;
  /** The `text/plain` alternative. */
  text: string;
  /**
   * Colour behind the image (seen only where it is transparent).
   *
   * @default {"#000"}
   */
  background?: string;
}

/**
 * A Jupyter bundle: `text/html` with the title, the details and the PNG as
 * a data URL shown `size` pixels wide (sharp pixels when enlarged), and
 * `text/plain`.
 */
export function pngBundle(input: PngBundleInput): Record<string, string> {
  const { png, width, height, size, title, details, text } = input;
  const background = /^#[0-9a-f]{3,8}$/i.test(input.background ?? "")
    ? input.background
    : "#000";
  const shownH = Math.max(1, Math.round(size * height / width));
  const pixelated = size > width ? "image-rendering:pixelated;" : "";
  const html =
    `<figure class="seg-mask" style="margin:0;display:inline-block;` +
    `font:12px/1.35 system-ui,sans-serif;color:#222">` +
    `<figcaption style="margin:0 0 4px"><div style="font-weight:600">${
      escapeHtml(title)
    }</div><div style="color:#555">${escapeHtml(details)}</div></figcaption>` +
    `<img alt="${
      escapeHtml(title)
    }" width="${size}" height="${shownH}" style="${pixelated}` +
    `display:block;background:${background};border:1px solid #bbb" ` +
    `src="data:image/png;base64,${base64(png)}"></figure>`;
  return { "text/html": html, "text/plain": text };
}

/** Base64 of bytes, in slices (no call-stack limit on large arrays). */
export function base64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}
