// CSV helpers: a record reader that tokenizes the way pandas' C parser does,
// strict UTF-8 decoding whose errors name the line and byte, one-line
// splitting for headers and one-column files, and field quoting for writing.

/** One record of a CSV file. */
export interface CsvRecord {
  /** 1-based line of the file where the record starts (the header is line 1). */
  line: number;
  /** The fields, quotes removed. */
  fields: string[];
}

/** Options for {@link parseCsv} and {@link decodeCsvBytes}. */
export interface ParseCsvOptions {
  /**
   * What error messages call the text (usually the file's path).
   *
   * @default {"CSV"}
   */
  name?: string;
}

/**
 * Splits CSV text into records as pandas' `read_csv` does: RFC 4180 quoting
 * (a field that starts with a quote runs to the closing quote and may hold
 * commas, `""` for a quote and line breaks, kept exactly as written; text
 * after the closing quote is added to the field); `\n`, `\r\n` and a lone
 * `\r` each end a line outside quotes (so `\r\r\n` leaves a blank line);
 * blank lines and lines of only spaces or tabs are skipped; a leading
 * byte-order mark is dropped.
 *
 * @throws {SyntaxError} When a quoted field is never closed; the message
 *   names the text (`options.name`) and the line where the quote opens.
 *
 * @example Mixed line ends, a blank line, a quoted line break
 * ```ts
 * import { parseCsv } from "./csv.ts";
 * const records = parseCsv('a,b\r\n1,"x, y"\r\r\n\n2,"z\r\nw"\r');
 * console.log(records.map((r) => r.fields)); // [["a","b"],["1","x, y"],["2","z\r\nw"]]
 * console.log(records[2].line); // 5
 * ```
 *
 * @example An unterminated quote is an error naming its line
 * ```ts
 * import { parseCsv } from "./csv.ts";
 * try {
 *   parseCsv('a,b\n1,"x\n2,y\n', { name: "meta.csv" });
 * } catch (err) {
 *   console.log((err as Error).message.startsWith("meta.csv: line 2:")); // true
 * }
 * ```
 */
export function parseCsv(
  text: string,
  options: ParseCsvOptions = {},
): CsvRecord[] {
  const name = options.name ?? "CSV";
  const n = text.length;
  const out: CsvRecord[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  while (i < n) {
    // Blank lines and lines of only spaces/tabs are skipped, as pandas does.
    let j = i;
    let c = text.charCodeAt(j);
    while (c === 32 || c === 9) c = text.charCodeAt(++j);
    if (j >= n) break;
    if (c === 10 || c === 13) {
      i = c === 13 && text.charCodeAt(j + 1) === 10 ? j + 2 : j + 1;
      line++;
      continue;
    }
    const start = line;
    const fields: string[] = [];
    for (;;) {
      let field = "";
      if (text.charCodeAt(i) === 34) {
        const opened = line;
        let from = i + 1;
        for (;;) {
          const q = text.indexOf('"', from);
          if (q < 0) {
            throw new SyntaxError(
              `${name}: line ${opened}: a quoted field opens here and is never closed ` +
                `(an unmatched " in a value?); the file is malformed: fix the quote or download it again.`,
            );
          }
          line += lineEnds(text, from, q);
          field += text.slice(from, q);
          if (text.charCodeAt(q + 1) === 34) {
            field += '"';
            from = q + 2;
            continue;
          }
          i = q + 1;
          break;
        }
      }
      // Up to the next comma or line end (after a closing quote: whatever
      // follows it, as pandas keeps it).
      let k = i;
      c = text.charCodeAt(k);
      while (k < n && c !== 44 && c !== 10 && c !== 13) {
        c = text.charCodeAt(++k);
      }
      fields.push(k > i ? field + text.slice(i, k) : field);
      if (c === 44) {
        i = k + 1;
        continue;
      }
      i = k >= n
        ? n
        : c === 13 && text.charCodeAt(k + 1) === 10
        ? k + 2
        : k + 1;
      if (k < n) line++;
      break;
    }
    out.push({ line: start, fields });
  }
  return out;
}

/**
 * The 1-based line of `text[index]`, counting `\n`, `\r\n` and lone `\r`
 * as line ends, as {@link parseCsv} does.
 *
 * @example
 * ```ts
 * import { csvLineAt } from "./csv.ts";
 * console.log(csvLineAt("a\r\nb\rc", 5)); // 3
 * ```
 */
export function csvLineAt(text: string, index: number): number {
  return 1 + lineEnds(text, 0, index);
}

/** Line ends (`\n`, `\r\n`, lone `\r`) in `text[from, to)`. */
function lineEnds(text: string, from: number, to: number): number {
  let count = 0;
  for (let k = from; k < to; k++) {
    const c = text.charCodeAt(k);
    if (c === 10) count++;
    else if (c === 13 && (k + 1 >= to || text.charCodeAt(k + 1) !== 10)) {
      count++;
    }
  }
  return count;
}

/**
 * Decodes CSV bytes as UTF-8, refusing any byte that is not (pandas raises
 * `UnicodeDecodeError`; a replacement character would be a wrong value).
 *
 * @throws {TypeError} When the bytes are not valid UTF-8; the message names
 *   the text (`options.name`), the line, the byte's offset and its value.
 *
 * @example A latin-1 byte is an error naming line and byte
 * ```ts
 * import { decodeCsvBytes } from "./csv.ts";
 * const bytes = new Uint8Array([0x61, 0x0a, 0x63, 0x61, 0x66, 0xe9, 0x0a]);
 * try {
 *   decodeCsvBytes(bytes, { name: "meta.csv" });
 * } catch (err) {
 *   console.log((err as Error).message.startsWith("meta.csv: line 2, byte 5 (0xE9)")); // true
 * }
 * ```
 */
export function decodeCsvBytes(
  bytes: Uint8Array,
  options: ParseCsvOptions = {},
): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (err) {
    const at = firstInvalidUtf8(bytes);
    const line = lineOfOffset(bytes, at);
    throw new TypeError(
      `${options.name ?? "CSV"}: line ${line}, byte ${at} (0x${
        (bytes[at] ?? 0).toString(16).toUpperCase().padStart(2, "0")
      }) is not UTF-8 (a latin-1 or Windows-1252 file?); ` +
        `the CSV must be UTF-8: convert it (iconv -f latin1 -t utf-8) or download it again.`,
      { cause: err },
    );
  }
}

/** Offset of the first byte that starts or continues an invalid UTF-8 sequence. */
function firstInvalidUtf8(b: Uint8Array): number {
  const n = b.length;
  let i = 0;
  while (i < n) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number, min: number;
    if (c >= 0xc2 && c <= 0xdf) (need = 1), (min = 0x80);
    else if (c >= 0xe0 && c <= 0xef) (need = 2), (min = 0x800);
    else if (c >= 0xf0 && c <= 0xf4) (need = 3), (min = 0x10000);
    else return i;
    let cp = c & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const d = b[i + k];
      if (d === undefined || (d & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (d & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return n;
}

/** 1-based line of byte `at` (`\n`, `\r\n` and lone `\r` end lines). */
function lineOfOffset(b: Uint8Array, at: number): number {
  let line = 1;
  for (let k = 0; k < at; k++) {
    if (b[k] === 10) line++;
    else if (b[k] === 13 && b[k + 1] !== 10) line++;
  }
  return line;
}

/**
 * Splits one CSV line (RFC 4180 quoting: a field that starts with a quote
 * runs to the closing quote, `""` inside is one quote; a line break inside
 * quotes is kept as it is).
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
