/**
 * Command line: `deno task cli <command>` to download the segmentation files,
 * summarize them, list an image's nouns, and set the data directory.
 *
 * Exit codes: 0 success, 1 failure, 2 bad usage, 130 interrupted (Ctrl-C).
 * Errors are printed on stderr as one line starting with `error: `.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { basename } from "node:path";
import { DATA_DIR_ENV, datasetInitialize, getDataDir } from "../data/config.ts";
import {
  checkDownloads,
  DEFAULT_BASE_URL,
  downloadSegmentations,
  S3_URL_ENV,
} from "../data/download/download.ts";
import { SegmentationsReader as Segmentations } from "../reader/reader.ts";
import { StimulusArchive } from "../stimuli/stimuli.ts";
import { closestNames, didYouMean, nearMissImages } from "../base/suggest.ts";
import { formatBytes } from "../display/progress.ts";
import { closest } from "../base/args.ts";

/** Usage text printed by `--help`. */
export const USAGE = `Usage: deno task cli <command> [options]

Commands:
  download-segmentations [--data-dir D] [--quiet] [--verify] [--force]
                         [--connect-timeout S] [--stall-timeout S] [--lock-timeout S]
      Download the masks (HDF5) and their metadata (CSV) from the public
      LAION-fMRI bucket into D/stimuli/; resumes an interrupted download and
      skips files that are complete. Each file is checked against the bucket
      before it gets its name. Prints the two file paths.
  info [--data-dir D]
      Masks, images, distinct nouns, share of localized masks, file sizes;
      warns about a file that changed since it was downloaded.
  nouns IMAGE [--all] [--data-dir D]
      The nouns of IMAGE, one per line: localized masks only, or all with --all.
  export-coco OUT.json [--min-score S] [--data-dir D]
      Write the masks as a COCO dataset (RLE segmentations, boxes, scores;
      categories are the nouns), only those scoring at least S if given,
      for pycocotools, FiftyOne or CVAT. Prints OUT.json's path.
  init PATH
      Make PATH the data directory (writes the config file shared with the
      Python package laion_fmri) and print the config file's path.
  config --data-dir PATH
      The same as init PATH (the Python CLI's spelling).

Options:
  --data-dir D   Data directory (default: $${DATA_DIR_ENV}, then the config file)
  --all          nouns: include masks that are not localized
  -q, --quiet    download-segmentations: no progress output
  --verify       download-segmentations: hash the files on disk, fetch any
                 that does not match the bucket and the download manifest
  --force        download-segmentations: fetch every file anew
  --connect-timeout S  download-segmentations: seconds to wait for an answer
                 before retrying (default 30)
  --stall-timeout S    download-segmentations: seconds without data (or below
                 1 kB/s on average) before retrying (default 60)
  --lock-timeout S     download-segmentations: seconds to wait for another
                 download of the same file (default 3600)
  -h, --help     Show this help

Environment:
  ${DATA_DIR_ENV}   Data directory; wins over the config file
  ${S3_URL_ENV}     Bucket URL (default ${DEFAULT_BASE_URL})
`;

/** Options for {@link main}. */
export interface MainOptions {
  /**
   * Receives standard output, one line at a time (without the newline).
   *
   * @default {console.log}
   */
  stdout?: (line: string) => void;
  /**
   * Receives error lines (without the newline).
   *
   * @default {console.error}
   */
  stderr?: (line: string) => void;
}

/** Bad command line: exit status 2. */
class UsageError extends Error {}

const COMMANDS: Record<
  string,
  {
    positionals: string[];
    options: Record<string, { type: "string" | "boolean"; short?: string }>;
  }
> = {
  "download-segmentations": {
    positionals: [],
    options: {
      "data-dir": { type: "string" },
      quiet: { type: "boolean", short: "q" },
      verify: { type: "boolean" },
      force: { type: "boolean" },
      "connect-timeout": { type: "string" },
      "stall-timeout": { type: "string" },
      "lock-timeout": { type: "string" },
    },
  },
  info: { positionals: [], options: { "data-dir": { type: "string" } } },
  nouns: {
    positionals: ["IMAGE"],
    options: { "data-dir": { type: "string" }, all: { type: "boolean" } },
  },
  init: { positionals: ["PATH"], options: {} },
  "export-coco": {
    positionals: ["OUT.json"],
    options: {
      "data-dir": { type: "string" },
      "min-score": { type: "string" },
    },
  },
  config: { positionals: [], options: { "data-dir": { type: "string" } } },
};

/**
 * Run the command line `args` (without the program name) and return the exit
 * status. Progress of `download-segmentations` goes to stderr directly.
 *
 * @example Print the usage
 * ```ts
 * import { main } from "./main.ts";
 * const lines: string[] = [];
 * const status = await main(["--help"], { stdout: (l) => lines.push(l) });
 * console.log(status, lines[0]); // 0 "Usage: deno task cli <command> [options]"
 * ```
 */
