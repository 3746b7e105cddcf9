/**
 * Progress reporting for downloads: a callback, plus one of three displays
 * picked from where the code runs — a bar redrawn in place on a terminal, a
 * plain line log when stderr is a file or pipe, and one output updated in
 * place inside a Jupyter notebook (Deno kernel).
 *
 * @module
 */

import {
  jupyterDisplay,
  type JupyterDisplayFn,
  NotebookProgress,
} from "./jupyter.ts";
import { escapeHtml } from "./escape.ts";

/** One progress event of a file transfer. */
export interface DownloadProgress {
  /** File name, e.g. `task-images_desc-segmentations.h5`. */
  file: string;
  /** Bytes of the file on disk so far, including bytes kept from an earlier, interrupted run. */
  bytes: number;
  /** Size of the complete file in bytes, as the bucket lists it. */
  total: number;
  /** Recent transfer rate in bytes per second; 0 before it can be measured and for skipped files. */
  rate: number;
  /** Seconds since the last bytes arrived (0 while data flows), so a display can say it stalled. */
  stalled?: number;
}

/** What a display does with the events of one download. */
export interface ProgressSink {
  /** A file is already complete on disk. */
  skip(p: DownloadProgress): void | Promise<void>;
  /** A transfer (first try or retry) begins at `p.bytes`. */
  start(p: DownloadProgress, url: string): void | Promise<void>;
  /** Bytes arrived; called for every chunk, so throttle. */
  progress(p: DownloadProgress): void | Promise<void>;
  /** Something worth telling: a retry, a restart. */
  note(file: string, message: string): void | Promise<void>;
  /** The file is complete; `seconds` spent on it in this run. */
  done(p: DownloadProgress, seconds: number): void | Promise<void>;
  /** A message that is not about one transfer (waiting for a lock, the licence notice). */
  message(text: string): void | Promise<void>;
  /** The run ended (also by an error or Ctrl-C): leave the output at the start of a line. */
  close(): void | Promise<void>;
}

/** The Jupyter display function (`Deno.jupyter.display`). */
export type DisplayFn = JupyterDisplayFn;

/** Options for {@link createReporter}. */
export interface ReporterOptions {
  /**
   * Show nothing; `onProgress` is still called.
   *
   * @default {false}
   */
  quiet?: boolean;
  /**
   * Called when a transfer starts, at most every 100 ms while it runs, and
   * once with `bytes === total` when a file is complete or already present.
   *
   * @default {undefined}
   */
  onProgress?: (p: DownloadProgress) => void;
  /**
   * Called with every message shown to the user (a retry, a restart from
   * zero, waiting for another download, the licence notice), one line each;
   * also when `quiet`.
   *
   * @default {undefined}
   */
  onMessage?: (text: string) => void;
  /**
   * The display to use; picked from the environment when absent (Jupyter,
   * then a terminal on stderr, then a line log on stderr).
   *
   * @default {undefined}
   */
  sink?: ProgressSink;
}

/** Events of one file, fed by the downloader. */
export interface FileReporter {
  /** A transfer begins with `bytes` already on disk. */
  start(bytes: number): Promise<void>;
  /** `bytes` are now on disk. */
  update(bytes: number): Promise<void>;
  /** Tell the user something (retry, restart). */
  note(message: string): Promise<void>;
  /** The file is complete. */
  done(): Promise<void>;
  /** The transfer ended (done or failed): stop the once-a-second refresh; safe twice. */
  stop(): void;
}

/** Reports the progress of one download run (several files). */
export interface Reporter {
  /** A file that is already complete. */
  skip(file: string, total: number): Promise<void>;
  /** A file about to be transferred from `url`. */
  file(file: string, total: number, url: string): FileReporter;
  /** A line for the user that is not about one transfer. */
  message(text: string): Promise<void>;
  /** Whether anything is shown (false when `quiet`). */
  readonly visible: boolean;
  /** End the display's current line (the run is over, maybe by Ctrl-C). */
  close(): Promise<void>;
}

const CALLBACK_INTERVAL_MS = 100;
/** The display is refreshed this often even when no bytes arrive, so a stall shows. */
const TICK_MS = 1000;

