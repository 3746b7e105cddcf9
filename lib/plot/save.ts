/**
 * {@link saveFigure} and {@link toSvg}: any figure of this module as a
 * stand-alone SVG file, or as a PNG rasterized with Skia (@napi-rs/canvas)
 * in a font the machine has.
 *
 * @module
 */

import { createCanvas, GlobalFonts, loadImage } from "../deps.ts";
import { escapeHtml } from "../display/escape.ts";
import type { PlotElement, PlotFigure } from "./figure.ts";

/** Options for {@link saveFigure}. */
export interface SaveFigureOptions {
  /**
   * Pixels per figure pixel of a `.png` (2 suits slides and print; a `.svg`
   * is vector and ignores it).
   *
   * @default {2}
   */
  scale?: number;
}

const SVG_NS = "http://www.w3.org/2000/svg";
const XLINK_NS = "http://www.w3.org/1999/xlink";
/** Families tried first for text, in order; else the first the machine has. */
const PREFERRED_FONTS = [
  "DejaVu Sans",
  "Liberation Sans",
  "Noto Sans",
  "Arial",
  "Helvetica",
  "FreeSans",
];
const FIGURE_FONT = "system-ui, sans-serif";

type Node = PlotElement & {
  readonly children: ArrayLike<Node>;
  readonly parentElement: Node | null;
};

/** One piece of a figure, top to bottom. */
type Block =
  | {
    kind: "text";
    lines: string[];
    size: number;
    weight: number;
    color: string;
    lineHeight: number;
    top: number;
  }
  | {
    kind: "swatches";
    rows: { color: string; label: string; x: number }[][];
    top: number;
  }
  | { kind: "svg"; svg: Node; width: number; height: number; top: number };

interface Layout {
  width: number;
  height: number;
  blocks: { block: Block; y: number }[];
}

/**
 * The figure as a stand-alone SVG document: a bare `<svg>` figure as it is
 * (with its namespaces), a `<figure>` with its title, subtitle, swatch
 * legend and caption drawn as SVG text above and below its plots. Every text
 * from the data is escaped.
 *
 * @throws {TypeError} When `figure` is neither an `<svg>` nor a `<figure>` of
 * this module.
 *
 * @example An overlay as SVG text
 * ```ts
 * import { ensureSample, Segmentations, toSvg } from "../../mod.ts";
 *
 * using seg = await Segmentations.open({ dataDir: await ensureSample() });
 * const svg = toSvg(await seg.show(seg.images()[0], { width: 320 }));
 * console.log(svg.startsWith("<svg xmlns=\"http://www.w3.org/2000/svg\"")); // true
 * ```
 */
export function toSvg(figure: PlotFigure): string {
  const el = checkFigure(figure, "toSvg");
  if (tag(el) === "svg") return standalone(el, 0);
  const layout = layoutFigure(el, "toSvg");
  const parts: string[] = [
    `<svg xmlns="${SVG_NS}" xmlns:xlink="${XLINK_NS}" width="${layout.width}" height="${layout.height}" viewBox="0 0 ${layout.width} ${layout.height}" font-family="${FIGURE_FONT}">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
  ];
  for (const { block, y } of layout.blocks) {
    if (block.kind === "text") {
      block.lines.forEach((line, i) => {
        parts.push(
          `<text x="0" y="${
            round(
              y + baseline(block.size, block.lineHeight) + i * block.lineHeight,
            )
          }" font-size="${block.size}" font-weight="${block.weight}" fill="${block.color}">${
            escapeHtml(line)
          }</text>`,
        );
      });
    } else if (block.kind === "swatches") {
      block.rows.forEach((row, r) => {
        const top = y + r * SWATCH_ROW;
        for (const item of row) {
          parts.push(
            `<rect x="${item.x}" y="${
              round(top + 2.5)
            }" width="15" height="15" fill="${
              escapeHtml(item.color)
            }"/><text x="${item.x + 19}" y="${
              round(top + 14)
            }" font-size="12" fill="#222">${escapeHtml(item.label)}</text>`,
          );
        }
      });
    } else {
      parts.push(standalone(block.svg, y));
    }
  }
  parts.push("</svg>");
  return parts.join("");
}

