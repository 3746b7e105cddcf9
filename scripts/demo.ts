// `deno task demo`: a summary of the configured data, or of the bundled
// synthetic sample, and a self-contained HTML page showing it (its path is
// the first argument, else `demo.html` in the user cache dir).
import { dirname, join } from "node:path";
import { ensureSample, getDataDir, Segmentations } from "../mod.ts";
import { pl } from "../mod.ts";
import { userCacheDir } from "../lib/data/paths.ts";
import { demoPage } from "./_demo_page.ts";

const configured = getDataDir();
const dataDir = configured ?? await ensureSample();
console.log(
  configured
    ? `Data: ${dataDir} (configured)`
    : `Data: bundled SYNTHETIC sample in ${dataDir} (made-up masks, not LAION-fMRI data; ` +
      `set LAION_FMRI_DATA_DIR or run \`deno task cli init PATH\` for the real data)`,
);

const started = performance.now();
using seg = await Segmentations.open({ dataDir });
const opened = performance.now() - started;
const meta = seg.metadata;
const localized = meta.filter(pl.col("localized").eq(1)).height;
console.log(
  `${seg.length} masks of ${seg.width}x${seg.height} px over ${seg.images().length} images, ` +
    `${meta.getColumn("noun").nUnique()} distinct nouns, ${
      ((100 * localized) / meta.height).toFixed(1)
    }% localized ` +
    `(opened in ${opened.toFixed(0)} ms, ${seg.reader} reader)`,
);

const top = meta.groupBy("noun").agg(pl.len().alias("masks")).sort(
  "masks",
  true,
).head(10);
console.log(
  "Top nouns:",
  top.toRecords().map((r) => `${r.noun} (${r.masks})`).join(", "),
);

const image = seg.images()[0];
const nouns = seg.nouns(image);
console.log(`${image}: ${nouns.join(", ")}`);
const mask = seg.get(image, nouns[0]);
console.log(
  `${nouns[0]} #0: score ${mask.score?.toFixed(3)}, area ${mask.area} px ` +
    `(${
      ((100 * mask.area) / (mask.width * mask.height)).toFixed(1)
    }% of the image), pixel box ${JSON.stringify(mask.bbox())}`,
);

// One page to look at: the summary, a gallery, one overlay, the noun
// frequencies and the explorer, self-contained (open it in any browser).
const html = await demoPage(seg, image);
const page = Deno.args[0] ?? join(userCacheDir(), "demo.html");
await Deno.mkdir(dirname(page), { recursive: true });
await Deno.writeTextFile(page, html);
console.log(`A page with a gallery, an overlay and the explorer: ${page}`);
