// Masks are binary: every decoded mask is checked to hold only 0 and 1
// before anyone sees it. There is no 0/255 convention: the segmentation
// files store 0/1 (the Python package reads them as bool), so any other value
// means the bytes are not a mask (a damaged chunk the format could not
// detect, or another file under the expected name).

/**
 * Throws unless every byte of `data` is 0 or 1; returns `data`.
 *
 * Costs one pass over 32-bit words (about 0.05 ms per 1000x1000 mask).
 *
 * @param data The decoded mask.
 * @param path The HDF5 file, for the message (a Worker leaves it out and
 *   the stream adds file and row).
 * @param row The mask row, for the message.
 * @throws {Error} Naming the file, the row and the first bad value.
 */
export function checkBinaryMask(
  data: Uint8Array,
  path?: string,
  row?: number,
): Uint8Array {
  let acc = 0;
  const n = data.length;
  let i = 0;
  // Unaligned head, then whole words, then the tail.
  const head = Math.min(n, (4 - (data.byteOffset & 3)) & 3);
  for (; i < head; i++) acc |= data[i];
  const words = (n - i) >> 2;
  if (words > 0) {
    const w = new Uint32Array(data.buffer, data.byteOffset + i, words);
    // Eight words a step, two accumulators: 0.054 ms per 1000x1000 mask
    // instead of 0.092 a word at a time (the loop, not memory, was the cost).
    let acc2 = 0;
    const whole = words & ~7;
    let k = 0;
    for (; k < whole; k += 8) {
      acc |= w[k] | w[k + 1] | w[k + 2] | w[k + 3];
      acc2 |= w[k + 4] | w[k + 5] | w[k + 6] | w[k + 7];
    }
    for (; k < words; k++) acc |= w[k];
    acc |= acc2;
    i += words * 4;
  }
  for (; i < n; i++) acc |= data[i];
  if ((acc & 0xfefefefe) === 0) return data;
  const at = data.findIndex((v) => v > 1);
  const where = path === undefined ? "the mask" : `${path}: mask row ${row}`;
  throw new Error(
    `${where} holds the value ${data[at]} at pixel ${at}; ` +
      `masks are binary (0/1), so the stored data is damaged or not a mask: download the file again`,
  );
}
