// show(): the overlay of an image's masks, with and without the stimulus
// archive, its filters, its raster, and what it does for uncovered images.
import { tempDirAtExit } from "../_support/helpers.ts";
import assert from "node:assert/strict";
import { paletteFor } from "../../lib/plot/palette.ts";
import {
  displayable,
  type PlotElement,
  type PlotFigure,
} from "../../lib/plot/figure.ts";
import { writeSample } from "../../lib/data/sample/sample.ts";
import { Segmentations } from "../../lib/notebook/segmentations.ts";
import { show } from "../../lib/plot/show.ts";
import { ensureSample } from "../../lib/data/sample/sample.ts";
import { decodeImage } from "../_support/jupyter.ts";

interface Row {
  mask_row: number;
  image_name: string;
  noun: string;
  instance_id: number;
  score: number;
  box_x0: number | null;
  localized: number;
}

let withStimuli: Promise<string> | undefined;
let withoutStimuli: Promise<string> | undefined;
/** Small samples (64 x 64 px masks), written once per test process. */
function sampleDir(stimuli: boolean): Promise<string> {
  const make = async () => {
    const dir = await tempDirAtExit("seg-show-");
    await writeSample(dir, { images: 6, size: 64, stimuli });
    return dir;
  };
  return stimuli ? (withStimuli ??= make()) : (withoutStimuli ??= make());
}

function rowsOf(seg: Segmentations, image: string): Row[] {
  return seg.forImage(image).toRecords() as unknown as Row[];
}

/** Legend entries, in order. */
function legend(figure: PlotFigure): string[] {
  return [...figure.querySelectorAll("span[class*=swatch]")].map((s) =>
    s.textContent ?? ""
  );
}

/** The label texts ("noun #i (score)"), without their tooltips. */
function labels(figure: PlotFigure): string[] {
  return [...figure.querySelectorAll("g.seg-labels text")].map((t) => {
    const all = t.textContent ?? "";
    const tip = t.querySelector("title")?.textContent ?? "";
    return all.slice(0, all.length - tip.length);
  });
}

/** Whether a label is the row's "noun #instance (score)", its noun maybe shortened with "…". */
function labelOf(text: string, r: Row): boolean {
  const tail = ` #${r.instance_id} (${r.score.toFixed(2)})`;
  if (!text.endsWith(tail)) return false;
  const noun = text.slice(0, -tail.length);
  return noun === r.noun ||
    (noun.endsWith("…") && r.noun.startsWith(noun.slice(0, -1)));
}

/** The row each label names (every label names one, each row at most once). */
function labelledRows(figure: PlotFigure, rows: Row[]): Row[] {
  const out: Row[] = [];
  for (const text of labels(figure)) {
    const r = rows.find((r) => labelOf(text, r) && !out.includes(r));
    assert.ok(r, `label "${text}" names no mask`);
    out.push(r);
  }
  return out;
}

/** Label chips as [x, y, width, height] in figure pixels. */
function chipRects(figure: PlotFigure): number[][] {
  return [...figure.querySelectorAll("g.seg-label-chips rect")].map((c) =>
    ["x", "y", "width", "height"].map((a) => Number(c.getAttribute(a)))
  );
}

function assertNoOverlap(figure: PlotFigure): void {
  const rects = chipRects(figure);
  rects.forEach(([x, y, w, h], i) => {
    rects.slice(0, i).forEach(([x2, y2, w2, h2]) => {
      const apart = x + w <= x2 + 0.01 || x2 + w2 <= x + 0.01 ||
        y + h <= y2 + 0.01 || y2 + h2 <= y + 0.01;
      assert.ok(
        apart,
        `chips overlap: ${[x, y, w, h]} and ${[x2, y2, w2, h2]}`,
      );
    });
  });
}

function boxes(figure: PlotFigure): PlotElement[] {
  return [...figure.querySelectorAll("g.seg-boxes rect")];
}

/** The figure's Deno Jupyter display hook. */
function displayHook(
  figure: PlotFigure,
): () => Promise<Record<string, string>> {
  return (figure as unknown as Record<
    symbol,
    () => Promise<Record<string, string>>
  >)[Symbol.for("Jupyter.display")];
}

