// Bad input gets a clear error naming the file and what is wrong; data-dir
// resolution follows options, env, then the Python package's config file.
import assert from "node:assert/strict";
import { join } from "node:path";
import type { H5 as H5Types } from "../../lib/deps.ts";
import { h5wasmReady } from "../../lib/hdf5/h5wasm.ts";

type H5File = H5Types.File;
import { Segmentations } from "../../mod.ts";
import {
  copyOfH5pyFixture,
  H5PY_FIXTURE,
  tempDirAtExit,
  withEnv,
} from "../_support/helpers.ts";

const H5 = "task-images_desc-segmentations.h5";
const CSV = "task-images_desc-segmentations_metadata.csv";

async function rejects(
  dataDir: string,
  check: (err: Error) => void,
): Promise<void> {
  await assert.rejects(
    () => Segmentations.open({ dataDir }),
    (err: unknown) => {
      assert.ok(err instanceof Error, String(err));
      check(err);
      return true;
    },
  );
}

Deno.test("no data dir anywhere: the error says how to set one up and how to use the sample", async () => {
  const xdg = await tempDirAtExit();
  await withEnv(
    { LAION_FMRI_DATA_DIR: undefined, XDG_CONFIG_HOME: xdg },
    async () => {
      await assert.rejects(() => Segmentations.open(), (err: Error) => {
        assert.match(err.message, /LAION_FMRI_DATA_DIR/);
        assert.match(err.message, /cli init/);
        assert.match(err.message, /ensureSample/);
        return true;
      });
    },
  );
});

Deno.test("data dir from env first, then from the Python package's config file", async () => {
  const xdg = await tempDirAtExit();
  await Deno.mkdir(join(xdg, "laion_fmri"));
  await Deno.writeTextFile(
    join(xdg, "laion_fmri", "config.json"),
    JSON.stringify({ data_dir: H5PY_FIXTURE }),
  );
  await withEnv(
    { LAION_FMRI_DATA_DIR: undefined, XDG_CONFIG_HOME: xdg },
    async () => {
      using seg = await Segmentations.open();
      assert.equal(seg.dataDir, H5PY_FIXTURE);
    },
  );
  const elsewhere = await copyOfH5pyFixture();
  await withEnv(
    { LAION_FMRI_DATA_DIR: elsewhere, XDG_CONFIG_HOME: xdg },
    async () => {
      using seg = await Segmentations.open();
      assert.equal(seg.dataDir, elsewhere);
      // An explicit option wins over both.
      using explicit = await Segmentations.open({ dataDir: H5PY_FIXTURE });
      assert.equal(explicit.dataDir, H5PY_FIXTURE);
    },
  );
});

Deno.test("missing files: the error names the stimuli/ path and the download command", async () => {
  const dir = await tempDirAtExit();
  await rejects(dir, (err) => {
    assert.ok(err instanceof Deno.errors.NotFound);
    assert.ok(err.message.includes(join(dir, "stimuli")), err.message);
    assert.match(err.message, /download-segmentations/);
    assert.match(err.message, new RegExp(H5.replaceAll(".", "\\.")));
  });
  const half = await copyOfH5pyFixture();
  await Deno.remove(join(half, "stimuli", CSV));
  await rejects(half, (err) => {
    assert.ok(err.message.includes(CSV), err.message);
    assert.ok(
      !err.message.includes(`${H5},`),
      "the present file is not listed as missing",
    );
  });
});

Deno.test("a CSV without a required column names the file and the column", async () => {
  const dir = await copyOfH5pyFixture();
  const csv = join(dir, "stimuli", CSV);
  const lines = (await Deno.readTextFile(csv)).split("\n");
  await Deno.writeTextFile(
    csv,
    [lines[0].replace("noun,", "label,"), ...lines.slice(1)].join("\n"),
  );
  await rejects(dir, (err) => {
    assert.ok(err.message.includes(csv), err.message);
    assert.match(err.message, /required column\(s\) noun\b/);
  });
  await Deno.writeTextFile(csv, "");
  await rejects(
    dir,
    (err) =>
      assert.ok(
        err.message.includes(csv) && /empty/.test(err.message),
        err.message,
      ),
  );
});

Deno.test("a mask_row beyond the HDF5 rows is an error naming both files, never a wrong mask", async () => {
  const dir = await copyOfH5pyFixture();
  const csv = join(dir, "stimuli", CSV);
  const text = await Deno.readTextFile(csv);
  await Deno.writeTextFile(
    csv,
    text.replace(/\n4,shared_12rep/, "\n10,shared_12rep"),
  );
  await rejects(dir, (err) => {
    assert.ok(err instanceof RangeError);
    assert.ok(err.message.includes(csv), err.message);
    assert.ok(err.message.includes(join(dir, "stimuli", H5)), err.message);
    assert.match(err.message, /mask_row 10\b/);
    assert.match(err.message, /0 to 9/);
  });
});

async function writeH5(
  path: string,
  make: (f: H5File) => void,
): Promise<void> {
  const h5 = await h5wasmReady();
  const f = new h5.File(path, "w");
  try {
    make(f);
  } finally {
    f.close();
  }
}

Deno.test("a dataset that is not 3-D uint8, or is missing, is named with what was found", async () => {
  const cases: [string, (f: H5File) => void, RegExp][] = [
    [
      "2-D",
      (f) =>
        f.create_dataset({
          name: "masks",
          data: new Uint8Array(12),
          shape: [3, 4],
          dtype: "<B",
        }),
      /shape \[3,4\]/,
    ],
    [
      "float",
      (f) =>
        f.create_dataset({
          name: "masks",
          data: new Float32Array(24),
          shape: [2, 3, 4],
          dtype: "<f",
        }),
      /3-D uint8/,
    ],
    [
      "int8",
      (f) =>
        f.create_dataset({
          name: "masks",
          data: new Int8Array(24),
          shape: [2, 3, 4],
          dtype: "<b",
        }),
      /3-D uint8/,
    ],
    [
      "missing",
      (f) =>
        f.create_dataset({
          name: "images",
          data: new Uint8Array(24),
          shape: [2, 3, 4],
          dtype: "<B",
        }),
      /no (dataset|object) "masks"/,
    ],
  ];
  for (const [label, make, pattern] of cases) {
    const dir = await copyOfH5pyFixture();
    const h5 = join(dir, "stimuli", H5);
    await writeH5(h5, make);
    await rejects(dir, (err) => {
      assert.ok(err.message.includes(h5), `${label}: ${err.message}`);
      assert.match(err.message, pattern, label);
    });
  }
});

Deno.test("a truncated or non-HDF5 file is an error naming the file", async () => {
  const dir = await copyOfH5pyFixture();
  const h5 = join(dir, "stimuli", H5);
  const bytes = await Deno.readFile(h5);
  await Deno.writeFile(h5, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
  await rejects(dir, (err) => {
    assert.ok(err.message.includes(h5), err.message);
    assert.match(err.message, /truncated/);
  });
  await Deno.writeFile(
    h5,
    new TextEncoder().encode("<html>Access Denied</html>\n"),
  );
  await rejects(dir, (err) => {
    assert.ok(err.message.includes(h5), err.message);
    assert.match(err.message, /not an HDF5 file/);
  });
});
