// "Did you mean" for unknown names: the same name in another case, then the
// names nearest by edit distance (a missing `_i0` suffix, a typo).

/** Up to `max` names of `names` closest to `wanted`, best first; `[]` when none is close. */
export function closestNames(
  wanted: string,
  names: Iterable<string>,
  max = 3,
): string[] {
  const lower = wanted.toLowerCase();
  const scored: { name: string; d: number }[] = [];
  // Beyond this distance a suggestion is noise.
  const limit = Math.max(2, Math.floor(wanted.length / 3));
  for (const name of names) {
    const l = name.toLowerCase();
    let d: number;
    if (l === lower) d = 0;
    else if (l.startsWith(lower) || lower.startsWith(l)) {
      d = 1 + Math.abs(l.length - lower.length) / 100;
    } else {
      if (Math.abs(l.length - lower.length) > limit) continue;
      d = editDistance(lower, l, limit);
      if (d > limit) continue;
    }
    scored.push({ name, d });
  }
  return scored.sort((a, b) => a.d - b.d || (a.name < b.name ? -1 : 1))
    .slice(0, max).map((s) => s.name);
}

/** Levenshtein distance, stopping early once every path exceeds `limit`. */
function editDistance(a: string, b: string, limit: number): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min(
        prev[j] + 1,
        cur[j - 1] + 1,
        prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      cur.push(v);
      if (v < best) best = v;
    }
    if (best > limit) return limit + 1;
    prev = cur;
  }
  return prev[b.length];
}
