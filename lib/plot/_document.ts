// A headless DOM for Observable Plot: linkedom for the elements, Skia
// (@napi-rs/canvas) for <canvas>, which Plot's raster mark and colour ramps
// draw into and read back with a synchronous toDataURL().
import { type Canvas, createCanvas } from "../deps.ts";
import { parseHTML } from "../deps.ts";
import type { PlotDocument } from "./figure.ts";

/**
 * A `<canvas>` stand-in backed by a Skia canvas. Plot creates the element
 * first and sizes it afterwards, so setting `width` or `height` replaces the
 * backing canvas (clearing it, as a browser does).
 */
export class SkiaCanvasElement {
  /** Tag name, as a DOM element reports it. */
  readonly tagName = "CANVAS";
  /** Node name, as a DOM element reports it. */
  readonly nodeName = "CANVAS";
  #canvas: Canvas;

  /** A 300 x 150 canvas, the HTML default size. */
  constructor(width = 300, height = 150) {
    this.#canvas = createCanvas(width, height);
  }

  /** Width in pixels; setting it clears the canvas. */
  get width(): number {
    return this.#canvas.width;
  }
  set width(value: number) {
    this.#canvas = createCanvas(size(value), this.#canvas.height);
  }

  /** Height in pixels; setting it clears the canvas. */
  get height(): number {
    return this.#canvas.height;
  }
  set height(value: number) {
    this.#canvas = createCanvas(this.#canvas.width, size(value));
  }

  /** The 2D context of the current backing canvas; `null` for other kinds. */
  getContext(kind: string): ReturnType<Canvas["getContext"]> | null {
    return kind === "2d" ? this.#canvas.getContext("2d") : null;
  }

  /** The canvas as a data URL (PNG unless `type` says `image/jpeg` or `image/webp`). */
  toDataURL(type = "image/png", quality?: number): string {
    if (type === "image/jpeg" || type === "image/webp") {
      return this.#canvas.toDataURL(type, quality);
    }
    return this.#canvas.toDataURL("image/png");
  }
}

function size(value: number): number {
  const n = Math.floor(Number(value));
  return Number.isFinite(n) && n > 0 ? n : 0;
}

/**
 * A new headless document (linkedom) whose `createElement("canvas")` returns
 * a {@link SkiaCanvasElement}, so Plot's raster mark and colour legends work
 * outside a browser.
 */
export function headlessDocument(): PlotDocument {
  // linkedom's types describe a window; only its document is used.
  const { document } = parseHTML(
    "<!DOCTYPE html><html><head></head><body></body></html>",
  ) as unknown as {
    document: PlotDocument & {
      createElement(name: string, options?: { is?: string }): unknown;
    };
  };
  const createElement = document.createElement.bind(document);
  // An own property on this one document: linkedom's prototype stays untouched.
  Object.defineProperty(document, "createElement", {
    configurable: true,
    writable: true,
    value: (name: string, options?: { is?: string }) =>
      String(name).toLowerCase() === "canvas"
        ? new SkiaCanvasElement()
        : createElement(name, options),
  });
  return document as unknown as PlotDocument;
}

let shared: PlotDocument | undefined;

/** One headless document for every figure that is not given its own. */
export function defaultDocument(): PlotDocument {
  return shared ??= headlessDocument();
}