export async function main(
  args: string[],
  options: MainOptions = {},
): Promise<number> {
  const out = options.stdout ?? ((line: string) => console.log(line));
  const err = options.stderr ?? ((line: string) => console.error(line));
  const help = () => USAGE.trimEnd().split("\n").forEach((l) => out(l));
  try {
    const [command, ...rest] = args;
    if (command === undefined) throw new UsageError("missing command");
    if (command === "--help" || command === "-h" || command === "help") {
      help();
      return 0;
    }
    const spec = COMMANDS[command];
    if (!spec) throw new UsageError(`unknown command "${command}"`);
    let parsed;
    try {
      parsed = parseArgs({
        args: rest,
        options: { ...spec.options, help: { type: "boolean", short: "h" } },
        allowPositionals: true,
        strict: true,
      });
    } catch (e) {
      // Node's hint about `--` is noise here.
      const message = e instanceof Error
        ? e.message.replace(/\. To specify a positional[\s\S]*$/, "")
        : e;
      if (command === "download-segmentations") {
        const unknown = String(message).match(/^Unknown option '--([^']+)'/);
        if (unknown) {
          const near = closest(unknown[1], Object.keys(spec.options));
          throw new UsageError(
            `${command}: unknown option --${unknown[1]}${
              near ? `; did you mean --${near}?` : ""
            }`,
          );
        }
      }
      throw new UsageError(`${command}: ${message}`);
    }
    const values = parsed.values as Record<
      string,
      string | boolean | undefined
    >;
    if (values.help) {
      help();
      return 0;
    }
    const { positionals } = parsed;
    if (positionals.length < spec.positionals.length) {
      throw new UsageError(
        `${command}: missing argument ${spec.positionals[positionals.length]}`,
      );
    }
    if (positionals.length > spec.positionals.length) {
      throw new UsageError(
        `${command}: unexpected argument "${
          positionals[spec.positionals.length]
        }"`,
      );
    }
    if (command === "init") {
      out(datasetInitialize(positionals[0]));
      return 0;
    }
    if (command === "config") {
      // The Python CLI's `laion-fmri config --data-dir DIR`: the same as init.
      const dir = values["data-dir"];
      if (typeof dir !== "string" || dir === "") {
        throw new UsageError("config: missing --data-dir PATH");
      }
      out(datasetInitialize(dir));
      return 0;
    }
    const dataDir = resolveDataDir(values["data-dir"] as string | undefined);
    if (command === "download-segmentations") {
      return await download(
        dataDir,
        {
          quiet: values.quiet === true,
          verify: values.verify === true,
          force: values.force === true,
          connectTimeout: secondsFlag(values, "connect-timeout", false),
          stallTimeout: secondsFlag(values, "stall-timeout", false),
          lockTimeout: secondsFlag(values, "lock-timeout", true),
        },
        out,
        err,
      );
    }
    if (command === "export-coco") {
      await exportCoco(positionals[0], values["min-score"], dataDir, out);
      return 0;
    }
    if (command === "info") await info(dataDir, out, err);
    else await nouns(positionals[0], values.all === true, dataDir, out, err);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      err(`error: ${oneLine(e.message)} (see \`deno task cli --help\`)`);
      return 2;
    }
    err(`error: ${oneLine(e instanceof Error ? e.message : String(e))}`);
    return 1;
  }
}

/** A `--NAME S` flag in seconds as milliseconds (undefined when absent); a usage error unless a number > 0 (or >= 0). */
function secondsFlag(
  values: Record<string, string | boolean | undefined>,
  name: string,
  zeroOk: boolean,
): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const text = String(raw).trim();
  const n = text === "" ? NaN : Number(text);
  if (!Number.isFinite(n) || n < 0 || (n === 0 && !zeroOk)) {
    throw new UsageError(
      `download-segmentations: --${name} must be a number of seconds ${
        zeroOk ? ">= 0" : "> 0"
      } (e.g. --${name} 30), got "${raw}"`,
    );
  }
  return n * 1000;
}

async function download(
  dataDir: string,
  flags: {
    quiet: boolean;
    verify: boolean;
    force: boolean;
    connectTimeout?: number;
    stallTimeout?: number;
    lockTimeout?: number;
  },
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  // Ctrl-C aborts cleanly so the .part files are closed and kept for a resume.
  const controller = new AbortController();
  const onInterrupt = () =>
    controller.abort(new DOMException("Interrupted", "AbortError"));
  let listening = false;
  try {
    Deno.addSignalListener("SIGINT", onInterrupt);
    listening = true;
  } catch {
    // Signals are not available here (some platforms, restricted workers).
  }
  try {
    const files = await downloadSegmentations({
      dataDir,
      ...flags,
      signal: controller.signal,
    });
    out(files.h5);
    out(files.csv);
    return 0;
  } catch (e) {
    if (controller.signal.aborted) {
      err("error: interrupted; run the command again to resume the download");
      return 130;
    }
    throw e;
  } finally {
    if (listening) Deno.removeSignalListener("SIGINT", onInterrupt);
  }
}

