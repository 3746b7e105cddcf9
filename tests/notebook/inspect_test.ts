// A figure, mask, reader or image inspected instead of displayed (console.log,
// a cell's plain result, a forgotten await) prints one line saying what it is;
// a Promise of one says to put `await` in front.
import assert from "node:assert/strict";
import {
  loadStimuli,
  nounHeatmap,
  plotScores,
  Segmentations,
} from "../../mod.ts";
import { smallSampleDir } from "../_support/helpers.ts";

const oneLine = (s: string) => !s.includes("\n");

Deno.test("inspect: figures, masks and the reader are one line each", async () => {
  using seg = await Segmentations.open({ dataDir: await smallSampleDir() });
  const image = seg.images()[0];
  const figure = await seg.show(image, { width: 300 });
  const text = Deno.inspect(figure);
  assert.ok(oneLine(text), text.slice(0, 300));
  assert.ok(
    text.startsWith(`PlotFigure(<figure> ${JSON.stringify(image)}, 300x`),
    text,
  );
  assert.match(text, /saveFigure\(figure, "figure\.png"\)/);
  for (
    const f of [
      plotScores(seg.metadata),
      await nounHeatmap(seg, seg.nouns(image)[0], { progress: false }),
    ]
  ) {
    assert.match(Deno.inspect(f), /^PlotFigure\(<figure> ".+", \d+x\d+ px\)/);
  }
  const mask = seg.get(image, seg.nouns(image)[0]);
  assert.equal(
    Deno.inspect(mask),
    `${mask}, area ${mask.area.toLocaleString("en-US")} px`,
  );
  assert.equal(
    Deno.inspect(mask.display({ size: 100 })),
    `MaskDisplay(${mask}, 100 px)`,
  );
  assert.equal(Deno.inspect(seg), String(seg));
  // Inside an array or an object too (what a cell's result shows).
  const nested = Deno.inspect({ figure, mask });
  assert.ok(nested.split("\n").length <= 4, nested.slice(0, 300));
  assert.match(nested, /figure: PlotFigure\(/);
});

Deno.test("inspect: a Promise of a figure, a reader or a table says to await it", async () => {
  const dataDir = await smallSampleDir();
  const opening = Segmentations.open({ dataDir });
  assert.equal(
    Deno.inspect(opening),
    "Promise of a Segmentations reader: put `await` in front: await Segmentations.open()",
  );
  using seg = await opening;
  const image = seg.images()[0];
  const pending = seg.show(image);
  await pending;
  // Settled or not, it still says what to do.
  assert.equal(
    Deno.inspect(pending),
    `Promise of a figure: put \`await\` in front: await seg.show(${
      JSON.stringify(image)
    })`,
  );
  const stats = seg.stats(undefined, { cache: false });
  assert.match(
    Deno.inspect(stats),
    /^Promise of a DataFrame: .*await seg\.stats\(\)$/,
  );
  assert.equal((await stats).height, seg.length, "the value is unchanged");
  // A rejection still reaches whoever awaits; a bad argument rejects too,
  // it does not throw before the Promise exists.
  await assert.rejects(() => seg.show("no-such-image.jpg"), RangeError);
  const bad = seg.show(42 as never);
  assert.ok(bad instanceof Promise);
  await assert.rejects(bad, TypeError);
  const badOpen = Segmentations.open({ dataDir: 7 } as never);
  assert.ok(badOpen instanceof Promise);
  await assert.rejects(badOpen, TypeError);
  using stim = await loadStimuli({ dataDir });
  assert.ok(oneLine(Deno.inspect(stim)));
  assert.match(Deno.inspect(stim), /^Stimuli\(/);
});

Deno.test("seg.masks(rows, null): the reader's own error, not a property read of null", async () => {
  using seg = await Segmentations.open({ dataDir: await smallSampleDir() });
  await assert.rejects(
    async () => {
      for await (const _ of seg.masks([0], null as never)) {
        // never reached
      }
    },
    (e: Error) => e instanceof TypeError && /seg\.masks/.test(e.message),
  );
});