/** Create a reporter that feeds `onProgress` and a display. */
export function createReporter(options: ReporterOptions = {}): Reporter {
  const sink = options.quiet ? undefined : options.sink ?? defaultSink();
  const onProgress = options.onProgress;
  const onMessage = options.onMessage;
  return {
    visible: sink !== undefined,
    async skip(file, total) {
      const p = { file, bytes: total, total, rate: 0, stalled: 0 };
      onProgress?.(p);
      await sink?.skip(p);
    },
    async message(text) {
      onMessage?.(text);
      await sink?.message(text);
    },
    async close() {
      await sink?.close();
    },
    file(file, total, url) {
      const began = performance.now();
      let meter = new RateMeter();
      let bytes = 0;
      let lastBytesAt = performance.now();
      let lastCallback = -Infinity;
      let ticker: ReturnType<typeof setInterval> | undefined;
      const event = (): DownloadProgress => ({
        file,
        bytes,
        total,
        rate: meter.rate(),
        stalled: Math.floor((performance.now() - lastBytesAt) / 1000),
      });
      const stop = () => {
        if (ticker !== undefined) clearInterval(ticker);
        ticker = undefined;
      };
      return {
        async start(at) {
          bytes = at;
          lastBytesAt = performance.now();
          meter = new RateMeter();
          meter.add(at);
          lastCallback = performance.now();
          const p = event();
          onProgress?.(p);
          await sink?.start(p, url);
          if (sink && ticker === undefined) {
            // Without new bytes nothing would redraw: a stall must still show.
            const id = setInterval(() => {
              meter.add(bytes);
              void Promise.resolve(sink.progress(event())).catch(() => {});
            }, TICK_MS);
            Deno.unrefTimer(id);
            ticker = id;
          }
        },
        async update(at) {
          if (at !== bytes) lastBytesAt = performance.now();
          bytes = at;
          meter.add(at);
          const p = event();
          const now = performance.now();
          if (now - lastCallback >= CALLBACK_INTERVAL_MS) {
            lastCallback = now;
            onProgress?.(p);
          }
          await sink?.progress(p);
        },
        async note(message) {
          onMessage?.(`${file}: ${message}`);
          await sink?.note(file, message);
        },
        async done() {
          stop();
          bytes = total;
          lastBytesAt = performance.now();
          const p = event();
          onProgress?.(p);
          await sink?.done(p, (performance.now() - began) / 1000);
        },
        stop,
      };
    },
  };
}

/** Pick the display for where this code runs. */
export function defaultSink(): ProgressSink {
  const display = jupyterDisplay();
  if (display) return new JupyterSink(display);
  const write = (text: string) => writeStderr(text);
  let terminal = false;
  try {
    terminal = Deno.stderr.isTerminal();
  } catch {
    // No access to stderr's kind (a restricted worker): fall back to lines.
  }
  return terminal
    ? new TerminalSink(write, terminalWidth)
    : new LineSink(write);
}

/** Bytes per second over the last few seconds, so a stall shows quickly. */
export class RateMeter {
  #samples: Array<[number, number]> = [];
  #window: number;
  #now: () => number;

  /** Average over the last `windowMs`; `now` is injectable for tests. */
  constructor(windowMs = 5000, now: () => number = () => performance.now()) {
    this.#window = windowMs;
    this.#now = now;
  }

  /** Record that `bytes` are done at this moment. */
  add(bytes: number): void {
    const t = this.#now();
    this.#samples.push([t, bytes]);
    // Keep one sample older than the window so the rate spans all of it.
    while (this.#samples.length > 2 && t - this.#samples[1][0] > this.#window) {
      this.#samples.shift();
    }
  }

  /** Bytes per second; 0 until two samples are at least 50 ms apart. */
  rate(): number {
    const first = this.#samples[0];
    const last = this.#samples[this.#samples.length - 1];
    if (!first || !last) return 0;
    const ms = last[0] - first[0];
    return ms < 50 ? 0 : Math.max(0, ((last[1] - first[1]) * 1000) / ms);
  }
}

/** Longest silence of the line log while a transfer runs. */
const LINE_INTERVAL_MS = 10_000;

/**
 * A plain log: a line at the start, at every 10 %, at least every 10 s while
 * a transfer runs (saying when it stalled), and at the end.
 */
export class LineSink implements ProgressSink {
  #write: (text: string) => void;
  #now: () => number;
  #decile = new Map<string, number>();
  #lastLine = new Map<string, number>();

