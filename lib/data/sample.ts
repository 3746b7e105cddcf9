/**
 * A deterministic synthetic dataset in exactly the real file format, so that
 * everything runs offline. The images and masks are made up: they are not
 * LAION-fMRI data.
 *
 * @module
 */

import { checkPathArg, checkWriteSampleArgs } from "./_args.ts";
import { join } from "node:path";
import { createCanvas } from "../deps.ts";
import { csvField } from "./csv.ts";
import { h5wasmReady } from "../hdf5/h5wasm.ts";
import { writeVlenBytesDataset } from "../hdf5/vlen_writer.ts";
import {
  IMAGES_DATASET,
  MASKS_DATASET,
  METADATA_COLUMNS,
  SEGMENTATIONS_CSV,
  SEGMENTATIONS_H5,
  STIMULI_CSV,
  STIMULI_DIR,
  STIMULI_H5,
} from "./paths.ts";

/** Options for {@link writeSample}. */
export interface WriteSampleOptions {
  /**
   * Number of shared images with masks.
   *
   * @default {40}
   */
  images?: number;
  /**
   * Mask and image side in pixels (the real data is 1000 x 1000).
   *
   * @default {1000}
   */
  size?: number;
  /**
   * Seed of the generator: the same seed writes the same masks and CSV.
   *
   * @default {1}
   */
  seed?: number;
  /**
   * Also write the stimulus archive (`task-images_stimuli.h5` with synthetic
   * JPEGs and `task-images_metadata.csv`).
   *
   * @default {true}
   */
  stimuli?: boolean;
}

/** What {@link writeSample} wrote. */
export interface SampleSummary {
  /** The data directory (holds `stimuli/`). */
  dataDir: string;
  /** Masks written. */
  masks: number;
  /** Images with masks. */
  images: number;
}

/** Version of the sample's content: bump it when the generator changes so cached samples are rewritten. */
export const SAMPLE_VERSION = 1;

interface Shape {
  kind: "ellipse" | "rect" | "polygon";
  /** Ellipse: cx, cy, rx, ry; rect: x0, y0, x1, y1; polygon: x, y pairs. */
  p: number[];
}

interface SampleMask {
  image: string;
  noun: string;
  instance: number;
  score: number;
  box: [number, number, number, number] | null;
  localized: 0 | 1;
  shape: Shape | null; // null: the whole image
}

