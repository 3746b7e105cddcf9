/**
 * Inflate a chunk's zlib stream straight into a caller's buffer, with the
 * inflater chosen once per thread: node:zlib's reused stream by default,
 * libdeflate through FFI when asked for (`LAION_FMRI_INFLATE=libdeflate`, or
 * `LAION_FMRI_LIBDEFLATE` naming the library file) or when that stream is
 * missing, where libdeflate loads and FFI is already allowed (asking for
 * it would prompt). `LAION_FMRI_INFLATE=zlib` forces node:zlib. What is asked
 * for and cannot be had is an error, never a silent node:zlib. Every thread
 * reads the same variables and permissions, so workers choose what the
 * calling thread chose. Both give the same bytes and the same errors: a
 * stream libdeflate refuses is inflated again by node:zlib for its words.
 *
 * The node:zlib path reuses one zlib stream per thread: `inflateSync` builds
 * a stream object and a fresh output buffer per call, and on 1 MB masks that
 * fresh memory (page faults) costs several times the inflate itself. It uses
 * the zlib handle behind node:zlib's Inflate (Deno and Node give it the same
 * `writeSync`/`reset`); without it (and libdeflate), callers fall back to
 * `inflateSync`.
 *
 * @module
 */
import { constants, createInflate, inflateSync } from "node:zlib";
import {
  type Libdeflate,
  LIBDEFLATE_ENV,
  LIBDEFLATE_RESULT,
  libdeflateCandidates,
  openLibdeflate,
} from "./libdeflate.ts";

interface ZlibHandle {
  reset(): void;
  writeSync(
    flush: number,
    input: Uint8Array,
    inOff: number,
    inLen: number,
    out: Uint8Array,
    outOff: number,
    outLen: number,
  ): void;
  onerror: (message: string, errno: number) => void;
}

interface Stream {
  handle: ZlibHandle;
  /** [avail_out, avail_in] after the last write. */
  state: Uint32Array;
  error: string | undefined;
}

let stream: Stream | null | undefined;
const tail = new Uint8Array(64);

function open(): Stream | null {
  try {
    const inflate = createInflate() as unknown as {
      _handle?: ZlibHandle;
      _writeState?: Uint32Array;
    };
    const handle = inflate._handle, state = inflate._writeState;
    if (
      !handle || !state || typeof handle.writeSync !== "function" ||
      typeof handle.reset !== "function"
    ) return null;
    const s: Stream = { handle, state, error: undefined };
    // Errors are reported through this callback, synchronously.
    handle.onerror = (message) => (s.error = message);
    return s;
  } catch {
    return null;
  }
}

/** Whether {@link zlibInflateInto} is available in this runtime. */
function canZlibInto(): boolean {
  return (stream ??= open()) !== null;
}

/**
 * {@link inflateInto} with node:zlib whatever the choice: the reference the
 * libdeflate path is tested against, and the wording of every error.
 *
 * @throws {Error} When the stream is corrupt, ends early or holds more
 *   than `out.length` bytes, or this runtime lacks node:zlib's handle.
 */
export function zlibInflateInto(input: Uint8Array, out: Uint8Array): void {
  const s = (stream ??= open());
  if (!s) throw new Error("inflateInto is not available in this runtime");
  const { handle, state } = s;
  handle.reset();
  s.error = undefined;
  handle.writeSync(
    constants.Z_FINISH,
    input,
    0,
    input.length,
    out,
    0,
    out.length,
  );
  let written = out.length - state[0];
  if (!s.error && written === out.length) {
    // Full: the stream must end here, with nothing more to give.
    const rest = state[1];
    handle.writeSync(
      constants.Z_FINISH,
      input,
      input.length - rest,
      rest,
      tail,
      0,
      tail.length,
    );
    written += tail.length - state[0];
  }
  if (s.error) {
    const why = s.error;
    s.error = undefined;
    throw new Error(`chunk fails to inflate (${why}); the chunk is corrupt`);
  }
  if (written !== out.length) {
    const got = written > out.length ? `more than ${out.length}` : written;
    throw new Error(
      `chunk decodes to ${got} bytes, expected ${out.length}; the chunk is corrupt`,
    );
  }
}

/** The environment variable choosing the inflater: `zlib`, `libdeflate` or `auto`. */
export const INFLATE_ENV = "LAION_FMRI_INFLATE";

/** What {@link inflater} answers. */
export type InflaterName = "libdeflate 1.x" | "node:zlib";

