// The Segmentations contract on real files: a sample written by h5wasm and a
// fixture written by h5py (CSV order != HDF5 order, chunks of 3 masks,
// awkward nouns).
import assert from "node:assert/strict";
import { join } from "node:path";
import { MaskNotFoundError, pl, Segmentations } from "../../mod.ts";
import { METADATA_COLUMNS } from "../../lib/data/paths.ts";
import {
  copyOfH5pyFixture,
  H5PY_FIXTURE,
  smallSampleDir,
} from "../_support/helpers.ts";

interface CsvRow {
  maskRow: number;
  image: string;
  noun: string;
  instance: number;
  score: number;
  box: number[] | null;
  localized: number;
}

/** Parses the metadata CSV independently of the module (Python's csv rules). */
async function csvRows(dataDir: string): Promise<CsvRow[]> {
  const text = await Deno.readTextFile(
    join(dataDir, "stimuli", "task-images_desc-segmentations_metadata.csv"),
  );
  const records: string[][] = [];
  let field = "", row: string[] = [], quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") row.push(field), (field = "");
    else if (ch === "\n") {
      row.push(field), records.push(row), (row = []), (field = "");
    } else field += ch;
  }
  return records.slice(1).map((r) => ({
    maskRow: Number(r[0]),
    image: r[1],
    noun: r[2],
    instance: Number(r[3]),
    score: Number(r[4]),
    box: r[5] === "" ? null : r.slice(5, 9).map(Number),
    localized: Number(r[9]),
  }));
}

function firstAppearance<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

