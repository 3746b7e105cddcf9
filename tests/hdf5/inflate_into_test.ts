// inflateInto: zlib streams inflated straight into a caller's buffer, with
// the same answers (and refusals) as node:zlib's inflateSync.
import assert from "node:assert/strict";
import { deflateSync, inflateSync } from "node:zlib";
import { canInflateInto, inflateInto } from "../../lib/hdf5/inflate_into.ts";

function ellipseMask(w: number, h: number): Uint8Array {
  const m = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (((x - w / 2) / (w / 3)) ** 2 + ((y - h / 2) / (h / 4)) ** 2 <= 1) {
        m[y * w + x] = 1;
      }
    }
  }
  return m;
}

Deno.test("inflateInto gives inflateSync's bytes, again and again on one stream", () => {
  assert.ok(canInflateInto());
  for (const [w, h] of [[1000, 1000], [96, 96], [7, 3]]) {
    const mask = ellipseMask(w, h);
    for (const level of [1, 4, 9]) {
      const z = new Uint8Array(deflateSync(mask, { level }));
      const out = new Uint8Array(w * h).fill(7);
      inflateInto(z, out);
      assert.deepEqual(out, new Uint8Array(inflateSync(z)));
      assert.deepEqual(out, mask);
    }
  }
});

Deno.test("inflateInto refuses corrupt, truncated, short and long streams, and recovers", () => {
  const mask = ellipseMask(200, 100);
  const z = new Uint8Array(deflateSync(mask));
  const cases: [string, Uint8Array, number, RegExp][] = [
    ["garbage", z.slice().fill(0x55, 5, 50), mask.length, /fails to inflate/],
    ["truncated", z.subarray(0, z.length - 5), mask.length, /unexpected end/],
    ["empty", new Uint8Array(0), mask.length, /fails to inflate|decodes to 0/],
    ["too long", z, mask.length - 1, /decodes to more than 19999 bytes/],
    ["too short", z, mask.length + 1, /decodes to 20000 bytes, expected 20001/],
  ];
  for (const [what, input, size, message] of cases) {
    assert.throws(
      () => inflateInto(input, new Uint8Array(size)),
      message,
      what,
    );
    // The shared stream is reset after a failure.
    const out = new Uint8Array(mask.length);
    inflateInto(z, out);
    assert.deepEqual(out, mask, `after ${what}`);
  }
});
