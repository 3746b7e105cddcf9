/**
 * Polars DataFrames in the Deno Jupyter kernel, shown the way Python Polars
 * shows them (shape, column names with dtypes, head and tail around an
 * ellipsis row) and displayed first, then returned as an empty result (no
 * second output under the table): Deno 2.9's kernel sometimes sends a cell's
 * result after the cell went idle and the frontend drops it, while a display
 * sent before the end is kept.
 *
 * Loaded by `mod.ts`. Outside the kernel it does nothing: frames keep
 * nodejs-polars' own behaviour.
 *
 * @module
 */

import { importPolarsFrameModule, type pl } from "../deps.ts";
import { escapeHtml } from "../display/escape.ts";
import {
  displayHook,
  jupyterDisplay,
  type JupyterDisplayFn,
  setDisplay,
} from "../display/jupyter.ts";

/** Options for {@link frameBundle}. */
export interface FrameBundleOptions {
  /**
   * Most rows shown; longer frames show the first and last halves around a
   * row of ellipses (as Python Polars does).
   *
   * @default {Number(Deno.env.get("POLARS_FMT_MAX_ROWS") ?? 10)}
   */
  maxRows?: number;
  /**
   * Most columns shown; wider frames show the first and last halves around a
   * column of ellipses.
   *
   * @default {Number(Deno.env.get("POLARS_FMT_MAX_COLS") ?? 75)}
   */
  maxCols?: number;
  /**
   * Longest text shown in a cell; longer strings end in an ellipsis.
   *
   * @default {100}
   */
  maxChars?: number;
}

/** The frame methods the rendering reads (any nodejs-polars DataFrame). */
type Frame = Pick<
  pl.DataFrame,
  "height" | "width" | "columns" | "dtypes" | "slice" | "select"
>;

/**
 * A frame as a Jupyter MIME bundle: `text/html` laid out like Python Polars'
 * notebook table (every name, dtype and value HTML-escaped) and `text/plain`
 * (Polars' own box table).
 *
 * @example
 * ```ts
 * import { pl } from "../deps.ts";
 * import { frameBundle } from "./frame_display.ts";
 * const bundle = frameBundle(pl.DataFrame({ noun: ["<cat>", "dog"] }));
 * console.log(bundle["text/html"].includes("<small>shape: (2, 1)</small>")); // true
 * console.log(bundle["text/html"].includes("&quot;&lt;cat&gt;&quot;")); // true
 * ```
 */
export function frameBundle(
  frame: Frame,
  options: FrameBundleOptions = {},
): { "text/html": string; "text/plain": string } {
  const maxRows = options.maxRows ?? envLimit("POLARS_FMT_MAX_ROWS", 10);
  const maxCols = options.maxCols ?? envLimit("POLARS_FMT_MAX_COLS", 75);
  const maxChars = options.maxChars ?? 100;
  const { height, width } = frame;
  const columns = frame.columns;
  const dtypes = frame.dtypes.map(dtypeName);

  // Which columns: all, or the first and last halves around an ellipsis.
  const colIdx = pick(width, maxCols);
  const rowIdx = pick(height, maxRows);
  const headCols = colIdx.head.map((i) => columns[i]);
  const tailCols = colIdx.tail.map((i) => columns[i]);
  const shown = [...colIdx.head, ...colIdx.tail];
  const sub = shown.length === width
    ? frame
    : frame.select(...headCols, ...tailCols);
  // slice, not head() and tail(): nodejs-polars answers frame.head with a
  // column named "head" (describeNouns' frames have one).
  const rows = [
    ...(rowIdx.head.length ? sub.slice(0, rowIdx.head.length).rows() : []),
    ...(rowIdx.tail.length
      ? sub.slice(height - rowIdx.tail.length, rowIdx.tail.length).rows()
      : []),
  ] as unknown[][];

  const cells = (values: string[], tag: "th" | "td") => {
    const out = values.map((v) => `<${tag}>${v}</${tag}>`);
    if (colIdx.cut) {
      out.splice(colIdx.head.length, 0, `<${tag}>&hellip;</${tag}>`);
    }
    return `<tr>${out.join("")}</tr>`;
  };
  const body: string[] = [];
  rows.forEach((row, r) => {
    if (r === rowIdx.head.length && rowIdx.cut) {
      body.push(cells(shown.map(() => "&hellip;"), "td"));
    }
    body.push(
      cells(
        row.map((v, c) =>
          escapeHtml(formatValue(v, dtypes[shown[c]], maxChars))
        ),
        "td",
      ),
    );
  });
  if (rowIdx.cut && rowIdx.tail.length === 0) {
    body.push(cells(shown.map(() => "&hellip;"), "td"));
  }
  const html = `<div><style>
.dataframe > thead > tr,
.dataframe > tbody > tr {
  text-align: right;
  white-space: pre-wrap;
}
</style>
<small>shape: (${height}, ${width})</small><table border="1" class="dataframe"><thead>${
    cells(shown.map((i) => escapeHtml(columns[i])), "th")
  }${cells(shown.map((i) => escapeHtml(dtypes[i])), "td")}</thead><tbody>${
    body.join("")
  }</tbody></table></div>`;
  return { "text/html": html, "text/plain": String(frame) };
}