function dataUrlBytes(href: string): Uint8Array {
  const base64 = href.slice(href.indexOf(",") + 1);
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

Deno.test("show: over the stimulus, one colour per noun with a legend, boxes and labels", async () => {
  using seg = await Segmentations.open({ dataDir: await sampleDir(true) });
  const image = seg.images()[0];
  const figure = await show(seg, image);
  const rows = rowsOf(seg, image).filter((r) => r.localized === 1);
  const nouns = seg.nouns(image);

  assert.deepEqual(legend(figure), nouns);
  assert.deepEqual(figure.scale("color")?.domain, nouns);
  const palette = paletteFor(seg.metadata);
  assert.deepEqual(
    figure.scale("color")?.range,
    nouns.map((n) => palette.get(n)),
  );
  assert.equal(figure.querySelector("h2")?.textContent, image);

  // The stimulus JPEG under the masks, stretched over the whole frame.
  const stimulus = figure.querySelector("g.seg-stimulus image")!;
  assert.match(stimulus.getAttribute("href")!, /^data:image\/jpeg;base64,/);
  const masks = figure.querySelector("g.seg-masks image")!;
  assert.equal(stimulus.getAttribute("width"), masks.getAttribute("width"));
  assert.equal(stimulus.getAttribute("height"), masks.getAttribute("height"));

  // One dashed box and one label per mask, coloured by noun.
  assert.equal(boxes(figure).length, rows.length);
  const colorOf = palette;
  boxes(figure).forEach((box, i) => {
    assert.equal(box.getAttribute("stroke"), colorOf.get(rows[i].noun));
  });
  // Labels: largest mask first, none overlapping another, each in its noun's colour.
  const labelled = labelledRows(figure, rows);
  assert.ok(labelled.length >= 1);
  assertNoOverlap(figure);
  const chips = [...figure.querySelectorAll("g.seg-label-chips rect")];
  assert.deepEqual(
    chips.map((c) => c.getAttribute("fill")),
    labelled.map((r) => colorOf.get(r.noun)),
  );
  const areas = new Map(
    rows.map((r) => [r, seg.row(r.mask_row).area] as const),
  );
  const largest = rows.reduce((a, b) => areas.get(b)! > areas.get(a)! ? b : a);
  assert.equal(labelled[0], largest, "the largest mask is labelled first");
  // Aspect ratio kept: square masks, square frame; y runs down.
  assert.equal(masks.getAttribute("width"), masks.getAttribute("height"));
  const yTicks = [
    ...figure.querySelectorAll('g[aria-label="y-axis tick label"] text'),
  ];
  assert.equal(yTicks.at(-1)?.textContent, "0", "0 at the top");
  assert.match(
    figure.querySelector("figcaption")!.textContent!,
    /Over the stimulus image/,
  );
});

Deno.test("show: the masks raster is a PNG data URL at the display grid's size", async () => {
  using seg = await Segmentations.open({ dataDir: await ensureSample() });
  const image = seg.images()[0];
  const figure = await show(seg, image, { width: 400, opacity: 0.6 });
  const masks = figure.querySelector("g.seg-masks image")!;
  const href = masks.getAttribute("href")!;
  assert.match(href, /^data:image\/png;base64,/);
  const frame = Number(masks.getAttribute("width"));
  assert.equal(frame, 400 - 36 - 14);
  const png = await decodeImage(dataUrlBytes(href));
  // 1000 x 1000 masks drawn at the frame's pixel size.
  assert.deepEqual([png.width, png.height], [frame, frame]);
  // Covered pixels carry the fill opacity, others are transparent.
  const alphas = new Set<number>();
  for (let i = 3; i < png.data.length; i += 4) alphas.add(png.data[i]);
  assert.deepEqual([...alphas].sort((a, b) => a - b), [
    0,
    Math.round(0.6 * 255),
  ]);
  // Light enough for a notebook, with the stimulus and both rasters inline.
  const full = await show(seg, image);
  assert.ok(
    full.outerHTML.length < 1_000_000,
    `figure is ${full.outerHTML.length} bytes`,
  );
  // The Deno kernel shows it as HTML.
  const bundle = await displayHook(full)();
  assert.equal(bundle["text/html"], full.outerHTML);
  assert.match(bundle["text/plain"], new RegExp(image.replace(/\./g, "\\.")));
});

Deno.test("show: small masks are drawn at their own resolution", async () => {
  using seg = await Segmentations.open({ dataDir: await sampleDir(false) });
  const figure = await show(seg, seg.images()[1], { outlines: false });
  const png = await decodeImage(
    dataUrlBytes(
      figure.querySelector("g.seg-masks image")!.getAttribute("href")!,
    ),
  );
  assert.deepEqual([png.width, png.height], [64, 64]);
  assert.equal(figure.querySelector("g.seg-outlines"), null);
});

Deno.test("show: without a stimulus archive the masks sit on a neutral background", async () => {
  using seg = await Segmentations.open({ dataDir: await sampleDir(false) });
  const image = seg.images()[0];
  const figure = await show(seg, image);
  assert.equal(figure.querySelector("g.seg-stimulus"), null);
  assert.ok(figure.querySelector("g.seg-masks image"));
  assert.match(figure.outerHTML, /fill="#ececec"/);
  assert.match(
    figure.querySelector("figcaption")!.textContent!,
    /No stimulus image/,
  );
  // Asking for no stimulus gives the same, with the archive present.
  using withArchive = await Segmentations.open({
    dataDir: await sampleDir(true),
  });
  const plain = await show(withArchive, image, { stimulus: false });
  assert.equal(plain.querySelector("g.seg-stimulus"), null);
});

Deno.test("show: filters change what is drawn", async () => {
  using seg = await Segmentations.open({ dataDir: await sampleDir(true) });
  // An image with several nouns, some of them with several instances.
  const image = seg.images().find((i) => seg.nouns(i).length >= 3)!;
  const rows = rowsOf(seg, image).filter((r) => r.localized === 1);
  const [first, second] = seg.nouns(image);

  const one = await show(seg, image, { nouns: [second] });
  assert.deepEqual(legend(one), [second]);
  assert.equal(
    boxes(one).length,
    rows.filter((r) => r.noun === second).length,
  );
  // The noun keeps its dataset colour when drawn alone.
  assert.equal(
    one.scale("color")?.range?.[0],
    paletteFor(seg.metadata).get(second),
  );

  const two = await show(seg, image, { nouns: [second, first] });
  // Legend order follows the image's rows, not the filter's order.
  assert.deepEqual(legend(two), [first, second]);

  const scores = rows.map((r) => r.score).sort((a, b) => a - b);
  const threshold = scores[Math.floor(scores.length / 2)];
  const confident = await show(seg, image, { minScore: threshold });
  const kept = rows.filter((r) => r.score >= threshold);
  assert.equal(boxes(confident).length, kept.length);
  assert.ok(labelledRows(confident, kept).length >= 1);

  const bare = await show(seg, image, { boxes: false, labels: false });
  assert.equal(boxes(bare).length, 0);
  assert.equal(labels(bare).length, 0);
  assert.deepEqual(legend(bare), seg.nouns(image));
});

Deno.test("show: localizedOnly false adds whole-image masks, labelled but without a detector box", async () => {
  using seg = await Segmentations.open({ dataDir: await ensureSample() });
  const image = seg.images().find((i) =>
    rowsOf(seg, i).some((r) => r.localized === 0)
  )!;
  const rows = rowsOf(seg, image);
  const background = rows.find((r) => r.localized === 0)!;
  const localized = await show(seg, image);
  assert.ok(!legend(localized).includes(background.noun));
  const all = await show(seg, image, { localizedOnly: false, width: 300 });
  assert.ok(legend(all).includes(background.noun));
  assert.deepEqual(legend(all), seg.nouns(image, { localizedOnly: false }));
  assert.equal(boxes(all).length, rows.filter((r) => r.box_x0 !== null).length);
  // The whole-image mask is the largest: labelled first, without a box.
  assert.equal(labelledRows(all, rows)[0], background);
});

Deno.test("show: an image without masks is a RangeError; filters that keep nothing give a note", async () => {
  using seg = await Segmentations.open({ dataDir: await sampleDir(true) });
  await assert.rejects(
    () => show(seg, "LAION_cluster_2001_i0.jpg"),
    (err: Error) => {
      assert.ok(err instanceof RangeError);
      assert.match(
        err.message,
        /no masks for image "LAION_cluster_2001_i0\.jpg"/,
      );
      assert.match(err.message, /seg\.hasImage/);
      return true;
    },
  );
  await assert.rejects(() => seg.show("nope.jpg"), RangeError);
  // A near miss (the name without its extension) is suggested; a frame
  // instead of a name is one line naming show, not the nested hasImage.
  const near = seg.images()[0];
  await assert.rejects(
    () => seg.show(near.replace(/\.[a-z]+$/, "")),
    (err: Error) => {
      assert.ok(err.message.endsWith(` Did you mean "${near}"?`), err.message);
      return true;
    },
  );
  await assert.rejects(
    () => seg.show(seg.forImage(near) as never),
    /^TypeError: seg\.show: imageName must be a string; got a DataFrame \(\d+ rows x 11 columns\)\.$/,
  );

  const image = seg.images()[0];
  const empty = await show(seg, image, { minScore: 1.5 });
  assert.deepEqual(legend(empty), []);
  assert.equal(empty.querySelector("g.seg-masks"), null);
  assert.match(
    empty.querySelector("g.seg-note")!.textContent!,
    /No masks pass the filters \(minScore, localizedOnly\)/,
  );
  assert.ok(empty.querySelector("g.seg-stimulus"), "the image is still shown");
  // A noun the image does not have is an error, not an empty figure.
  await assert.rejects(
    () => show(seg, image, { nouns: ["unicorn"] }),
    (e: Error) => e instanceof RangeError && e.message.includes('"unicorn"'),
  );
});

Deno.test("show: options are checked", async () => {
  using seg = await Segmentations.open({ dataDir: await sampleDir(false) });
  const image = seg.images()[0];
  await assert.rejects(() => show(seg, image, { opacity: 2 }), RangeError);
  await assert.rejects(() => show(seg, image, { width: 20 }), RangeError);
  // A height limit shrinks the width to keep the aspect ratio.
  const small = await show(seg, image, { width: 640, height: 230 });
  const masks = small.querySelector("g.seg-masks image")!;
  assert.equal(masks.getAttribute("height"), String(230 - 6 - 24));
  assert.equal(masks.getAttribute("width"), masks.getAttribute("height"));
  // seg.show delegates to show.
  const viaMethod = await seg.show(image, { width: 300 });
  const direct = await show(seg, image, { width: 300 });
  assert.equal(viaMethod.outerHTML, direct.outerHTML);
});

Deno.test("show: an aborted signal stops reading masks", async () => {
  using seg = await Segmentations.open({ dataDir: await sampleDir(false) });
  const controller = new AbortController();
  controller.abort(new Error("stop"));
  await assert.rejects(
    () => show(seg, seg.images()[0], { signal: controller.signal }),
    /stop/,
  );
});

Deno.test("show: inside the Deno kernel the figure displays itself and leaves an empty result", async () => {
  using seg = await Segmentations.open({ dataDir: await sampleDir(false) });
  const figure = await show(seg, seg.images()[0], { width: 300 });
  const shown: { bundle: Record<string, string>; raw: boolean }[] = [];
  // The same hook, with a stand-in for the kernel's Deno.jupyter.display.
  const summary = (await displayHook(figure)())["text/plain"];
  displayable(figure, summary, () => (bundle, options) => {
    shown.push({ bundle, raw: options.raw });
    return Promise.resolve();
  });
  const result = await displayHook(figure)();
  assert.equal(shown.length, 1);
  assert.equal(shown[0].raw, true);
  assert.equal(shown[0].bundle["text/html"], figure.outerHTML);
  // Nothing besides the figure: an empty bundle (see displayHook).
  assert.deepEqual(result, {});
  assert.match(summary, /masks · \d+ nouns/);
});

Deno.test("show: an RGBA PNG stimulus is drawn over the presentation grey, and said so", async () => {
  const dir = await Deno.makeTempDir({ prefix: "seg-show-ood-" });
  try {
    await writeSample(dir, { images: 10, size: 64 });
    using seg = await Segmentations.open({ dataDir: dir });
    const ood = seg.images().find((i) => i.endsWith(".png"))!;
    const figure = await show(seg, ood);
    const href = figure.querySelector("g.seg-stimulus image")!.getAttribute(
      "href",
    )!;
    const png = await decodeImage(dataUrlBytes(href));
    // The top-left corner of an OOD cut-out is transparent: grey, not black.
    const [r, g, b] = png.data.subarray(0, 3);
    for (const v of [r, g, b]) {
      assert.ok(Math.abs(v - 128) <= 4, `${r},${g},${b}`);
    }
    assert.match(
      figure.querySelector("figcaption")!.textContent!,
      /transparent pixels on the presentation grey/,
    );
    // A JPEG stimulus has no such note.
    const jpeg = await show(seg, seg.images()[0]);
    assert.doesNotMatch(
      jpeg.querySelector("figcaption")!.textContent!,
      /presentation grey/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("show: a repeat of the same overlay gives the same figure (from its caches)", async () => {
  using seg = await Segmentations.open({ dataDir: await sampleDir(true) });
  const image = seg.images()[0];
  const first = await show(seg, image, { width: 300 });
  const again = await show(seg, image, { width: 300 });
  assert.equal(again.outerHTML, first.outerHTML);
  // Other options still change what is drawn.
  const faint = await show(seg, image, { width: 300, opacity: 0.2 });
  assert.notEqual(
    faint.querySelector("g.seg-masks image")!.getAttribute("href"),
    first.querySelector("g.seg-masks image")!.getAttribute("href"),
  );
});