  /** Lines (ending in `\n`) go to `write`; `now` is injectable for tests. */
  constructor(
    write: (text: string) => void,
    now: () => number = () => performance.now(),
  ) {
    this.#write = write;
    this.#now = now;
  }

  skip(p: DownloadProgress): void {
    this.#write(`${p.file}: already downloaded (${formatBytes(p.total)})\n`);
  }

  start(p: DownloadProgress, url: string): void {
    this.#decile.set(p.file, decile(p));
    this.#lastLine.set(p.file, this.#now());
    const what = p.bytes > 0
      ? `resuming at ${formatBytes(p.bytes)} of ${formatBytes(p.total)}`
      : `downloading ${formatBytes(p.total)}`;
    this.#write(`${p.file}: ${what} from ${url}\n`);
  }

  progress(p: DownloadProgress): void {
    const d = decile(p);
    const now = this.#now();
    const quiet = now - (this.#lastLine.get(p.file) ?? now);
    const next = d > (this.#decile.get(p.file) ?? 0) && d < 10;
    if (!next && quiet < LINE_INTERVAL_MS) return;
    this.#decile.set(p.file, Math.max(d, this.#decile.get(p.file) ?? 0));
    this.#lastLine.set(p.file, now);
    const stalled = (p.stalled ?? 0) >= 2
      ? `, no data for ${p.stalled} s`
      : `, ${formatRate(p.rate)}`;
    this.#write(
      `${p.file}: ${Math.floor(fraction(p) * 100)}% (${
        formatBytes(p.bytes)
      } of ${formatBytes(p.total)}${stalled})\n`,
    );
  }

  note(file: string, message: string): void {
    this.#write(`${file}: ${message}\n`);
  }

  done(p: DownloadProgress, seconds: number): void {
    this.#write(
      `${p.file}: done, ${formatBytes(p.total)} in ${formatSeconds(seconds)}\n`,
    );
  }

  message(text: string): void {
    this.#write(`${text}\n`);
  }

  close(): void {}
}

/** A bar on one terminal line, redrawn in place with `\r`. */
export class TerminalSink implements ProgressSink {
  #write: (text: string) => void;
  #width: () => number;
  #last = -Infinity;
  #now: () => number;
  /** A bar is drawn and its line not ended yet. */
  #open = false;

  /** Output goes to `write`; `width` gives the terminal's columns. */
  constructor(
    write: (text: string) => void,
    width: () => number = () => 80,
    now: () => number = () => performance.now(),
  ) {
    this.#write = write;
    this.#width = width;
    this.#now = now;
  }

  skip(p: DownloadProgress): void {
    this.#write(`${p.file}: already downloaded (${formatBytes(p.total)})\n`);
  }

  start(p: DownloadProgress): void {
    this.#draw(p);
  }

  progress(p: DownloadProgress): void {
    // Redrawing on every chunk would flood a slow terminal.
    if (this.#now() - this.#last >= 100) this.#draw(p);
  }

  note(file: string, message: string): void {
    this.#open = false;
    this.#write(`\r\x1b[K${file}: ${message}\n`);
  }

  done(p: DownloadProgress, seconds: number): void {
    this.#draw(p, `done in ${formatSeconds(seconds)}`);
    this.#open = false;
    this.#write("\n");
  }

  message(text: string): void {
    this.#open = false;
    this.#write(`\r\x1b[K${text}\n`);
  }

  close(): void {
    // Whatever comes next (an error, "interrupted") starts on its own line.
    if (this.#open) this.#write("\n");
    this.#open = false;
  }

  #draw(p: DownloadProgress, tail?: string): void {
    this.#last = this.#now();
    this.#open = true;
    // A stall shows what is on disk and for how long nothing came.
    const status = (p.stalled ?? 0) >= 2
      ? `stalled, no data for ${p.stalled} s`
      : `${formatRate(p.rate)}  ETA ${formatEta(p)}`;
    const figures = `${formatBytes(p.bytes)}/${formatBytes(p.total)}  ${
      tail ?? status
    }`;
    const room = this.#width() - p.file.length - figures.length - 10;
    const barWidth = Math.max(0, Math.min(30, room));
    const bar = barWidth > 0 ? ` [${drawBar(fraction(p), barWidth)}]` : "";
    const pct = `${Math.floor(fraction(p) * 100)}`.padStart(3);
    this.#write(`\r\x1b[K${p.file}${bar} ${pct}%  ${figures}`);
  }
}

/** One notebook output, updated in place, with a row per file. */
export class JupyterSink implements ProgressSink {
  #display: DisplayFn;
  #id = `laion-fmri-download-${crypto.randomUUID()}`;
  #first = true;
  #rows = new Map<string, { p: DownloadProgress; status: string }>();
  #last = -Infinity;
  #now: () => number;

