// The cost of describing nouns (issue 24): nounTable() on the full-scale
// file cold (the tagger and WordNet loaded in this process for the first
// time, no cache) and warm (from the cache), against the goals of 3 s and
// 50 ms; and describeNouns on 10,000 distinct phrases in the real data's
// style. No Python counterpart: none of the tools compared does this.
// Run by `deno task bench` (its last section) or alone: `deno task bench:nouns [DATA_DIR]`.
import { dirname, join } from "node:path";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describeNouns, nounTable, Segmentations } from "../mod.ts";

const here = dirname(fileURLToPath(import.meta.url));

const median = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Distinct phrases built from words of the real data's kind. */
function phrases(count: number): string[] {
  const adjectives = [
    "small",
    "pale pink",
    "wooden",
    "old",
    "bright red",
    "striped",
    "shiny",
    "blurry",
    "tall",
    "delicate floral",
  ];
  const nouns = [
    "nails",
    "hand",
    "dog",
    "teddy bear",
    "coffee cup",
    "window",
    "woman's face",
    "pine trees",
    "sheet music",
    "bicycle",
    "pair of jeans",
    "slice of pizza",
    "golden retriever",
    "building",
    "sign",
    "car",
    "hat",
    "grass",
    "book",
    "chair",
  ];
  const tails = [
    "",
    " , parked",
    " in the background",
    " on a wooden table",
    " , lying on the grass",
    " with white letters",
    " and a red ball",
    " curled up asleep",
    " near the window",
    " , half full",
  ];
  const out: string[] = [];
  for (let i = 0; out.length < count; i++) {
    const a = adjectives[i % adjectives.length];
    const n = nouns[Math.floor(i / adjectives.length) % nouns.length];
    const t = tails[Math.floor(i / 200) % tails.length];
    out.push(`${a} ${n}${t} ${Math.floor(i / 2000) || ""}`.trim());
  }
  return [...new Set(out)];
}

/** Prints the nouns section of the bench. */
export async function benchNouns(dataDir: string): Promise<void> {
  using seg = await Segmentations.open({ dataDir });
  const distinct = new Set(seg.metadata.getColumn("noun").toArray()).size;
  const rss = () => Deno.memoryUsage().rss / 2 ** 20;
  const rssBefore = rss();
  let t = performance.now();
  const cold = await nounTable(seg.metadata, { cache: false });
  const coldMs = performance.now() - t;
  const rssLoaded = rss();
  // The first cached call describes again (from the in-process memo) and writes.
  t = performance.now();
  await nounTable(seg.metadata);
  const writeMs = performance.now() - t;
  const warm: number[] = [];
  for (let i = 0; i < 7; i++) {
    t = performance.now();
    const table = await nounTable(seg.metadata);
    warm.push(performance.now() - t);
    if (table.height !== cold.height) throw new Error("warm table differs");
  }
  const many = phrases(10_000);
  t = performance.now();
  const described = await describeNouns(many);
  const manyMs = performance.now() - t;
  console.log(
    `\nnounTable() on ${dataDir} (${seg.length} masks, ${distinct} distinct nouns): ` +
      `cold ${
        (coldMs / 1000).toFixed(2)
      } s (tagger + WordNet loaded, no cache; goal < 3 s), ` +
      `first cached call ${writeMs.toFixed(0)} ms, warm p50 ${
        median(warm).toFixed(1)
      } ms, max ${Math.max(...warm).toFixed(1)} ms (goal < 50 ms); ` +
      `RSS ${rssBefore.toFixed(0)} -> ${rssLoaded.toFixed(0)} MB`,
  );
  console.log(
    `describeNouns on ${described.height} distinct phrases of the real style (tools loaded): ${
      (manyMs / 1000).toFixed(2)
    } s (${(manyMs / described.height * 1000).toFixed(0)} µs a phrase)`,
  );
}

if (import.meta.main) {
  const dataDir = Deno.args[0] ?? join(here, "data", "full");
  if (
    !existsSync(join(dataDir, "stimuli", "task-images_desc-segmentations.h5"))
  ) {
    console.log(
      `building the full-scale file in ${dataDir} with h5py (about a minute)...`,
    );
    const out = await new Deno.Command("/usr/bin/python3", {
      args: [join(here, "make_full_scale.py"), dataDir],
      stderr: "inherit",
    }).output();
    if (!out.success) {
      throw new Error(`make_full_scale.py failed (exit ${out.code})`);
    }
  }
  await benchNouns(dataDir);
}
