/**
 * libdeflate (Eric Biggers' whole-buffer DEFLATE library) through Deno's FFI:
 * its zlib decoder inflates a whole mask several times faster than node:zlib
 * and verifies the zlib header and the Adler-32 itself. Loaded only where FFI
 * is already allowed (asking would prompt); one decompressor per thread.
 *
 * @module
 */

/** libdeflate's `enum libdeflate_result`. */
export const LIBDEFLATE_RESULT = {
  SUCCESS: 0,
  BAD_DATA: 1,
  SHORT_OUTPUT: 2,
  INSUFFICIENT_SPACE: 3,
} as const;

/** The environment variable naming a libdeflate shared library to load. */
export const LIBDEFLATE_ENV = "LAION_FMRI_LIBDEFLATE";

const SYMBOLS = {
  libdeflate_alloc_decompressor: { parameters: [], result: "pointer" },
  libdeflate_free_decompressor: { parameters: ["pointer"], result: "void" },
  // (decompressor, in, in_nbytes, out, out_nbytes_avail, actual_in_nbytes_ret,
  // actual_out_nbytes_ret)
  libdeflate_zlib_decompress_ex: {
    parameters: [
      "pointer",
      "buffer",
      "usize",
      "buffer",
      "usize",
      "buffer",
      "buffer",
    ],
    result: "i32",
  },
} as const satisfies Deno.ForeignLibraryInterface;

/** One loaded libdeflate: a decompressor of this thread. */
export interface Libdeflate extends Disposable {
  /** Where it was loaded from (a file name for the loader's search path). */
  path: string;
  /**
   * Inflates the zlib stream `input` into `out`. Bytes after the stream's
   * end are ignored, as zlib's inflate and HDF5's deflate filter do.
   *
   * @returns A {@link LIBDEFLATE_RESULT} and the bytes written (`SUCCESS`
   *   only when the stream ended with its Adler-32 verified).
   */
  zlibDecompress(
    input: Uint8Array,
    out: Uint8Array,
  ): { result: number; written: number };
  /** Frees the decompressor and unloads the library. Safe to call twice. */
  close(): void;
}

/** The shared libraries tried, in order, for this system. */
export function libdeflateCandidates(
  os: typeof Deno.build.os = Deno.build.os,
  arch: typeof Deno.build.arch = Deno.build.arch,
): string[] {
  if (os === "darwin") {
    // Homebrew on Apple silicon, then on Intel; then the loader's own path.
    return [
      "/opt/homebrew/lib/libdeflate.dylib",
      "/usr/local/lib/libdeflate.dylib",
      "libdeflate.dylib",
      "libdeflate.0.dylib",
    ];
  }
  if (os === "windows") return ["libdeflate.dll", "deflate.dll"];
  // The loader's search path, then Debian's multiarch folder (not every
  // loader looks there when the process was started from elsewhere).
  const triplet = arch === "aarch64" ? "aarch64-linux-gnu" : "x86_64-linux-gnu";
  return [
    "libdeflate.so.0",
    `/usr/lib/${triplet}/libdeflate.so.0`,
    "/usr/lib/libdeflate.so.0",
    "/usr/local/lib/libdeflate.so.0",
  ];
}

/**
 * Opens libdeflate from `path` and allocates a decompressor for this
 * thread (a decompressor is not safe to share between threads); the
 * inflater keeps it for the life of the thread.
 *
 * @throws {Error} When FFI is not allowed, the file does not load or lacks
 *   libdeflate's zlib decoder.
 */
export function openLibdeflate(path: string): Libdeflate {
  const lib = Deno.dlopen(path, SYMBOLS);
  const d = lib.symbols.libdeflate_alloc_decompressor();
  if (d === null) {
    lib.close();
    throw new Error(`libdeflate in ${path} could not allocate a decompressor`);
  }
  const decompress = lib.symbols.libdeflate_zlib_decompress_ex;
  // Reused for every call: the sizes libdeflate reports.
  const inBytes = new BigUint64Array(1);
  const outBytes = new BigUint64Array(1);
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    lib.symbols.libdeflate_free_decompressor(d);
    lib.close();
  };
  return {
    path,
    close,
    [Symbol.dispose]: close,
    zlibDecompress(input, out) {
      if (closed) throw new Error(`libdeflate from ${path} is closed`);
      outBytes[0] = 0n;
      const result = decompress(
        d,
        input,
        BigInt(input.length),
        out,
        BigInt(out.length),
        inBytes,
        outBytes,
      );
      return { result, written: Number(outBytes[0]) };
    },
  };
}
