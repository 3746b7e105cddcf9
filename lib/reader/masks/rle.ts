// COCO run-length encoding (pycocotools' maskApi.c): runs over the mask in
// column-major order, starting with a run of zeros (possibly empty), and
// their compressed string form.

/**
 * Column-major run lengths of a row-major `height x width` mask (non-zero =
 * set). `box` (`[x0, y0, x1, y1]`, exclusive ends; null when empty) bounds
 * the set pixels, so only its pixels are read.
 */
export function maskRuns(
  data: Uint8Array,
  width: number,
  height: number,
  box: readonly [number, number, number, number] | null,
): number[] {
  if (!box) return [width * height];
  const [x0, y0, x1, y1] = box;
  const counts: number[] = [];
  let cur = 0, run = x0 * height;
  for (let x = x0; x < x1; x++) {
    // Rows above the box: zeros.
    if (cur === 0) run += y0;
    else if (y0 > 0) {
      counts.push(run);
      cur = 0;
      run = y0;
    }
    for (let y = y0, i = y0 * width + x; y < y1; y++, i += width) {
      const v = data[i] !== 0 ? 1 : 0;
      if (v === cur) run++;
      else {
        counts.push(run);
        cur = v;
        run = 1;
      }
    }
    const below = height - y1;
    if (below > 0) {
      if (cur === 0) run += below;
      else {
        counts.push(run);
        cur = 0;
        run = below;
      }
    }
  }
  const right = (width - x1) * height;
  if (right > 0) {
    if (cur === 0) run += right;
    else {
      counts.push(run);
      cur = 0;
      run = right;
    }
  }
  counts.push(run);
  return counts;
}

/**
 * maskApi.c `rleToString`: each count (from the fourth on, minus the count
 * two before it) in 5-bit groups, low first, 0x20 = more follows, sign in
 * 0x10 of the last group, plus 48.
 */
export function countsToString(counts: readonly number[]): string {
  const out: number[] = [];
  for (let i = 0; i < counts.length; i++) {
    let x = counts[i];
    if (i > 2) x -= counts[i - 2];
    let more = true;
    while (more) {
      let c = x & 0x1f;
      x >>= 5;
      more = (c & 0x10) ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      out.push(c + 48);
    }
  }
  let s = "";
  for (let i = 0; i < out.length; i += 0x2000) {
    s += String.fromCharCode(...out.slice(i, i + 0x2000));
  }
  return s;
}

/** maskApi.c `rleFrString`; throws a TypeError naming the bad character. */
export function stringToCounts(s: string): number[] {
  const counts: number[] = [];
  let p = 0;
  while (p < s.length) {
    let x = 0, k = 0, more = true;
    while (more) {
      if (p >= s.length) {
        throw new TypeError(
          `COCO RLE counts string ends inside a count (at character ${p}); it is truncated.`,
        );
      }
      const code = s.charCodeAt(p);
      const c = code - 48;
      if (c < 0 || c > 63) {
        throw new TypeError(
          `COCO RLE counts string has ${
            JSON.stringify(s[p])
          } at character ${p}; compressed RLE uses only characters "0" to "o".`,
        );
      }
      if (k > 6) {
        throw new RangeError(
          `COCO RLE counts string has a count longer than 7 characters at character ${p}; it is not compressed RLE.`,
        );
      }
      x |= (c & 0x1f) << (5 * k);
      more = (c & 0x20) !== 0;
      p++;
      k++;
      if (!more && (c & 0x10)) x |= -1 << (5 * k);
    }
    if (counts.length > 2) x += counts[counts.length - 2];
    counts.push(x);
  }
  return counts;
}