type Choice =
  | { name: "node:zlib" }
  | { name: "libdeflate 1.x"; lib: Libdeflate }
  | { error: Error };

let choice: Choice | undefined;

/** An environment variable's value, or undefined when unset or not readable. */
function env(name: string): string | undefined {
  try {
    // Asking for env access would prompt: read only what is allowed.
    if (
      Deno.permissions.querySync({ name: "env", variable: name }).state !==
        "granted"
    ) {
      return undefined;
    }
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

function ffiAllowed(path?: string): boolean {
  try {
    const state = Deno.permissions.querySync(
      path?.includes("/") ? { name: "ffi", path } : { name: "ffi" },
    ).state;
    return state === "granted";
  } catch {
    return false;
  }
}

/** This thread's libdeflate, or why there is none: loaded once, whatever the choice. */
let loaded: Libdeflate | Error | undefined;

function libdeflateHere(): Libdeflate | Error {
  return loaded ??= loadLibdeflate();
}

function loadLibdeflate(): Libdeflate | Error {
  const path = env(LIBDEFLATE_ENV)?.trim() || undefined;
  if (!ffiAllowed(path)) {
    return new Error(
      "libdeflate needs FFI access, which this process lacks: run with --allow-ffi " +
        "(or -A; the Jupyter kernel has it)",
    );
  }
  const failures: string[] = [];
  for (const candidate of path ? [path] : libdeflateCandidates()) {
    try {
      return openLibdeflate(candidate);
    } catch (err) {
      failures.push(
        `${candidate}: ${err instanceof Error ? err.message : err}`,
      );
    }
  }
  const what = path
    ? `point ${LIBDEFLATE_ENV} at a libdeflate shared library (libdeflate.so.0, libdeflate.dylib)`
    : `install libdeflate (Debian: apt-get install libdeflate0; macOS: brew install libdeflate) or set ${LIBDEFLATE_ENV} to its file`;
  return new Error(
    `libdeflate does not load (${failures.join("; ")}): ${what}`,
  );
}

function choose(): Choice {
  const raw = env(INFLATE_ENV);
  const mode = raw?.trim().toLowerCase() || "auto";
  if (!["auto", "zlib", "node:zlib", "libdeflate"].includes(mode)) {
    return {
      error: new TypeError(
        `${INFLATE_ENV}=${
          JSON.stringify(raw)
        } is not an inflater: use "zlib" (node:zlib), ` +
          `"libdeflate" (required) or "auto" (the default), or unset it`,
      ),
    };
  }
  if (mode === "zlib" || mode === "node:zlib") return { name: "node:zlib" };
  const path = env(LIBDEFLATE_ENV)?.trim();
  // Left to choose, node:zlib's reused stream: on the masks' format it
  // inflated faster than libdeflate 1.14 in `deno task bench` (both into
  // one buffer). libdeflate replaces inflateSync where that stream is missing.
  if (mode === "auto" && !path && canZlibInto()) return { name: "node:zlib" };
  const lib = libdeflateHere();
  if (!(lib instanceof Error)) return { name: "libdeflate 1.x", lib };
  // Asked for by name: its absence is an error, never a silent node:zlib.
  const asked = path
    ? `${LIBDEFLATE_ENV}=${path}`
    : mode === "libdeflate"
    ? `${INFLATE_ENV}=libdeflate`
    : undefined;
  if (!asked) return { name: "node:zlib" };
  return {
    error: new Error(
      `${asked} asks for libdeflate, but ${lib.message}; or unset it to inflate with node:zlib`,
      { cause: lib },
    ),
  };
}

function chosen(): Exclude<Choice, { error: Error }> {
  const c = (choice ??= choose());
  if ("error" in c) throw c.error;
  return c;
}

/**
 * The inflater in use on this thread, chosen on first use.
 *
 * @throws {Error} When `LAION_FMRI_INFLATE` or `LAION_FMRI_LIBDEFLATE` asks
 *   for what cannot be had (the error every inflate then gives).
 *
 * @example Which inflater reads the masks
 * ```ts
 * import { inflater } from "./inflate_into.ts";
 * console.log(inflater()); // "libdeflate 1.x" or "node:zlib"
 * ```
 */
export function inflater(): InflaterName {
  return chosen().name;
}

/** {@link inflater}, or the configuration error it would throw, as text. */
export function describeInflater(): string {
  try {
    return inflater();
  } catch (err) {
    return `none: ${err instanceof Error ? err.message : err}`;
  }
}

/**
 * Whether {@link inflateInto} is available here (always with libdeflate; with
 * node:zlib, when its stream handle is). True on a configuration error, so
 * that the inflate reports it.
 */
export function canInflateInto(): boolean {
  const c = (choice ??= choose());
  return "error" in c || c.name !== "node:zlib" || canZlibInto();
}

/**
 * Inflates the zlib stream `input` into exactly `out` (every byte of `out`
 * written, the stream ending there; bytes after its end are ignored, as
 * HDF5's deflate filter ignores them), with the chosen inflater. The zlib
 * header and the Adler-32 are verified.
 *
 * @throws {Error} When the stream is corrupt, ends early or holds more
 *   than `out.length` bytes; on a configuration error (see {@link inflater}).
 *
 * @example Inflate a mask into its buffer
 * ```ts
 * import { deflateSync } from "node:zlib";
 * import { inflateInto } from "./inflate_into.ts";
 * const mask = new Uint8Array(1000).fill(1, 200, 700);
 * const out = new Uint8Array(1000);
 * inflateInto(deflateSync(mask), out);
 * console.log(out[199], out[200]); // 0 1
 * ```
 */
export function inflateInto(input: Uint8Array, out: Uint8Array): void {
  const c = chosen();
  if (c.name === "node:zlib") return zlibInflateInto(input, out);
  libdeflateInto(c.lib, input, out);
}

/**
 * {@link inflateInto} with libdeflate whatever the choice (for tests and the
 * benchmark).
 *
 * @throws {Error} As {@link inflateInto}; when libdeflate does not load here.
 */
export function libdeflateInflateInto(
  input: Uint8Array,
  out: Uint8Array,
): void {
  const lib = libdeflateHere();
  if (lib instanceof Error) throw lib;
  libdeflateInto(lib, input, out);
}

function libdeflateInto(
  lib: Libdeflate,
  input: Uint8Array,
  out: Uint8Array,
): void {
  const { result, written } = lib.zlibDecompress(input, out);
  if (result === LIBDEFLATE_RESULT.SUCCESS && written === out.length) return;
  // A corrupt chunk: node:zlib inflates it again for the same error words
  // (libdeflate reports only a result code).
  zlibExplain(input, out);
  throw new Error(
    `chunk fails to inflate with libdeflate (result ${result}, ${written} bytes) ` +
      `though node:zlib inflates it; the chunk is suspect: read it with ${INFLATE_ENV}=zlib ` +
      `and report this`,
  );
}

/** Throws node:zlib's error for `input` inflated into `out`, if any. */
function zlibExplain(input: Uint8Array, out: Uint8Array): void {
  if (canZlibInto()) return zlibInflateInto(input, out);
  const got = inflateChecked(input, out.length + 1);
  if (got.length !== out.length) {
    throw new Error(
      `chunk decodes to ${
        got.length > out.length ? `more than ${out.length}` : got.length
      } bytes, expected ${out.length}; the chunk is corrupt`,
    );
  }
}

function inflateChecked(input: Uint8Array, limit: number): Uint8Array {
  try {
    // Default 16 KiB output pieces: a chunkSize of the mask's size measured
    // 4x slower per row() (a fresh 1 MB buffer per call, then copied).
    const out = inflateSync(input, { maxOutputLength: Math.max(limit, 1) });
    // A plain Uint8Array view: Buffer subclasses surprise equality checks.
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(`chunk fails to inflate (${why}); the chunk is corrupt`, {
      cause: err,
    });
  }
}

/**
 * Inflates the zlib stream `input`, which may decode to at most `limit`
 * bytes (a chunk whose later filters change its size), with the chosen
 * inflater.
 *
 * @throws {Error} When the stream is corrupt or decodes to more than
 *   `limit` bytes; on a configuration error (see {@link inflater}).
 */
export function inflateAtMost(input: Uint8Array, limit: number): Uint8Array {
  const c = chosen();
  if (c.name === "libdeflate 1.x") {
    const out = new Uint8Array(limit);
    const { result, written } = c.lib.zlibDecompress(input, out);
    if (result === LIBDEFLATE_RESULT.SUCCESS) return out.subarray(0, written);
    // node:zlib's words for the error (or its answer, when it disagrees).
    const got = inflateChecked(input, limit);
    throw new Error(
      `chunk fails to inflate with libdeflate (result ${result}) though node:zlib ` +
        `inflates it to ${got.length} bytes; the chunk is suspect: read it with ` +
        `${INFLATE_ENV}=zlib and report this`,
    );
  }
  return inflateChecked(input, limit);
}