/**
 * Writes a figure to `path`: `.svg` as {@link toSvg} gives it, `.png`
 * rasterized at `scale` pixels per figure pixel on white, its text in a font
 * the machine has (DejaVu Sans where present).
 *
 * @throws {TypeError} When the extension is neither `.svg` nor `.png`, or
 * `figure` is not a figure of this module.
 * @throws {RangeError} When `scale` is not a number from 0.1 to 16.
 * @throws {Error} When the file cannot be written (the cause says why), or
 * no font is installed for a PNG's text.
 *
 * @example Save an overlay as PNG and SVG
 * ```ts
 * import { ensureSample, saveFigure, Segmentations } from "../../mod.ts";
 *
 * using seg = await Segmentations.open({ dataDir: await ensureSample() });
 * const figure = await seg.show(seg.images()[0], { width: 320 });
 * const dir = await Deno.makeTempDir();
 * await saveFigure(figure, `${dir}/overlay.png`, { scale: 2 });
 * await saveFigure(figure, `${dir}/overlay.svg`);
 * const png = await Deno.readFile(`${dir}/overlay.png`);
 * console.log(png[1] === 0x50); // true ("PNG")
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function saveFigure(
  figure: PlotFigure,
  path: string,
  options: SaveFigureOptions = {},
): Promise<void> {
  const el = checkFigure(figure, "saveFigure");
  if (typeof path !== "string" || path.length === 0) {
    throw new TypeError(
      `saveFigure: path must be a file name ending in .svg or .png; got ${
        typeof path === "string" ? '""' : typeof path
      }.`,
    );
  }
  const ext = /\.([^./\\]+)$/.exec(path)?.[1]?.toLowerCase();
  if (ext !== "svg" && ext !== "png") {
    throw new TypeError(
      `saveFigure: ${path}: cannot tell the format from the extension; end the name in .svg (vector, as shown) or .png (rasterized).`,
    );
  }
  const scale = options.scale ?? 2;
  if (!(typeof scale === "number" && scale >= 0.1 && scale <= 16)) {
    throw new RangeError(
      `saveFigure: scale must be a number from 0.1 to 16 (pixels per figure pixel); got ${
        String(scale)
      }.`,
    );
  }
  const bytes = ext === "svg"
    ? new TextEncoder().encode(toSvg(figure))
    : await rasterize(el, scale);
  try {
    await Deno.writeFile(path, bytes);
  } catch (err) {
    throw new Error(
      `saveFigure: could not write ${path}: ${
        (err as Error).message
      }. Check that its folder exists and is writable.`,
      { cause: err },
    );
  }
}

function checkFigure(figure: unknown, fn: string): Node {
  const el = figure as Node | null;
  const name = el && typeof el === "object" && typeof el.tagName === "string"
    ? el.tagName.toLowerCase()
    : "";
  if (name !== "svg" && name !== "figure") {
    throw new TypeError(
      `${fn}: expected a figure of this module (what seg.show(), plotNounFrequency(), plotScores() or nounHeatmap() return; await those that return a Promise); got ${
        figure instanceof Promise
          ? "a Promise: put await in front"
          : name
          ? `a <${name}> element`
          : typeof figure
      }.`,
    );
  }
  return el!;
}

function tag(el: Node): string {
  return el.tagName.toLowerCase();
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}

function num(el: Node, name: string, fallback = 0): number {
  const v = Number.parseFloat(el.getAttribute(name) ?? "");
  return Number.isFinite(v) ? v : fallback;
}

/** A plot `<svg>` as a stand-alone element placed at `y`, with namespaces. */
function standalone(svg: Node, y: number): string {
  const html = svg.outerHTML;
  const attrs = [
    ...(svg.getAttribute("xmlns") === null ? [`xmlns="${SVG_NS}"`] : []),
    ...(svg.getAttribute("xmlns:xlink") === null && /xlink:/.test(html)
      ? [`xmlns:xlink="${XLINK_NS}"`]
      : []),
    ...(y ? [`x="0" y="${round(y)}"`] : []),
  ];
  return attrs.length
    ? html.replace(/^<svg\b/, `<svg ${attrs.join(" ")}`)
    : html;
}

const SWATCH_ROW = 20;

function baseline(size: number, lineHeight: number): number {
  // Text centred in its line box, as a browser sets a line.
  return (lineHeight - size) / 2 + size * 0.8;
}

