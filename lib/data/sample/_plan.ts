// What the synthetic sample holds: images, their nouns and instances, with
// the real data's quirks on purpose: free-text phrase nouns (some with
// commas, some long), instance ids that skip numbers, instance 0 not always
// the best score, a few busy images with 20+ masks, whole-image masks without
// a box, RGBA PNG stimuli in the OOD set (shared, with masks), and
// subject-unique images in the stimulus CSV (without masks).
import { clamp, makeShape, round, type Shape, shapeBounds } from "./_shapes.ts";

/** One mask of the sample. */
export interface SampleMask {
  image: string;
  noun: string;
  instance: number;
  score: number;
  box: [number, number, number, number] | null;
  localized: 0 | 1;
  shape: Shape | null; // null: the whole image
  /** Fill colour in the synthetic stimulus. */
  color: string;
}

/** One row of the stimulus CSV. */
export interface SampleStimulus {
  name: string;
  dataset: "LAION" | "OOD";
  participant: string;
  uniqueOrShared: "shared" | "unique";
  nReps: number;
  /** Encoded as an RGBA PNG (the OOD set) or an RGB JPEG. */
  format: "png" | "jpeg";
}

/** An object a caption-driven detector finds, the phrases it is named by, and how its masks look. */
interface Thing {
  /** The first phrase is the common one; the others are free-text variants. */
  phrases: string[];
  kind: Shape["kind"];
  size: [number, number];
  yBias: number;
  color: string;
}

const t = (
  phrases: string[],
  kind: Shape["kind"],
  size: [number, number],
  yBias: number,
  color: string,
): Thing => ({ phrases, kind, size, yBias, color });

const THINGS: Thing[] = [
  t(
    ["person", "young woman in a red coat", "man , smiling"],
    "polygon",
    [0.25, 0.6],
    0.55,
    "#c0504d",
  ),
  t(
    ["face", "smiling face of an elderly man"],
    "ellipse",
    [0.08, 0.2],
    0.3,
    "#e6b89c",
  ),
  t(
    [
      "hand",
      "fingers",
      "short , pale pink polished nails",
      "delicate floral nail art",
    ],
    "ellipse",
    [0.04, 0.09],
    0.6,
    "#d99a7a",
  ),
  t(
    ["dog", "golden retriever puppy", "dog , lying on the grass"],
    "ellipse",
    [0.15, 0.35],
    0.7,
    "#8b5a2b",
  ),
  t(
    ["cat", "grey tabby cat curled up asleep"],
    "ellipse",
    [0.12, 0.3],
    0.65,
    "#7f7f7f",
  ),
  t(
    ["car", "red vintage convertible , parked"],
    "rect",
    [0.2, 0.45],
    0.7,
    "#1f497d",
  ),
  t(
    ["tree", "tall pine trees", "tree , bare branches"],
    "polygon",
    [0.2, 0.5],
    0.45,
    "#2e7d32",
  ),
  t(
    ["building", "old brick building with arched windows"],
    "rect",
    [0.25, 0.6],
    0.4,
    "#9e9e9e",
  ),
  t(["window"], "rect", [0.05, 0.12], 0.35, "#bbdefb"),
  t(
    ["table", "rustic wooden dining table"],
    "rect",
    [0.2, 0.5],
    0.75,
    "#a1887f",
  ),
  t(["chair", "folding chair"], "polygon", [0.1, 0.25], 0.7, "#6d4c41"),
  t(
    ["cup", "white ceramic coffee cup , half full"],
    "ellipse",
    [0.04, 0.1],
    0.65,
    "#ffffff",
  ),
  t(["bottle", "green glass bottle"], "rect", [0.03, 0.12], 0.6, "#43a047"),
  t(
    ["book", "stack of vintage hardcover books , spines faded"],
    "rect",
    [0.06, 0.15],
    0.6,
    "#ad1457",
  ),
  t(
    ["flower", "bouquet of pink peonies"],
    "ellipse",
    [0.04, 0.12],
    0.6,
    "#f06292",
  ),
  t(
    ["bird", "small brown sparrow perched on a branch"],
    "polygon",
    [0.05, 0.15],
    0.3,
    "#5d4037",
  ),
  t(
    ["boat", "weathered wooden rowing boat with peeling blue paint"],
    "polygon",
    [0.15, 0.35],
    0.65,
    "#fbc02d",
  ),
  t(["lamp", "brass desk lamp"], "polygon", [0.05, 0.15], 0.35, "#fff176"),
  t(["bicycle"], "ellipse", [0.12, 0.3], 0.7, "#424242"),
  t(
    ["shirt", "striped cotton shirt , rolled sleeves"],
    "rect",
    [0.1, 0.25],
    0.55,
    "#3949ab",
  ),
  t(["t-shirt"], "rect", [0.1, 0.25], 0.55, "#00897b"),
];

/** Objects of the OOD set: cut-outs on a transparent background. */
const OOD_THINGS: Thing[] = [
  t(
    ["ceramic teapot with a chipped spout"],
    "ellipse",
    [0.3, 0.5],
    0.5,
    "#5c6bc0",
  ),
  t(["rubber duck"], "ellipse", [0.15, 0.3], 0.55, "#fdd835"),
  t(["antique pocket watch , open"], "ellipse", [0.2, 0.35], 0.5, "#b8860b"),
  t(["toy robot"], "rect", [0.25, 0.45], 0.5, "#90a4ae"),
  t(["pair of scissors"], "polygon", [0.15, 0.3], 0.5, "#e53935"),
];

const BACKGROUND_NOUNS = ["sky", "grass", "water", "wall"];

/** Rows of the images in the sample's order that are busy: 20+ masks with long phrases. */
const BUSY_EVERY = 13;
/** Every this many images, one is from the OOD set (an RGBA PNG). */
const OOD_EVERY = 10;

