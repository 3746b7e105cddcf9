// Bad input gets a clear error naming the file and what is wrong; data-dir
// resolution follows options, env, then the Python package's config file.
import assert from "node:assert/strict";
import { join } from "node:path";
import { type H5 as H5Types, pl } from "../../lib/deps.ts";
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

// ------------------------------------------- CSV the way pandas reads it --

async function withCsv(
  edit: (text: string) => string,
  use: (dir: string, csv: string) => Promise<void>,
): Promise<void> {
  const dir = await copyOfH5pyFixture();
  try {
    const csv = join(dir, "stimuli", CSV);
    await Deno.writeTextFile(csv, edit(await Deno.readTextFile(csv)));
    await use(dir, csv);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("CSV line ends CRLF, \\r\\r\\n and \\r, and blank lines, read as pandas reads them", async () => {
  using original = await Segmentations.open({ dataDir: H5PY_FIXTURE });
  const expected = original.metadata.toRecords();
  const variants: [string, (t: string) => string][] = [
    ["CRLF", (t) => t.replaceAll("\n", "\r\n")],
    ["\\r\\r\\n", (t) => t.replaceAll("\n", "\r\r\n")],
    ["\\r only", (t) => t.replaceAll("\n", "\r")],
    [
      "blank lines",
      (t) => t.replace("\n", "\n\n  \n").replaceAll("\n7,", "\n\n7,") + "\n\n",
    ],
  ];
  for (const [label, edit] of variants) {
    await withCsv(edit, async (dir) => {
      using seg = await Segmentations.open({ dataDir: dir });
      assert.deepEqual(seg.metadata.toRecords(), expected, label);
    });
  }
});

Deno.test("CSV: extra columns are read as text and ignored; NaN scores are missing; NA-like nouns stay text", async () => {
  await withCsv(
    (t) => {
      const lines = t.split("\n");
      return lines.map((l, i) =>
        l === "" ? l : i === 0 ? `${l},note` : `${l},${i % 2 ? "12" : "x"}`
      ).join("\n");
    },
    async (dir) => {
      using seg = await Segmentations.open({ dataDir: dir });
      assert.match(String(seg.metadata.getColumn("note").dtype), /String/);
      assert.match(String(seg.metadata.getColumn("score").dtype), /Float64/);
    },
  );
  const words = ["NA", "null", "nan", "None"];
  await withCsv(
    (t) => {
      const lines = t.split("\n");
      for (let i = 1; i <= 4; i++) {
        const f = lines[i].split(",");
        // Line 3 quotes its noun; the others do not: replace noun and score.
        if (f.length === 11) {
          f[2] = words[i - 1];
          f[4] = "NaN";
          lines[i] = f.join(",");
        }
      }
      return lines.join("\n");
    },
    async (dir) => {
      using seg = await Segmentations.open({ dataDir: dir });
      const nouns = seg.metadata.getColumn("noun").toArray();
      const changed = words.filter((w) => nouns.includes(w));
      assert.ok(changed.length >= 3, `nouns kept as text: ${nouns}`);
      const score = seg.metadata.getColumn("score");
      assert.equal(score.nullCount(), changed.length, "NaN scores are missing");
      // As in pandas, a missing score is not > 0.5.
      const high = seg.metadata.filter(pl.col("score").gt(0.5));
      assert.ok(
        high.getColumn("score").toArray().every((v) => Number(v) > 0.5),
      );
    },
  );
});

Deno.test("CSV: an empty instance_id or noun, or a row with too many fields, is an error naming the line", async () => {
  const cases: [string, (t: string) => string, RegExp][] = [
    [
      "empty instance_id",
      (t) => t.replace(",person,1,", ",person,,"),
      /line 3 has no instance_id/,
    ],
    [
      "empty noun",
      (t) => t.replace(",person,1,", ",,1,"),
      /line 3 has an empty noun/,
    ],
    [
      "extra field",
      (t) => t.replace(",person,1,", ",person,1,7,"),
      /line 3 has 12 fields but the header has 11/,
    ],
    [
      "not a number",
      (t) => t.replace(",person,1,0.62", ",person,1,high"),
      /line 3: score "high" is not a number/,
    ],
  ];
  for (const [label, edit, pattern] of cases) {
    await withCsv(edit, async (dir, csv) => {
      await rejects(dir, (err) => {
        assert.ok(err.message.includes(csv), `${label}: ${err.message}`);
        assert.match(err.message, pattern, label);
      });
    });
  }
});

Deno.test("a directory where the HDF5 file should be is named; a `masks` group is not a dataset", async () => {
  const dir = await copyOfH5pyFixture();
  try {
    const h5 = join(dir, "stimuli", H5);
    await Deno.remove(h5);
    await Deno.mkdir(h5);
    await rejects(dir, (err) => {
      assert.ok(err.message.includes(h5), err.message);
      assert.match(err.message, /is a directory, not a file/);
    });
    await Deno.remove(h5);
    await writeH5(h5, (f) => {
      f.create_group("masks");
    });
    await rejects(dir, (err) => {
      assert.ok(err.message.includes(h5), err.message);
      assert.match(err.message, /"masks" is a group, not a dataset/);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an unreadable data folder says permission denied, not missing", async () => {
  const dir = await copyOfH5pyFixture();
  try {
    const stimuli = join(dir, "stimuli");
    // Deno's own sandbox denies the folder (root ignores chmod); under a
    // normal user, chmod 000 is checked as well.
    const script = `import { Segmentations } from ${
      JSON.stringify(new URL("../../mod.ts", import.meta.url).href)
    };
try { await Segmentations.open({ dataDir: ${
      JSON.stringify(dir)
    } }); console.log("opened"); }
catch (e) { console.log(e.name + ": " + e.message); }`;
    const file = join(dir, "try_open.ts");
    await Deno.writeTextFile(file, script);
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        `--deny-read=${stimuli}`,
        "--no-prompt",
        file,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.match(
      text,
      /permission denied/,
      text + new TextDecoder().decode(out.stderr),
    );
    assert.doesNotMatch(text, /missing/);
    if (Deno.uid() !== 0) {
      await Deno.chmod(stimuli, 0o000);
      try {
        await rejects(
          dir,
          (err) => assert.match(err.message, /permission denied/),
        );
      } finally {
        await Deno.chmod(stimuli, 0o755);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
