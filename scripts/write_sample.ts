// `deno task sample [DIR]`: writes the synthetic sample into DIR (default: the sample cache).
import {
  ensureSample,
  sampleDir,
  writeSample,
} from "../lib/data/sample/sample.ts";

const target = Deno.args[0];
const started = performance.now();
const dir = target
  ? (await writeSample(target)).dataDir
  : await ensureSample(sampleDir());
console.log(
  `Synthetic sample (made-up masks, not LAION-fMRI data) in ${dir} (${
    Math.round(performance.now() - started)
  } ms)`,
);
