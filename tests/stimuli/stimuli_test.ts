// The stimulus archive: names, metadata, bytes and decoded images as they were
// presented, on h5py-written archives of both storage types (vlen uint8 and
// vlen byte strings), with an RGBA PNG and a PNG named .jpg.
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadImage } from "../../lib/deps.ts";
import { writeVlenBytesDataset } from "../../lib/hdf5/vlen_writer.ts";
import { loadStimuli, pl, StimulusArchive } from "../../mod.ts";
import { copyOfDataDir, H5PY_FIXTURE } from "../_support/helpers.ts";

const VLEN_STR_FIXTURE = join(H5PY_FIXTURE, "..", "h5py_vlen_str");
const JPEG_NAME = "shared_12rep_LAION_cluster_1003_i0.jpg";
const OOD_NAME = "shared_4rep_OOD_0007.png";
const OOD_NAMED_JPG = "shared_4rep_OOD_0011.jpg";
const NAMES = [
  JPEG_NAME,
  "LAION_unshared_0001.jpg",
  "shared_4rep_LAION_cluster_1411_i2.jpg",
  "shared_12rep_LAION_cluster_1520_i1.jpg",
  OOD_NAME,
  OOD_NAMED_JPG,
];

/** RGB of pixel (x, y) of an image with `channels` bytes per pixel. */
function at(
  image: { width: number; pixels: Uint8Array; channels: number },
  x: number,
  y: number,
): number[] {
  const i = (y * image.width + x) * image.channels;
  return [...image.pixels.subarray(i, i + image.channels)];
}

function near(got: number[], want: number[], tolerance: number, what: string) {
  assert.equal(got.length, want.length, what);
  assert.ok(
    got.every((v, i) => Math.abs(v - want[i]) <= tolerance),
    `${what}: got ${got}, want ${want} (±${tolerance})`,
  );
}

