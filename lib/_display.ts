// Jupyter display helpers shared by the figure helpers: the figure type, the
// display hook, an in-place progress output, and the one function through
// which figures read masks.
import { escapeHtml } from "./_escape.ts";
import type { Mask } from "./mask.ts";
import type { Segmentations } from "./segmentations.ts";

/**
 * The DOM document a figure is built with: a browser's `document`, or a
 * headless one such as linkedom's `parseHTML(html).document`. Plot's raster
 * mark also needs `createElement("canvas")` to return a working canvas; the
 * built-in headless document (used when none is given) provides one.
 */
export interface PlotDocument {
  /** Creates an HTML element. */
  createElement(tagName: string): unknown;
  /** Creates an element in a namespace (Plot's SVG elements). */
  createElementNS(namespace: string | null, qualifiedName: string): unknown;
}

/** An element inside a figure, as the DOM gives it. */
export interface PlotElement {
  /** The element's tag name (`svg`, `figure`, `text`, ...). */
  readonly tagName: string;
  /** Its text, descendants included. */
  readonly textContent: string | null;
  /** Its markup. */
  readonly outerHTML: string;
  /** An attribute's value, or `null`. */
  getAttribute(name: string): string | null;
  /** The first descendant matching a CSS selector. */
  querySelector(selectors: string): PlotElement | null;
  /** All descendants matching a CSS selector. */
  querySelectorAll(
    selectors: string,
  ): ArrayLike<PlotElement> & Iterable<PlotElement>;
}

/** A scale of a figure, as Plot describes it (`figure.scale("color")`). */
export interface PlotScale {
  /** `ordinal`, `linear`, `sequential`, ... */
  type?: string;
  /** Input values (nouns for the colour scale of {@link show}). */
  domain?: unknown[];
  /** Output values (colours for a colour scale). */
  range?: unknown[];
}

/**
 * What the figure helpers return: an Observable Plot figure, a DOM element
 * (`<figure>` with a title and legend, or a bare `<svg>`). The Deno Jupyter
 * kernel shows it inline as HTML; `outerHTML` gives the markup to save.
 */
export interface PlotFigure extends PlotElement {
  /** A scale of the figure (`"x"`, `"y"`, `"color"`, ...), when it has one. */
  scale(name: string): PlotScale | undefined;
}

const DISPLAY = Symbol.for("Jupyter.display");
const SVG_NS = "http://www.w3.org/2000/svg";

/**
 * Adds the Deno Jupyter kernel's display hook to a figure: `text/html` for a
 * `<figure>`, `image/svg+xml` (with the namespaces a stand-alone SVG needs)
 * for a bare `<svg>`. The kernel would guess the same from `outerHTML`, but
 * without the namespaces, which some frontends need to show an SVG as an image.
 *
 * Inside the kernel the hook shows the figure itself (a `display_data`
 * output) and returns only the one-line `summary` as the cell's result:
 * Deno 2.9's kernel sometimes publishes a cell's result after the cell's
 * "idle" status, and Jupyter frontends (JupyterLab, nbconvert) then drop it;
 * measured here, 1 result in 5 to 20. A display followed by a turn of the
 * event loop arrives in order (0 late in hundreds of runs), so the figure
 * always shows and at worst the summary line goes missing. Outside a kernel
 * the hook returns the whole bundle.
 *
 * `kernel` finds the kernel's display function (replaceable in tests).
 */
export function displayable<T extends object>(
  figure: T,
  summary: string,
  kernel: () => JupyterDisplayFn | undefined = jupyterDisplay,
): T {
  const bundle = (): Record<string, string> => {
    const el = figure as unknown as {
      outerHTML: string;
      tagName: string;
      getAttribute(n: string): string | null;
      setAttribute(n: string, v: string): void;
    };
    if (el.tagName.toLowerCase() === "svg") {
      if (el.getAttribute("xmlns") === null) el.setAttribute("xmlns", SVG_NS);
      return { "image/svg+xml": el.outerHTML, "text/plain": summary };
    }
    return { "text/html": el.outerHTML, "text/plain": summary };
  };
  Object.defineProperty(figure, DISPLAY, {
    configurable: true,
    enumerable: false,
    value: displayHook(bundle, () => summary, kernel),
  });
  return figure;
}

/**
 * A `Symbol.for("Jupyter.display")` method. Outside a kernel it returns the
 * whole `bundle` (synchronously). Inside the kernel it shows the bundle as a
 * `display_data` output, lets the event loop send it, and returns only
 * `summary` as the cell's result (see {@link displayable} for why).
 */
export function displayHook(
  bundle: () => Record<string, string>,
  summary: () => string,
  kernel: () => JupyterDisplayFn | undefined = jupyterDisplay,
): () => Record<string, string> | Promise<Record<string, string>> {
  return () => {
    const display = kernel();
    if (!display) return bundle();
    return (async () => {
      await display(bundle(), { raw: true });
      // Let the event loop send the output before the kernel reports "idle".
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { "text/plain": summary() };
    })();
  };
}

const FIGURE_STYLES: Record<string, string> = {
  h2: "font:600 15px/1.3 system-ui,sans-serif;margin:0 0 2px;color:#222",
  h3: "font:12px/1.3 system-ui,sans-serif;margin:0 0 6px;color:#555",
  figcaption: "font:11px/1.3 system-ui,sans-serif;color:#666;margin-top:4px",
};

/**
 * Gives a figure's title, subtitle and caption inline styles, so they look
 * the same in any notebook frontend (whose CSS would otherwise size a title
 * as a section heading).
 */
