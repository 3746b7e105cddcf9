/**
 * {@link plotMatrix}: a matrix as a heatmap of cells (Observable Plot's cell
 * mark), for the tables of fMRI analyses: a pooled grid (`seg.grids()`), the
 * regressor matrix (`seg.coverage(..., { wide: true })`).
 *
 * @module
 */

import { type pl, Plot } from "../deps.ts";
import {
  displayable,
  type PlotDocument,
  type PlotFigure,
  styleFigure,
} from "./figure.ts";
import { defaultDocument } from "./_document.ts";

/** A matrix given as its values, row-major. */
export interface MatrixValues {
  /** `rows * columns` values, row after row. */
  data: ArrayLike<number>;
  /** Number of rows. */
  rows: number;
  /** Number of columns. */
  columns: number;
}

/** Options for {@link plotMatrix}. */
export interface PlotMatrixOptions {
  /**
   * The figure's title.
   *
   * @default {"Matrix"}
   */
  title?: string;
  /**
   * A line under the title.
   *
   * @default {the matrix's size, and what was left out}
   */
  subtitle?: string;
  /**
   * Row labels (for a frame: its first text column).
   *
   * @default {0, 1, 2, ...}
   */
  rowLabels?: readonly string[];
  /**
   * Column labels (for a frame: its numeric columns' names).
   *
   * @default {0, 1, 2, ...}
   */
  columnLabels?: readonly string[];
  /**
   * Most rows drawn; the rest are left out, and the subtitle says so.
   *
   * @default {60}
   */
  maxRows?: number;
  /**
   * Most columns drawn; the rest are left out, and the subtitle says so.
   *
   * @default {40}
   */
  maxColumns?: number;
  /**
   * Show values as percentages in the legend and tooltips.
   *
   * @default {false}
   */
  percent?: boolean;
  /**
   * The colour legend's label.
   *
   * @default {"value"}
   */
  label?: string;
  /**
   * A sequential colour scheme of Observable Plot.
   *
   * @default {"blues"}
   */
  scheme?: string;
  /**
   * Figure width in pixels.
   *
   * @default {640}
   */
  width?: number;
  /**
   * The DOM document to build the figure with.
   *
   * @default {a headless linkedom document with a Skia canvas}
   */
  document?: PlotDocument;
}

interface Cell {
  row: string;
  column: string;
  value: number;
}

const OPTIONS = new Set([
  "title",
  "subtitle",
  "rowLabels",
  "columnLabels",
  "maxRows",
  "maxColumns",
  "percent",
  "label",
  "scheme",
  "width",
  "document",
]);

/**
 * A matrix as a heatmap: one cell per value, coloured on a sequential
 * scale, with a colour legend; hover a cell for its row, column and value.
 * A frame gives its first text column as row labels and its numeric
 * columns as the matrix (the regressor matrix of `seg.coverage(..., { wide:
 * true })`); `{ data, rows, columns }` gives a grid (a mean of
 * `seg.grids()`), drawn with row 0 on top.
 *
 * @throws {TypeError} When the frame has no numeric column, values are not
 * finite numbers, or an option is unknown or of the wrong type.
 * @throws {RangeError} When `data` does not hold `rows * columns` values or
 * labels do not match the matrix.
 *
 * @example An 8 x 8 grid of fractions
 * ```ts
 * import { plotMatrix } from "../../mod.ts";
 * const data = Float64Array.from({ length: 64 }, (_, i) => (i % 8) / 8);
 * const figure = plotMatrix({ data, rows: 8, columns: 8 }, { title: "Grid", percent: true });
 * console.log(figure.querySelectorAll("g[aria-label=cell] rect").length); // 64
 * ```
 */
