// saveFigure and toSvg for every figure the module returns: PNGs decoded and
// checked pixel by pixel against what the figure holds (its palette colours,
// the stimulus under the masks, dark title text, the size times the scale),
// SVGs parsed back by Skia, and every bad call an error naming what to fix.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  nounHeatmap,
  plotNounFrequency,
  plotScores,
  saveFigure,
  Segmentations,
  toSvg,
} from "../../mod.ts";
import type { PlotFigure } from "../../lib/plot/figure.ts";
import { rgbOf } from "../../lib/plot/_colors.ts";
import { loadImage } from "../../lib/deps.ts";
import { scopedTempDir, tempDirAtExit } from "../_support/helpers.ts";
import { countNear, decodeImage, type Pixels } from "../_support/jupyter.ts";
import { writeSample } from "../../lib/data/sample/sample.ts";

let sample: Promise<string> | undefined;
function sampleDir(): Promise<string> {
  sample ??= (async () => {
    const dir = await tempDirAtExit("seg-save-");
    await writeSample(dir, { images: 6, size: 64, stimuli: true });
    return dir;
  })();
  return sample;
}

async function figures(
  seg: Segmentations,
): Promise<Record<string, PlotFigure>> {
  const image = seg.images()[0];
  return {
    show: await seg.show(image, { width: 400 }),
    nounFrequency: plotNounFrequency(seg.metadata, { top: 5 }),
    scores: plotScores(seg.metadata, { byLocalized: true }),
    heatmap: await nounHeatmap(seg, seg.nouns(image)[0], { progress: false }),
    // Its images carry tooltips (<image><title>): each drawn whole.
    gallery: await seg.gallery(undefined, { limit: 4, size: 80 }),
  };
}

/** Pixels in the top `rows` rows close to `rgb`. */
function nearInTop(p: Pixels, rgb: [number, number, number], rows: number) {
  return countNear(
    { ...p, height: rows, data: p.data.subarray(0, rows * p.width * 4) },
    rgb,
    40,
  );
}

Deno.test("saveFigure: every figure as a PNG at its scale, with its colours, images and text", async () => {
  using seg = await Segmentations.open({ dataDir: await sampleDir() });
  await using tmp = await scopedTempDir("seg-save-png-");
  for (const [name, figure] of Object.entries(await figures(seg))) {
    const width = Math.max(
      ...[...figure.querySelectorAll(":scope > svg")].map((s) =>
        Number(s.getAttribute("width"))
      ),
    );
    const one = join(tmp.path, `${name}-1.png`);
    const two = join(tmp.path, `${name}.png`);
    await saveFigure(figure, one, { scale: 1 });
    await saveFigure(figure, two); // scale 2 by default
    const a = await decodeImage(one), b = await decodeImage(two);
    assert.equal(a.width, width, `${name}: width at scale 1`);
    assert.equal(b.width, 2 * width, `${name}: twice as wide at scale 2`);
    assert.ok(Math.abs(b.height - 2 * a.height) <= 1, name);
    // The title, dark text on white at the top.
    assert.ok(nearInTop(b, [0x22, 0x22, 0x22], 40) > 40, `${name}: title`);
    assert.ok(
      countNear(b, [255, 255, 255], 0) > b.width * 10,
      `${name}: white`,
    );
  }
});

Deno.test("saveFigure: an overlay's PNG shows the stimulus under the masks and every noun's colour", async () => {
  using seg = await Segmentations.open({ dataDir: await sampleDir() });
  await using tmp = await scopedTempDir("seg-save-show-");
  const image = seg.images()[0];
  const figure = await seg.show(image, { width: 400, labels: false });
  const path = join(tmp.path, "overlay.png");
  await saveFigure(figure, path, { scale: 2 });
  const pixels = await decodeImage(path);
  // The synthetic stimulus's sky (#87ceeb, top of the image): an <image> layer.
  assert.ok(countNear(pixels, [0x87, 0xce, 0xeb], 12) > 1000, "the stimulus");
  const palette = seg.palette();
  for (const noun of seg.nouns(image)) {
    const color = palette.get(noun)!;
    // Legend swatch and dashed box in the noun's colour, unblended.
    assert.ok(
      countNear(pixels, rgbOf(color), 8) >= 15 * 15 * 4,
      `${noun} (${color})`,
    );
  }
});

