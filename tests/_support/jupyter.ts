// Shared helpers for the tests that run real tools: Jupyter (nbconvert with
// the Deno kernel) and headless Chromium. Under CI=true a missing tool fails
// the test; elsewhere the test is skipped with a loud warning.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createCanvas, loadImage } from "../../lib/deps.ts";
import { tempDirAtExit } from "./helpers.ts";

/** The repository root. */
export const ROOT: string = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
);
/** The notebooks folder. */
export const NOTEBOOKS: string = join(ROOT, "notebooks");
/** Whether this is a CI run, where no tool may be missing. */
export const IN_CI: boolean = Deno.env.get("CI") === "true";

/** A temp dir removed when the test process ends (kept with KEEP_TEST_FILES=1). */
export function tempDir(prefix: string): Promise<string> {
  return tempDirAtExit(prefix);
}

/** The result of running a command. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; `null` when the executable does not exist. */
export async function run(
  cmd: string,
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } =
    {},
): Promise<RunResult | null> {
  try {
    const out = await new Deno.Command(cmd, {
      args,
      env: options.env,
      cwd: options.cwd,
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
      signal: AbortSignal.timeout(options.timeoutMs ?? 600_000),
    }).output();
    const text = new TextDecoder();
    return {
      code: out.code,
      stdout: text.decode(out.stdout),
      stderr: text.decode(out.stderr),
    };
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}

/** What a test file needs from the machine, checked once at load. */
export interface Tools {
  /** Names of the missing tools, with what to install. */
  missing: string[];
  /** For `Deno.test({ ignore })`: skip outside CI when something is missing. */
  ignore: boolean;
  /** Throws (failing the test) when something is missing: under CI the test runs anyway. */
  assertPresent(): void;
}

const INSTALL: Record<string, string> = {
  jupyter:
    "apt-get install jupyter-nbconvert python3-nbclient jupyter-client python3-ipykernel",
  chromium: "apt-get install chromium",
};

/** Checks that the named tools run (`jupyter`, `chromium`). */
export async function checkTools(
  names: readonly ("jupyter" | "chromium")[],
  testFile: string,
): Promise<Tools> {
  const missing: string[] = [];
  for (const name of names) {
    const probe = name === "jupyter"
      ? await run("jupyter", ["nbconvert", "--version"], { timeoutMs: 60_000 })
      : await run("chromium", ["--version"], { timeoutMs: 60_000 });
    if (!probe || probe.code !== 0) {
      missing.push(`${name} (${INSTALL[name]})`);
    }
  }
  const ignore = missing.length > 0 && !IN_CI;
  if (ignore) {
    console.warn(
      `\n!!! ${testFile}: SKIPPED, missing ${missing.join(", ")}. ` +
        `These tests did NOT run; under CI=true they fail instead.\n`,
    );
  }
  return {
    missing,
    ignore,
    assertPresent() {
      if (missing.length > 0) {
        throw new Error(
          `Missing ${
            missing.join(", ")
          }: CI must have them (.ci/run installs them).`,
        );
      }
    },
  };
}

/** Installs the Deno kernelspec when `jupyter kernelspec list` lacks it (idempotent). */
export async function ensureDenoKernel(): Promise<void> {
  const list = await run("jupyter", ["kernelspec", "list", "--json"]);
  if (list && list.code === 0) {
    const specs = JSON.parse(list.stdout).kernelspecs ?? {};
    if ("deno" in specs) return;
  }
  const install = await run(Deno.execPath(), ["jupyter", "--install"]);
  if (!install || install.code !== 0) {
    throw new Error(
      `deno jupyter --install failed: ${install?.stderr ?? "deno not found"}`,
    );
  }
}

/** A notebook as JSON (only what the tests read). */
export interface Notebook {
  cells: {
    cell_type: string;
    source: string[] | string;
    outputs?: NotebookOutput[];
  }[];
  metadata: Record<string, unknown>;
}

/** One output of a code cell. */
export interface NotebookOutput {
  output_type: string;
  name?: string;
  text?: string[] | string;
  data?: Record<string, string[] | string>;
  ename?: string;
  evalue?: string;
  traceback?: string[];
}

/** Joins nbformat's list-of-lines strings. */
export function joined(value: string[] | string | undefined): string {
  return Array.isArray(value) ? value.join("") : value ?? "";
}

/** The code cells with their source and outputs. */
export function codeCells(
  nb: Notebook,
): { source: string; outputs: NotebookOutput[] }[] {
  return nb.cells.filter((c) => c.cell_type === "code").map((c) => ({
    source: joined(c.source),
    outputs: c.outputs ?? [],
  }));
}

/** Error outputs, as "ename: evalue" lines. */
export function errorOutputs(nb: Notebook): string[] {
  return codeCells(nb).flatMap((c) =>
    c.outputs.filter((o) => o.output_type === "error").map((o) =>
      `${o.ename}: ${o.evalue}\n${(o.traceback ?? []).join("\n")}`
    )
  );
}

/**
 * Executes a notebook once with `jupyter nbconvert --to notebook --execute`
 * (cwd: the repository, or `options.cwd`) and returns the executed notebook,
 * its path, and what `check` finds missing from it.
 *
 * Run once, never retried: everything the project shows (tables, masks,
 * figures) is displayed before the cell ends, so none of it may go missing.
 * Plain results the Deno kernel returns itself (numbers, strings), and
 * text a cell prints as its last act, can still arrive after the cell went
 * idle and be dropped (README, "Troubleshooting"): a check must not count on
 * those (a printing cell ends with a display, or one turn of the event loop).
 */
export async function executeNotebook(
  notebook: string,
  env: Record<string, string>,
  check: (nb: Notebook) => string[],
  options: { cwd?: string } = {},
): Promise<{ nb: Notebook; path: string; missing: string[] }> {
  const outDir = await tempDir("seg-nb-");
  const name = notebook.split("/").pop()!.replace(/\.ipynb$/, "");
  const output = `${name}.executed`;
  const result = await run("jupyter", [
    "nbconvert",
    "--to",
    "notebook",
    "--execute",
    "--ExecutePreprocessor.timeout=600",
    "--ExecutePreprocessor.kernel_name=deno",
    "--output-dir",
    outDir,
    "--output",
    output,
    notebook,
  ], { env, cwd: options.cwd ?? ROOT });
  const path = join(outDir, `${output}.ipynb`);
  if (!result || result.code !== 0) {
    throw new Error(
      `nbconvert --execute ${notebook} failed (exit ${result?.code}):\n${result?.stderr}`,
    );
  }
  const nb = JSON.parse(await Deno.readTextFile(path)) as Notebook;
  const missing = errorOutputs(nb).length > 0 ? [] : check(nb);
  return { nb, path, missing };
}

/** Renders an executed notebook to HTML with nbconvert; returns the HTML path. */
export async function notebookToHtml(executed: string): Promise<string> {
  const outDir = await tempDir("seg-html-");
  const result = await run("jupyter", [
    "nbconvert",
    "--to",
    "html",
    "--output-dir",
    outDir,
    "--output",
    "notebook",
    executed,
  ], { cwd: ROOT });
  if (!result || result.code !== 0) {
    throw new Error(`nbconvert --to html failed:\n${result?.stderr}`);
  }
  return join(outDir, "notebook.html");
}

/** Screenshots a local HTML file with headless Chromium; returns the PNG path. */
export async function screenshot(
  html: string,
  png: string,
  size: { width: number; height: number },
): Promise<string> {
  const profile = await Deno.makeTempDir({ prefix: "seg-chromium-" });
  try {
    const result = await run("chromium", [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-quic",
      "--hide-scrollbars",
      `--user-data-dir=${profile}`,
      `--screenshot=${png}`,
      `--window-size=${size.width},${size.height}`,
      `file://${html}`,
    ], { timeoutMs: 180_000 });
    if (!result || result.code !== 0) {
      throw new Error(
        `chromium --screenshot failed (exit ${result?.code}):\n${result?.stderr}`,
      );
    }
  } finally {
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  }
  return png;
}

/** Decoded RGBA pixels of a PNG file. */
export interface Pixels {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/** Decodes a PNG (or JPEG) file or bytes into RGBA pixels. */
export async function decodeImage(
  source: string | Uint8Array,
): Promise<Pixels> {
  const bytes = typeof source === "string"
    ? await Deno.readFile(source)
    : source;
  const image = await loadImage(bytes);
  const canvas = createCanvas(image.width, image.height);
  const ctx = canvas.getContext("2d");
  ctx.drawImage(image, 0, 0);
  const { data } = ctx.getImageData(0, 0, image.width, image.height);
  return { width: image.width, height: image.height, data };
}

/** Pixels whose RGB is within `tolerance` (per channel) of `[r, g, b]`. */
export function countNear(
  pixels: Pixels,
  [r, g, b]: readonly [number, number, number],
  tolerance = 6,
): number {
  const d = pixels.data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4) {
    if (
      Math.abs(d[i] - r) <= tolerance && Math.abs(d[i + 1] - g) <= tolerance &&
      Math.abs(d[i + 2] - b) <= tolerance
    ) n++;
  }
  return n;
}

/** Writes a Deno-kernel notebook of `cells` (code sources, in order) to `path`. */
export async function writeNotebook(
  path: string,
  cells: readonly string[],
): Promise<void> {
  const notebook = {
    cells: cells.map((source) => ({
      cell_type: "code",
      execution_count: null,
      metadata: {},
      outputs: [],
      source,
    })),
    metadata: {
      kernelspec: {
        name: "deno",
        display_name: "Deno",
        language: "typescript",
      },
    },
    nbformat: 4,
    nbformat_minor: 5,
  };
  await Deno.writeTextFile(path, JSON.stringify(notebook));
}