export function plotMatrix(
  matrix: MatrixValues | pl.DataFrame,
  options: PlotMatrixOptions = {},
): PlotFigure {
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      `plotMatrix: options must be an object; got ${options}.`,
    );
  }
  for (const key of Object.keys(options)) {
    if (!OPTIONS.has(key)) {
      throw new TypeError(
        `plotMatrix: unknown option "${key}"; the options are ${
          [...OPTIONS].join(", ")
        }.`,
      );
    }
  }
  const { values, rows, columns, rowLabels, columnLabels } = matrixOf(
    matrix,
    options,
  );
  const maxRows = positive(options.maxRows ?? 60, "maxRows");
  const maxColumns = positive(options.maxColumns ?? 40, "maxColumns");
  const shownRows = Math.min(rows, maxRows);
  const shownCols = Math.min(columns, maxColumns);
  const cells: Cell[] = [];
  let max = 0, min = Infinity;
  for (let r = 0; r < shownRows; r++) {
    for (let c = 0; c < shownCols; c++) {
      const value = values(r, c);
      if (!Number.isFinite(value)) {
        throw new TypeError(
          `plotMatrix: the value at row ${r} (${rowLabels[r]}), column ${c} (${
            columnLabels[c]
          }) is ${value}, not a finite number.`,
        );
      }
      max = Math.max(max, value);
      min = Math.min(min, value);
      cells.push({ row: rowLabels[r], column: columnLabels[c], value });
    }
  }
  const width = options.width ?? 640;
  if (!(typeof width === "number" && width >= 120)) {
    throw new RangeError(
      `plotMatrix: width must be at least 120 pixels; got ${width}.`,
    );
  }
  const longest = (labels: readonly string[], n: number) =>
    Math.max(1, ...labels.slice(0, n).map((l) => l.length));
  // Long labels (image names, phrase nouns) get room, within reason.
  const marginLeft = Math.min(220, 12 + 6 * longest(rowLabels, shownRows));
  const marginBottom = Math.min(160, 12 + 5 * longest(columnLabels, shownCols));
  const cellSize = Math.min(
    56,
    Math.max(4, Math.floor((width - marginLeft - 10) / shownCols)),
  );
  const format = options.percent
    ? (v: number) => `${(v * 100).toFixed(1)}%`
    : (v: number) => String(Math.round(v * 1000) / 1000);
  const left: string[] = [];
  if (shownRows < rows) left.push(`first ${shownRows} of ${rows} rows`);
  if (shownCols < columns) {
    left.push(`first ${shownCols} of ${columns} columns`);
  }
  const subtitle = options.subtitle ??
    `${rows} × ${columns}${left.length ? ` (${left.join(", ")} shown)` : ""}`;
  const figure = Plot.plot({
    document: (options.document ?? defaultDocument()) as never,
    width: marginLeft + cellSize * shownCols + 10,
    height: 10 + cellSize * shownRows + marginBottom,
    marginTop: 10,
    marginRight: 10,
    marginLeft,
    marginBottom,
    title: options.title ?? "Matrix",
    subtitle,
    style: { fontSize: "10px" },
    x: {
      domain: columnLabels.slice(0, shownCols) as string[],
      label: null,
      tickRotate: shownCols > 12 || longest(columnLabels, shownCols) > 4
        ? -45
        : 0,
      tickSize: 0,
    },
    y: {
      domain: rowLabels.slice(0, shownRows) as string[],
      label: null,
      tickSize: 0,
    },
    color: {
      type: "linear",
      scheme: (options.scheme ?? "blues") as Plot.ColorScheme,
      domain: [Math.min(0, min), max > 0 ? max : 1],
      legend: true,
      label: options.label ?? "value",
      ...(options.percent ? { tickFormat: "%" } : {}),
    },
    marks: [
      Plot.cell(cells, {
        x: "column",
        y: "row",
        fill: "value",
        inset: 0.5,
        title: (d: Cell) => `${d.row} · ${d.column}: ${format(d.value)}`,
      }),
    ],
  }) as unknown as PlotFigure;
  return displayable(
    styleFigure(figure),
    `${options.title ?? "Matrix"}: ${subtitle}`,
  );
}

function positive(v: unknown, name: string): number {
  if (!(typeof v === "number" && Number.isInteger(v) && v > 0)) {
    throw new RangeError(
      `plotMatrix: ${name} must be a positive whole number; got ${v}.`,
    );
  }
  return v;
}

function matrixOf(
  matrix: MatrixValues | pl.DataFrame,
  options: PlotMatrixOptions,
): {
  values: (r: number, c: number) => number;
  rows: number;
  columns: number;
  rowLabels: readonly string[];
  columnLabels: readonly string[];
} {
  const labels = (
    given: readonly string[] | undefined,
    n: number,
    what: string,
  ) => {
    if (given === undefined) {
      return Array.from({ length: n }, (_, i) => String(i));
    }
    if (!Array.isArray(given) || given.length !== n) {
      throw new RangeError(
        `plotMatrix: ${what} must hold ${n} labels, one per ${
          what === "rowLabels" ? "row" : "column"
        }; got ${Array.isArray(given) ? given.length : typeof given}.`,
      );
    }
    return given.map(String);
  };
  const frame = matrix as pl.DataFrame;
  if (
    matrix && typeof frame.getColumn === "function" &&
    Array.isArray(frame.columns)
  ) {
    const numeric = frame.columns.filter((_, i) =>
      dtypeIsNumeric(frame.dtypes[i])
    );
    const text = frame.columns.find((_, i) => !dtypeIsNumeric(frame.dtypes[i]));
    if (numeric.length === 0) {
      throw new TypeError(
        `plotMatrix: the frame has no numeric column (columns: ${
          frame.columns.join(", ")
        }); pass the regressor matrix of seg.coverage(undefined, { wide: true }).`,
      );
    }
    const cols = numeric.map((n) => frame.getColumn(n).toArray() as number[]);
    const rowNames = text
      ? (frame.getColumn(text).toArray() as unknown[]).map(String)
      : undefined;
    return {
      values: (r, c) => Number(cols[c][r]),
      rows: frame.height,
      columns: numeric.length,
      rowLabels: labels(
        options.rowLabels ?? rowNames,
        frame.height,
        "rowLabels",
      ),
      columnLabels: labels(
        options.columnLabels ?? numeric,
        numeric.length,
        "columnLabels",
      ),
    };
  }
  const m = matrix as MatrixValues;
  if (
    !m || typeof m !== "object" || !Number.isInteger(m.rows) ||
    !Number.isInteger(m.columns) ||
    m.rows <= 0 || m.columns <= 0 || !m.data ||
    typeof m.data.length !== "number"
  ) {
    throw new TypeError(
      "plotMatrix: expected a Polars DataFrame or { data, rows, columns } with positive whole rows and columns.",
    );
  }
  if (m.data.length !== m.rows * m.columns) {
    throw new RangeError(
      `plotMatrix: data holds ${m.data.length} values, not rows * columns = ${
        m.rows * m.columns
      }.`,
    );
  }
  return {
    values: (r, c) => m.data[r * m.columns + c],
    rows: m.rows,
    columns: m.columns,
    rowLabels: labels(options.rowLabels, m.rows, "rowLabels"),
    columnLabels: labels(options.columnLabels, m.columns, "columnLabels"),
  };
}

/** Whether a Polars dtype holds numbers (integers or floats). */
function dtypeIsNumeric(dtype: unknown): boolean {
  const variant = (dtype as { variant?: string })?.variant ??
    String(dtype).replace(/^DataType\((.*)\)$/s, "$1");
  return /^(U?Int(8|16|32|64)|Float(32|64))$/.test(variant);
}
