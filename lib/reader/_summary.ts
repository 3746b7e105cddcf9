// The compact notebook display of an open reader: counts, the localized
// share, the most frequent nouns, the files and the reader in use. Built from
// the in-memory index (no Polars work), with every text escaped.
import { escapeHtml } from "../display/escape.ts";
import { describeInflater } from "../hdf5/decode.ts";

/** What the summary shows, gathered by the reader. */
export interface ReaderFacts {
  masks: number;
  images: number;
  width: number;
  height: number;
  reader: string;
  /** The noun of each CSV row. */
  nouns: readonly (string | null)[];
  /** `localized` of each CSV row (1 = localized). */
  localized: ArrayLike<number>;
  /** The files, labelled. */
  files: { label: string; path: string }[];
}

const TOP = 5;

/** `text/html` (a small table) and `text/plain` (a few lines). */
export function summaryBundle(facts: ReaderFacts): Record<string, string> {
  const rows = facts.nouns.length;
  const counts = new Map<string, number>();
  let localized = 0;
  for (let r = 0; r < rows; r++) {
    const noun = facts.nouns[r] ?? "";
    counts.set(noun, (counts.get(noun) ?? 0) + 1);
    if (facts.localized[r] === 1) localized++;
  }
  const top = [...counts].sort((a, b) =>
    b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)
  ).slice(0, TOP);
  const n = (x: number) => x.toLocaleString("en-US");
  const share = rows === 0 ? "0%" : `${Math.round(100 * localized / rows)}%`;
  const headline = `${n(facts.masks)} masks · ${n(facts.images)} images · ${
    n(counts.size)
  } nouns · ${facts.width}x${facts.height} px`;
  const localizedText = `${share} of masks (${n(localized)} of ${n(rows)})`;
  const topText = top.map(([noun, c]) => `${noun} ${n(c)}`).join(" · ");
  const files = facts.files.map((f) => ({ ...f, size: fileSize(f.path) }));

  const cell = "padding:1px 10px 1px 0;vertical-align:top;text-align:left";
  const head = `${cell};color:#666;font-weight:normal`;
  const row = (label: string, html: string) =>
    `<tr><th style="${head}">${
      escapeHtml(label)
    }</th><td style="${cell}">${html}</td></tr>`;
  const html =
    `<div class="seg-summary" style="font:12px/1.4 system-ui,sans-serif;color:#222">` +
    `<div style="font-weight:600;font-size:13px;margin-bottom:2px">Segmentations · ${
      escapeHtml(headline)
    }</div><table style="border-collapse:collapse;margin:0">` +
    row("localized", escapeHtml(localizedText)) +
    row("top nouns", escapeHtml(topText)) +
    files.map((f) =>
      row(
        f.label,
        `<code>${escapeHtml(f.path)}</code>${
          f.size
            ? ` <span style="color:#666">(${escapeHtml(f.size)})</span>`
            : ""
        }`,
      )
    ).join("") +
    row("reader", escapeHtml(readerText(facts.reader))) +
    `</table></div>`;
  const text = [
    `Segmentations: ${headline}`,
    `  localized: ${localizedText}`,
    `  top nouns: ${topText}`,
    ...files.map((f) =>
      `  ${f.label}: ${f.path}${f.size ? ` (${f.size})` : ""}`
    ),
    `  reader: ${readerText(facts.reader)}`,
  ].join("\n");
  return { "text/html": html, "text/plain": text };
}

function readerText(reader: string): string {
  return reader === "chunks"
    ? `chunks (the fast chunk reader; inflater: ${describeInflater()})`
    : reader === "h5wasm"
    ? "h5wasm (the general HDF5 reader)"
    : reader;
}

function fileSize(path: string): string {
  try {
    const bytes = Deno.statSync(path).size;
    if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
    if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
    if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(1)} kB`;
    return `${bytes} B`;
  } catch {
    return "";
  }
}
