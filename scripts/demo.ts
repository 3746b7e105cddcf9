// `deno task demo`: a summary of the configured data, or of the bundled synthetic sample.
import { ensureSample, getDataDir, Segmentations } from "../mod.ts";
import { pl } from "../mod.ts";

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