for (
  const [label, dir, kind, reader] of [
    ["h5py vlen uint8", H5PY_FIXTURE, "uint8", "auto"],
    ["h5py vlen strings", VLEN_STR_FIXTURE, "string", "auto"],
    ["h5py vlen uint8 through h5wasm", H5PY_FIXTURE, "uint8", "h5wasm"],
    ["h5py vlen strings through h5wasm", VLEN_STR_FIXTURE, "string", "h5wasm"],
  ] as const
) {
  Deno.test(`${label}: names, has, indexOf and metadata follow the CSV's rows`, () => {
    using stimuli = new StimulusArchive(dir, { reader });
    assert.ok(stimuli.available);
    assert.deepEqual(stimuli.names(), NAMES);
    assert.equal(stimuli.length, NAMES.length);
    assert.ok(stimuli.has(OOD_NAME));
    assert.ok(!stimuli.has("nope.jpg"));
    NAMES.forEach((n, i) => assert.equal(stimuli.indexOf(n), i));
    const meta = stimuli.metadata;
    assert.deepEqual(meta.columns, [
      "image_name",
      "dataset",
      "participant",
      "unique_or_shared",
      "n_reps",
    ]);
    assert.deepEqual(meta.getColumn("image_name").toArray(), NAMES);
    assert.equal(meta.getColumn("n_reps").dtype.toString(), "DataType(Int64)");
    assert.equal(
      meta.getColumn("participant").dtype.toString(),
      "DataType(String)",
    );
    // Subject-unique images are listed too.
    const unique = meta.filter(pl.col("unique_or_shared").eq(pl.lit("unique")));
    assert.deepEqual(unique.getColumn("image_name").toArray(), [NAMES[1]]);
    assert.deepEqual(unique.getColumn("participant").toArray(), ["sub-01"]);
  });

  Deno.test(`${label}: bytes by name, row and negative row, NUL bytes kept`, async () => {
    using stimuli = new StimulusArchive(dir, { reader });
    const jpeg = await stimuli.bytes(JPEG_NAME);
    assert.deepEqual([...jpeg.subarray(0, 3)], [0xff, 0xd8, 0xff]);
    assert.deepEqual([...jpeg.subarray(-2)], [0xff, 0xd9]);
    assert.ok(jpeg.includes(0), "a JPEG holds NUL bytes");
    assert.equal(stimuli.reader, reader === "auto" ? "chunks" : "h5wasm");
    assert.deepEqual(await stimuli.bytes(0), jpeg);
    const png = await stimuli.bytes(-2);
    assert.deepEqual(png, await stimuli.bytes(OOD_NAME));
    assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
    // Every row decodes: nothing was cut at a NUL.
    for (let i = 0; i < NAMES.length; i++) {
      const image = await loadImage(await stimuli.bytes(i));
      assert.ok(image.width > 0, `${label} row ${i}`);
    }
    assert.deepEqual(await stimuli.jpeg(JPEG_NAME), jpeg);
    assert.equal(await stimuli.jpeg("no_such_image.jpg"), null);
    if (kind === "string") {
      // The archive really is the other storage type.
      const { openH5BytesDataset } = await import("../../lib/hdf5/h5wasm.ts");
      const ds = await openH5BytesDataset(
        join(dir, "stimuli", "task-images_stimuli.h5"),
        "images",
      );
      assert.equal(ds.kind, "string");
      ds.close();
    }
  });

  Deno.test(`${label}: a JPEG decodes upright and true in colour`, async () => {
    using stimuli = new StimulusArchive(dir, { reader });
    const image = await stimuli.image(JPEG_NAME);
    assert.equal(image.format, "jpeg");
    assert.equal(image.width, 32);
    assert.equal(image.height, 24);
    assert.equal(image.channels, 3);
    assert.equal(image.hasAlpha, false);
    assert.equal(image.pixels.length, 32 * 24 * 3);
    // Quadrant centres: red, green / blue, yellow.
    near(at(image, 8, 6), [255, 0, 0], 12, "top left");
    near(at(image, 24, 6), [0, 255, 0], 12, "top right");
    near(at(image, 8, 18), [0, 0, 255], 12, "bottom left");
    near(at(image, 24, 18), [255, 255, 0], 12, "bottom right");
    // asDisplayed changes nothing for an opaque JPEG.
    const raw = await stimuli.image(0, { asDisplayed: false });
    assert.equal(raw.channels, 3);
    assert.deepEqual(raw.pixels, image.pixels);
  });

  Deno.test(`${label}: an RGBA PNG shows presentation grey where transparent; asDisplayed: false keeps alpha`, async () => {
    using stimuli = new StimulusArchive(dir, { reader });
    for (const name of [OOD_NAME, OOD_NAMED_JPG]) {
      const shown = await stimuli.image(name);
      assert.equal(shown.format, "png", `${name} is decoded by content`);
      assert.equal(shown.hasAlpha, true);
      assert.equal(shown.channels, 3);
      assert.deepEqual([shown.width, shown.height], [24, 12]);
      assert.deepEqual(at(shown, 2, 5), [0, 200, 0]); // opaque
      near(at(shown, 12, 5), [192, 64, 64], 2, "red at alpha 128 over grey");
      assert.deepEqual(at(shown, 20, 5), [128, 128, 128]); // transparent
      const raw = await stimuli.image(name, { asDisplayed: false });
      assert.equal(raw.channels, 4);
      assert.equal(raw.pixels.length, 24 * 12 * 4);
      assert.deepEqual(at(raw, 2, 5), [0, 200, 0, 255]);
      near(at(raw, 12, 5), [255, 0, 0, 128], 2, "half-transparent red");
      assert.equal(at(raw, 20, 5)[3], 0);
    }
  });
}

Deno.test("unknown names and rows: clear errors with the closest names", async () => {
  using stimuli = new StimulusArchive(H5PY_FIXTURE);
  assert.throws(
    () => stimuli.indexOf("shared_12rep_LAION_cluster_1003_i0"),
    (err: unknown) => {
      assert.ok(err instanceof RangeError);
      assert.ok(err.message.includes(stimuli.csvPath), err.message);
      assert.match(
        err.message,
        /did you mean "shared_12rep_LAION_cluster_1003_i0\.jpg"/,
      );
      return true;
    },
  );
  assert.throws(
    () => stimuli.indexOf("SHARED_4REP_OOD_0007.PNG"),
    /did you mean "shared_4rep_OOD_0007\.png"/,
  );
  await assert.rejects(() => stimuli.bytes(6), /out of range: .* rows 0 to 5/);
  await assert.rejects(() => stimuli.image(-7), RangeError);
  await assert.rejects(() => stimuli.image(1.5), RangeError);
  assert.throws(
    () => stimuli.indexOf(pl.DataFrame({ a: [1] }) as unknown as string),
    /expected an image name \(a string\), got a DataFrame/,
  );
});

