// zlib inflate (RFC 1950/1951, after zlib's puff.c) that produces the output
// as runs of equal bytes instead of bytes: a 1000 x 1000 mask is a few
// thousand runs, so counting its pixels or merging masks costs the
// compressed size, not a megabyte per mask. Checks the stream's Adler-32
// (computed per run in closed form) and its length: never a wrong mask.

/** The output: runs of `value` starting at `start` (ascending; run k ends where k + 1 starts). */
export interface Runs {
  start: number[];
  value: number[];
  /** Total bytes. */
  length: number;
}

interface Huffman {
  count: Int16Array;
  symbol: Int16Array;
  /** Codes of at most FAST bits by their next FAST input bits: symbol << 4 | length; 0 = longer. */
  fast: Int32Array;
}

const FAST = 9;

const LEN_BASE = [
  3,
  4,
  5,
  6,
  7,
  8,
  9,
  10,
  11,
  13,
  15,
  17,
  19,
  23,
  27,
  31,
  35,
  43,
  51,
  59,
  67,
  83,
  99,
  115,
  131,
  163,
  195,
  227,
  258,
];
const LEN_EXTRA = [
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  1,
  1,
  1,
  1,
  2,
  2,
  2,
  2,
  3,
  3,
  3,
  3,
  4,
  4,
  4,
  4,
  5,
  5,
  5,
  5,
  0,
];
const DIST_BASE = [
  1,
  2,
  3,
  4,
  5,
  7,
  9,
  13,
  17,
  25,
  33,
  49,
  65,
  97,
  129,
  193,
  257,
  385,
  513,
  769,
  1025,
  1537,
  2049,
  3073,
  4097,
  6145,
  8193,
  12289,
  16385,
  24577,
];
const DIST_EXTRA = [
  0,
  0,
  0,
  0,
  1,
  1,
  2,
  2,
  3,
  3,
  4,
  4,
  5,
  5,
  6,
  6,
  7,
  7,
  8,
  8,
  9,
  9,
  10,
  10,
  11,
  11,
  12,
  12,
  13,
  13,
];
const ORDER = [
  16,
  17,
  18,
  0,
  8,
  7,
  9,
  6,
  10,
  5,
  11,
  4,
  12,
  3,
  13,
  2,
  14,
  1,
  15,
];

function huffman(lengths: ArrayLike<number>, n: number): Huffman {
  const count = new Int16Array(16);
  const symbol = new Int16Array(n);
  for (let s = 0; s < n; s++) count[lengths[s]]++;
  const offs = new Int16Array(16);
  for (let len = 1; len < 15; len++) offs[len + 1] = offs[len] + count[len];
  for (let s = 0; s < n; s++) {
    if (lengths[s] !== 0) symbol[offs[lengths[s]]++] = s;
  }
  // Canonical codes in `symbol` order; deflate sends them MSB first, the bit
  // reader sees them LSB first, hence the reversal.
  const fast = new Int32Array(1 << FAST);
  let code = 0, index = 0;
  for (let len = 1; len <= 15; len++) {
    for (let k = 0; k < count[len]; k++, code++, index++) {
      if (len > FAST) continue;
      let reversed = 0;
      for (let b = 0; b < len; b++) {
        reversed |= ((code >> b) & 1) << (len - 1 - b);
      }
      for (let fill = reversed; fill < 1 << FAST; fill += 1 << len) {
        fast[fill] = (symbol[index] << 4) | len;
      }
    }
    code <<= 1;
  }
  return { count, symbol, fast };
}

let fixed: { lit: Huffman; dist: Huffman } | undefined;
function fixedTables() {
  if (fixed) return fixed;
  const l = new Uint8Array(288);
  l.fill(8, 0, 144);
  l.fill(9, 144, 256);
  l.fill(7, 256, 280);
  l.fill(8, 280, 288);
  fixed = {
    lit: huffman(l, 288),
    dist: huffman(new Uint8Array(30).fill(5), 30),
  };
  return fixed;
}

const MOD = 65521;

/**
 * Inflates a zlib stream into runs. `expected` is the decoded size.
 *
 * @throws {Error} When the stream is malformed, has the wrong length or
 * fails its Adler-32 check.
 */