// Nouns a caption-driven detector finds in LAION images, with how a mask of
// each tends to look (size as a fraction of the image, where it sits).
const NOUNS: {
  noun: string;
  kind: Shape["kind"];
  size: [number, number];
  yBias: number;
  color: string;
}[] = [
  {
    noun: "person",
    kind: "polygon",
    size: [0.25, 0.6],
    yBias: 0.55,
    color: "#c0504d",
  },
  {
    noun: "face",
    kind: "ellipse",
    size: [0.08, 0.2],
    yBias: 0.3,
    color: "#e6b89c",
  },
  {
    noun: "hand",
    kind: "ellipse",
    size: [0.04, 0.09],
    yBias: 0.6,
    color: "#d99a7a",
  },
  {
    noun: "dog",
    kind: "ellipse",
    size: [0.15, 0.35],
    yBias: 0.7,
    color: "#8b5a2b",
  },
  {
    noun: "cat",
    kind: "ellipse",
    size: [0.12, 0.3],
    yBias: 0.65,
    color: "#7f7f7f",
  },
  {
    noun: "car",
    kind: "rect",
    size: [0.2, 0.45],
    yBias: 0.7,
    color: "#1f497d",
  },
  {
    noun: "tree",
    kind: "polygon",
    size: [0.2, 0.5],
    yBias: 0.45,
    color: "#2e7d32",
  },
  {
    noun: "building",
    kind: "rect",
    size: [0.25, 0.6],
    yBias: 0.4,
    color: "#9e9e9e",
  },
  {
    noun: "window",
    kind: "rect",
    size: [0.05, 0.12],
    yBias: 0.35,
    color: "#bbdefb",
  },
  {
    noun: "table",
    kind: "rect",
    size: [0.2, 0.5],
    yBias: 0.75,
    color: "#a1887f",
  },
  {
    noun: "chair",
    kind: "polygon",
    size: [0.1, 0.25],
    yBias: 0.7,
    color: "#6d4c41",
  },
  {
    noun: "cup",
    kind: "ellipse",
    size: [0.04, 0.1],
    yBias: 0.65,
    color: "#ffffff",
  },
  {
    noun: "bottle",
    kind: "rect",
    size: [0.03, 0.12],
    yBias: 0.6,
    color: "#43a047",
  },
  {
    noun: "book",
    kind: "rect",
    size: [0.06, 0.15],
    yBias: 0.6,
    color: "#ad1457",
  },
  {
    noun: "flower",
    kind: "ellipse",
    size: [0.04, 0.12],
    yBias: 0.6,
    color: "#f06292",
  },
  {
    noun: "bird",
    kind: "polygon",
    size: [0.05, 0.15],
    yBias: 0.3,
    color: "#5d4037",
  },
  {
    noun: "boat",
    kind: "polygon",
    size: [0.15, 0.35],
    yBias: 0.65,
    color: "#fbc02d",
  },
  {
    noun: "lamp",
    kind: "polygon",
    size: [0.05, 0.15],
    yBias: 0.35,
    color: "#fff176",
  },
  {
    noun: "bicycle",
    kind: "ellipse",
    size: [0.12, 0.3],
    yBias: 0.7,
    color: "#424242",
  },
  {
    noun: "shirt",
    kind: "rect",
    size: [0.1, 0.25],
    yBias: 0.55,
    color: "#3949ab",
  },
  {
    noun: "t-shirt",
    kind: "rect",
    size: [0.1, 0.25],
    yBias: 0.55,
    color: "#00897b",
  },
];
const BACKGROUND_NOUNS = ["sky", "grass", "water", "wall"];