Deno.test("without the archive: errors say to request access, not to download", async () => {
  const dir = await Deno.makeTempDir();
  try {
    using stimuli = new StimulusArchive(dir);
    assert.equal(stimuli.available, false);
    assert.equal(stimuli.has(JPEG_NAME), false);
    assert.deepEqual(stimuli.imageNames(), []);
    assert.equal(await stimuli.jpeg(JPEG_NAME), null);
    for (const call of [() => stimuli.names(), () => stimuli.metadata]) {
      assert.throws(call, (err: unknown) => {
        assert.ok(err instanceof Deno.errors.NotFound);
        assert.match(err.message, /not in the public bucket/);
        assert.match(err.message, /request access/);
        assert.ok(err.message.includes(stimuli.h5Path), err.message);
        return true;
      });
    }
    await assert.rejects(() => stimuli.image(0), /request access/);
    assert.match(String(stimuli), /absent; request access/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a CSV and archive that do not belong together, and bytes that are no image, fail clearly", async () => {
  const dir = await copyOfDataDir(H5PY_FIXTURE);
  try {
    const csv = join(dir, "stimuli", "task-images_metadata.csv");
    await Deno.writeTextFile(csv, `image_name\na.jpg\nb.jpg\n`);
    {
      using stimuli = new StimulusArchive(dir);
      await assert.rejects(
        () => stimuli.bytes("a.jpg"),
        /lists 2 images but .* holds 6; the two files do not belong together/,
      );
    }
    await writeVlenBytesDataset(
      join(dir, "stimuli", "task-images_stimuli.h5"),
      "images",
      [
        new Uint8Array([0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0, 1, 0, 1, 0, 0]),
        new Uint8Array([0xff, 0xd8, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
      ],
    );
    using stimuli = new StimulusArchive(dir);
    await assert.rejects(() => stimuli.image("a.jpg"), (err: unknown) => {
      assert.ok(err instanceof TypeError);
      assert.match(
        err.message,
        /a\.jpg .*row 0\) is neither a PNG nor a JPEG: it starts with 47 49 46 38/,
      );
      return true;
    });
    await assert.rejects(() => stimuli.image("b.jpg"), /damaged JPEG/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("stimulus images stored as h5wasm-written variable-length strings keep their NUL bytes", async () => {
  const dir = await copyOfDataDir(H5PY_FIXTURE);
  try {
    const source = new StimulusArchive(H5PY_FIXTURE);
    const images = [await source.bytes(0), await source.bytes(OOD_NAME)];
    source.close();
    await writeVlenBytesDataset(
      join(dir, "stimuli", "task-images_stimuli.h5"),
      "images",
      images,
      { as: "string" },
    );
    await Deno.writeTextFile(
      join(dir, "stimuli", "task-images_metadata.csv"),
      `image_name\na.jpg\nb.png\n`,
    );
    using archive = new StimulusArchive(dir);
    assert.deepEqual(await archive.bytes("a.jpg"), images[0]);
    assert.deepEqual(await archive.bytes("b.png"), images[1]);
    assert.deepEqual(at(await archive.image(1), 20, 5), [128, 128, 128]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an image shows in Jupyter as its PNG, 480 px wide under its name (display({ size }) picks another); close() is safe twice", async () => {
  using stim = await loadStimuli({ dataDir: H5PY_FIXTURE });
  const image = await stim.images.image(OOD_NAME);
  const hook =
    (image as unknown as Record<symbol, () => Record<string, string>>)[
      Symbol.for("Jupyter.display")
    ];
  const bundle = hook.call(image);
  assert.match(
    bundle["text/plain"],
    /shared_4rep_OOD_0007\.png, 24x12 RGB from PNG, composited over grey 128/,
  );
  const html = bundle["text/html"];
  assert.match(html, /<img [^>]*width="480" height="240"/);
  assert.ok(html.includes(`>${OOD_NAME}</div>`), "titled with its name");
  const png = Uint8Array.from(
    atob(/src="data:image\/png;base64,([^"]+)"/.exec(html)![1]),
    (c) => c.charCodeAt(0),
  );
  const decoded = await loadImage(png);
  assert.deepEqual([decoded.width, decoded.height], [24, 12]);
  const small = image.display({ size: 96 }).bundle()["text/html"];
  assert.match(small, /<img [^>]*width="96" height="48"/);
  assert.throws(() => image.display({ size: 0 }), RangeError);
  assert.equal(Deno.inspect(image), String(image), "one line, no pixels");
  stim.images.close();
  stim.images.close();
  assert.throws(() => stim.images.names(), /closed/);
  assert.match(String(stim.images), /closed/);
});