let measureCtx:
  | ReturnType<ReturnType<typeof createCanvas>["getContext"]>
  | undefined;

function textWidth(text: string, size: number, weight = 400): number {
  measureCtx ??= createCanvas(1, 1).getContext("2d");
  measureCtx.font = `${weight} ${size}px "${fontFamily()}"`;
  return measureCtx.measureText(text).width;
}

/** Words of `text` broken into lines at most `width` wide. */
function wrap(
  text: string,
  width: number,
  size: number,
  weight = 400,
): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const next = line ? `${line} ${word}` : word;
    if (line && textWidth(next, size, weight) > width) {
      lines.push(line);
      line = word;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines;
}

/** The `<figure>`'s parts stacked as a browser lays them out (block flow). */
function layoutFigure(el: Node, fn: string): Layout {
  const children = Array.from(el.children);
  const svgs = children.filter((c) => tag(c) === "svg");
  if (svgs.length === 0) {
    throw new TypeError(`${fn}: the figure holds no <svg> plot to draw.`);
  }
  const width = Math.max(...svgs.map((s) => num(s, "width", 640)));
  const blocks: { block: Block; y: number }[] = [];
  let y = 0;
  const add = (block: Block, height: number) => {
    y += block.top;
    blocks.push({ block, y });
    y += height;
  };
  const text = (
    t: string,
    size: number,
    weight: number,
    color: string,
    top: number,
    after: number,
  ) => {
    const lineHeight = Math.round(size * 1.3 * 10) / 10;
    const lines = wrap(t, width, size, weight);
    if (lines.length === 0) return;
    add(
      { kind: "text", lines, size, weight, color, lineHeight, top },
      lines.length * lineHeight,
    );
    y += after;
  };
  for (const child of children) {
    const name = tag(child);
    const content = (child.textContent ?? "").trim();
    if (name === "h2") text(content, 15, 600, "#222222", 0, 2);
    else if (name === "h3") text(content, 12, 400, "#555555", 0, 6);
    else if (name === "figcaption") text(content, 11, 400, "#666666", 4, 0);
    else if (name === "svg") {
      add(
        {
          kind: "svg",
          svg: child,
          width: num(child, "width"),
          height: num(child, "height"),
          top: 0,
        },
        num(child, "height"),
      );
    } else if (/swatches/.test(child.getAttribute("class") ?? "")) {
      const rows: { color: string; label: string; x: number }[][] = [[]];
      let x = 0;
      for (const span of Array.from(child.querySelectorAll("span"))) {
        if (!/swatch/.test(span.getAttribute("class") ?? "")) continue;
        const swatch = span.querySelector("svg");
        const color = swatch?.getAttribute("fill") ??
          swatch?.querySelector("rect")?.getAttribute("fill") ?? "#000000";
        const label = (span.textContent ?? "").trim();
        const w = 19 + textWidth(label, 12) + 12;
        if (x > 0 && x + w > width) {
          rows.push([]);
          x = 0;
        }
        rows[rows.length - 1].push({ color, label, x: round(x) });
        x += w;
      }
      add({ kind: "swatches", rows, top: 0 }, rows.length * SWATCH_ROW + 4);
    } else if (content) text(content, 12, 400, "#222222", 0, 4);
  }
  return { width, height: Math.ceil(y), blocks };
}

let family: string | undefined;

/** A font family installed on this machine, preferring DejaVu Sans and friends. */
function fontFamily(): string {
  if (family) return family;
  const have = new Set(
    (GlobalFonts.families as { family: string }[]).map((f) => f.family),
  );
  family = PREFERRED_FONTS.find((f) => have.has(f)) ??
    [...have].find((f) => !/math|symbol|awesome|glyph|emoji/i.test(f));
  if (!family) {
    throw new Error(
      "saveFigure: no font is installed for the PNG's text; install one (Debian: apt-get install fonts-dejavu-core), or save as .svg.",
    );
  }
  return family;
}

