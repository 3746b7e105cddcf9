/// <reference lib="dom" />
/// <reference lib="deno.ns" />
// A live notebook as a person sees it: Debian's classic Jupyter Notebook
// server on loopback with the Deno kernel, opened in headless Chromium driven
// over the DevTools protocol, Cell > Run All, then what the page shows.
// Every process started here is stopped by its pid, also on failure.
//
// puppeteer-core is a test-only dependency, pinned here and only here (the
// library's own packages are pinned in lib/deps.ts): it drives the machine's
// Chromium over CDP and downloads no browser of its own.
import puppeteer, { type Browser, type Page } from "npm:puppeteer-core@25.16.0";

export type { Browser, Page };
import { join } from "node:path";
import { IN_CI, run } from "./jupyter.ts";

/** What a live test needs from the machine. */
export interface LiveTools {
  /** Names of the missing tools, with what to install. */
  missing: string[];
  /** For `Deno.test({ ignore })`: skip outside CI when something is missing. */
  ignore: boolean;
  /** Throws (failing the test) when something is missing: under CI the test runs anyway. */
  assertPresent(): void;
  /** The Chromium executable found on PATH. */
  chromium: string;
}

/** Checks that `jupyter notebook` (Notebook 6) and Chromium run. */
export async function checkLiveTools(testFile: string): Promise<LiveTools> {
  const missing: string[] = [];
  const notebook = await run("jupyter", ["notebook", "--version"], {
    timeoutMs: 60_000,
  });
  if (!notebook || notebook.code !== 0) {
    missing.push("jupyter notebook (apt-get install jupyter-notebook)");
  }
  let chromium = "";
  for (const name of ["chromium", "chromium-browser"]) {
    const probe = await run(name, ["--version"], { timeoutMs: 60_000 });
    if (probe && probe.code === 0) {
      chromium = (await run("which", [name]))?.stdout.trim() || name;
      break;
    }
  }
  if (!chromium) missing.push("chromium (apt-get install chromium)");
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
    chromium,
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

/** A free TCP port on loopback (bound once, then released). */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** A running notebook server; {@link NotebookServer.close} stops it and its kernels. */
export interface NotebookServer extends AsyncDisposable {
  /** `http://127.0.0.1:<port>` */
  base: string;
  /** The server's token (random per run). */
  token: string;
  /** The server's pid. */
  pid: number;
  /** Shuts down every kernel, then stops the server by its pid; safe twice. */
  close(): Promise<void>;
}

/**
 * Starts `jupyter notebook` on loopback (random token, free port, no
 * browser) serving `notebookDir`, with `env` for the server and its kernels.
 * Its runtime files go to `runtimeDir`. Resolves once the API answers.
 */
export async function startNotebookServer(
  notebookDir: string,
  runtimeDir: string,
  env: Record<string, string>,
): Promise<NotebookServer> {
  const token = crypto.randomUUID().replaceAll("-", "");
  const port = freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = new Deno.Command("jupyter", {
    args: [
      "notebook",
      "--no-browser",
      "--ip=127.0.0.1",
      `--port=${port}`,
      "--port-retries=0",
      `--NotebookApp.token=${token}`,
      `--notebook-dir=${notebookDir}`,
      "--NotebookApp.open_browser=False",
      // CI containers run as root, which the server refuses without this.
      ...(Deno.uid() === 0 ? ["--allow-root"] : []),
    ],
    env: {
      ...env,
      JUPYTER_RUNTIME_DIR: runtimeDir,
      // The server's log stays out of the test output unless it fails.
      PYTHONUNBUFFERED: "1",
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let log = "";
  const decoder = new TextDecoder();
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) {
      log = (log + decoder.decode(chunk, { stream: true })).slice(-20_000);
    }
  };
  const drained = Promise.all([drain(child.stdout), drain(child.stderr)]);
  let exited: Deno.CommandStatus | undefined;
  child.status.then((s) => exited = s);
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    // Kernels first, through the API, so none outlives the server.
    try {
      const kernels = await (await fetch(`${base}/api/kernels`, {
        headers: { Authorization: `token ${token}` },
      })).json() as { id: string }[];
      for (const k of kernels) {
        await (await fetch(`${base}/api/kernels/${k.id}`, {
          method: "DELETE",
          headers: { Authorization: `token ${token}` },
        })).body?.cancel();
      }
    } catch {
      // The server is already gone.
    }
    try {
      Deno.kill(child.pid, "SIGTERM");
    } catch {
      // Already exited.
    }
    const timer = setTimeout(() => {
      try {
        Deno.kill(child.pid, "SIGKILL");
      } catch {
        // Exited meanwhile.
      }
    }, 10_000);
    await child.status;
    clearTimeout(timer);
    await drained.catch(() => {});
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const res = await fetch(`${base}/api/status`, {
        headers: { Authorization: `token ${token}` },
      });
      await res.body?.cancel();
      if (res.ok) break;
    } catch {
      // Not listening yet.
    }
    if (exited || Date.now() > deadline) {
      await close();
      throw new Error(
        exited
          ? `jupyter notebook exited with code ${exited.code}:\n${log}`
          : `jupyter notebook did not answer on ${base} within 60 s:\n${log}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    base,
    token,
    pid: child.pid,
    close,
    [Symbol.asyncDispose]: close,
    get log() {
      return log;
    },
  } as NotebookServer;
}

/** Headless Chromium driven by puppeteer-core; {@link LiveBrowser.close} stops it by its pid. */
export interface LiveBrowser extends AsyncDisposable {
  /** The puppeteer handle. */
  browser: Browser;
  /** Chromium's pid. */
  pid: number;
  /** Closes the browser, kills its pid if still alive, removes its profile; safe twice. */
  close(): Promise<void>;
}

/** Launches headless Chromium with a fresh profile in `profileDir`. */
export async function launchChromium(
  executablePath: string,
  profileDir: string,
): Promise<LiveBrowser> {
  const browser = await puppeteer.launch({
    executablePath,
    headless: true,
    userDataDir: profileDir,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-dev-shm-usage",
    ],
    // Puppeteer's own signal handlers would outlive the test.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  const pid = browser.process()?.pid ?? 0;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await Promise.race([
      browser.close().catch(() => {}),
      new Promise((r) => setTimeout(r, 10_000)),
    ]);
    if (pid) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // Exited, as it should have.
      }
    }
  };
  return { browser, pid, close, [Symbol.asyncDispose]: close };
}

/** One output of a live cell, as the page's `cell.output_area.outputs` holds it. */
export interface LiveOutput {
  output_type: string;
  /** MIME types of its data (display_data, execute_result). */
  mimes: string[];
  /** `text/plain` of its data, or a stream's text. */
  text: string;
  /** `text/html` of its data. */
  html: string;
  /** ename: evalue, for errors. */
  error?: string;
}

/** What the page shows of one code cell. */
export interface LiveCell {
  source: string;
  /** The `In [n]` number, or null when it never ran. */
  executionCount: number | null;
  outputs: LiveOutput[];
  /** Rendered in the cell's output area. */
  rendered: {
    /** `<img>` elements and whether each decoded (complete, natural size > 0). */
    images: { decoded: boolean; width: number; src: string }[];
    /** Top-level `<svg>` elements and their rendered size. */
    svgs: { width: number; height: number }[];
    /** `<table>` elements. */
    tables: number;
    /** Output prompts with no content beside them (an empty `Out[n]:`). */
    emptyPrompts: number;
    /** Explorer views whose script ran, and the image cards they show. */
    explorers: { ready: boolean; cards: number }[];
  };
}

/**
 * Opens `name` in the live notebook, runs all cells and waits until every
 * code cell has its execution number and the kernel is idle (then `settleMs`
 * more for late messages), and returns what each cell shows.
 */
export async function runLive(
  server: NotebookServer,
  chrome: LiveBrowser,
  name: string,
  options: { timeoutMs?: number; settleMs?: number } = {},
): Promise<LiveCell[]> {
  const timeoutMs = options.timeoutMs ?? 600_000;
  const page: Page = await chrome.browser.newPage();
  try {
    await page.setViewport({ width: 1280, height: 900 });
    await page.goto(
      `${server.base}/notebooks/${
        encodeURIComponent(name)
      }?token=${server.token}`,
      { waitUntil: "load", timeout: 120_000 },
    );
    await page.waitForFunction(
      () => {
        // deno-lint-ignore no-explicit-any
        const j = (globalThis as any).Jupyter;
        return Boolean(
          j?.notebook?.kernel?.is_connected?.() &&
            j.notebook.kernel.info_reply,
        );
      },
      { timeout: 120_000, polling: 200 },
    );
    await page.evaluate(() => {
      // deno-lint-ignore no-explicit-any
      (globalThis as any).Jupyter.notebook.execute_all_cells();
    });
    await page.waitForFunction(
      () => {
        // deno-lint-ignore no-explicit-any
        const nb = (globalThis as any).Jupyter.notebook;
        // deno-lint-ignore no-explicit-any
        const cells = nb.get_cells().filter((c: any) => c.cell_type === "code");
        return !nb.kernel_busy &&
          // deno-lint-ignore no-explicit-any
          cells.every((c: any) => typeof c.input_prompt_number === "number");
      },
      { timeout: timeoutMs, polling: 250 },
    );
    await new Promise((r) => setTimeout(r, options.settleMs ?? 1500));
    // Let images decode before measuring them; an SVG's <image> layers (the
    // stimulus, the masks) are decoded one by one from their data.
    await page.evaluate(async () => {
      await Promise.all(
        [...document.querySelectorAll(".output_area img")].map((img) =>
          (img as HTMLImageElement).decode().catch(() => {})
        ),
      );
      await Promise.all(
        [...document.querySelectorAll(".output_area svg image")].map(
          async (el) => {
            const img = new Image();
            img.src = el.getAttribute("href") ??
              el.getAttribute("xlink:href") ?? "";
            const ok = await img.decode().then(() => img.naturalWidth > 0)
              .catch(() => false);
            el.setAttribute("data-live-decoded", String(ok));
          },
        ),
      );
    });
    return await page.evaluate(() => {
      // deno-lint-ignore no-explicit-any
      const nb = (globalThis as any).Jupyter.notebook;
      const join = (v: unknown) =>
        Array.isArray(v) ? v.join("") : typeof v === "string" ? v : "";
      // deno-lint-ignore no-explicit-any
      return nb.get_cells().filter((c: any) => c.cell_type === "code").map(
        // deno-lint-ignore no-explicit-any
        (c: any) => {
          const el = c.element[0] as HTMLElement;
          const area = el.querySelector(".output") as HTMLElement;
          const images = [
            ...[...area.querySelectorAll("img")].map((img) => ({
              decoded: img.complete && img.naturalWidth > 0,
              width: img.getBoundingClientRect().width,
              src: img.src.slice(0, 40),
            })),
            ...[...area.querySelectorAll("svg image")].map((img) => ({
              decoded: img.getAttribute("data-live-decoded") === "true",
              width: img.getBoundingClientRect().width,
              src: (img.getAttribute("href") ?? "").slice(0, 40),
            })),
          ];
          const svgs = [...area.querySelectorAll("svg")].filter((s) =>
            !s.parentElement?.closest("svg")
          ).map((s) => {
            const r = s.getBoundingClientRect();
            return { width: r.width, height: r.height };
          });
          const emptyPrompts = [...area.querySelectorAll(".output_area")]
            .filter((a) => {
              const sub = a.querySelector(
                ".output_subarea",
              ) as HTMLElement | null;
              return !sub || sub.innerHTML.trim() === "";
            }).length;
          return {
            source: c.get_text(),
            executionCount: typeof c.input_prompt_number === "number"
              ? c.input_prompt_number
              : null,
            // deno-lint-ignore no-explicit-any
            outputs: c.output_area.outputs.map((o: any) => ({
              output_type: o.output_type,
              mimes: Object.keys(o.data ?? {}),
              text: o.output_type === "stream"
                ? join(o.text)
                : join(o.data?.["text/plain"]),
              html: join(o.data?.["text/html"]) +
                join(o.data?.["image/svg+xml"]),
              ...(o.output_type === "error"
                ? { error: `${o.ename}: ${o.evalue}` }
                : {}),
            })),
            rendered: {
              images,
              svgs,
              tables: area.querySelectorAll("table").length,
              emptyPrompts,
              explorers: [...area.querySelectorAll(".seg-explore")].map((
                e,
              ) => ({
                ready: e.getAttribute("data-ready") === "1",
                cards: e.querySelectorAll(".seg-x-card").length,
              })),
            },
          };
        },
      );
    }) as LiveCell[];
  } finally {
    await page.close().catch(() => {});
  }
}

/**
 * Copies the shipped notebooks into `dir`, pointing their `../mod.ts`
 * imports at this checkout's `mod.ts` by file URL (as a researcher's own
 * folder would), so the kernel starts in a folder without a deno.json.
 */
export async function copyNotebooks(
  from: string,
  dir: string,
  modUrl: string,
): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(from)) {
    if (!e.isFile || !e.name.endsWith(".ipynb")) continue;
    const nb = JSON.parse(await Deno.readTextFile(join(from, e.name))) as {
      cells: { source: string[] | string }[];
    };
    for (const cell of nb.cells) {
      const lines = Array.isArray(cell.source) ? cell.source : [cell.source];
      cell.source = lines.map((l) =>
        l.replaceAll('"../mod.ts"', JSON.stringify(modUrl))
      );
    }
    await Deno.writeTextFile(join(dir, e.name), JSON.stringify(nb));
    names.push(e.name);
  }
  return names.sort();
}
