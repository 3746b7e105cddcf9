// Prefaulting a new mask buffer: the bytes never change, and on Linux the
// pages are mapped by one call instead of one fault each.
import assert from "node:assert/strict";
import { canPrefault, prefault } from "../../lib/base/prefault.ts";

/** Minor page faults of the calling thread so far (Linux). */
function faults(): number {
  const stat = Deno.readTextFileSync("/proc/thread-self/stat");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[7]);
}

Deno.test("prefault leaves every byte as it was, inside and around the view, at any offset", () => {
  const whole = new Uint8Array(3 * 4096 * 4 + 123);
  for (let i = 0; i < whole.length; i++) whole[i] = (i * 31 + 7) & 255;
  const before = whole.slice();
  for (const [from, to] of [[0, whole.length], [1, 40_001], [4095, 20_000]]) {
    prefault(whole.subarray(from, to));
  }
  prefault(new Uint8Array(10)); // smaller than two pages: nothing to do
  assert.deepEqual(whole, before);
});

Deno.test("on Linux with FFI allowed, a new buffer written after prefault takes almost no page faults", () => {
  assert.equal(Deno.build.os, "linux", "CI runs on Linux");
  assert.ok(canPrefault(), "madvise(MADV_POPULATE_WRITE) works here");
  // 64 MiB: above glibc's largest mmap threshold, so fresh pages each time.
  const size = 64 << 20;
  const touch = (bytes: Uint8Array) => {
    const start = faults();
    for (let i = 0; i < bytes.length; i += 4096) bytes[i] = 1;
    return faults() - start;
  };
  const plain = touch(new Uint8Array(size));
  const mapped = new Uint8Array(size);
  prefault(mapped);
  const after = touch(mapped);
  assert.ok(plain > size / 4096 / 2, `writing new memory faults (${plain})`);
  assert.ok(
    after < plain / 20,
    `${after} faults after prefault, ${plain} without`,
  );
  assert.ok(mapped.every((b, i) => b === (i % 4096 === 0 ? 1 : 0)));
});

Deno.test("without FFI permission prefault does nothing and asks for nothing", async () => {
  const script = `
    import { canPrefault, prefault } from ${
    JSON.stringify(
      new URL("../../lib/base/prefault.ts", import.meta.url).href,
    )
  };
    const b = new Uint8Array(1 << 20).fill(3);
    prefault(b);
    if (canPrefault() || !b.every((v) => v === 3)) Deno.exit(2);
    console.log("ok");
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-lock", "--allow-read", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = out.stdin.getWriter();
  await writer.write(new TextEncoder().encode(script));
  await writer.close();
  const { code, stdout, stderr } = await out.output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  assert.equal(new TextDecoder().decode(stdout).trim(), "ok");
});