Deno.test("saveFigure: a gallery's PNG shows each thumbnail's stimulus", async () => {
  using seg = await Segmentations.open({ dataDir: await sampleDir() });
  await using tmp = await scopedTempDir("seg-save-gallery-");
  const figure = await seg.gallery(undefined, { limit: 4, size: 100 });
  const path = join(tmp.path, "gallery.png");
  await saveFigure(figure, path, { scale: 1 });
  const pixels = await decodeImage(path);
  // The synthetic stimuli's sky (#87ceeb) in each of the four thumbnails.
  assert.ok(countNear(pixels, [0x87, 0xce, 0xeb], 16) > 4 * 300, "the stimuli");
});

Deno.test("toSvg: a stand-alone SVG document Skia parses, text escaped, plots nested in place", async () => {
  using seg = await Segmentations.open({ dataDir: await sampleDir() });
  await using tmp = await scopedTempDir("seg-save-svg-");
  for (const [name, figure] of Object.entries(await figures(seg))) {
    const svg = toSvg(figure);
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/, name);
    assert.ok(
      svg.includes(escapeXml(figure.querySelector("h2")!.textContent!)),
      `${name}: the title as SVG text`,
    );
    const image = await loadImage(new TextEncoder().encode(svg));
    assert.ok(image.width > 0 && image.height > 0, `${name}: parses`);
    const path = join(tmp.path, `${name}.svg`);
    await saveFigure(figure, path);
    assert.equal(await Deno.readTextFile(path), svg);
  }
  // Text from the data is escaped.
  const image = seg.images()[0];
  const odd = await seg.show(image, { title: `<b>"a" & 'b'</b>`, width: 300 });
  const svg = toSvg(odd);
  assert.ok(svg.includes("&lt;b&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/b&gt;"));
  assert.ok(!svg.includes("<b>"));
  await loadImage(new TextEncoder().encode(svg));
  // A bare <svg> stays as it is, with its namespace.
  const bare = odd.querySelector(":scope > svg") as unknown as PlotFigure;
  assert.match(toSvg(bare), /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  const png = join(tmp.path, "bare.png");
  await saveFigure(bare, png, { scale: 1 });
  assert.equal((await decodeImage(png)).width, 300);
});

function escapeXml(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(
    ">",
    "&gt;",
  ).replaceAll('"', "&quot;").replaceAll("'", "&#39;");
}

Deno.test("saveFigure: a wrong extension, scale, figure or folder is an error saying what to do", async () => {
  using seg = await Segmentations.open({ dataDir: await sampleDir() });
  await using tmp = await scopedTempDir("seg-save-bad-");
  const figure = plotScores(seg.metadata);
  await assert.rejects(
    () => saveFigure(figure, join(tmp.path, "figure.jpg")),
    (e: Error) =>
      e instanceof TypeError && e.message.includes("figure.jpg") &&
      e.message.includes(".svg") && e.message.includes(".png"),
  );
  for (const scale of [0, -1, Number.NaN, 100]) {
    await assert.rejects(
      () => saveFigure(figure, join(tmp.path, "f.png"), { scale }),
      RangeError,
    );
  }
  await assert.rejects(
    () =>
      saveFigure(
        seg.show(seg.images()[0]) as unknown as PlotFigure,
        join(tmp.path, "f.png"),
      ),
    /a Promise: put await in front/,
  );
  const missing = join(tmp.path, "no", "such", "folder", "f.svg");
  await assert.rejects(
    () => saveFigure(figure, missing),
    (e: Error) =>
      e.message.includes(missing) && e.cause instanceof Deno.errors.NotFound,
  );
  assert.deepEqual([...Deno.readDirSync(tmp.path)], [], "nothing written");
});
