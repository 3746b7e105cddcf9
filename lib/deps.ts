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