/** Rows (or columns) to show out of `n`: all, or a head and a tail half. */
function pick(
  n: number,
  max: number,
): { head: number[]; tail: number[]; cut: boolean } {
  const range = (from: number, to: number) =>
    Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
  if (max < 0 || n <= max) return { head: range(0, n), tail: [], cut: false };
  const head = Math.ceil(max / 2), tail = Math.floor(max / 2);
  return { head: range(0, head), tail: range(n - tail, n), cut: true };
}

function envLimit(name: string, fallback: number): number {
  try {
    const v = Number.parseInt(Deno.env.get(name) ?? "", 10);
    return Number.isFinite(v) ? v : fallback;
  } catch {
    return fallback; // no env permission
  }
}

const SHORT: Record<string, string> = {
  Int8: "i8",
  Int16: "i16",
  Int32: "i32",
  Int64: "i64",
  UInt8: "u8",
  UInt16: "u16",
  UInt32: "u32",
  UInt64: "u64",
  Float32: "f32",
  Float64: "f64",
  String: "str",
  Utf8: "str",
  Bool: "bool",
  Date: "date",
  Time: "time",
  Null: "null",
  Categorical: "cat",
  Binary: "binary",
  Object: "object",
};

/** Python Polars' short dtype name: `i64`, `str`, `list[str]`, `datetime[ms]`. */
export function dtypeName(dtype: unknown): string {
  const text = String(dtype).replace(/^DataType\((.*)\)$/s, "$1");
  const variant = (dtype as { variant?: string }).variant ??
    text.replace(/\(.*$/s, "");
  if (variant in SHORT) return SHORT[variant];
  if (variant === "List") {
    const inner = (dtype as { inner?: unknown }).inner;
    return `list[${dtypeName(Array.isArray(inner) ? inner[0] : inner)}]`;
  }
  const unit = /^(Datetime|Duration)\((\w+),?\s*([^)]*)\)/.exec(text);
  if (unit) {
    const tz = unit[3] ? `, ${unit[3]}` : "";
    return `${unit[1].toLowerCase()}[${unit[2]}${tz}]`;
  }
  return variant.toLowerCase();
}

/** One cell's text, as Python Polars writes it (strings quoted, floats with a decimal). */
function formatValue(value: unknown, dtype: string, maxChars: number): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") {
    const s = value.length > maxChars ? value.slice(0, maxChars) + "…" : value;
    return dtype === "str" || dtype === "cat" ? `"${s}"` : s;
  }
  if (typeof value === "number") {
    if (dtype.startsWith("f")) return formatFloat(value);
    return String(value);
  }
  if (typeof value === "bigint" || typeof value === "boolean") {
    return String(value);
  }
  if (value instanceof Date) {
    const iso = value.toISOString();
    return dtype === "date"
      ? iso.slice(0, 10)
      : iso.replace("T", " ").replace(/\.000Z$|Z$/, "");
  }
  if (Array.isArray(value)) {
    const inner = dtype.replace(/^list\[(.*)\]$/, "$1");
    const items = value.map((v) => formatValue(v, inner, maxChars));
    const text = `[${items.join(", ")}]`;
    return text.length > maxChars ? text.slice(0, maxChars) + "…]" : text;
  }
  const text = JSON.stringify(value) ?? String(value);
  return text.length > maxChars ? text.slice(0, maxChars) + "…" : text;
}

function formatFloat(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return v.toFixed(1);
  const a = Math.abs(v);
  if (a < 1e-4 || a >= 1e15) return v.toExponential(4).replace("e+", "e");
  return String(Math.round(v * 1e6) / 1e6);
}

const installed = Symbol.for("laion-fmri.frameDisplay");

/**
 * Makes every nodejs-polars DataFrame created from now on display itself
 * with {@link frameBundle} in the kernel: shown first as `display_data`,
 * then returned as an empty bundle, so the table is the cell's one output
 * (see `displayHook` for why the result is `{}`). Does nothing outside
 * the Deno Jupyter kernel (returns `false`), and only once.
 */
export async function installFrameDisplay(
  display: JupyterDisplayFn | undefined = jupyterDisplay(),
): Promise<boolean> {
  if (!display) return false;
  const mod = await importPolarsFrameModule();
  const make = mod._DataFrame as ((raw: unknown) => object) & {
    [installed]?: true;
  };
  if (make[installed]) return true;
  const wrapped = Object.assign((raw: unknown) => {
    const frame = make(raw) as Frame;
    setDisplay(
      frame,
      displayHook(
        () => frameBundle(frame),
        null,
        () => display,
      ),
    );
    return frame;
  }, { [installed]: true as const });
  mod._DataFrame = wrapped;
  return true;
}

await installFrameDisplay();
