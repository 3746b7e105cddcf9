import assert from "node:assert/strict";
import { join } from "node:path";
import {
  configPath,
  DATA_DIR_ENV,
  datasetInitialize,
  getDataDir,
  setDataDir,
} from "../../lib/data/config.ts";

/**
 * Run `fn` with a fresh temp dir as XDG_CONFIG_HOME (and `vars` set; undefined
 * deletes), restoring the environment and removing the dir afterwards.
 */
async function withConfigHome(
  fn: (xdg: string) => void | Promise<void>,
  vars: Record<string, string | undefined> = { [DATA_DIR_ENV]: undefined },
): Promise<void> {
  const xdg = await Deno.makeTempDir({ prefix: "xdg_" });
  const all = { XDG_CONFIG_HOME: xdg, ...vars };
  const saved = Object.fromEntries(
    Object.keys(all).map((k) => [k, Deno.env.get(k)]),
  );
  const apply = (v: Record<string, string | undefined>) => {
    for (const [k, val] of Object.entries(v)) {
      if (val === undefined) Deno.env.delete(k);
      else Deno.env.set(k, val);
    }
  };
  apply(all);
  try {
    await fn(xdg);
  } finally {
    apply(saved);
    await Deno.remove(xdg, { recursive: true });
  }
}

async function whichPython(): Promise<string | undefined> {
  for (const name of ["python3", "python"]) {
    try {
      const { success } = await new Deno.Command(name, {
        args: ["--version"],
        stdout: "null",
        stderr: "null",
      })
        .output();
      if (success) return name;
    } catch {
      // Not installed under this name.
    }
  }
  return undefined;
}

Deno.test("configPath() honours XDG_CONFIG_HOME", async () => {
  await withConfigHome((xdg) => {
    assert.equal(configPath(), join(xdg, "laion_fmri", "config.json"));
  });
});

Deno.test("configPath() falls back to ~/.config without XDG_CONFIG_HOME", async () => {
  await withConfigHome(() => {
    assert.equal(
      configPath(),
      join("/home/someone", ".config", "laion_fmri", "config.json"),
    );
  }, { XDG_CONFIG_HOME: undefined, HOME: "/home/someone" });
});

Deno.test("getDataDir() is undefined when neither env nor config file is set", async () => {
  await withConfigHome(() => {
    assert.equal(getDataDir(), undefined);
  });
});

Deno.test("datasetInitialize() writes exactly {data_dir} JSON at configPath()", async () => {
  await withConfigHome(async (xdg) => {
    const dataDir = await Deno.makeTempDir();
    try {
      const written = datasetInitialize(dataDir);
      assert.equal(written, join(xdg, "laion_fmri", "config.json"));
      assert.deepEqual(JSON.parse(await Deno.readTextFile(written)), {
        data_dir: dataDir,
      });
      assert.equal(getDataDir(), dataDir);
    } finally {
      await Deno.remove(dataDir, { recursive: true });
    }
  });
});

Deno.test("datasetInitialize() stores a relative path as absolute", async () => {
  await withConfigHome(async (xdg) => {
    const cwd = Deno.cwd();
    Deno.chdir(xdg);
    try {
      await Deno.mkdir(join(xdg, "data"));
      datasetInitialize("data");
      assert.equal(getDataDir(), join(xdg, "data"));
    } finally {
      Deno.chdir(cwd);
    }
  });
});

Deno.test({
  name:
    "datasetInitialize() output is read by Python's json module as the Python package does",
  ignore: (await whichPython()) === undefined,
  async fn() {
    const python = (await whichPython())!;
    await withConfigHome(async () => {
      const dataDir = await Deno.makeTempDir();
      try {
        const file = datasetInitialize(dataDir);
        const { stdout, success } = await new Deno.Command(python, {
          args: [
            "-c",
            "import json,sys; c=json.load(open(sys.argv[1])); print(sorted(c)); print(c['data_dir'])",
            file,
          ],
          stdout: "piped",
        }).output();
        assert.ok(success);
        assert.equal(
          new TextDecoder().decode(stdout),
          `['data_dir']\n${dataDir}\n`,
        );
      } finally {
        await Deno.remove(dataDir, { recursive: true });
      }
    });
  },
});

Deno.test("getDataDir() prefers LAION_FMRI_DATA_DIR over the config file", async () => {
  await withConfigHome((xdg) => {
    datasetInitialize(xdg);
    Deno.env.set(DATA_DIR_ENV, "/from/env");
    assert.equal(getDataDir(), "/from/env");
    // An empty variable counts as unset.
    Deno.env.set(DATA_DIR_ENV, "");
    assert.equal(getDataDir(), xdg);
  });
});

Deno.test("getDataDir() reads a config file the Python package wrote", async () => {
  await withConfigHome(async (xdg) => {
    await Deno.mkdir(join(xdg, "laion_fmri"));
    // Python's json.dump without indent.
    await Deno.writeTextFile(
      join(xdg, "laion_fmri", "config.json"),
      '{"data_dir": "/data/laion"}',
    );
    assert.equal(getDataDir(), "/data/laion");
  });
});

Deno.test("getDataDir() throws a SyntaxError naming the file for invalid JSON", async () => {
  await withConfigHome(async (xdg) => {
    await Deno.mkdir(join(xdg, "laion_fmri"));
    await Deno.writeTextFile(
      join(xdg, "laion_fmri", "config.json"),
      "{not json",
    );
    assert.throws(() => getDataDir(), (err: unknown) => {
      assert.ok(err instanceof SyntaxError);
      assert.match(err.message, /config\.json is not valid JSON/);
      return true;
    });
  });
});

Deno.test("getDataDir() ignores a config file without a string data_dir", async () => {
  await withConfigHome(async (xdg) => {
    await Deno.mkdir(join(xdg, "laion_fmri"));
    await Deno.writeTextFile(
      join(xdg, "laion_fmri", "config.json"),
      '{"data_dir": 3}',
    );
    assert.equal(getDataDir(), undefined);
  });
});

Deno.test("datasetInitialize() rejects a missing directory and writes nothing", async () => {
  await withConfigHome((xdg) => {
    const missing = join(xdg, "does", "not", "exist");
    assert.throws(() => datasetInitialize(missing), (err: unknown) => {
      assert.ok(err instanceof Deno.errors.NotFound);
      assert.match(err.message, /does not exist; create it first/);
      return true;
    });
    assert.equal(getDataDir(), undefined);
  });
});

Deno.test("datasetInitialize() rejects a file that is not a directory", async () => {
  await withConfigHome(async (xdg) => {
    const file = join(xdg, "file.txt");
    await Deno.writeTextFile(file, "x");
    assert.throws(() => datasetInitialize(file), Deno.errors.NotADirectory);
  });
});

Deno.test("setDataDir() (Python's set_data_dir) writes the shared config file", async () => {
  await withConfigHome(async (xdg) => {
    const data = await Deno.makeTempDir({ prefix: "data_" });
    try {
      assert.equal(setDataDir(data), join(xdg, "laion_fmri", "config.json"));
      assert.equal(getDataDir(), data);
      assert.throws(() => setDataDir(join(data, "nope")), Deno.errors.NotFound);
    } finally {
      await Deno.remove(data, { recursive: true });
    }
  });
});
