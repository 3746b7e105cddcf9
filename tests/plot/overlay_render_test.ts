// Overlays as a browser draws them (headless Chromium screenshots of the
// figures' HTML, as the kernel sends it): a busy image of 20+ masks with long
// phrase nouns stays legible at the default width, a JPEG stimulus is upright
// and true in colour, and an RGBA PNG stimulus shows the presentation grey
// where it is transparent.
import assert from "node:assert/strict";
import { join } from "node:path";
import { createCanvas } from "../../lib/deps.ts";
import { writeSample } from "../../lib/data/sample/sample.ts";
import { writeVlenBytesDataset } from "../../lib/hdf5/vlen_writer.ts";
import { Segmentations } from "../../lib/notebook/segmentations.ts";
import { rgbOf } from "../../lib/plot/_colors.ts";
import { StimulusArchive } from "../../lib/stimuli/stimuli.ts";
import {
  checkTools,
  countNear,
  decodeImage,
  type Pixels,
  screenshot,
  tempDir,
} from "../_support/jupyter.ts";

const tools = await checkTools(
  ["chromium"],
  "tests/plot/overlay_render_test.ts",
);

/** Where each figure sits on the page, and the page's size. */
const SLOT = 1000;
const PAGE = { width: 900, height: 3 * SLOT };

/** The pixels of rows [top, top + height) of a screenshot. */
function band(p: Pixels, top: number, height: number): Pixels {
  const start = top * p.width * 4;
  return {
    width: p.width,
    height,
    data: p.data.subarray(start, start + height * p.width * 4),
  };
}

/** Centroid [x, y] of the pixels near `rgb`, and their count. */
function centroid(
  p: Pixels,
  rgb: readonly [number, number, number],
  tolerance = 40,
): { x: number; y: number; n: number } {
  let sx = 0, sy = 0, n = 0;
  for (let i = 0; i < p.data.length; i += 4) {
    if (
      Math.abs(p.data[i] - rgb[0]) <= tolerance &&
      Math.abs(p.data[i + 1] - rgb[1]) <= tolerance &&
      Math.abs(p.data[i + 2] - rgb[2]) <= tolerance
    ) {
      const px = (i / 4) % p.width;
      sx += px;
      sy += Math.floor(i / 4 / p.width);
      n++;
    }
  }
  return { x: sx / n, y: sy / n, n };
}

/** The rightmost column holding a pixel that is not white. */
function rightmostInk(p: Pixels): number {
  let right = -1;
  for (let i = 0; i < p.data.length; i += 4) {
    if (p.data[i] < 235 || p.data[i + 1] < 235 || p.data[i + 2] < 235) {
      right = Math.max(right, (i / 4) % p.width);
    }
  }
  return right;
}

/** A JPEG whose quadrants are red, green / blue, yellow. */
function quadrantsJpeg(size: number): Uint8Array {
  const canvas = createCanvas(size, size);
  const ctx = canvas.getContext("2d");
  const h = size / 2;
  for (
    const [color, x, y] of [
      ["#ff0000", 0, 0],
      ["#00ff00", h, 0],
      ["#0000ff", 0, h],
      ["#ffff00", h, h],
    ] as const
  ) {
    ctx.fillStyle = color;
    ctx.fillRect(x, y, h, h);
  }
  return new Uint8Array(canvas.toBuffer("image/jpeg", 92));
}