for (
  const [label, dataDir] of [
    ["h5wasm sample", smallSampleDir],
    ["h5py fixture", () => Promise.resolve(H5PY_FIXTURE)],
  ] as const
) {
  Deno.test(`${label}: metadata is a Polars frame with the CSV's columns and dtypes`, async () => {
    const dir = await dataDir();
    using seg = await Segmentations.open({ dataDir: dir });
    const rows = await csvRows(dir);
    assert.deepEqual(seg.metadata.columns, [...METADATA_COLUMNS]);
    assert.equal(seg.metadata.height, rows.length);
    const schema = seg.metadata.schema;
    for (const c of ["noun", "image_name", "mask_file"]) {
      assert.ok(schema[c].equals(pl.String), c);
    }
    for (const c of ["mask_row", "instance_id", "localized"]) {
      assert.ok(schema[c].equals(pl.Int64), c);
    }
    for (const c of ["score", "box_x0", "box_y1"]) {
      assert.ok(schema[c].equals(pl.Float64), c);
    }
    assert.deepEqual(
      seg.metadata.getColumn("noun").toArray(),
      rows.map((r) => r.noun),
    );
    // Empty box cells are null, not 0 or NaN.
    const nullBoxes = rows.filter((r) => r.box === null).length;
    assert.equal(seg.metadata.getColumn("box_x0").nullCount(), nullBoxes);
    // Polars expressions work on it with the re-exported namespace.
    const high = seg.metadata.filter(pl.col("score").gt(0.5));
    assert.equal(high.height, rows.filter((r) => r.score > 0.5).length);
  });

  Deno.test(`${label}: get() returns the mask of the row mask_row names`, async () => {
    const dir = await dataDir();
    using seg = await Segmentations.open({ dataDir: dir });
    for (const r of await csvRows(dir)) {
      const mask = seg.get(r.image, r.noun, r.instance);
      assert.equal(mask.maskRow, r.maskRow);
      assert.equal(mask.imageName, r.image);
      assert.equal(mask.noun, r.noun);
      assert.equal(mask.instance, r.instance);
      assert.equal(mask.score, r.score);
      assert.equal(mask.data.length, seg.width * seg.height);
      assert.deepEqual(mask.data, seg.row(r.maskRow).data);
      assert.ok(mask.data.every((v) => v === 0 || v === 1));
    }
  });

  Deno.test(`${label}: nouns, forImage, images, hasImage`, async () => {
    const dir = await dataDir();
    using seg = await Segmentations.open({ dataDir: dir });
    const rows = await csvRows(dir);
    assert.deepEqual(seg.images(), firstAppearance(rows.map((r) => r.image)));
    for (const image of seg.images()) {
      const mine = rows.filter((r) => r.image === image);
      assert.ok(seg.hasImage(image));
      assert.deepEqual(
        seg.nouns(image),
        firstAppearance(
          mine.filter((r) => r.localized === 1).map((r) => r.noun),
        ),
      );
      assert.deepEqual(
        seg.nouns(image, { localizedOnly: false }),
        firstAppearance(mine.map((r) => r.noun)),
      );
      const frame = seg.forImage(image);
      assert.deepEqual(frame.columns, [...METADATA_COLUMNS]);
      assert.deepEqual(
        frame.getColumn("mask_row").toArray().map(Number),
        mine.map((r) => r.maskRow),
      );
    }
  });

  Deno.test(`${label}: an image without masks gets empty answers, get() explains`, async () => {
    using seg = await Segmentations.open({ dataDir: await dataDir() });
    const other = "LAION_not_shared_0042.jpg";
    assert.equal(seg.hasImage(other), false);
    assert.deepEqual(seg.nouns(other), []);
    const frame = seg.forImage(other);
    assert.equal(frame.height, 0);
    assert.deepEqual(frame.columns, [...METADATA_COLUMNS]);
    assert.deepEqual(frame.schema, seg.metadata.schema);
    assert.throws(() => seg.get(other, "person"), (err: unknown) => {
      assert.ok(err instanceof MaskNotFoundError);
      assert.match(err.message, /LAION_not_shared_0042\.jpg/);
      assert.match(err.message, /shared stimulus set/);
      return true;
    });
  });

  Deno.test(`${label}: a missing noun or instance names both and lists the nouns`, async () => {
    const dir = await dataDir();
    using seg = await Segmentations.open({ dataDir: dir });
    const image = seg.images()[0];
    const nouns = seg.nouns(image, { localizedOnly: false });
    assert.throws(() => seg.get(image, "unicorn"), (err: unknown) => {
      assert.ok(err instanceof MaskNotFoundError);
      assert.match(err.message, /unicorn/);
      assert.ok(err.message.includes(image));
      for (const n of nouns) {
        assert.ok(
          err.message.includes(JSON.stringify(n)),
          `message lists ${n}`,
        );
      }
      assert.deepEqual(err.availableNouns, nouns);
      return true;
    });
    assert.throws(() => seg.get(image, nouns[0], 99), /instance/);
  });

  Deno.test(`${label}: row(-k) counts from the end, as Python's seg[-k]`, async () => {
    using seg = await Segmentations.open({ dataDir: await dataDir() });
    const last = seg.row(-1), first = seg.row(-seg.length);
    assert.equal(last.maskRow, seg.length - 1);
    assert.deepEqual(last.data, seg.row(seg.length - 1).data);
    assert.equal(first.maskRow, 0);
    assert.deepEqual(first.data, seg.row(0).data);
  });

  Deno.test(`${label}: row() range errors name the valid range`, async () => {
    using seg = await Segmentations.open({ dataDir: await dataDir() });
    for (const bad of [-seg.length - 1, seg.length, 1.5, NaN]) {
      assert.throws(() => seg.row(bad), (err: unknown) => {
        assert.ok(err instanceof RangeError);
        assert.ok(err.message.includes(`0 to ${seg.length - 1}`), err.message);
        return true;
      });
    }
  });
}

Deno.test("h5py fixture: every mask equals its CSV box, read through chunks of 3 masks", async () => {
  using seg = await Segmentations.open({ dataDir: H5PY_FIXTURE });
  assert.equal(seg.length, 10);
  assert.equal(seg.width, 32);
  assert.equal(seg.height, 24);
  for (const r of await csvRows(H5PY_FIXTURE)) {
    const mask = seg.row(r.maskRow);
    const [x0, y0, x1, y1] = r.box ?? [0, 0, 32, 24];
    for (let y = 0; y < 24; y++) {
      for (let x = 0; x < 32; x++) {
        const want = x >= x0 && x < x1 && y >= y0 && y < y1 ? 1 : 0;
        assert.equal(
          mask.data[y * 32 + x],
          want,
          `row ${r.maskRow} pixel (${x}, ${y})`,
        );
      }
    }
    assert.deepEqual(mask.bbox(), [x0, y0, x1, y1]);
  }
});

