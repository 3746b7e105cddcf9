// The synthetic sample's geometry: a seeded generator, object shapes and
// their rasterization into binary masks.

/** An object's outline. */
export interface Shape {
  kind: "ellipse" | "rect" | "polygon";
  /** Ellipse: cx, cy, rx, ry; rect: x0, y0, x1, y1; polygon: x, y pairs. */
  p: number[];
}

/** Seeded PRNG (mulberry32): small, fast and the same everywhere. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A shape of `kind`, its size a share of the image in `sizeRange`, centred near `yBias`. */
export function makeShape(
  kind: Shape["kind"],
  sizeRange: readonly [number, number],
  yBias: number,
  size: number,
  rand: () => number,
): Shape {
  const s = (sizeRange[0] + rand() * (sizeRange[1] - sizeRange[0])) * size;
  const cx = s / 2 + rand() * (size - s);
  const cy = clamp(
    yBias * size + (rand() - 0.5) * 0.4 * size,
    s / 2,
    size - s / 2,
  );
  if (kind === "ellipse") {
    return { kind, p: [cx, cy, s / 2, (s / 2) * (0.7 + rand() * 0.6)] };
  }
  if (kind === "rect") {
    const w = s * (0.6 + rand() * 0.8), h = s * (0.6 + rand() * 0.8);
    return { kind, p: [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2] };
  }
  const n = 5 + Math.floor(rand() * 4);
  const p: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = (i / n) * Math.PI * 2;
    const r = (s / 2) * (0.55 + rand() * 0.45);
    p.push(cx + Math.cos(a) * r, cy + Math.sin(a) * r);
  }
  return { kind, p };
}

/** Rasterizes a shape (`null`: the whole image): pixel (x, y) is set when its centre is inside. */
export function rasterize(
  shape: Shape | null,
  size: number,
  out: Uint8Array,
): void {
  out.fill(shape === null ? 1 : 0);
  if (shape === null) return;
  const [bx0, by0, bx1, by1] = shapeBounds(shape, size);
  for (let y = by0; y < by1; y++) {
    const py = y + 0.5;
    for (let x = bx0; x < bx1; x++) {
      if (inside(shape, x + 0.5, py)) out[y * size + x] = 1;
    }
  }
}

function inside(shape: Shape, x: number, y: number): boolean {
  const p = shape.p;
  if (shape.kind === "ellipse") {
    const dx = (x - p[0]) / p[2], dy = (y - p[1]) / p[3];
    return dx * dx + dy * dy <= 1;
  }
  if (shape.kind === "rect") {
    return x >= p[0] && x < p[2] && y >= p[1] && y < p[3];
  }
  let hit = false;
  for (let i = 0, j = p.length - 2; i < p.length; j = i, i += 2) {
    const xi = p[i], yi = p[i + 1], xj = p[j], yj = p[j + 1];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) {
      hit = !hit;
    }
  }
  return hit;
}

/** Integer pixel bounds `[x0, y0, x1, y1]` (exclusive ends) of a shape, clamped to the image. */
export function shapeBounds(
  shape: Shape | null,
  size: number,
): [number, number, number, number] {
  if (shape === null) return [0, 0, size, size];
  const p = shape.p;
  let x0: number, y0: number, x1: number, y1: number;
  if (shape.kind === "ellipse") {
    [x0, y0, x1, y1] = [p[0] - p[2], p[1] - p[3], p[0] + p[2], p[1] + p[3]];
  } else if (shape.kind === "rect") [x0, y0, x1, y1] = p;
  else {
    const xs = p.filter((_, i) => i % 2 === 0),
      ys = p.filter((_, i) => i % 2 === 1);
    [x0, y0, x1, y1] = [
      Math.min(...xs),
      Math.min(...ys),
      Math.max(...xs),
      Math.max(...ys),
    ];
  }
  return [
    clamp(Math.floor(x0), 0, size),
    clamp(Math.floor(y0), 0, size),
    clamp(Math.ceil(x1), 0, size),
    clamp(Math.ceil(y1), 0, size),
  ];
}

/** Traces a shape as the canvas's current path. */
export function tracePath(
  ctx: {
    beginPath(): void;
    ellipse(
      x: number,
      y: number,
      rx: number,
      ry: number,
      rot: number,
      a0: number,
      a1: number,
    ): void;
    rect(x: number, y: number, w: number, h: number): void;
    moveTo(x: number, y: number): void;
    lineTo(x: number, y: number): void;
    closePath(): void;
  },
  shape: Shape,
): void {
  const p = shape.p;
  ctx.beginPath();
  if (shape.kind === "ellipse") {
    ctx.ellipse(p[0], p[1], p[2], p[3], 0, 0, Math.PI * 2);
  } else if (shape.kind === "rect") {
    ctx.rect(p[0], p[1], p[2] - p[0], p[3] - p[1]);
  } else {
    ctx.moveTo(p[0], p[1]);
    for (let i = 2; i < p.length; i += 2) ctx.lineTo(p[i], p[i + 1]);
    ctx.closePath();
  }
}

export function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

export function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
