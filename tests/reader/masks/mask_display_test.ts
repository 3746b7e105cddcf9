// mask.display({ crop }): the mask's pixel box with a margin, pixel for pixel,
// so a small mask fills its display; and the size option.
import assert from "node:assert/strict";
import { Mask } from "../../../lib/reader/masks/mask.ts";
import { Segmentations } from "../../../lib/notebook/segmentations.ts";
import { decodeImage } from "../../_support/jupyter.ts";
import { smallSampleDir } from "../../_support/helpers.ts";

function pngOf(html: string): Uint8Array {
  const b64 = /src="data:image\/png;base64,([^"]+)"/.exec(html)![1];
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

Deno.test("mask.display({ crop }): the box plus its margin, the same pixels", async () => {
  using seg = await Segmentations.open({ dataDir: await smallSampleDir() });
  for (const row of [0, 5, seg.length - 1]) {
    const mask = seg.row(row);
    const [x0, y0, x1, y1] = mask.bbox()!;
    for (const margin of [0, 3, undefined]) {
      const html = mask.display({ crop: true, margin, size: 200 }).bundle()[
        "text/html"
      ];
      const m = margin ??
        Math.max(4, Math.round(Math.max(x1 - x0, y1 - y0) / 4));
      const cx0 = Math.max(0, x0 - m), cy0 = Math.max(0, y0 - m);
      const cx1 = Math.min(mask.width, x1 + m);
      const cy1 = Math.min(mask.height, y1 + m);
      const pixels = await decodeImage(pngOf(html));
      assert.deepEqual([pixels.width, pixels.height], [cx1 - cx0, cy1 - cy0]);
      for (let y = 0; y < pixels.height; y++) {
        for (let x = 0; x < pixels.width; x++) {
          const want = mask.data[(cy0 + y) * mask.width + cx0 + x] ? 255 : 0;
          assert.equal(pixels.data[(y * pixels.width + x) * 4], want);
        }
      }
      assert.match(html, /width="200"/);
      assert.ok(html.includes(`cropped to x ${cx0}-${cx1}, y ${cy0}-${cy1}`));
    }
  }
});

Deno.test("mask.display: an empty mask shows whole; bad options are errors naming them", async () => {
  const empty = new Mask(6, 4, new Uint8Array(24), 9);
  const html = empty.display({ crop: true }).bundle()["text/html"];
  const pixels = await decodeImage(pngOf(html));
  assert.deepEqual([pixels.width, pixels.height], [6, 4]);
  assert.doesNotMatch(html, /cropped/);
  const mask = new Mask(2, 2, new Uint8Array([0, 1, 0, 0]), 1);
  assert.throws(() => mask.display({ crop: "yes" as never }), TypeError);
  assert.throws(() => mask.display({ margin: -1 }), RangeError);
  assert.throws(() => mask.display({ margin: 1.5 }), RangeError);
  assert.throws(
    () => mask.display({ cropped: true } as never),
    /unknown option "cropped" in options; did you mean "crop"\? \(accepted: size, crop, margin\)/,
  );
});