/** The figure as PNG bytes at `scale`, on white. */
async function rasterize(el: Node, scale: number): Promise<Uint8Array> {
  const font = fontFamily();
  const layout: Layout = tag(el) === "svg"
    ? {
      width: num(el, "width"),
      height: num(el, "height"),
      blocks: [{
        block: {
          kind: "svg",
          svg: el,
          width: num(el, "width"),
          height: num(el, "height"),
          top: 0,
        },
        y: 0,
      }],
    }
    : layoutFigure(el, "saveFigure");
  if (!(layout.width > 0 && layout.height > 0)) {
    throw new TypeError("saveFigure: the figure has no size to draw.");
  }
  const canvas = createCanvas(
    Math.max(1, Math.round(layout.width * scale)),
    Math.max(1, Math.round(layout.height * scale)),
  );
  const ctx = canvas.getContext("2d");
  ctx.scale(scale, scale);
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, layout.width, layout.height);
  for (const { block, y } of layout.blocks) {
    if (block.kind === "text") {
      ctx.fillStyle = block.color;
      ctx.font = `${block.weight} ${block.size}px "${font}"`;
      block.lines.forEach((line, i) => {
        ctx.fillText(
          line,
          0,
          y + baseline(block.size, block.lineHeight) + i * block.lineHeight,
        );
      });
    } else if (block.kind === "swatches") {
      ctx.font = `12px "${font}"`;
      block.rows.forEach((row, r) => {
        for (const item of row) {
          ctx.fillStyle = item.color;
          ctx.fillRect(item.x, y + r * SWATCH_ROW + 2.5, 15, 15);
          ctx.fillStyle = "#222222";
          ctx.fillText(item.label, item.x + 19, y + r * SWATCH_ROW + 14);
        }
      });
    } else {
      await drawSvg(ctx, block.svg, y, scale, font);
    }
  }
  return new Uint8Array(canvas.toBuffer("image/png"));
}

type Ctx = ReturnType<ReturnType<typeof createCanvas>["getContext"]>;

/**
 * Draws a plot `<svg>` at `y`, its top-level parts in order: vector parts
 * through Skia's SVG renderer, `<image>` layers (which it does not draw)
 * decoded and drawn on the canvas at their place.
 */
async function drawSvg(
  ctx: Ctx,
  svg: Node,
  y: number,
  scale: number,
  font: string,
): Promise<void> {
  const width = num(svg, "width"), height = num(svg, "height");
  const box = (svg.getAttribute("viewBox") ?? `0 0 ${width} ${height}`)
    .trim().split(/[\s,]+/).map(Number);
  const [vx, vy, vw, vh] = box.length === 4 && box.every(Number.isFinite)
    ? box
    : [0, 0, width, height];
  const sx = width / vw, sy = height / vh;
  const children = Array.from(svg.children);
  const styles = children.filter((c) => tag(c) === "style").map((c) =>
    c.outerHTML
  ).join("");
  const rootAttrs = ["fill", "font-size", "text-anchor", "class"]
    .map((a) => [a, svg.getAttribute(a)] as const)
    .filter(([, v]) => v !== null)
    .map(([a, v]) => `${a}="${escapeHtml(v!)}"`)
    .join(" ");
  let pending: string[] = [];
  const flush = async () => {
    if (pending.length === 0) return;
    const text = `<svg xmlns="${SVG_NS}" xmlns:xlink="${XLINK_NS}" width="${
      Math.round(width * scale)
    }" height="${
      Math.round(height * scale)
    }" viewBox="${vx} ${vy} ${vw} ${vh}" ${rootAttrs} font-family="${font}">${styles}${
      withFont(pending.join(""), font)
    }</svg>`;
    pending = [];
    const image = await loadImage(new TextEncoder().encode(text));
    ctx.drawImage(image, 0, y, width, height);
  };
  for (const child of children) {
    const name = tag(child);
    if (name === "style") continue;
    const images = name === "image"
      ? [child]
      : Array.from(child.querySelectorAll("image")) as Node[];
    if (images.length === 0) {
      pending.push(child.outerHTML);
      continue;
    }
    await flush();
    for (const image of images) {
      await drawImageElement(ctx, image, svg, y, vx, vy, sx, sy);
    }
    if (
      name !== "image" &&
      child.querySelectorAll(":not(image):not(g):not(title)").length > 0
    ) {
      // Vector parts beside the images of one group: drawn above them
      // (each image removed whole, with its tooltip).
      pending.push(
        child.outerHTML.replace(
          /<image\b[^>]*\/>|<image\b[^>]*>[\s\S]*?<\/image>/g,
          "",
        ),
      );
    }
  }
  await flush();
}

