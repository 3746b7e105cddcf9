// Masks as runs of set pixels: with the real layout (one mask per chunk,
// deflate with or without a 1-byte shuffle) a mask inflates to a few
// hundred runs instead of a megabyte, so whole-file tables cost the
// compressed size (lib/reader/source/mask_source.ts reads them).

/** Set pixels of one mask as `[start0, end0, start1, end1, ...]` row-major indices, ascending. */
export type Intervals = Int32Array;

/** Intervals of the non-zero bytes of a decoded mask. */
export function bytesToIntervals(data: Uint8Array): Intervals {
  const out: number[] = [];
  let open = -1;
  for (let i = 0; i < data.length; i++) {
    if (data[i] !== 0) {
      if (open < 0) open = i;
    } else if (open >= 0) {
      out.push(open, i);
      open = -1;
    }
  }
  if (open >= 0) out.push(open, data.length);
  return Int32Array.from(out);
}

/** Pixels covered by the union of interval lists. */
export function unionLength(lists: readonly Intervals[]): number {
  if (lists.length === 1) return intervalLength(lists[0]);
  const pairs: [number, number][] = [];
  for (const list of lists) {
    for (let i = 0; i < list.length; i += 2) pairs.push([list[i], list[i + 1]]);
  }
  pairs.sort((a, b) => a[0] - b[0]);
  let total = 0, end = -1;
  for (const [s, e] of pairs) {
    if (s >= end) {
      total += e - s;
      end = e;
    } else if (e > end) {
      total += e - end;
      end = e;
    }
  }
  return total;
}

function intervalLength(list: Intervals): number {
  let n = 0;
  for (let i = 0; i < list.length; i += 2) n += list[i + 1] - list[i];
  return n;
}
