// One stored chunk turned into a mask, as a worker and the calling thread
// both do it: given memory to answer in (a worker's ring slot), the answer
// is that memory for every filter pipeline, never a buffer of its own that
// the caller would not read.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { ChunkedDataset } from "../../../lib/hdf5/chunks.ts";
import { runDecodeTask } from "../../../lib/reader/stream/_decode_task.ts";

Deno.test("runDecodeTask answers in the given memory for gzip+shuffle, gzip, shuffle alone and lzf chunks", () => {
  for (
    const name of [
      "v0_rows_gzip_shuffle",
      "v0_gzip_only",
      "v0_shuffle_only",
      "v0_lzf",
    ]
  ) {
    const path = fileURLToPath(
      new URL(`../../fixtures/layouts/${name}.h5`, import.meta.url),
    );
    const opened = ChunkedDataset.open(path, "masks");
    assert.ok("reader" in opened);
    using ds = opened.reader;
    const [, height, width] = ds.shape;
    const file = Deno.readFileSync(path);
    const chunks = ds.chunks();
    assert.equal(chunks.length, ds.shape[0], `${name}: one mask per chunk`);
    for (const c of chunks) {
      const task = {
        stored: file.slice(c.address, c.address + c.size),
        filters: ds.filters,
        filterMask: c.filterMask,
        width,
        height,
      };
      // A slot still holding another mask's bytes.
      const out = new Uint8Array(width * height).fill(1);
      const r = runDecodeTask({ ...task, kind: "decode", out });
      assert.equal(r.error, undefined, `${name}: ${r.error}`);
      assert.equal(r.data, out, `${name}: answered in the given memory`);
      assert.deepEqual(
        out,
        ds.readRow(c.offset[0]),
        `${name} row ${c.offset[0]}`,
      );
      // Without memory given, a buffer of its own, all of it.
      const own = runDecodeTask({ ...task, kind: "decode" }).data!;
      assert.deepEqual(own, out);
      assert.equal(own.byteLength, own.buffer.byteLength);
    }
  }
});
