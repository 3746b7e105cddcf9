// Inflate straight into a caller's buffer, reusing one zlib stream per
// thread. `inflateSync` builds a stream object and a fresh output buffer per
// call; on 1 MB masks that fresh memory (page faults) costs several times the
// inflate itself, and stats() needs no buffer of its own at all. Uses the
// zlib handle behind node:zlib's Inflate (Deno and Node give it the same
// `writeSync`/`reset`); without it, callers fall back to `inflateSync`.
import { constants, createInflate } from "node:zlib";

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

/** Whether {@link inflateInto} is available in this runtime. */
export function canInflateInto(): boolean {
  return (stream ??= open()) !== null;
}

/**
 * Inflates the zlib stream `input` into exactly `out` (every byte of `out`
 * written, the stream ending there).
 *
 * @throws {Error} When the stream is corrupt, ends early or holds more
 *   than `out.length` bytes.
 */
export function inflateInto(input: Uint8Array, out: Uint8Array): void {
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