/** Every `font-family` of vector parts set to a font the machine has. */
function withFont(svgText: string, font: string): string {
  return svgText
    .replace(/font-family="[^"]*"/g, `font-family="${font}"`)
    .replace(/font-family:\s*[^;"}]+/g, `font-family: ${font}`);
}

async function drawImageElement(
  ctx: Ctx,
  image: Node,
  root: Node,
  y: number,
  vx: number,
  vy: number,
  sx: number,
  sy: number,
): Promise<void> {
  const href = image.getAttribute("href") ?? image.getAttribute("xlink:href") ??
    "";
  const m = /^data:image\/(png|jpeg|webp);base64,(.*)$/s.exec(href);
  if (!m) {
    throw new TypeError(
      `saveFigure: an <image> of the figure is not an embedded PNG or JPEG (${
        href.slice(0, 40)
      }...); only embedded images can be drawn.`,
    );
  }
  // Translations and scalings of the image and its groups; any other
  // transform (a rotation, a skew) is refused rather than drawn wrong.
  let m2: Affine = { a: 1, d: 1, e: 0, f: 0 };
  let alpha = 1, pixelated = false;
  for (let el: Node | null = image; el && el !== root; el = el.parentElement) {
    const t = el.getAttribute("transform");
    if (t) m2 = compose(parseTransform(t), m2);
    const o = Number.parseFloat(el.getAttribute("opacity") ?? "");
    if (Number.isFinite(o)) alpha *= o;
    const style = `${el.getAttribute("style") ?? ""};image-rendering:${
      el.getAttribute("image-rendering") ?? ""
    }`;
    if (
      /image-rendering:\s*(pixelated|crisp-edges|optimizeSpeed)/.test(style)
    ) {
      pixelated = true;
    }
  }
  const bytes = Uint8Array.from(atob(m[2]), (c) => c.charCodeAt(0));
  const img = await loadImage(bytes);
  let x = num(image, "x"), top = num(image, "y");
  let w = num(image, "width", img.width), h = num(image, "height", img.height);
  const aspect = image.getAttribute("preserveAspectRatio") ?? "xMidYMid meet";
  if (aspect !== "none" && img.width > 0 && img.height > 0) {
    // The default: fit inside the box, centred.
    const k = Math.min(w / img.width, h / img.height);
    x += (w - img.width * k) / 2;
    top += (h - img.height * k) / 2;
    w = img.width * k;
    h = img.height * k;
  }
  ctx.save();
  ctx.globalAlpha = alpha;
  ctx.imageSmoothingEnabled = !pixelated;
  // Into the svg's user space, then onto the canvas.
  const ux = m2.a * x + m2.e, uy = m2.d * top + m2.f;
  ctx.drawImage(
    img,
    (ux - vx) * sx,
    y + (uy - vy) * sy,
    m2.a * w * sx,
    m2.d * h * sy,
  );
  ctx.restore();
}

/** An axis-aligned affine map: x' = a x + e, y' = d y + f. */
interface Affine {
  a: number;
  d: number;
  e: number;
  f: number;
}

/** `outer` after `inner`. */
function compose(outer: Affine, inner: Affine): Affine {
  return {
    a: outer.a * inner.a,
    d: outer.d * inner.d,
    e: outer.a * inner.e + outer.e,
    f: outer.d * inner.f + outer.f,
  };
}

/** An SVG transform list of translate() and scale() functions. */
function parseTransform(text: string): Affine {
  let out: Affine = { a: 1, d: 1, e: 0, f: 0 };
  const re = /\s*(translate|scale)\(\s*([^)]*)\)\s*,?/gy;
  let at = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const v = m[2].split(/[\s,]+/).filter(Boolean).map(Number);
    if (v.length < 1 || v.length > 2 || !v.every(Number.isFinite)) break;
    const fn: Affine = m[1] === "translate"
      ? { a: 1, d: 1, e: v[0], f: v[1] ?? 0 }
      : { a: v[0], d: v[1] ?? v[0], e: 0, f: 0 };
    out = compose(out, fn);
    at = re.lastIndex;
  }
  if (text.slice(at).trim() !== "") {
    throw new TypeError(
      `saveFigure: cannot draw an image under transform="${text}"; save as .svg instead.`,
    );
  }
  return out;
}
