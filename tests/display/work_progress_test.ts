// workProgress: one notebook output updated in place (the same display id,
// `update` after the first), a bar on a terminal, and nothing before the
// delay, so a quick call or a cached answer shows nothing.
import assert from "node:assert/strict";
import { workProgress } from "../../lib/display/progress.ts";

type Call = {
  bundle: Record<string, string>;
  options: { display_id?: string; update?: boolean };
};

function fakeDisplay(calls: Call[]) {
  return (
    bundle: Record<string, string>,
    options: { raw: boolean; display_id?: string; update?: boolean },
  ) => {
    calls.push({ bundle, options });
    return Promise.resolve();
  };
}

Deno.test("workProgress: in a notebook, one output updated in place, then its closing line", async () => {
  const calls: Call[] = [];
  const progress = workProgress("seg.stats", {
    display: fakeDisplay(calls),
    delayMs: 0,
  });
  for (let done = 0; done <= 1000; done += 10) {
    progress.onProgress({ done, total: 1000 });
  }
  await progress.finish();
  assert.ok(progress.shown);
  assert.ok(calls.length >= 2, `${calls.length} display calls`);
  const ids = new Set(calls.map((c) => c.options.display_id));
  assert.equal(ids.size, 1, "one output");
  assert.deepEqual(
    calls.map((c) => c.options.update),
    [false, ...calls.slice(1).map(() => true)],
  );
  assert.match(calls[0].bundle["text/html"], /class="laion-fmri-progress"/);
  assert.match(
    calls[0].bundle["text/html"],
    /<progress value="\d+" max="1000"/,
  );
  assert.match(
    calls.at(-1)!.bundle["text/plain"],
    /^seg\.stats: 1,000 masks in \d+\.\d s$/,
  );
});

Deno.test("workProgress: nothing before the delay (a quick call, a cached answer)", async () => {
  const calls: Call[] = [];
  const lines: string[] = [];
  const notebook = workProgress("seg.coverage", {
    display: fakeDisplay(calls),
    delayMs: 60_000,
  });
  const terminal = workProgress("seg.coverage", {
    display: null,
    write: (t) => lines.push(t),
    delayMs: 60_000,
  });
  for (const p of [notebook, terminal]) {
    p.onProgress({ done: 5, total: 10 });
    p.onProgress({ done: 10, total: 10 });
    await p.finish();
    assert.equal(p.shown, false);
  }
  assert.deepEqual(calls, []);
  assert.deepEqual(lines, []);
});

Deno.test("workProgress: a bar on a terminal, ended by a line; a failure says where it stopped", async () => {
  const lines: string[] = [];
  const progress = workProgress("seg.toCoco", {
    display: null,
    write: (t) => lines.push(t),
    delayMs: 0,
  });
  progress.onProgress({ done: 250, total: 1000 });
  await progress.finish(true);
  await progress.finish(); // safe twice
  assert.equal(lines.length, 2);
  assert.match(
    lines[0],
    // deno-lint-ignore no-control-regex
    /^\r\x1b\[Kseg\.toCoco \[#{6}-{18}\] 25% 250\/1,000 masks$/,
  );
  assert.equal(
    lines[1],
    "\r\x1b[Kseg.toCoco: stopped after 250 of 1,000 masks\n",
  );
});

Deno.test("workProgress: a display that fails never fails the work", async () => {
  const progress = workProgress("seg.grids", {
    display: () => Promise.reject(new Error("frontend gone")),
    delayMs: 0,
  });
  progress.onProgress({ done: 1, total: 2 });
  progress.onProgress({ done: 2, total: 2 });
  await progress.finish();
});