export function inflateRuns(input: Uint8Array, expected: number): Runs {
  let inPos = 0, bitBuf = 0, bitCnt = 0;
  const bits = (need: number): number => {
    while (bitCnt < need) {
      if (inPos >= input.length) throw new Error("deflate stream ends early");
      bitBuf |= input[inPos++] << bitCnt;
      bitCnt += 8;
    }
    const v = bitBuf & ((1 << need) - 1);
    bitBuf >>>= need;
    bitCnt -= need;
    return v;
  };
  const decode = (h: Huffman): number => {
    while (bitCnt < FAST && inPos < input.length) {
      bitBuf |= input[inPos++] << bitCnt;
      bitCnt += 8;
    }
    const e = h.fast[bitBuf & ((1 << FAST) - 1)];
    if (e !== 0 && (e & 15) <= bitCnt) {
      bitBuf >>>= e & 15;
      bitCnt -= e & 15;
      return e >> 4;
    }
    let code = 0, first = 0, index = 0;
    for (let len = 1; len <= 15; len++) {
      code |= bits(1);
      const count = h.count[len];
      if (code - count < first) return h.symbol[index + (code - first)];
      index += count;
      first += count;
      first <<= 1;
      code <<= 1;
    }
    throw new Error("invalid Huffman code");
  };

  const start: number[] = [];
  const value: number[] = [];
  let pos = 0;
  const push = (v: number, n: number) => {
    if (n <= 0) return;
    if (pos + n > expected) throw new Error("deflate stream is too long");
    if (value.length > 0 && value[value.length - 1] === v) {
      pos += n;
      return;
    }
    start.push(pos);
    value.push(v);
    pos += n;
  };
  /** Index of the run holding byte q (q < pos). */
  const runAt = (q: number): number => {
    // Most distances are short (the previous row at most): look back a few
    // runs before searching.
    let k = start.length - 1;
    for (let steps = 0; steps < 8 && k > 0; steps++, k--) {
      if (start[k] <= q) return k;
    }
    if (start[k] <= q && (k + 1 >= start.length || start[k + 1] > q)) return k;
    let lo = 0, hi = start.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (start[mid] <= q) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };

  if (input.length < 6) throw new Error("zlib stream is too short");
  const cmf = input[0], flg = input[1];
  if ((cmf & 0x0f) !== 8 || ((cmf << 8) | flg) % 31 !== 0 || (flg & 0x20)) {
    throw new Error("not a zlib deflate stream");
  }
  inPos = 2;
  let last = 0;
  do {
    last = bits(1);
    const type = bits(2);
    if (type === 0) {
      bitBuf = 0;
      bitCnt = 0;
      if (inPos + 4 > input.length) throw new Error("stored block header cut");
      const len = input[inPos] | (input[inPos + 1] << 8);
      const nlen = input[inPos + 2] | (input[inPos + 3] << 8);
      if ((len ^ 0xffff) !== nlen) throw new Error("stored block length");
      inPos += 4;
      if (inPos + len > input.length) throw new Error("stored block cut");
      for (let i = 0; i < len; i++) push(input[inPos + i], 1);
      inPos += len;
      continue;
    }
    let lit: Huffman, dist: Huffman;
    if (type === 1) ({ lit, dist } = fixedTables());
    else if (type === 2) {
      const nlen = bits(5) + 257, ndist = bits(5) + 1, ncode = bits(4) + 4;
      if (nlen > 286 || ndist > 30) throw new Error("bad code counts");
      const lengths = new Uint8Array(nlen + ndist);
      const codeLengths = new Uint8Array(19);
      for (let i = 0; i < ncode; i++) codeLengths[ORDER[i]] = bits(3);
      const lencode = huffman(codeLengths, 19);
      for (let i = 0; i < nlen + ndist;) {
        const sym = decode(lencode);
        if (sym < 16) lengths[i++] = sym;
        else {
          let len = 0, rep: number;
          if (sym === 16) {
            if (i === 0) throw new Error("repeat with no first length");
            len = lengths[i - 1];
            rep = 3 + bits(2);
          } else if (sym === 17) rep = 3 + bits(3);
          else rep = 11 + bits(7);
          if (i + rep > nlen + ndist) throw new Error("too many lengths");
          while (rep--) lengths[i++] = len;
        }
      }
      lit = huffman(lengths, nlen);
      dist = huffman(lengths.subarray(nlen), ndist);
    } else throw new Error("invalid block type");
    for (;;) {
      let sym = decode(lit);
      if (sym < 256) push(sym, 1);
      else if (sym === 256) break;
      else {
        sym -= 257;
        if (sym >= 29) throw new Error("invalid length code");
        let len = LEN_BASE[sym] + bits(LEN_EXTRA[sym]);
        const ds = decode(dist);
        if (ds >= 30) throw new Error("invalid distance code");
        const d = DIST_BASE[ds] + bits(DIST_EXTRA[ds]);
        if (d > pos) throw new Error("distance too far back");
        let q = pos - d;
        let k = runAt(q);
        while (len > 0) {
          if (k === start.length - 1) {
            // Copying from the last run only repeats its value.
            push(value[k], len);
            break;
          }
          const n = Math.min(start[k + 1] - q, len);
          push(value[k], n);
          len -= n;
          q += n;
          k++;
        }
      }
    }
  } while (!last);
  // Adler-32, big-endian, after the last block (byte-aligned).
  inPos -= bitCnt >>> 3;
  if (inPos + 4 > input.length) throw new Error("zlib checksum missing");
  const stored = ((input[inPos] << 24) | (input[inPos + 1] << 16) |
    (input[inPos + 2] << 8) | input[inPos + 3]) >>> 0;
  if (pos !== expected) {
    throw new Error(`decoded ${pos} bytes, expected ${expected}`);
  }
  let a = 1, b = 0;
  for (let k = 0; k < start.length; k++) {
    const n = (k + 1 < start.length ? start[k + 1] : pos) - start[k];
    const v = value[k];
    // n bytes of v: b gains n * a + v * n (n + 1) / 2, a gains n * v.
    const tri = (n % 2 === 0 ? (n / 2) * (n + 1) : n * ((n + 1) / 2)) % MOD;
    b = (b + (n % MOD) * a + v * tri) % MOD;
    a = (a + (n % MOD) * v) % MOD;
  }
  if ((((b << 16) | a) >>> 0) !== stored) {
    throw new Error("zlib Adler-32 checksum mismatch");
  }
  return { start, value, length: pos };
}
