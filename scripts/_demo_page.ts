// The demo's page: what a newcomer should see first, built from the public
// API only, every piece self-contained (figures inline, the explorer's script
// embedded), so the file opens offline in any browser.
import { plotNounFrequency, type Segmentations } from "../mod.ts";
import { escapeHtml } from "../lib/display/escape.ts";

/** The page for `seg`, with `image` as the overlay's example. */
export async function demoPage(
  seg: Segmentations,
  image: string,
): Promise<string> {
  const gallery = await seg.gallery(undefined, { limit: 24, size: 140 });
  const overlay = await seg.show(image, { width: 560 });
  const frequency = plotNounFrequency(seg.metadata, { top: 20 });
  const explorer = await seg.explore(undefined, { limit: 60 });
  const section = (title: string, body: string) =>
    `<section><h2>${escapeHtml(title)}</h2>${body}</section>`;
  return `<!doctype html><html><head><meta charset="utf-8">` +
    `<title>LAION-fMRI segmentations: ${escapeHtml(seg.dataDir)}</title>` +
    `<style>body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}` +
    `h1{font-size:20px}h2{font-size:16px;margin:28px 0 8px}</style></head><body>` +
    `<h1>LAION-fMRI object segmentations</h1>` +
    `<p>${escapeHtml(String(seg))}</p>` +
    section("Gallery", gallery.outerHTML) +
    section(`One image: ${image}`, overlay.outerHTML) +
    section("Most frequent nouns", frequency.outerHTML) +
    section("Explorer", explorer.html) +
    `</body></html>`;
}