Deno.test("h5py fixture: awkward nouns survive the CSV (commas, quotes, non-ASCII, numeric)", async () => {
  using seg = await Segmentations.open({ dataDir: H5PY_FIXTURE });
  const first = "shared_12rep_LAION_cluster_1003_i0.jpg";
  assert.deepEqual(seg.nouns(first), ["person", 'hat, "red"', "café crème"]);
  assert.deepEqual(seg.nouns(first, { localizedOnly: false }), [
    "person",
    'hat, "red"',
    "sky",
    "café crème",
  ]);
  assert.deepEqual(seg.nouns("shared_4rep_LAION_cluster_1411_i2.jpg"), [
    "7",
    "dog",
    "person",
  ]);
  assert.equal(
    seg.get("shared_4rep_LAION_cluster_1411_i2.jpg", "7").maskRow,
    5,
  );
  assert.equal(seg.get(first, "café crème").maskRow, 4);
  // Non-contiguous CSV rows still come back in CSV order.
  assert.deepEqual(seg.forImage(first).getColumn("noun").toArray(), [
    "person",
    "person",
    'hat, "red"',
    "sky",
    "café crème",
  ]);
});

Deno.test("row() carries the CSV metadata; close() is safe twice and later reads fail clearly", async () => {
  const seg = await Segmentations.open({ dataDir: H5PY_FIXTURE });
  const mask = seg.row(9);
  assert.equal(mask.noun, 'hat, "red"');
  assert.equal(mask.instance, 0);
  assert.deepEqual(mask.info?.box, [4, 0, 9, 4]);
  seg.close();
  seg.close();
  seg[Symbol.dispose]();
  assert.throws(() => seg.row(0), /closed/);
});

Deno.test("the fixture's stimulus archive sits next to the masks (see stimuli_test.ts)", async () => {
  const { loadStimuli } = await import("../../mod.ts");
  using stim = await loadStimuli({ dataDir: await copyOfH5pyFixture() });
  const name = "shared_4rep_LAION_cluster_1411_i2.jpg";
  assert.ok(stim.images.has(name));
  assert.equal(await stim.images.jpeg("no_such_image.jpg"), null);
  assert.equal(stim.segmentations.nouns(name)[0], "7");
});

Deno.test("the fast chunk reader serves both files, byte-identical to h5wasm", async () => {
  for (const dir of [await smallSampleDir(), H5PY_FIXTURE]) {
    using fast = await Segmentations.open({ dataDir: dir });
    using slow = await Segmentations.open({ dataDir: dir, reader: "h5wasm" });
    assert.equal(fast.reader, "chunks");
    assert.equal(slow.reader, "h5wasm");
    for (let r = 0; r < fast.length; r++) {
      assert.deepEqual(fast.row(r).data, slow.row(r).data, `${dir} row ${r}`);
    }
  }
});

Deno.test("a corrupted chunk is an error naming the file and row, never a wrong mask", async () => {
  const { ChunkedDataset } = await import("../../lib/hdf5/chunks.ts");
  const dir = await copyOfH5pyFixture();
  const h5 = join(dir, "stimuli", "task-images_desc-segmentations.h5");
  const opened = ChunkedDataset.open(h5, "masks");
  assert.ok("reader" in opened);
  const chunk = opened.reader.chunks().find((c) => c.offset[0] === 3)!; // rows 3-5
  opened.reader.close();
  const bytes = await Deno.readFile(h5);
  bytes.fill(0x55, chunk.address + 2, chunk.address + chunk.size - 2);
  await Deno.writeFile(h5, bytes);
  using seg = await Segmentations.open({ dataDir: dir });
  assert.throws(() => seg.row(4), (err: Error) => {
    assert.ok(err.message.includes(h5), err.message);
    assert.match(err.message, /row 4\b/);
    return true;
  });
  // Rows in other chunks still read, and right.
  using clean = await Segmentations.open({ dataDir: H5PY_FIXTURE });
  assert.deepEqual(seg.row(0).data, clean.row(0).data);
  assert.deepEqual(seg.row(9).data, clean.row(9).data);
});

