// The bundled synthetic sample: deterministic, in the real format, realistic
// enough for the notebooks, written atomically.
import { tempDirAtExit } from "../_support/helpers.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadImage } from "../../lib/deps.ts";
import {
  ensureSample,
  Segmentations,
  StimulusArchive,
  writeSample,
} from "../../mod.ts";

const CSV = join("stimuli", "task-images_desc-segmentations_metadata.csv");

Deno.test("the same seed writes the same CSV and masks; another seed does not", async () => {
  const [a, b, c] = await Promise.all([
    tempDirAtExit(),
    tempDirAtExit(),
    tempDirAtExit(),
  ]);
  await writeSample(a, { images: 5, size: 64, stimuli: false });
  await writeSample(b, { images: 5, size: 64, stimuli: false });
  await writeSample(c, { images: 5, size: 64, stimuli: false, seed: 2 });
  assert.equal(
    await Deno.readTextFile(join(a, CSV)),
    await Deno.readTextFile(join(b, CSV)),
  );
  assert.notEqual(
    await Deno.readTextFile(join(a, CSV)),
    await Deno.readTextFile(join(c, CSV)),
  );
  using sa = await Segmentations.open({ dataDir: a });
  using sb = await Segmentations.open({ dataDir: b });
  assert.equal(sa.length, sb.length);
  for (let r = 0; r < sa.length; r++) {
    assert.deepEqual(sa.row(r).data, sb.row(r).data, `row ${r}`);
  }
});

Deno.test("the default sample looks like the real data", async () => {
  using seg = await Segmentations.open({ dataDir: await ensureSample() });
  assert.equal(seg.width, 1000);
  assert.equal(seg.height, 1000);
  const images = seg.images();
  assert.equal(images.length, 40);
  for (const name of images) {
    assert.match(name, /^shared_(12|4)rep_LAION_cluster_\d+_i\d\.jpg$/);
  }
  const rows = seg.metadata.toRecords();
  // Several instances of a noun, instance 0 the best score.
  const byKey = Map.groupBy(rows, (r) => `${r.image_name}\u0000${r.noun}`);
  const multi = [...byKey.values()].filter((g) => g.length > 1);
  assert.ok(multi.length >= 10, `${multi.length} nouns with several instances`);
  for (const g of multi) {
    const scores = g.sort((x, y) =>
      Number(x.instance_id) - Number(y.instance_id)
    ).map((r) => Number(r.score));
    assert.deepEqual(scores, [...scores].sort((x, y) => y - x));
  }
  // A few non-localized whole-image masks with empty boxes.
  const whole = rows.filter((r) => Number(r.localized) === 0);
  assert.ok(
    whole.length >= 3 && whole.length < rows.length / 5,
    `${whole.length} non-localized`,
  );
  for (const r of whole) {
    assert.equal(r.box_x0, null);
    assert.equal(seg.row(Number(r.mask_row)).area, 1000 * 1000);
  }
  // Localized masks cover < 99% and sit near their box.
  for (const r of rows.filter((r) => Number(r.localized) === 1).slice(0, 40)) {
    const mask = seg.row(Number(r.mask_row));
    const bbox = mask.bbox()!;
    assert.ok(mask.area > 0 && mask.area < 0.99 * 1e6);
    const box = [r.box_x0, r.box_y0, r.box_x1, r.box_y1].map(Number);
    assert.ok(
      bbox.every((v, i) => Math.abs(v - box[i]) <= 10),
      `${bbox} vs ${box}`,
    );
  }
});

Deno.test("the sample's stimulus archive holds decodable JPEGs, plus images without masks", async () => {
  const dir = await ensureSample();
  using archive = new StimulusArchive(dir);
  using seg = await Segmentations.open({ dataDir: dir });
  const names = archive.imageNames();
  assert.ok(names.length > seg.images().length);
  const unshared = names.filter((n) => !seg.hasImage(n));
  assert.ok(unshared.length >= 1);
  assert.deepEqual(seg.nouns(unshared[0]), []);
  const jpeg = await archive.jpeg(seg.images()[0]);
  assert.ok(jpeg);
  assert.deepEqual([...jpeg.subarray(0, 3)], [0xff, 0xd8, 0xff]);
  assert.deepEqual([...jpeg.subarray(-2)], [0xff, 0xd9]);
  const image = await loadImage(jpeg);
  assert.equal(image.width, 1000);
  assert.equal(image.height, 1000);
});

Deno.test("ensureSample writes once, and rewrites a sample that was never completed", async () => {
  const root = await tempDirAtExit();
  const dir = join(root, "sample");
  await Deno.mkdir(join(dir, "stimuli"), { recursive: true });
  await Deno.writeTextFile(join(dir, CSV), "half-written");
  assert.equal(await ensureSample(dir), dir);
  const csv = await Deno.readTextFile(join(dir, CSV));
  assert.match(csv, /^mask_row,image_name,noun/);
  const stat = await Deno.stat(join(dir, CSV));
  await ensureSample(dir);
  assert.equal(
    (await Deno.stat(join(dir, CSV))).mtime?.getTime(),
    stat.mtime?.getTime(),
  );
  // No temporary folders are left behind.
  const left = [];
  for await (const e of Deno.readDir(root)) left.push(e.name);
  assert.deepEqual(left, ["sample"]);
});