Deno.test({
  name:
    "render: a 20+ mask overlay of long phrases stays legible; JPEG stimuli upright and true, RGBA over grey",
  ignore: tools.ignore,
  sanitizeResources: false,
  async fn() {
    tools.assertPresent();
    const root = await tempDir("seg-overlay-render-");
    const dataDir = join(root, "data");
    await writeSample(dataDir, { images: 10, size: 400 });
    // A JPEG of known orientation and colours for one image, in place of its stimulus.
    const archive = new StimulusArchive(dataDir);
    const names = archive.names();
    const stimuli = await Promise.all(names.map((n) => archive.bytes(n)));
    archive.close();
    using seg = await Segmentations.open({ dataDir });
    const counts = new Map(
      seg.images().map((i) => [i, seg.forImage(i).height] as const),
    );
    const busy = seg.images().find((i) => counts.get(i)! >= 20)!;
    assert.ok(busy, "the sample has a busy image");
    const ood = seg.images().find((i) => i.endsWith(".png"))!;
    const plain = seg.images().find((i) => i !== busy && i.endsWith(".jpg"))!;
    stimuli[names.indexOf(plain)] = quadrantsJpeg(400);
    // Written beside and renamed: h5wasm keeps its own view of a file it read.
    const h5 = join(dataDir, "stimuli", "task-images_stimuli.h5");
    await writeVlenBytesDataset(`${h5}.new`, "images", stimuli);
    await Deno.rename(`${h5}.new`, h5);

    const busyFigure = await seg.show(busy);
    const bare = {
      opacity: 0,
      outlines: false,
      boxes: false,
      labels: false,
      axes: false,
    };
    const plainFigure = await seg.show(plain, { ...bare, width: 400 });
    const oodFigure = await seg.show(ood, { ...bare, width: 400 });
    // The busy overlay: every mask drawn, labels that never overlap.
    const nouns = [
      ...new Set(
        seg.forImage(busy).toRecords().filter((r) => r.localized === 1).map((
          r,
        ) => String(r.noun)),
      ),
    ];
    assert.ok(nouns.some((n) => n.length >= 40), "long phrases");
    const chips = [...busyFigure.querySelectorAll("g.seg-label-chips rect")]
      .map((c) =>
        ["x", "y", "width", "height"].map((a) => Number(c.getAttribute(a)))
      );
    assert.ok(chips.length >= 5, `${chips.length} labels`);
    chips.forEach(([x, y, w, h], i) => {
      for (const [x2, y2, w2, h2] of chips.slice(0, i)) {
        assert.ok(
          x + w <= x2 + 0.01 || x2 + w2 <= x + 0.01 || y + h <= y2 + 0.01 ||
            y2 + h2 <= y + 0.01,
          "labels overlap",
        );
      }
    });

    const html = join(root, "page.html");
    const slot = (figure: { outerHTML: string }, i: number) =>
      `<div style="position:absolute;left:0;top:${
        i * SLOT
      }px;width:660px">${figure.outerHTML}</div>`;
    await Deno.writeTextFile(
      html,
      `<!doctype html><html><body style="margin:0;background:#fff;font-family:sans-serif">${
        [busyFigure, plainFigure, oodFigure].map(slot).join("")
      }</body></html>`,
    );
    const shots = await tempDir("seg-screenshot-");
    const png = await screenshot(html, join(shots, "overlays.png"), PAGE);
    console.log(`screenshot: ${png}`);
    const pixels = await decodeImage(png);

    // Busy: the figure (legend included) stays within its 640 px width, and
    // every noun's colour is on screen.
    const busyShot = band(pixels, 0, SLOT);
    const right = rightmostInk(busyShot);
    assert.ok(right <= 650, `the busy overlay reaches x = ${right}`);
    const palette = seg.palette();
    nouns.map((n) => palette.get(n)!).forEach((color, i) => {
      const n = countNear(busyShot, rgbOf(color));
      assert.ok(n >= 40, `${nouns[i]} (${color}): ${n} pixels`);
    });

    // The JPEG: red top left, green top right, blue bottom left, yellow bottom right.
    const plainShot = band(pixels, SLOT, SLOT);
    const red = centroid(plainShot, [255, 0, 0]);
    const green = centroid(plainShot, [0, 255, 0]);
    const blue = centroid(plainShot, [0, 0, 255]);
    const yellow = centroid(plainShot, [255, 255, 0]);
    for (const [name, c] of Object.entries({ red, green, blue, yellow })) {
      assert.ok(c.n > 20_000, `${name}: ${c.n} pixels`);
    }
    assert.ok(red.x < green.x && blue.x < yellow.x, "left stays left");
    assert.ok(red.y < blue.y && green.y < yellow.y, "top stays top");

    // The OOD PNG: the transparent background shows as presentation grey.
    const oodShot = band(pixels, 2 * SLOT, SLOT);
    const grey = countNear(oodShot, [128, 128, 128], 3);
    assert.ok(grey > 40_000, `grey pixels: ${grey}`);
    const black = countNear(oodShot, [0, 0, 0], 10);
    assert.ok(black < 5_000, `black pixels: ${black}`);
  },
});
