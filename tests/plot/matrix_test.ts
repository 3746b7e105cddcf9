// plotMatrix: one cell per value, coloured in order of the values, labelled
// from the frame, tooltips escaped, and what is left out said in the subtitle.
import assert from "node:assert/strict";
import { pl, plotMatrix } from "../../mod.ts";
import { rgbOf } from "../../lib/plot/_colors.ts";

const cellsOf = (f: ReturnType<typeof plotMatrix>) => [
  ...f.querySelectorAll("g[aria-label=cell] rect"),
];

/** Relative luminance proxy: the sum of the channels (the "blues" scheme darkens with value). */
const lightness = (fill: string) => {
  const m = /^rgb\((\d+), (\d+), (\d+)\)$/.exec(fill);
  const [r, g, b] = m
    ? [Number(m[1]), Number(m[2]), Number(m[3])]
    : rgbOf(fill);
  return r + g + b;
};

Deno.test("plotMatrix: a grid's cells in order, darker for larger values, with tooltips", () => {
  const data = Float64Array.from({ length: 12 }, (_, i) => i / 11);
  const figure = plotMatrix({ data, rows: 3, columns: 4 }, {
    title: "Grid",
    percent: true,
  });
  const cells = cellsOf(figure);
  assert.equal(cells.length, 12);
  const titles = cells.map((c) => c.querySelector("title")?.textContent);
  assert.equal(titles[0], "0 · 0: 0.0%");
  assert.equal(titles[11], "2 · 3: 100.0%");
  const light = cells.map((c) => lightness(c.getAttribute("fill")!));
  for (let i = 1; i < light.length; i++) {
    assert.ok(light[i] <= light[i - 1], `cell ${i} no lighter than ${i - 1}`);
  }
  assert.equal(figure.querySelector("h2")?.textContent, "Grid");
  assert.equal(figure.querySelector("h3")?.textContent, "3 × 4");
});

Deno.test("plotMatrix: a frame's text column labels the rows, its numeric columns are the cells", () => {
  const frame = pl.DataFrame({
    image_name: ["<a>.jpg", "b.jpg", "c.jpg"],
    "sky & sea": [0.5, 0, 0.25],
    dog: [0, 1, 0],
    cat: [0.1, 0.2, 0.3],
  });
  const figure = plotMatrix(frame, { maxColumns: 2, maxRows: 2 });
  const cells = cellsOf(figure);
  assert.equal(cells.length, 4);
  assert.deepEqual(
    cells.map((c) => c.querySelector("title")?.textContent),
    [
      "<a>.jpg · sky & sea: 0.5",
      "<a>.jpg · dog: 0",
      "b.jpg · sky & sea: 0",
      "b.jpg · dog: 1",
    ],
  );
  assert.ok(figure.outerHTML.includes("&lt;a&gt;.jpg · sky &amp; sea"));
  assert.equal(
    figure.querySelector("h3")?.textContent,
    "3 × 3 (first 2 of 3 rows, first 2 of 3 columns shown)",
  );
});

Deno.test("plotMatrix: bad input is an error saying what is wrong", () => {
  assert.throws(
    () => plotMatrix({ data: [1, 2, 3], rows: 2, columns: 2 }),
    /data holds 3 values, not rows \* columns = 4/,
  );
  assert.throws(
    () => plotMatrix({ data: [1, Number.NaN], rows: 1, columns: 2 }),
    /row 0 \(0\), column 1 \(1\) is NaN/,
  );
  assert.throws(
    () => plotMatrix(pl.DataFrame({ name: ["a"] })),
    /no numeric column \(columns: name\)/,
  );
  assert.throws(
    () =>
      plotMatrix({ data: [1], rows: 1, columns: 1 }, { rowLabels: ["a", "b"] }),
    /rowLabels must hold 1 labels/,
  );
  assert.throws(
    () =>
      plotMatrix({ data: [1], rows: 1, columns: 1 }, { colour: "x" } as never),
    /unknown option "colour"/,
  );
});