/** Seeded PRNG (mulberry32): small, fast and the same everywhere. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function plan(
  images: number,
  size: number,
  seed: number,
): { masks: SampleMask[]; names: string[] } {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const names: string[] = [];
  const used = new Set<string>();
  while (names.length < images) {
    const reps = rand() < 0.75 ? 12 : 4;
    const name = `shared_${reps}rep_LAION_cluster_${
      1000 + Math.floor(rand() * 900)
    }_i${Math.floor(rand() * 3)}.jpg`;
    if (used.has(name)) continue;
    used.add(name);
    names.push(name);
  }
  const masks: SampleMask[] = [];
  for (const image of names) {
    // Faces appear in about two thirds of the images, so a heatmap has something to show.
    const chosen = new Set<number>();
    if (rand() < 0.65) {
      chosen.add(0);
      chosen.add(1);
    }
    const want = 2 + Math.floor(rand() * 4);
    while (chosen.size < want) chosen.add(Math.floor(rand() * NOUNS.length));
    for (const k of chosen) {
      const spec = NOUNS[k];
      const count = 1 + (rand() < 0.45 ? 1 + Math.floor(rand() * 3) : 0);
      const scores = Array.from({ length: count }, () => 0.25 + rand() * 0.73)
        .sort((a, b) => b - a);
      for (let i = 0; i < count; i++) {
        const shape = makeShape(spec.kind, spec.size, spec.yBias, size, rand);
        const bounds = shapeBounds(shape, size);
        // Detector boxes are near the mask's own box, sometimes a few pixels off.
        const jitter = () =>
          Math.round((rand() - 0.5) * (rand() < 0.2 ? 16 : 3));
        const box: [number, number, number, number] = [
          clamp(bounds[0] + jitter(), 0, size),
          clamp(bounds[1] + jitter(), 0, size),
          clamp(bounds[2] + jitter(), 0, size),
          clamp(bounds[3] + jitter(), 0, size),
        ];
        masks.push({
          image,
          noun: spec.noun,
          instance: i,
          score: round(scores[i], 4),
          box,
          localized: 1,
          shape,
        });
      }
    }
    // A few whole-image masks: the detector gave no box, so they are not localized.
    if (rand() < 0.3) {
      masks.push({
        image,
        noun: pick(BACKGROUND_NOUNS),
        instance: 0,
        score: round(0.2 + rand() * 0.3, 4),
        box: null,
        localized: 0,
        shape: null,
      });
    }
  }
  return { masks, names };
}

function makeShape(
  kind: Shape["kind"],
  sizeRange: [number, number],
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

/** Rasterizes a shape: pixel (x, y) is set when its centre is inside. */
function rasterize(shape: Shape | null, size: number, out: Uint8Array): void {
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

function shapeBounds(
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

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/**
 * Writes the synthetic sample into `<dataDir>/stimuli/`: the masks HDF5 file
 * and metadata CSV, and (unless `stimuli: false`) a stimulus archive with
 * synthetic JPEGs. Deterministic for a given seed.
 *
 * @example Write a small sample
 * ```ts
 * import { writeSample } from "./sample.ts";
 * const dir = await Deno.makeTempDir();
 * const summary = await writeSample(dir, { images: 3, size: 64, stimuli: false });
 * console.log(summary.images); // 3
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeSample(
  dataDir: string,
  options: WriteSampleOptions = {},
): Promise<SampleSummary> {
  checkWriteSampleArgs(dataDir, options);
  const size = options.size ?? 1000;
  const { masks, names } = plan(options.images ?? 40, size, options.seed ?? 1);
  const dir = join(dataDir, STIMULI_DIR);
  await Deno.mkdir(dir, { recursive: true });

  const pixels = new Uint8Array(masks.length * size * size);
  masks.forEach((m, i) =>
    rasterize(
      m.shape,
      size,
      pixels.subarray(i * size * size, (i + 1) * size * size),
    )
  );
  const h5 = await h5wasmReady();
  const h5Path = join(dir, SEGMENTATIONS_H5);
  const file = new h5.File(h5Path, "w");
  try {
    file.create_dataset({
      name: MASKS_DATASET,
      data: pixels,
      shape: [masks.length, size, size],
      dtype: "<B",
      chunks: [1, size, size],
      compression: "gzip",
      compression_opts: 4,
    });
  } finally {
    file.close();
  }

  const lines = [METADATA_COLUMNS.join(",")];
  masks.forEach((m, row) => {
    const stem = m.image.replace(/\.jpg$/, "");
    const box = m.box ?? [null, null, null, null];
    lines.push(
      [
        row,
        m.image,
        m.noun,
        m.instance,
        m.score,
        ...box,
        m.localized,
        `${stem}/${m.noun}_${m.instance}.png`,
      ]
        .map(csvField).join(","),
    );
  });
  await Deno.writeTextFile(
    join(dir, SEGMENTATIONS_CSV),
    lines.join("\n") + "\n",
  );

  if (options.stimuli ?? true) await writeStimuli(dir, names, masks, size);
  return { dataDir, masks: masks.length, images: names.length };
}

/** The stimulus archive: every shared image plus a few without masks, as JPEG bytes. */
async function writeStimuli(
  dir: string,
  names: string[],
  masks: SampleMask[],
  size: number,
): Promise<void> {
  const unshared = [
    "LAION_cluster_2001_i0.jpg",
    "LAION_cluster_2002_i1.jpg",
    "LAION_cluster_2003_i0.jpg",
  ];
  const all = [
    ...names.slice(0, Math.ceil(names.length / 2)),
    ...unshared,
    ...names.slice(Math.ceil(names.length / 2)),
  ];
  const jpegs = all.map((name) =>
    drawStimulus(masks.filter((m) => m.image === name), size, name)
  );
  await writeVlenBytesDataset(join(dir, STIMULI_H5), IMAGES_DATASET, jpegs);
  await Deno.writeTextFile(
    join(dir, STIMULI_CSV),
    ["image_name", ...all.map(csvField)].join("\n") + "\n",
  );
}

function drawStimulus(
  masks: SampleMask[],
  size: number,
  name: string,
): Uint8Array {
  const canvas = createCanvas(size, size);
  const ctx = canvas.getContext("2d");
  const sky = ctx.createLinearGradient(0, 0, 0, size);
  sky.addColorStop(0, "#87ceeb");
  sky.addColorStop(0.55, "#e0f2f1");
  sky.addColorStop(0.56, "#a5d6a7");
  sky.addColorStop(1, "#689f38");
  ctx.fillStyle = sky;
  ctx.fillRect(0, 0, size, size);
  // Largest first, so small objects stay visible on top.
  const shapes = masks.filter((m) => m.shape !== null).sort((a, b) =>
    area(b) - area(a)
  );
  for (const m of shapes) {
    const spec = NOUNS.find((n) => n.noun === m.noun);
    ctx.fillStyle = spec?.color ?? "#888888";
    ctx.beginPath();
    const p = m.shape!.p;
    if (m.shape!.kind === "ellipse") {
      ctx.ellipse(p[0], p[1], p[2], p[3], 0, 0, Math.PI * 2);
    } else if (m.shape!.kind === "rect") {
      ctx.rect(p[0], p[1], p[2] - p[0], p[3] - p[1]);
    } else {
      ctx.moveTo(p[0], p[1]);
      for (let i = 2; i < p.length; i += 2) ctx.lineTo(p[i], p[i + 1]);
      ctx.closePath();
    }
    ctx.fill();
  }
  ctx.fillStyle = "rgba(0,0,0,0.55)";
  ctx.font = `${Math.max(10, Math.round(size / 40))}px sans-serif`;
  ctx.fillText(`synthetic: ${name}`, size / 50, size - size / 50);
  return new Uint8Array(canvas.toBuffer("image/jpeg", 80));
}

function area(m: SampleMask): number {
  const [x0, y0, x1, y1] = m.box ?? [0, 0, 0, 0];
  return (x1 - x0) * (y1 - y0);
}

/** Where {@link ensureSample} keeps the sample: `$XDG_CACHE_HOME` (or `~/.cache`)`/laion-fmri-segmentations/sample-v<N>`. */
export function sampleDir(): string {
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  const home = Deno.env.get("HOME") ?? ".";
  return join(
    xdg && xdg.length > 0 ? xdg : join(home, ".cache"),
    "laion-fmri-segmentations",
    `sample-v${SAMPLE_VERSION}`,
  );
}

/**
 * The bundled synthetic sample's data directory, written on first use (a few
 * seconds) into {@link sampleDir} and reused afterwards. Written to a
 * temporary folder and renamed, so an interrupted write is never taken as a
 * complete sample.
 *
 * @returns The data directory to pass as `dataDir`.
 */
export async function ensureSample(dir: string = sampleDir()): Promise<string> {
  checkPathArg("ensureSample", "dir", dir);
  const done = join(dir, "COMPLETE");
  try {
    await Deno.stat(done);
    return dir;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const parent = join(dir, "..");
  await Deno.mkdir(parent, { recursive: true });
  const tmp = await Deno.makeTempDir({ dir: parent, prefix: ".sample-" });
  try {
    await writeSample(tmp);
    await Deno.writeTextFile(
      join(tmp, "COMPLETE"),
      `synthetic sample v${SAMPLE_VERSION}\n`,
    );
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await Deno.rename(tmp, dir);
  } catch (err) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    // Another process may have written it meanwhile.
    try {
      await Deno.stat(done);
      return dir;
    } catch {
      throw err;
    }
  }
  return dir;
}
