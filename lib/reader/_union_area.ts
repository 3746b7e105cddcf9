// Pixels of the union of sets of masks, reading each mask once. With the
// real layout, masks are read as runs of set pixels (_mask_runs.ts), on
// this thread: a few hundred runs per mask instead of a megabyte, about ten
// times faster than decoding. Otherwise masks() streams them: a set of one
// mask is its area; a larger set ORs its masks into one buffer, freed when
// the set's last mask has arrived (files are written image by image, so few
// buffers are open at a time).
import { streamOptions } from "./_analysis_source.ts";
import type { StreamOptions } from "./_stream.ts";
import type { AnalysisSource } from "./_analysis_source.ts";
import { type Intervals, MaskRuns, unionLength } from "./_mask_runs.ts";

/** Set pixels of a mask (non-zero bytes), four at a time where aligned. */
export function countSet(data: Uint8Array): number {
  let n = 0, start = 0;
  if (data.byteOffset % 4 === 0) {
    const words = new Uint32Array(
      data.buffer,
      data.byteOffset,
      data.length >>> 2,
    );
    for (let i = 0; i < words.length; i++) {
      let w = words[i];
      if (w === 0) continue;
      // Fold each byte onto its lowest bit, then add the four bits.
      w |= w >>> 4;
      w |= w >>> 2;
      w |= w >>> 1;
      n += Math.imul(w & 0x01010101, 0x01010101) >>> 24;
    }
    start = words.length << 2;
  }
  for (let i = start; i < data.length; i++) n += data[i] !== 0 ? 1 : 0;
  return n;
}

function orInto(into: Uint8Array, data: Uint8Array): void {
  if (data.byteOffset % 4 === 0 && into.byteOffset % 4 === 0) {
    const a = new Uint32Array(into.buffer, into.byteOffset, into.length >>> 2);
    const b = new Uint32Array(data.buffer, data.byteOffset, data.length >>> 2);
    for (let i = 0; i < b.length; i++) if (b[i] !== 0) a[i] |= b[i];
    for (let i = b.length << 2; i < data.length; i++) into[i] |= data[i];
  } else {
    for (let i = 0; i < data.length; i++) into[i] |= data[i];
  }
}

/**
 * For each set of HDF5 rows (no repeats within a set), the pixels of their
 * union. `mode: "stream"` forces the masks() path (tests compare both).
 */
export async function unionAreas(
  source: AnalysisSource,
  sets: readonly (readonly number[])[],
  options: StreamOptions = {},
  mode: "auto" | "stream" = "auto",
): Promise<Float64Array> {
  if (mode === "auto") {
    const runs = MaskRuns.open(source.paths.h5, [
      source.length,
      source.height,
      source.width,
    ]);
    if (runs) {
      try {
        return await unionByRuns(runs, sets, options);
      } finally {
        runs.close();
      }
    }
  }
  const pixels = new Float64Array(sets.length);
  const remaining = new Int32Array(sets.length);
  const buffers: (Uint8Array | null)[] = new Array(sets.length).fill(null);
  const route = new Map<number, number[]>();
  sets.forEach((rows, s) => {
    remaining[s] = rows.length;
    for (const r of rows) {
      const list = route.get(r);
      if (list) list.push(s);
      else route.set(r, [s]);
    }
  });
  if (route.size === 0) return pixels;
  const rows = [...route.keys()].sort((a, b) => a - b);
  for await (const mask of source.masks(rows, streamOptions(options))) {
    let area = -1;
    const targets = route.get(mask.maskRow)!;
    for (const s of targets) {
      if (sets[s].length === 1) {
        pixels[s] = area < 0 ? (area = countSet(mask.data)) : area;
        continue;
      }
      const buffer = buffers[s];
      if (buffer) orInto(buffer, mask.data);
      // A streamed mask owns its bytes: a set may keep them (no 1 MB copy)
      // unless another set needs them too.
      else buffers[s] = targets.length === 1 ? mask.data : mask.data.slice();
      if (--remaining[s] === 0) {
        pixels[s] = countSet(buffers[s]!);
        buffers[s] = null;
      }
    }
  }
  return pixels;
}

async function unionByRuns(
  runs: MaskRuns,
  sets: readonly (readonly number[])[],
  options: StreamOptions,
): Promise<Float64Array> {
  const pixels = new Float64Array(sets.length);
  const remaining = new Int32Array(sets.length);
  const parts: Intervals[][] = sets.map(() => []);
  const route = new Map<number, number[]>();
  sets.forEach((rows, s) => {
    remaining[s] = rows.length;
    for (const r of rows) {
      const list = route.get(r);
      if (list) list.push(s);
      else route.set(r, [s]);
    }
  });
  // File order: sequential reads.
  const rows = [...route.keys()].sort((a, b) =>
    runs.address(a) - runs.address(b) || a - b
  );
  const total = rows.length;
  const step = Math.max(1, Math.floor(total / 100));
  for (let k = 0; k < total; k++) {
    options.signal?.throwIfAborted();
    const row = rows[k];
    const intervals = runs.intervals(row);
    for (const s of route.get(row)!) {
      parts[s].push(intervals);
      if (--remaining[s] === 0) {
        pixels[s] = unionLength(parts[s]);
        parts[s] = [];
      }
    }
    const done = k + 1;
    if (options.onProgress && (done % step === 0 || done === total)) {
      options.onProgress({ done, total });
    }
    // Let progress displays, timers and abort signals run.
    if (k % 256 === 255) await new Promise((r) => setTimeout(r, 0));
  }
  return pixels;
}