/** The sample's images, masks and stimulus rows for a seed. */
export function plan(
  images: number,
  size: number,
  rand: () => number,
): { masks: SampleMask[]; names: string[]; stimuli: SampleStimulus[] } {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const names: string[] = [];
  const stimuli: SampleStimulus[] = [];
  const used = new Set<string>();
  while (names.length < images) {
    const ood = names.length % OOD_EVERY === OOD_EVERY - 1;
    const reps = ood ? 4 : rand() < 0.75 ? 12 : 4;
    const cluster = 1000 + Math.floor(rand() * 900);
    const name = ood
      ? `shared_4rep_OOD_${String(cluster).padStart(4, "0")}.png`
      : `shared_${reps}rep_LAION_cluster_${cluster}_i${
        Math.floor(rand() * 3)
      }.jpg`;
    if (used.has(name)) continue;
    used.add(name);
    names.push(name);
    stimuli.push({
      name,
      dataset: ood ? "OOD" : "LAION",
      participant: "",
      uniqueOrShared: "shared",
      nReps: reps,
      format: ood ? "png" : "jpeg",
    });
  }
  const masks: SampleMask[] = [];
  names.forEach((image, k) => {
    const ood = stimuli[k].dataset === "OOD";
    const busy = !ood && k % BUSY_EVERY === 2;
    const things = ood ? OOD_THINGS : THINGS;
    // Faces appear in about two thirds of the images, so a heatmap has something to show.
    const chosen = new Set<number>();
    if (!ood && rand() < 0.65) {
      chosen.add(0);
      chosen.add(1);
    }
    const want = busy
      ? 9 + Math.floor(rand() * 3)
      : ood
      ? 1 + Math.floor(rand() * 2)
      : 2 + Math.floor(rand() * 4);
    while (chosen.size < want) chosen.add(Math.floor(rand() * things.length));
    let count = 0;
    for (const j of chosen) {
      const thing = things[j];
      // Busy images are described at length; elsewhere the common word wins half the time.
      const noun = busy
        ? thing.phrases.reduce((a, b) => (b.length > a.length ? b : a))
        : rand() < 0.5
        ? thing.phrases[0]
        : pick(thing.phrases);
      const n = busy
        ? 2 + Math.floor(rand() * 2)
        : 1 + (rand() < 0.45 ? 1 + Math.floor(rand() * 3) : 0);
      for (const m of instances(noun, n, size, thing, rand)) {
        masks.push({ ...m, image });
        count++;
      }
    }
    if (busy) {
      // The detector's long tail: more phrases until the image has 20+ masks.
      // A step coprime with the number of things visits each once.
      for (let j = 0; count < 20 + (k % 5) && j < THINGS.length; j++) {
        const thing = THINGS[(k + j * 5) % THINGS.length];
        const noun = `${thing.phrases.at(-1)} in the background`;
        for (const m of instances(noun, 1, size, thing, rand)) {
          masks.push({ ...m, image });
          count++;
        }
      }
    }
    // A few whole-image masks: the detector gave no box, so they are not localized.
    // (The second image always has one, so even a tiny sample shows them.)
    if (!ood && (rand() < 0.3 || k === 1)) {
      masks.push({
        image,
        noun: pick(BACKGROUND_NOUNS),
        instance: 0,
        score: round(0.2 + rand() * 0.3, 4),
        box: null,
        localized: 0,
        shape: null,
        color: "#000000",
      });
    }
  });
  // Subject-unique images: in the stimulus CSV and archive, never in the masks.
  const unique = [
    "LAION_cluster_2001_i0.jpg",
    "LAION_cluster_2002_i1.jpg",
    "LAION_cluster_2003_i0.jpg",
  ].map((name, i): SampleStimulus => ({
    name,
    dataset: "LAION",
    participant: `sub-0${i + 1}`,
    uniqueOrShared: "unique",
    nReps: 1,
    format: "jpeg",
  }));
  // Archive order interleaves them, as the real CSV lists images by dataset and subject.
  const half = Math.ceil(stimuli.length / 2);
  return {
    masks,
    names,
    stimuli: [...stimuli.slice(0, half), ...unique, ...stimuli.slice(half)],
  };
}

/**
 * `n` instances of a noun: ids that sometimes skip numbers (0, 2, 4, as the
 * detector's numbering does after filtering), scores sometimes out of id
 * order (instance 0 is not always the best).
 */
function* instances(
  noun: string,
  n: number,
  size: number,
  thing: Thing,
  rand: () => number,
): Generator<Omit<SampleMask, "image">> {
  const ids = [0];
  const skip = n > 1 && rand() < 0.35;
  while (ids.length < n) ids.push(ids.at(-1)! + (skip ? 2 : 1));
  const scores = Array.from({ length: n }, () => 0.25 + rand() * 0.73);
  if (n === 1 || rand() < 0.6) scores.sort((a, b) => b - a);
  for (let i = 0; i < n; i++) {
    const shape = makeShape(thing.kind, thing.size, thing.yBias, size, rand);
    const bounds = shapeBounds(shape, size);
    // Detector boxes are near the mask's own box, sometimes a few pixels off.
    const jitter = () => Math.round((rand() - 0.5) * (rand() < 0.2 ? 16 : 3));
    yield {
      noun,
      instance: ids[i],
      score: round(scores[i], 4),
      box: [
        clamp(bounds[0] + jitter(), 0, size),
        clamp(bounds[1] + jitter(), 0, size),
        clamp(bounds[2] + jitter(), 0, size),
        clamp(bounds[3] + jitter(), 0, size),
      ],
      localized: 1,
      shape,
      color: thing.color,
    };
  }
}
