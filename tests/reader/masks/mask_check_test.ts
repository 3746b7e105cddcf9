// The binary check every decoded mask passes: any byte other than 0 or 1,
// at any position (head, the unrolled words, the tail) and any byte offset,
// is an error naming the pixel and its value.
import assert from "node:assert/strict";
import { checkBinaryMask } from "../../../lib/reader/masks/check.ts";

Deno.test("checkBinaryMask: 0/1 passes; a 2 or 255 anywhere is caught with its pixel, at every length and byte offset", () => {
  for (let offset = 0; offset < 4; offset++) {
    for (let n = 0; n <= 75; n++) {
      const buffer = new Uint8Array(offset + n + 3);
      const mask = buffer.subarray(offset, offset + n);
      for (let i = 0; i < n; i++) mask[i] = (i * 7 + n) % 3 === 0 ? 1 : 0;
      buffer[offset + n] = 9; // beyond the view: never looked at
      assert.equal(checkBinaryMask(mask), mask);
      for (let at = 0; at < n; at++) {
        for (const bad of [2, 255]) {
          const keep = mask[at];
          mask[at] = bad;
          assert.throws(
            () => checkBinaryMask(mask, "f.h5", 12),
            new RegExp(
              `^Error: f\\.h5: mask row 12 holds the value ${bad} at pixel ${at}; masks are binary`,
            ),
            `n ${n}, offset ${offset}, at ${at}`,
          );
          mask[at] = keep;
        }
      }
    }
  }
  // A whole 1000x1000 mask, the bad value in its last word.
  const big = new Uint8Array(1_000_000).fill(1);
  assert.equal(checkBinaryMask(big), big);
  big[999_997] = 3;
  assert.throws(
    () => checkBinaryMask(big),
    /the mask holds the value 3 at pixel 999997/,
  );
});
