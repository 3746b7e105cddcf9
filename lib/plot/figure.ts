// What every figure helper shares: the figure types, the display hook a
// figure carries in a notebook, and inline styles that look the same in any
// notebook frontend.
import {
  displayHook,
  jupyterDisplay,
  type JupyterDisplayFn,
  setDisplay,
} from "../display/jupyter.ts";
import { setInspect } from "../display/inspect.ts";

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

const SVG_NS = "http://www.w3.org/2000/svg";

/**
 * Adds the Deno Jupyter kernel's display hook to a figure: `text/html` for a
 * `<figure>`, `image/svg+xml` (with the namespaces a stand-alone SVG needs)
 * for a bare `<svg>`. The kernel would guess the same from `outerHTML`, but
 * without the namespaces, which some frontends need to show an SVG as an image.
 *
 * Inside the kernel the hook shows the figure itself (a `display_data`
 * output) and returns an empty result, so the figure is the cell's only
 * visible output (see {@link displayHook} for why, and what the kernel does
 * with other results). Outside a kernel the hook returns the whole bundle,
 * with `summary` as its `text/plain`.
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
  setDisplay(figure, displayHook(bundle, null, kernel));
  // Inspected (console.log, a Promise's value), one line instead of its DOM.
  return setInspect(figure, () => figureLine(figure as unknown as PlotElement));
}

/** `PlotFigure(<figure> "title", 640x620 px)` and how to show or save it. */
export function figureLine(el: PlotElement): string {
  const svg = el.tagName.toLowerCase() === "svg"
    ? el
    : [...el.querySelectorAll(":scope > svg")].at(-1);
  const size = svg
    ? `, ${svg.getAttribute("width")}x${svg.getAttribute("height")} px`
    : "";
  const title = el.querySelector("h2")?.textContent ?? "";
  return `PlotFigure(<${el.tagName.toLowerCase()}>${
    title ? ` ${JSON.stringify(title)}` : ""
  }${size}): end a cell with it to show it; saveFigure(figure, "figure.png") saves it`;
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
