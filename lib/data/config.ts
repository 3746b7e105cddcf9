/**
 * The data-directory configuration, shared with the Python package
 * `laion_fmri`: the same environment variable and the same config file.
 *
 * @module
 */

import { checkPathArg } from "./_args.ts";
import { dirname, join, resolve } from "node:path";

/** Environment variable that names the data directory; it wins over the config file. */
export const DATA_DIR_ENV = "LAION_FMRI_DATA_DIR";

/**
 * Path of the config file the Python package writes: `$XDG_CONFIG_HOME` (or
 * `~/.config`), then `laion_fmri/config.json`.
 *
 * @example Where the config file lives
 * ```ts
 * import { configPath } from "./config.ts";
 * console.log(configPath().endsWith("laion_fmri/config.json")); // true
 * ```
 */
export function configPath(): string {
  const xdg = Deno.env.get("XDG_CONFIG_HOME");
  const base = xdg && xdg.length > 0 ? xdg : join(homeDir(), ".config");
  return join(base, "laion_fmri", "config.json");
}

/**
 * The configured data directory: env `LAION_FMRI_DATA_DIR` first, then the
 * config file; `undefined` when neither is set.
 *
 * @throws {SyntaxError} When the config file exists but is not valid JSON.
 */
export function getDataDir(): string | undefined {
  const fromEnv = Deno.env.get(DATA_DIR_ENV);
  if (fromEnv && fromEnv.length > 0) return fromEnv;
  const path = configPath();
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new SyntaxError(
      `Config file ${path} is not valid JSON; write it again with \`deno task cli init PATH\` (PATH: your data directory), or fix it by hand.`,
      { cause: err },
    );
  }
  const dir = (parsed as { data_dir?: unknown } | null)?.data_dir;
  return typeof dir === "string" && dir.length > 0 ? dir : undefined;
}

/**
 * Write the config file (as the Python package's `dataset_initialize` does)
 * so both the Python package and this module find `path`.
 *
 * @throws {Deno.errors.NotFound} When `path` is not an existing directory.
 * @returns The config file's path.
 */
export function datasetInitialize(path: string): string {
  checkPathArg("datasetInitialize", "path", path);
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (err) {
    throw new Deno.errors.NotFound(
      `Data directory ${path} does not exist; create it first (mkdir -p ${path}).`,
      { cause: err },
    );
  }
  if (!info.isDirectory) {
    throw new Deno.errors.NotADirectory(
      `Data directory ${path} is not a directory; pass the folder that holds stimuli/.`,
    );
  }
  const file = configPath();
  Deno.mkdirSync(dirname(file), { recursive: true });
  const absolute = resolve(path);
  Deno.writeTextFileSync(
    file,
    JSON.stringify({ data_dir: absolute }, null, 2) + "\n",
  );
  return file;
}

/**
 * Make `path` the data directory, as the Python package's `set_data_dir`
 * does: writes the config file shared with `laion_fmri` (the same file and
 * effect as {@link datasetInitialize} and `deno task cli config --data-dir`).
 * The environment variable `LAION_FMRI_DATA_DIR`, when set, still wins.
 *
 * @throws {Deno.errors.NotFound} When `path` is not an existing directory.
 * @returns The config file's path.
 *
 * @example Point the module at a data directory
 * ```ts ignore
 * import { setDataDir } from "./config.ts";
 * setDataDir("/data/laion-fmri"); // "~/.config/laion_fmri/config.json"
 * ```
 */
export function setDataDir(path: string): string {
  return datasetInitialize(path);
}

function homeDir(): string {
  return Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE") ?? ".";
}
