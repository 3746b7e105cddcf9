// CSV helpers: a record reader that splits lines the way pandas does, one-line
// splitting for headers and one-column files, and field quoting for writing.

/** One record of a CSV file. */
export interface CsvRecord {
  /** 1-based line of the file where the record starts (the header is line 1). */
  line: number;
  /** The fields, quotes removed. */
  fields: string[];
}

/**
 * Splits CSV text into records as pandas' `read_csv` does: RFC 4180 quoting
 * (quoted fields may hold commas, quotes as `""` and line breaks); `\n`,
 * `\r\n` and a lone `\r` each end a line (so `\r\r\n` leaves a blank
 * line); blank lines and lines of only spaces or tabs are skipped; a
 * leading byte-order mark is dropped.
 *
 * @example Mixed line ends and a blank line
 * ```ts
 * import { parseCsv } from "./csv.ts";
 * const records = parseCsv('a,b\r\n1,"x, y"\r\r\n\n2,z\r');
 * console.log(records.map((r) => r.fields)); // [["a","b"],["1","x, y"],["2","z"]]
 * console.log(records[2].line); // 5
 * ```
 */
export function parseCsv(text: string): CsvRecord[] {
  const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split(
    /\r\n|\r|\n/,
  );
  const out: CsvRecord[] = [];
  for (let k = 0; k < lines.length; k++) {
    let line = lines[k];
    const start = k + 1;
    if (!line.includes('"')) {
      // Blank lines and lines of only spaces/tabs are skipped, as pandas does.
      if (line.length === 0 || /^[ \t]*$/.test(line)) continue;
      out.push({ line: start, fields: line.split(",") });
      continue;
    }
    // A quoted field may run over line ends: join lines until quotes balance.
    let quotes = countQuotes(line);
    while (quotes % 2 === 1 && k + 1 < lines.length) {
      const next = lines[++k];
      line += "\n" + next;
      quotes += countQuotes(next);
    }
    out.push({ line: start, fields: splitCsvLine(line) });
  }
  return out;
}

function countQuotes(s: string): number {
  let n = 0;
  for (let i = s.indexOf('"'); i >= 0; i = s.indexOf('"', i + 1)) n++;
  return n;
}

/**
 * Splits one CSV line (RFC 4180 quoting: a field that starts with a quote
 * runs to the closing quote, `""` inside is one quote; a line break inside
 * quotes is kept as `\n`).
 */
export function splitCsvLine(line: string): string[] {
  if (!line.includes('"')) return line.split(",");
  const out: string[] = [];
  const n = line.length;
  let i = 0;
  for (;;) {
    let field = "";
    if (line.charCodeAt(i) === 34) {
      let from = i + 1;
      for (;;) {
        const q = line.indexOf('"', from);
        if (q < 0) {
          field += line.slice(from);
          i = n;
          break;
        }
        field += line.slice(from, q);
        if (line.charCodeAt(q + 1) === 34) {
          field += '"';
          from = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
    }
    // Up to the next comma (after a closing quote: whatever follows it).
    const c = line.indexOf(",", i);
    const stop = c < 0 ? n : c;
    field += line.slice(i, stop);
    out.push(field);
    if (c < 0) break;
    i = c + 1;
  }
  return out;
}

/** Quotes a CSV field when it needs it (RFC 4180); `null` is an empty field. */
export function csvField(value: string | number | null): string {
  if (value === null) return "";
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}