  /** Updates go through `display` (`Deno.jupyter.display` in the kernel). */
  constructor(display: DisplayFn, now: () => number = () => performance.now()) {
    this.#display = display;
    this.#now = now;
  }

  async skip(p: DownloadProgress): Promise<void> {
    this.#rows.set(p.file, { p, status: "already downloaded" });
    await this.#show();
  }

  async start(p: DownloadProgress): Promise<void> {
    this.#rows.set(p.file, {
      p,
      status: p.bytes > 0 ? "resuming" : "downloading",
    });
    await this.#show();
  }

  async progress(p: DownloadProgress): Promise<void> {
    this.#rows.set(p.file, {
      p,
      status: (p.stalled ?? 0) >= 2
        ? `stalled, no data for ${p.stalled} s`
        : `${formatRate(p.rate)}, ETA ${formatEta(p)}`,
    });
    // Each update is a message to the frontend; a few per second is plenty.
    if (this.#now() - this.#last >= 250) await this.#show();
  }

  async note(file: string, message: string): Promise<void> {
    const row = this.#rows.get(file);
    if (row) row.status = message;
    await this.#show();
  }

  async done(p: DownloadProgress, seconds: number): Promise<void> {
    this.#rows.set(p.file, { p, status: `done in ${formatSeconds(seconds)}` });
    await this.#show();
  }

  async message(text: string): Promise<void> {
    await this.#display({ "text/plain": text }, { raw: true });
  }

  close(): void {}

  async #show(): Promise<void> {
    this.#last = this.#now();
    const rows = [...this.#rows.values()];
    const plain = rows.map(({ p, status }) =>
      `${p.file}: ${formatBytes(p.bytes)}/${formatBytes(p.total)} (${
        Math.floor(fraction(p) * 100)
      }%) ${status}`
    ).join("\n");
    const html = `<table>${
      rows.map(({ p, status }) =>
        `<tr><td><code>${escapeHtml(p.file)}</code></td>` +
        `<td><progress value="${p.bytes}" max="${
          Math.max(p.total, 1)
        }"></progress></td>` +
        `<td>${
          escapeHtml(`${formatBytes(p.bytes)} / ${formatBytes(p.total)}`)
        }</td>` +
        `<td>${escapeHtml(status)}</td></tr>`
      ).join("")
    }</table>`;
    const update = !this.#first;
    this.#first = false;
    await this.#display({ "text/plain": plain, "text/html": html }, {
      raw: true,
      display_id: this.#id,
      update,
    });
  }
}

/** `1234567` -> `"1.2 MB"` (decimal units, as S3 and most tools show them). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let value = n;
  let unit = -1;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

function formatRate(rate: number): string {
  return rate > 0 ? `${formatBytes(Math.round(rate))}/s` : "-- B/s";
}

function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}

function formatEta(p: DownloadProgress): string {
  if (p.rate <= 0) return "--";
  return formatSeconds(Math.max(0, p.total - p.bytes) / p.rate);
}

function fraction(p: DownloadProgress): number {
  return p.total > 0 ? Math.min(1, p.bytes / p.total) : 1;
}

function decile(p: DownloadProgress): number {
  return Math.floor(fraction(p) * 10);
}

function drawBar(f: number, width: number): string {
  const full = Math.round(f * width);
  return "#".repeat(full) + "-".repeat(width - full);
}

function terminalWidth(): number {
  try {
    // A pseudo-terminal may report 0 columns.
    return Deno.consoleSize().columns || 80;
  } catch {
    return 80;
  }
}

const encoder = new TextEncoder();

function writeStderr(text: string): void {
  const bytes = encoder.encode(text);
  let off = 0;
  // writeSync may write less than asked.
  while (off < bytes.length) off += Deno.stderr.writeSync(bytes.subarray(off));
}

/** Options for {@link workProgress}. */
export interface WorkProgressOptions {
  /**
   * The notebook's display function; `null` shows nothing in a notebook.
   *
   * @default {the Deno kernel's `Deno.jupyter.display`, when running in it}
   */
  display?: JupyterDisplayFn | null;
  /**
   * Where a terminal bar is drawn (with `\r`); `null` draws none.
   *
   * @default {stderr when it is a terminal, else nowhere}
   */
  write?: ((text: string) => void) | null;
  /**
   * Nothing shows before the work has run this long: quick calls, and
   * answers from a cache, stay silent.
   *
   * @default {300}
   */
  delayMs?: number;
}

/** What {@link workProgress} returns: feed it, then finish it. */
export interface WorkProgress {
  /** The `onProgress` callback for a long call (`{ done, total }` masks). */
  onProgress(progress: { done: number; total: number }): void;
  /** Ends the display: a closing line, if anything was shown. Safe twice. */
  finish(failed?: boolean): Promise<void>;
  /** Whether anything was shown. */
  readonly shown: boolean;
}

/**
 * Progress of a long call over masks (statistics, coverage, grids, COCO,
 * a mask stream): in a notebook one output updated in place, in a terminal
 * a bar on stderr, elsewhere nothing; and nothing at all until the work has
 * lasted `delayMs`, so a call answered from a cache shows nothing.
 *
 * @example Feed it from a call's `onProgress`
 * ```ts
 * import { workProgress } from "./progress.ts";
 * const lines: string[] = [];
 * const progress = workProgress("seg.stats", { display: null, write: (t) => lines.push(t), delayMs: 0 });
 * progress.onProgress({ done: 50, total: 100 });
 * progress.onProgress({ done: 100, total: 100 });
 * await progress.finish();
 * console.log(lines.at(-1)?.startsWith("\r\x1b[Kseg.stats: 100 masks in ")); // true
 * ```
 */
export function workProgress(
  label: string,
  options: WorkProgressOptions = {},
): WorkProgress {
  const delayMs = options.delayMs ?? 300;
  const display = options.display === undefined
    ? jupyterDisplay()
    : options.display ?? undefined;
  const notebook = display
    ? new NotebookProgress(label, display, delayMs)
    : undefined;
  const write = notebook
    ? undefined
    : options.write === undefined
    ? terminalWriter()
    : options.write ?? undefined;
  const start = performance.now();
  let lastDraw = -Infinity, drawn = false, finished = false;
  let last = { done: 0, total: 0 };
  let pending: Promise<void> = Promise.resolve();
  return {
    get shown() {
      return drawn;
    },
    onProgress(p) {
      last = p;
      const now = performance.now();
      if (now - start < delayMs || finished) return;
      if (notebook) {
        drawn = true;
        // In order, and never failing the call it reports on.
        pending = pending.then(() => notebook.update(p.done, p.total)).catch(
          () => {},
        );
      } else if (write && (now - lastDraw >= 100 || p.done >= p.total)) {
        lastDraw = now;
        drawn = true;
        const f = p.total > 0 ? Math.min(1, p.done / p.total) : 1;
        write(
          `\r\x1b[K${label} [${drawBar(f, 24)}] ${Math.floor(f * 100)}% ${
            p.done.toLocaleString("en-US")
          }/${p.total.toLocaleString("en-US")} masks`,
        );
      }
    },
    async finish(failed = false) {
      if (finished) return;
      finished = true;
      const seconds = formatSeconds((performance.now() - start) / 1000);
      const text = failed
        ? `stopped after ${last.done.toLocaleString("en-US")} of ${
          last.total.toLocaleString("en-US")
        } masks`
        : `${last.total.toLocaleString("en-US")} masks in ${seconds}`;
      if (notebook) {
        await pending;
        await notebook.finish(text);
      } else if (write && drawn) {
        write(`\r\x1b[K${label}: ${text}\n`);
      }
    },
  };
}

/** stderr when it is a terminal, else `undefined`. */
function terminalWriter(): ((text: string) => void) | undefined {
  try {
    return Deno.stderr.isTerminal() ? writeStderr : undefined;
  } catch {
    return undefined;
  }
}
