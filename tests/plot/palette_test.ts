// Stable colours: one colour per noun for the whole dataset, ordered by the
// nouns' frequency (computed here from the CSV rows), used by every overlay
// and its legend; a `colors` option overrides it and is checked.
import assert from "node:assert/strict";
import { NOUN_PALETTE, rankedColors } from "../../lib/plot/_colors.ts";
import { paletteFor } from "../../lib/plot/palette.ts";
import { Segmentations } from "../../lib/notebook/segmentations.ts";
import { show } from "../../lib/plot/show.ts";
import type { PlotFigure } from "../../lib/plot/figure.ts";
import { smallSampleDir } from "../_support/helpers.ts";

/** Legend entry -> swatch colour, read from the figure's markup. */
function legendColors(figure: PlotFigure): Map<string, string> {
  const out = new Map<string, string>();
  for (const span of figure.querySelectorAll("span[class*=swatch]")) {
    const fill = span.querySelector("svg")?.getAttribute("fill") ??
      span.querySelector("rect")?.getAttribute("fill") ?? "";
    out.set(span.textContent ?? "", fill);
  }
  return out;
}

/** The nouns by frequency, straight from the rows: most masks first, ties by noun. */
function rankedNouns(seg: Segmentations): string[] {
  const counts = new Map<string, number>();
  for (const r of seg.metadata.toRecords() as { noun: string }[]) {
    counts.set(r.noun, (counts.get(r.noun) ?? 0) + 1);
  }
  return [...counts].sort((a, b) =>
    b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)
  ).map(([n]) => n);
}

Deno.test("palette: every noun of the dataset, by frequency, the palette's colours first, none repeated", async () => {
  using seg = await Segmentations.open({ dataDir: await smallSampleDir() });
  const palette = seg.palette();
  const nouns = rankedNouns(seg);
  assert.deepEqual([...palette.keys()], nouns);
  assert.deepEqual(
    [...palette.values()].slice(0, Math.min(nouns.length, 20)),
    NOUN_PALETTE.slice(0, Math.min(nouns.length, 20)),
  );
  assert.deepEqual([...paletteFor(seg.metadata)], [...palette]);
  // A large vocabulary (the real data has thousands of phrases): all distinct.
  const many = rankedColors(6000);
  assert.equal(new Set(many).size, 6000);
  for (const c of many) assert.match(c, /^#[0-9a-f]{6}$/);
  // A copy: changing it changes no later figure.
  palette.set(nouns[0], "#000000");
  assert.equal(seg.palette().get(nouns[0]), NOUN_PALETTE[0]);
});

Deno.test("palette: a noun has the same colour in every figure, whatever else the image holds", async () => {
  using seg = await Segmentations.open({ dataDir: await smallSampleDir() });
  const palette = seg.palette();
  const seen = new Map<string, Set<string>>();
  const firstNouns = new Set<string>();
  for (const image of seg.images()) {
    const figure = await seg.show(image, { stimulus: false, labels: false });
    const legend = legendColors(figure);
    assert.ok(legend.size > 0, `${image}: a legend`);
    firstNouns.add([...legend.keys()][0]);
    for (const [noun, color] of legend) {
      assert.equal(color, palette.get(noun), `${image}: ${noun}`);
      if (!seen.has(noun)) seen.set(noun, new Set());
      seen.get(noun)!.add(color);
    }
    // Boxes too.
    for (const box of figure.querySelectorAll("g.seg-boxes rect")) {
      assert.ok(
        [...legend.values()].includes(box.getAttribute("stroke") ?? ""),
      );
    }
  }
  // Different images start their legends with different nouns, each in its own colour.
  assert.ok(firstNouns.size > 1, "the images differ");
  for (const [noun, colors] of seen) assert.equal(colors.size, 1, noun);
});

Deno.test("palette: a colors option overrides the palette in show, seg.show and seg.palette", async () => {
  using seg = await Segmentations.open({ dataDir: await smallSampleDir() });
  const image = seg.images()[0];
  const [noun, other] = seg.nouns(image);
  const colors = { [noun]: "#123456" };
  const viaShow = legendColors(await show(seg, image, { colors }));
  const viaSeg = legendColors(await seg.show(image, { colors }));
  assert.equal(viaShow.get(noun), "#123456");
  assert.equal(viaSeg.get(noun), "#123456");
  assert.equal(viaShow.get(other), seg.palette().get(other));
  assert.equal(seg.palette({ colors }).get(noun), "#123456");
  assert.equal(
    seg.palette({ colors: new Map([[noun, "#ABCDEF"]]) }).get(noun),
    "#abcdef",
  );
  // The override was for that call only.
  const again = legendColors(await seg.show(image));
  assert.equal(again.get(noun), seg.palette().get(noun));
});

Deno.test("palette: an unknown noun or a colour that is not #rrggbb is an error naming it", async () => {
  using seg = await Segmentations.open({ dataDir: await smallSampleDir() });
  const image = seg.images()[0];
  const noun = seg.nouns(image)[0];
  await assert.rejects(
    () =>
      seg.show(image, { colors: { [noun.toUpperCase() + "x"]: "#000000" } }),
    (e: Error) =>
      e instanceof RangeError &&
      e.message.includes(`colors names the noun "${noun.toUpperCase()}x"`) &&
      e.message.includes(`Did you mean "${noun}"`),
  );
  assert.throws(
    () => seg.palette({ colors: { [noun]: "red" } }),
    new RegExp(
      `seg\\.palette: colors\\["${noun}"\\] must be a "#rrggbb" colour; got "red"`,
    ),
  );
  assert.throws(
    () => paletteFor(seg.metadata, { colors: { [noun]: "#12345" } }),
    RangeError,
  );
});