export function styleFigure<T extends object>(figure: T): T {
  const el = figure as unknown as PlotElement & {
    setAttribute(n: string, v: string): void;
  };
  if (el.tagName.toLowerCase() !== "figure") return figure;
  el.setAttribute(
    "style",
    `${el.getAttribute("style") ?? ""};font-family:system-ui,sans-serif`,
  );
  // Plot's swatch legends default to 10px, small next to a notebook's text.
  for (const legend of el.querySelectorAll(":scope > div")) {
    const div = legend as unknown as PlotElement & {
      setAttribute(n: string, v: string): void;
    };
    if (/swatches/.test(div.getAttribute("class") ?? "")) {
      div.setAttribute("style", "font-size:12px");
    }
  }
  for (const [tag, style] of Object.entries(FIGURE_STYLES)) {
    for (const child of el.querySelectorAll(`:scope > ${tag}`)) {
      (child as unknown as { setAttribute(n: string, v: string): void })
        .setAttribute("style", style);
    }
  }
  return figure;
}

/** `Deno.jupyter.display`, with the options this module uses. */
export type JupyterDisplayFn = (
  bundle: Record<string, string>,
  options: { raw: boolean; display_id?: string; update?: boolean },
) => Promise<void>;

/** `Deno.jupyter.display` inside the Deno kernel, else `undefined`. */
export function jupyterDisplay(): JupyterDisplayFn | undefined {
  try {
    // Outside `deno jupyter`, even reading `Deno.jupyter` may throw.
    const jupyter = (Deno as unknown as { jupyter?: { display?: unknown } })
      .jupyter;
    if (jupyter && typeof jupyter.display === "function") {
      return jupyter.display.bind(jupyter) as JupyterDisplayFn;
    }
  } catch {
    // Not in a kernel.
  }
  return undefined;
}

/**
 * A progress line in a notebook: one output, created once the work has
 * lasted `delayMs` (quick runs show nothing) and then updated in place.
 */
export class NotebookProgress {
  readonly #label: string;
  readonly #display: JupyterDisplayFn | undefined;
  readonly #id = `laion-fmri-progress-${crypto.randomUUID()}`;
  readonly #start = performance.now();
  readonly #delayMs: number;
  #shown = false;
  #last = 0;

  /**
   * `display` defaults to the kernel's (`undefined`); `null` shows nothing.
   * Nothing is shown either outside a kernel.
   */
  constructor(
    label: string,
    display: JupyterDisplayFn | null | undefined = undefined,
    delayMs = 400,
  ) {
    this.#label = label;
    this.#display = display === null ? undefined : display ?? jupyterDisplay();
    this.#delayMs = delayMs;
  }

  /** Reports `done` of `total`; throttled to a few updates per second. */
  async update(done: number, total: number): Promise<void> {
    if (!this.#display) return;
    const now = performance.now();
    if (now - this.#start < this.#delayMs) return;
    if (this.#shown && now - this.#last < 250 && done < total) return;
    this.#last = now;
    await this.#show(
      `${done}/${total} masks`,
      `<progress value="${done}" max="${total}" style="width:16em;vertical-align:middle"></progress>`,
    );
  }

  /** Replaces the line with a closing message, if it was ever shown. */
  async finish(message: string): Promise<void> {
    if (!this.#display || !this.#shown) return;
    await this.#show(message, "");
    // A turn of the event loop sends it before the cell can end (see displayable).
    await new Promise((resolve) => setTimeout(resolve, 20));
  }

  async #show(text: string, bar: string): Promise<void> {
    const bundle = {
      "text/plain": `${this.#label}: ${text}`,
      "text/html": `<div style="font:12px system-ui,sans-serif">${bar} ${
        escapeHtml(this.#label)
      }: ${escapeHtml(text)}</div>`,
    };
    try {
      await this.#display!(bundle, {
        raw: true,
        display_id: this.#id,
        update: this.#shown,
      });
      this.#shown = true;
    } catch {
      // A progress line must never break the computation it reports on.
    }
  }
}

/** Options of {@link masksOf}. */
export interface MasksOfOptions {
  /** Stops the reading (the generator throws the signal's reason). */
  signal?: AbortSignal;
}

/**
 * The masks of HDF5 rows `rows`, in that order (one image's masks; the
 * whole-dataset helpers stream through `seg.masks`, which decodes in Web
 * Workers in file order). Yields to the event loop every few milliseconds so a kernel stays
 * responsive (progress outputs, interrupts) during long runs.
 */
export async function* masksOf(
  seg: Segmentations,
  rows: readonly number[],
  options: MasksOfOptions = {},
): AsyncGenerator<Mask> {
  const { signal } = options;
  let lastYield = performance.now();
  for (const row of rows) {
    signal?.throwIfAborted();
    yield seg.row(row);
    if (performance.now() - lastYield > 30) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      lastYield = performance.now();
    }
  }
  signal?.throwIfAborted();
}

/** Throws a clear error when `frame` lacks one of `names`. */
export function requireColumns(
  frame: { columns: string[] },
  names: readonly string[],
  helper: string,
): void {
  for (const name of names) {
    if (!frame.columns.includes(name)) {
      throw new TypeError(
        `${helper}: the frame has no "${name}" column (it has: ${
          frame.columns.join(", ")
        }). Pass seg.metadata or a frame filtered from it, keeping its columns.`,
      );
    }
  }
}

/** The values of column `name`, or a clear error when the frame lacks it. */
export function column<T>(
  frame: {
    columns: string[];
    getColumn(name: string): { toArray(): unknown[] };
  },
  name: string,
  helper: string,
): T[] {
  requireColumns(frame, [name], helper);
  return frame.getColumn(name).toArray() as T[];
}
