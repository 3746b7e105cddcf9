// Memory returns after close(): open / read / stream with workers / close
// cycles, run in a subprocess, keep its resident memory within a bound.
// Not a timing test: only memory is asserted, with a generous bound.
import assert from "node:assert/strict";
import { join } from "node:path";
import { writeSample } from "../../mod.ts";
import { spareRings } from "../../lib/reader/stream/_pool.ts";
import { tempDirAtExit } from "../_support/helpers.ts";

const MOD = new URL("../../mod.ts", import.meta.url).href;
const POOL = new URL("../../lib/reader/stream/_pool.ts", import.meta.url).href;

// One cycle is a notebook cell: open, look up, read a row, stream every
// mask through the workers, close, and one turn of the event loop.
const SCRIPT = `
import { Segmentations } from ${JSON.stringify(MOD)};
import { spareRings } from ${JSON.stringify(POOL)};
const [dataDir, cyclesText] = Deno.args;
const cycles = Number(cyclesText);
const status = () => Deno.readTextFileSync("/proc/self/status");
const kb = (key) => Number(new RegExp(key + ":\\\\s+(\\\\d+)").exec(status())[1]);
const out = { warm: 0, end: 0, peakWarm: 0, peakEnd: 0, spares: [] };
for (let c = 0; c < cycles; c++) {
  const seg = await Segmentations.open({ dataDir });
  seg.images();
  seg.row(c % seg.length);
  // Enough masks that the workers load and take part (rows repeat).
  const rows = Array.from({ length: 600 }, (_, k) => k % seg.length);
  let n = 0;
  for await (const mask of seg.masks(rows, { workers: 3, reuse: true })) n += mask.area >= 0 ? 1 : 0;
  if (n !== rows.length) throw new Error("streamed " + n + " of " + rows.length);
  seg.close();
  out.spares.push(spareRings());
  await new Promise((r) => setTimeout(r, 0));
  if (c === 4) { out.warm = kb("VmRSS"); out.peakWarm = kb("VmHWM"); }
}
out.end = kb("VmRSS");
out.peakEnd = kb("VmHWM");
console.log(JSON.stringify(out));
`;

Deno.test({
  name:
    "open / read / stream / close cycles: resident memory stays bounded, rings are reused",
  // The subprocess reads /proc/self/status.
  ignore: Deno.build.os !== "linux",
  async fn() {
    const dir = await tempDirAtExit("seg-resources-");
    // Full-size masks, so that each reader's shared rings are 32 MB a lane.
    await writeSample(dir, { images: 4, size: 1000, stimuli: false });
    const script = join(dir, "cycles.mjs");
    await Deno.writeTextFile(script, SCRIPT);
    const cycles = 40;
    const run = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", script, dir, String(cycles)],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(run.stderr);
    assert.ok(run.success, stderr);
    const got = JSON.parse(new TextDecoder().decode(run.stdout)) as {
      warm: number;
      end: number;
      peakWarm: number;
      peakEnd: number;
      spares: number[];
    };
    const mb = (k: number) => k / 1024;
    const growth = mb(got.end - got.warm);
    const peakGrowth = mb(got.peakEnd - got.peakWarm);
    // Without reuse, each cycle leaves two 32 MB rings to the garbage
    // collector: 35 cycles would be 2 GB. The bound leaves room for the
    // collector's own timing and the allocator's caches.
    assert.ok(
      growth < 300,
      `resident memory grew ${growth.toFixed(0)} MB over ${
        cycles - 5
      } cycles (${JSON.stringify(got)})`,
    );
    assert.ok(
      peakGrowth < 400,
      `peak memory grew ${peakGrowth.toFixed(0)} MB over ${cycles - 5} cycles`,
    );
    // Closed readers leave their rings for the next one (a ring with a
    // slot still lent at close is left to the collector instead).
    assert.ok(
      got.spares.filter((s) => s > 0).length >= cycles / 2,
      JSON.stringify(got.spares),
    );
    // This process never started a pool: nothing is held here.
    assert.equal(spareRings(), 0);
  },
});
