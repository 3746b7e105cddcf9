// One stored chunk (one whole mask) turned into its bytes or its statistics:
// the same function runs in the pool's Web Workers and on the calling thread,
// so both lanes answer identically.
import {
  canInflateInto,
  decodeChunk,
  FILTER,
  type FilterInfo,
  inflateInto,
} from "../../hdf5/decode.ts";
import { type DegreeParams, degreeTables, maskStats } from "../masks/stats.ts";
import { checkBinaryMask } from "../masks/check.ts";
import { prefault } from "../../base/prefault.ts";

/** What one lane is asked to do with one stored chunk. */
export interface DecodeTask {
  /** "decode": return the mask bytes; "stats": only its statistics. */
  kind: "decode" | "stats";
  /** The chunk's bytes as stored in the file. */
  stored: Uint8Array;
  /** The dataset's filter pipeline. */
  filters: readonly FilterInfo[];
  /** The chunk's filter mask. */
  filterMask: number;
  /**
   * For "decode": memory to answer in (a worker's ring slot, or a buffer
   * `reuse` gave back); the answer's `data` is then this array.
   */
  out?: Uint8Array;
  /**
   * For a worker: the mask goes into slot `[1]` of its ring `[0]` (shared
   * memory it was sent once), whose status it then sets.
   */
  ring?: [number, number];
  width: number;
  height: number;
  /** For "stats": also the degree sums, for this visual field. */
  degrees?: DegreeParams;
}

/** A lane's answer: exactly one of the fields is set. */
export interface DecodeResult {
  /** The mask was written into the task's shared `out` (a worker's answer). */
  inPlace?: true;
  /** The mask's `width * height` bytes, owning its whole buffer (transferable). */
  data?: Uint8Array;
  /** {@link maskStats} of the mask. */
  stats?: Float64Array;
  /** Why the chunk could not be decoded. */
  error?: string;
}

// A mask's bytes for stats only: one buffer per thread, reused (fresh
// memory for every mask costs more than inflating it).
let scratch = new Uint8Array(0);

/**
 * Whether the chunk is deflate alone or with a shuffle that is a no-op on
 * 1-byte elements (the real file): then it inflates straight into place.
 */
function inflatesInPlace(task: DecodeTask): boolean {
  if (task.filterMask !== 0) return false;
  let deflates = 0;
  for (const f of task.filters) {
    if (f.id === FILTER.DEFLATE) deflates++;
    else if (f.id !== FILTER.SHUFFLE || (f.clientData[0] ?? 1) > 1) {
      return false;
    }
  }
  return deflates === 1 && canInflateInto();
}

/** Runs `task`; never throws (an error is an answer). */
export function runDecodeTask(task: DecodeTask): DecodeResult {
  const size = task.width * task.height;
  try {
    if (inflatesInPlace(task)) {
      if (task.kind === "decode") {
        const data = task.out?.length === size
          ? task.out
          : new Uint8Array(size);
        prefault(data);
        inflateInto(task.stored, data);
        return { data: checkBinaryMask(data) };
      }
      if (scratch.length !== size) scratch = new Uint8Array(size);
      inflateInto(task.stored, scratch);
      checkBinaryMask(scratch);
      return { stats: statsOf(scratch, task) };
    }
    let data = checkBinaryMask(decodeChunk(
      task.stored,
      task.filters as FilterInfo[],
      task.filterMask,
      size,
    ));
    if (task.kind === "stats") {
      return { stats: statsOf(data, task) };
    }
    // Given memory to decode into (a worker's ring slot, a reused buffer),
    // the answer is always there: a caller reads the mask from `out`.
    if (task.out?.length === size) {
      task.out.set(data);
      return { data: task.out };
    }
    // A buffer of exactly this mask, so it can be transferred (inflate may
    // hand back a view of a larger buffer).
    if (data.byteOffset !== 0 || data.byteLength !== data.buffer.byteLength) {
      data = data.slice();
    }
    return { data };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

function statsOf(data: Uint8Array, task: DecodeTask): Float64Array {
  const tables = task.degrees
    ? degreeTables(task.degrees, task.width, task.height)
    : undefined;
  return maskStats(data, task.width, task.height, tables);
}