async function info(
  dataDir: string,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<void> {
  // Against the download manifest first: a changed file may not even open.
  const changed = (await checkDownloads(dataDir)).filter((c) => c.message);
  let seg: Segmentations;
  try {
    seg = await Segmentations.open({ dataDir });
  } catch (e) {
    if (changed.length === 0) throw e;
    throw new Error(
      `${changed.map((c) => c.message).join("; ")} (opening it failed: ${
        e instanceof Error ? e.message : e
      })`,
    );
  }
  using _seg = seg;
  for (const c of changed) err(`warning: ${c.message}`);
  const masks = seg.length;
  const rows = seg.metadata.height;
  const localized = rows === 0
    ? 0
    : Number(seg.metadata.getColumn("localized").sum());
  const share = rows === 0 ? 0 : (100 * localized) / rows;
  const table: Array<[string, string]> = [
    ["data dir", seg.dataDir],
    ["masks", String(masks)],
    ["images", String(seg.images().length)],
    ["distinct nouns", String(seg.metadata.getColumn("noun").nUnique())],
    ["localized", `${localized} of ${rows} masks (${share.toFixed(1)}%)`],
  ];
  const width = Math.max(...table.map(([k]) => k.length));
  for (const [k, v] of table) out(`${k.padEnd(width)}  ${v}`);
  out("files");
  const files = [seg.paths.h5, seg.paths.csv];
  const nameWidth = Math.max(...files.map((f) => basename(f).length));
  for (const path of files) {
    const size = (await Deno.stat(path)).size;
    out(
      `  ${basename(path).padEnd(nameWidth)}  ${
        formatBytes(size).padStart(8)
      }  (${size} bytes)${
        changed.some((c) => c.path === path)
          ? "  CHANGED since it was downloaded"
          : ""
      }`,
    );
  }
}

async function nouns(
  image: string,
  all: boolean,
  dataDir: string,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<void> {
  using seg = await Segmentations.open({ dataDir });
  if (seg.hasImage(image)) {
    for (const noun of seg.nouns(image, { localizedOnly: !all })) out(noun);
    return;
  }
  // Most stimuli have no masks, but a typo must not look like one of them.
  using archive = new StimulusArchive(dataDir);
  if (archive.available && archive.has(image)) {
    err(
      `note: stimulus "${image}" has no masks (only the shared images do); \`deno task cli info\` shows how many images do`,
    );
    return;
  }
  const near = nearMissImages(image, seg.images());
  const close = near.length > 0 ? near : closestNames(image, seg.images());
  if (close.length > 0 || archive.available) {
    throw new Error(
      `image "${image}" has no masks${
        archive.available ? " and is not a stimulus of the archive" : ""
      }.${
        didYouMean(image, close)
      } \`deno task cli info\` shows how many images have masks.`,
    );
  }
  err(
    `note: image "${image}" has no masks; \`deno task cli info\` shows how many images do`,
  );
}

async function exportCoco(
  path: string,
  minScoreFlag: unknown,
  dataDir: string,
  out: (line: string) => void,
): Promise<void> {
  let minScore: number | undefined;
  if (minScoreFlag !== undefined) {
    minScore = Number(minScoreFlag);
    if (String(minScoreFlag).trim() === "" || !Number.isFinite(minScore)) {
      throw new UsageError(
        `export-coco: --min-score must be a number, got "${minScoreFlag}"`,
      );
    }
  }
  using seg = await Segmentations.open({ dataDir });
  const coco = await seg.toCoco(undefined, { minScore });
  // Written next to the target, then renamed: never a partial OUT.json.
  const tmp = `${path}.${Deno.pid}.part`;
  try {
    await Deno.writeTextFile(tmp, JSON.stringify(coco));
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw new Error(
      `cannot write ${path}: ${e instanceof Error ? e.message : e}`,
    );
  }
  out(path);
}

/** The data directory from --data-dir, env or config; an error saying how to set one. */
function resolveDataDir(flag: string | undefined): string {
  const dir = flag ?? getDataDir();
  if (dir === undefined || dir === "") {
    throw new Error(
      `no data directory: pass --data-dir D, run \`deno task cli init PATH\`, or set ${DATA_DIR_ENV}=PATH`,
    );
  }
  return dir;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").trim();
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
