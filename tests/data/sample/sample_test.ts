// The bundled synthetic sample: deterministic, in the real format, realistic
// enough for the notebooks, written atomically.
import { tempDirAtExit } from "../../_support/helpers.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadImage } from "../../../lib/deps.ts";
import {
  ensureSample,
  Segmentations,
  StimulusArchive,
  writeSample,
} from "../../../mod.ts";

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

Deno.test("the default sample looks like the real data, quirks included", async () => {
  using seg = await Segmentations.open({ dataDir: await ensureSample() });
  assert.equal(seg.width, 1000);
  assert.equal(seg.height, 1000);
  assert.equal(seg.reader, "chunks");
  const images = seg.images();
  assert.equal(images.length, 40);
  for (const name of images) {
    assert.match(
      name,
      /^shared_(12|4)rep_LAION_cluster_\d+_i\d\.jpg$|^shared_4rep_OOD_\d{4}\.png$/,
    );
  }
  const rows = seg.metadata.toRecords();
  // Free-text phrase nouns, some with commas, as the real CSV has them.
  const nouns = [...new Set(rows.map((r) => String(r.noun)))];
  assert.ok(nouns.includes("short , pale pink polished nails"));
  assert.ok(nouns.filter((n) => n.includes(",")).length >= 5, `${nouns}`);
  assert.ok(nouns.some((n) => n.length >= 40), "long phrases");
  // Instance ids that skip numbers; instance 0 not always the best score.
  const byKey = Map.groupBy(rows, (r) => `${r.image_name}\u0000${r.noun}`);
  const groups = [...byKey.values()];
  const ids = (g: typeof rows) =>
    g.map((r) => Number(r.instance_id)).sort((a, b) => a - b);
  assert.ok(
    groups.some((g) => ids(g).some((id, i) => id !== i)),
    "skipped instance ids",
  );
  assert.ok(
    groups.some((g) => {
      const first = g.find((r) => Number(r.instance_id) === 0)!;
      return g.some((r) => Number(r.score) > Number(first.score));
    }),
    "a noun whose instance 0 is not the best",
  );
  for (const g of groups) assert.equal(ids(g)[0], 0, "ids start at 0");
  // Some busy images with 20+ masks and long phrases.
  const perImage = Map.groupBy(rows, (r) => String(r.image_name));
  const busy = [...perImage.values()].filter((g) => g.length >= 20);
  assert.ok(busy.length >= 2, `${busy.length} images with 20+ masks`);
  assert.ok(busy.every((g) => g.some((r) => String(r.noun).length >= 30)));
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

Deno.test("the sample's stimulus archive: JPEGs, RGBA PNGs of the OOD set, and subject-unique images without masks", async () => {
  const dir = await ensureSample();
  using archive = new StimulusArchive(dir);
  using seg = await Segmentations.open({ dataDir: dir });
  const names = archive.names();
  assert.ok(names.length > seg.images().length);
  assert.ok(seg.images().every((n) => archive.has(n)));
  // Subject-unique images: listed, with a participant, and no masks.
  const meta = archive.metadata.toRecords();
  const unique = meta.filter((r) => r.unique_or_shared === "unique");
  assert.ok(unique.length >= 1);
  for (const r of unique) {
    assert.match(String(r.participant), /^sub-\d+$/);
    assert.equal(seg.hasImage(String(r.image_name)), false);
    assert.deepEqual(seg.nouns(String(r.image_name)), []);
  }
  assert.deepEqual(meta.map((r) => r.image_name), names);
  const jpeg = await archive.bytes(seg.images()[0]);
  assert.deepEqual([...jpeg.subarray(0, 3)], [0xff, 0xd8, 0xff]);
  assert.deepEqual([...jpeg.subarray(-2)], [0xff, 0xd9]);
  const image = await loadImage(jpeg);
  assert.equal(image.width, 1000);
  assert.equal(image.height, 1000);
  // OOD stimuli: RGBA PNGs with masks, transparent where there is no object.
  const ood = seg.images().filter((n) => n.endsWith(".png"));
  assert.ok(ood.length >= 3);
  const raw = await archive.image(ood[0], { asDisplayed: false });
  assert.equal(raw.format, "png");
  assert.equal(raw.channels, 4);
  assert.equal(raw.pixels[3], 0, "the top-left corner is transparent");
  const shown = await archive.image(ood[0]);
  assert.deepEqual([...shown.pixels.subarray(0, 3)], [128, 128, 128]);
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