Deno.test("a mask shows itself 320 px wide under a title; the PNG inside is at its own size", async () => {
  const { loadImage } = await import("../../lib/deps.ts");
  using seg = await Segmentations.open({ dataDir: H5PY_FIXTURE });
  const mask = seg.row(7);
  const hook =
    (mask as unknown as Record<symbol, () => Record<string, string>>)[
      Symbol.for("Jupyter.display")
    ];
  // Outside a kernel: the bundle, synchronously.
  const bundle = hook.call(mask);
  assert.match(bundle["text/plain"], /person #0, row 7, 32x24\), area \d+ px/);
  const html = bundle["text/html"];
  assert.match(html, /<div style="font-weight:600">person #0<\/div>/);
  assert.match(
    html,
    /shared_12rep_LAION_cluster_1003_i0\.jpg · score 0\.91 · area [\d,]+ px \([\d.]+%\) · 32x24 · row 7/,
  );
  assert.match(html, /width="320" height="240"/);
  assert.match(html, /image-rendering:pixelated/, "enlarged: sharp pixels");
  const b64 = html.match(/data:image\/png;base64,([^"]+)"/)![1];
  const png = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  assert.deepEqual(png, mask.toPng(), "the raw PNG, not re-encoded");
  const image = await loadImage(png);
  assert.equal(image.width, 32);
  assert.equal(image.height, 24);
  assert.equal(String(mask.area), bundle["text/plain"].match(/area (\d+)/)![1]);
});

Deno.test("mask.display({ size }) picks the shown size; titles from the data are escaped", async () => {
  using seg = await Segmentations.open({ dataDir: H5PY_FIXTURE });
  const mask = seg.get("shared_12rep_LAION_cluster_1003_i0.jpg", 'hat, "red"');
  const view = mask.display({ size: 16 });
  assert.equal(view.mask, mask);
  const html = view.bundle()["text/html"];
  assert.match(html, /width="16" height="12"/);
  assert.doesNotMatch(html, /pixelated/, "shrunk: smooth");
  assert.ok(html.includes("hat, &quot;red&quot; #0"), "noun escaped");
  assert.ok(!html.includes('"red"'), "no raw quotes from the data");
  const hook =
    (view as unknown as Record<symbol, () => Record<string, string>>)[
      Symbol.for("Jupyter.display")
    ];
  assert.deepEqual(hook.call(view), view.bundle());
  for (const bad of [0, -5, NaN, Infinity]) {
    assert.throws(
      () => mask.display({ size: bad }),
      /mask\.display: (options\.)?size must be a (positive|finite) number/,
    );
  }
});

Deno.test("near misses: get() suggests the image with its _i0 suffix or right case, and the noun", async () => {
  using seg = await Segmentations.open({ dataDir: H5PY_FIXTURE });
  const image = "shared_12rep_LAION_cluster_1003_i0.jpg";
  for (
    const typed of [
      "shared_12rep_LAION_cluster_1003.jpg",
      "SHARED_12rep_LAION_cluster_1003_i0.jpg",
    ]
  ) {
    // forImage/nouns keep the spec's empty answers; get() explains.
    assert.deepEqual(seg.nouns(typed), []);
    assert.equal(seg.forImage(typed).height, 0);
    assert.throws(() => seg.get(typed, "person"), (err: unknown) => {
      assert.ok(err instanceof MaskNotFoundError);
      assert.deepEqual(err.suggestions, [image]);
      assert.ok(err.message.includes(`Did you mean "${image}"?`), err.message);
      return true;
    });
  }
  assert.throws(() => seg.get(image, "Person"), (err: unknown) => {
    assert.ok(err instanceof MaskNotFoundError);
    assert.deepEqual(err.suggestions, ["person"]);
    assert.match(
      err.message,
      /has no noun "Person"\. Did you mean "person"\? Its nouns: /,
    );
    return true;
  });
  assert.throws(() => seg.get(image, "unicorn"), (err: unknown) => {
    assert.ok(err instanceof MaskNotFoundError);
    assert.deepEqual(err.suggestions, []);
    assert.doesNotMatch(err.message, /Did you mean/);
    return true;
  });
  // Nothing close to a made-up name: no suggestion, the shared-set hint stays.
  assert.throws(
    () => seg.get("LAION_not_shared_0042.jpg", "person"),
    (err: unknown) => {
      assert.ok(err instanceof MaskNotFoundError);
      assert.doesNotMatch(err.message, /Did you mean/);
      return true;
    },
  );
});

Deno.test("near misses: a missing instance says which instances the noun has, in plain grammar", async () => {
  using seg = await Segmentations.open({ dataDir: H5PY_FIXTURE });
  const image = "shared_12rep_LAION_cluster_1003_i0.jpg";
  assert.throws(() => seg.get(image, "person", 3), (err: unknown) => {
    assert.ok(err instanceof MaskNotFoundError);
    assert.equal(
      err.message,
      `Image "${image}" has no instance 3 of noun "person"; its instances are 0, 1.`,
    );
    return true;
  });
  assert.throws(
    () => seg.get(image, "sky", 1),
    /has no instance 1 of noun "sky"; its instance is 0\.$/,
  );
});

Deno.test("a DataFrame where a name is expected: one line naming the call, not the frame's content", async () => {
  using seg = await Segmentations.open({ dataDir: H5PY_FIXTURE });
  const frame = seg.forImage("shared_12rep_LAION_cluster_1003_i0.jpg");
  const calls: [string, () => unknown][] = [
    ["seg.get", () => seg.get(frame as never, "person")],
    ["seg.nouns", () => seg.nouns(frame as never)],
    ["seg.forImage", () => seg.forImage(frame as never)],
    ["seg.hasImage", () => seg.hasImage(frame as never)],
  ];
  for (const [name, call] of calls) {
    assert.throws(call, (err: unknown) => {
      assert.ok(err instanceof TypeError);
      assert.ok(
        err.message.startsWith(
          `${name}: imageName must be a string; got a DataFrame (${frame.height} rows x 11 columns).`,
        ),
        err.message,
      );
      assert.ok(!err.message.includes("\n"), "one line");
      assert.ok(!err.message.includes("person_0.png"), "no frame content");
      return true;
    });
  }
  assert.throws(
    () => seg.row(frame as never),
    /^TypeError: seg\.row: maskRow must be an integer; got a DataFrame \(\d+ rows x 11 columns\)\.$/,
  );
  assert.throws(
    () =>
      seg.get(
        "shared_12rep_LAION_cluster_1003_i0.jpg",
        frame.getColumn("noun") as never,
      ),
    /^TypeError: seg\.get: noun must be a string; got a Series of \d+ values\./,
  );
});

Deno.test("seg as a cell's last line: a compact summary of counts, nouns, files and reader", async () => {
  using seg = await Segmentations.open({ dataDir: H5PY_FIXTURE });
  const rows = await csvRows(H5PY_FIXTURE);
  const hook = (seg as unknown as Record<symbol, () => Record<string, string>>)[
    Symbol.for("Jupyter.display")
  ];
  const bundle = hook.call(seg);
  const text = bundle["text/plain"];
  const nouns = new Set(rows.map((r) => r.noun));
  const images = new Set(rows.map((r) => r.image));
  const localized = rows.filter((r) => r.localized === 1).length;
  assert.ok(
    text.startsWith(
      `Segmentations: ${seg.length} masks · ${images.size} images · ${nouns.size} nouns · 32x24 px\n`,
    ),
    text,
  );
  assert.ok(
    text.includes(
      `localized: ${
        Math.round(100 * localized / rows.length)
      }% of masks (${localized} of ${rows.length})`,
    ),
  );
  assert.match(text, /top nouns: person 3 · /);
  assert.ok(text.includes(`masks: ${seg.paths.h5} (`));
  assert.ok(text.includes(`metadata: ${seg.paths.csv} (`));
  assert.match(text, /reader: chunks/);
  assert.ok(text.split("\n").length <= 8, "a few lines, not a dump");
  const html = bundle["text/html"];
  assert.match(html, /class="seg-summary"/);
  // The awkward noun `hat, "red"` is escaped if it shows.
  assert.ok(!html.includes('"red"'));
  assert.ok(html.includes(seg.paths.h5));
  // toString() stays one line.
  assert.ok(!String(seg).includes("\n"));
  assert.match(String(seg), /^Segmentations\(\d+ masks, \d+ images, 32x24, /);
});

Deno.test("displayHook in the kernel: the display first, then an empty result (or the summary given)", async () => {
  const { displayHook } = await import("../../lib/display/jupyter.ts");
  const shown: Record<string, string>[] = [];
  const kernel = () => (bundle: Record<string, string>) => {
    shown.push(bundle);
    return Promise.resolve();
  };
  const result = await displayHook(
    () => ({ "text/plain": "x" }),
    null,
    kernel,
  )();
  assert.deepEqual(shown, [{ "text/plain": "x" }]);
  assert.deepEqual(result, {});
  assert.deepEqual(
    await displayHook(() => ({}), () => "line", kernel)(),
    { "text/plain": "line" },
  );
});
