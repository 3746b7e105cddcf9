// coverage({ by }) (issue 24): one union per image and group of nouns,
// equal to numpy's union of the same masks on an h5py-written file, with
// the labels describeNouns gives; wide regressors per group.
import assert from "node:assert/strict";
import { join } from "node:path";
import { Segmentations } from "../../../mod.ts";
import { ANALYSIS_FIXTURE } from "../../_support/analysis_fixture.ts";
import {
  h5pyAvailable,
  PYTHON,
  tempDirAtExit,
} from "../../_support/helpers.ts";

for (const by of ["category", "head", "supersense"] as const) {
  Deno.test(`coverage({ by: "${by}" }) equals numpy's union of each image's masks per ${by}`, async () => {
    assert.ok(await h5pyAvailable(), "numpy and h5py compute the reference");
    using seg = await Segmentations.open({ dataDir: ANALYSIS_FIXTURE });
    const table = await seg.nounTable();
    const labels = Object.fromEntries(
      table.select("noun", by).toRecords().map((r) => [r.noun, r[by]]),
    );
    const dir = await tempDirAtExit("seg-by-");
    await Deno.writeTextFile(join(dir, "labels.json"), JSON.stringify(labels));
    const out = await new Deno.Command(PYTHON, {
      args: [
        new URL("../../fixtures/group_union_reference.py", import.meta.url)
          .pathname,
        ANALYSIS_FIXTURE,
        join(dir, "labels.json"),
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const want = JSON.parse(new TextDecoder().decode(out.stdout)) as {
      image_name: string;
      group: string;
      masks: number;
      pixels: number;
    }[];
    const got = await seg.coverage(undefined, { by });
    assert.deepEqual(got.columns, [
      "image_name",
      by,
      "masks",
      "pixels",
      "fraction",
    ]);
    const key = (image: string, group: string) => `${image}\u0000${group}`;
    const ours = new Map(
      got.toRecords().map((r) => [
        key(r.image_name as string, r[by] as string),
        [Number(r.masks), Number(r.pixels)],
      ]),
    );
    assert.equal(ours.size, want.length);
    for (const w of want) {
      assert.deepEqual(
        ours.get(key(w.image_name, w.group)),
        [w.masks, w.pixels],
        `${w.image_name} / ${w.group}`,
      );
    }
    // Wide: one row per image, one column per group.
    const wide = await seg.coverage(undefined, { by, wide: true });
    assert.deepEqual(wide.getColumn("image_name").toArray(), seg.images());
    const groups = [...new Set(want.map((w) => w.group))].sort();
    assert.deepEqual(wide.columns.slice(1), groups);
  });
}
