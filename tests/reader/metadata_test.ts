// Nouns that CSV readers take for missing values stay text.
import assert from "node:assert/strict";
import { join } from "node:path";
import { readMetadata, Segmentations, writeSample } from "../../mod.ts";

Deno.test("nouns NA, null, nan and None stay text, and their masks are found", async () => {
  const dir = await Deno.makeTempDir({ prefix: "seg-na-" });
  try {
    await writeSample(dir, { images: 3, size: 32, stimuli: false });
    const csv = join(
      dir,
      "stimuli",
      "task-images_desc-segmentations_metadata.csv",
    );
    const lines = (await Deno.readTextFile(csv)).trimEnd().split("\n");
    const words = ["NA", "null", "nan", "None"];
    // Rows 1..4 name four different masks; give them the missing-value words.
    for (let i = 0; i < words.length; i++) {
      const cells = lines[i + 1].split(",");
      assert.equal(cells.length, 11, "sample rows without quoted commas");
      cells[2] = words[i];
      cells[3] = "0";
      cells[10] = `x/${words[i]}_0.png`;
      lines[i + 1] = cells.join(",");
    }
    await Deno.writeTextFile(csv, lines.join("\n") + "\n");
    const frame = readMetadata(csv);
    assert.deepEqual(frame.getColumn("noun").toArray().slice(0, 4), words);
    assert.equal(frame.getColumn("noun").nullCount(), 0);
    using seg = await Segmentations.open({ dataDir: dir });
    for (let i = 0; i < words.length; i++) {
      const image = String(frame.getColumn("image_name").get(i));
      assert.ok(seg.nouns(image, { localizedOnly: false }).includes(words[i]));
      const mask = seg.get(image, words[i], 0);
      assert.equal(mask.noun, words[i]);
      assert.equal(mask.maskRow, Number(frame.getColumn("mask_row").get(i)));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
