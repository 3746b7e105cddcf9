// The synthetic sample's stimulus archive: one drawn image per stimulus row,
// RGB JPEGs for LAION images and RGBA PNGs (objects on a transparent
// background) for the OOD set, plus task-images_metadata.csv.
import { join } from "node:path";
import { createCanvas } from "../../deps.ts";
import { csvField } from "../csv.ts";
import { writeVlenBytesDataset } from "../../hdf5/mod.ts";
import { IMAGES_DATASET, STIMULI_CSV, STIMULI_H5 } from "../paths.ts";
import type { SampleMask, SampleStimulus } from "./_plan.ts";
import { tracePath } from "./_shapes.ts";

/** The columns of `task-images_metadata.csv`. */
export const STIMULI_COLUMNS = [
  "image_name",
  "dataset",
  "participant",
  "unique_or_shared",
  "n_reps",
] as const;

/** Writes `task-images_stimuli.h5` and `task-images_metadata.csv` into `dir`. */
export async function writeStimuli(
  dir: string,
  stimuli: readonly SampleStimulus[],
  masks: readonly SampleMask[],
  size: number,
): Promise<void> {
  const byImage = Map.groupBy(masks, (m) => m.image);
  const encoded = stimuli.map((s) =>
    drawStimulus(s, byImage.get(s.name) ?? [], size)
  );
  await writeVlenBytesDataset(join(dir, STIMULI_H5), IMAGES_DATASET, encoded);
  const lines = [
    STIMULI_COLUMNS.join(","),
    ...stimuli.map((s) =>
      [s.name, s.dataset, s.participant, s.uniqueOrShared, s.nReps].map(
        csvField,
      ).join(",")
    ),
  ];
  await Deno.writeTextFile(join(dir, STIMULI_CSV), lines.join("\n") + "\n");
}

function drawStimulus(
  stimulus: SampleStimulus,
  masks: readonly SampleMask[],
  size: number,
): Uint8Array {
  const canvas = createCanvas(size, size);
  const ctx = canvas.getContext("2d");
  const png = stimulus.format === "png";
  if (!png) {
    const sky = ctx.createLinearGradient(0, 0, 0, size);
    sky.addColorStop(0, "#87ceeb");
    sky.addColorStop(0.55, "#e0f2f1");
    sky.addColorStop(0.56, "#a5d6a7");
    sky.addColorStop(1, "#689f38");
    ctx.fillStyle = sky;
    ctx.fillRect(0, 0, size, size);
  }
  // Largest first, so small objects stay visible on top. An OOD PNG keeps
  // its background transparent: it was shown over the presentation grey.
  const shapes = masks.filter((m) => m.shape !== null).sort((a, b) =>
    area(b) - area(a)
  );
  for (const m of shapes) {
    ctx.fillStyle = m.color;
    tracePath(ctx, m.shape!);
    ctx.fill();
    if (png) {
      // A soft, half-transparent shadow edge, as cut-out objects have.
      ctx.strokeStyle = "rgba(0,0,0,0.35)";
      ctx.lineWidth = Math.max(1, size / 200);
      ctx.stroke();
    }
  }
  ctx.fillStyle = png ? "rgba(0,0,0,0.8)" : "rgba(0,0,0,0.55)";
  ctx.font = `${Math.max(10, Math.round(size / 40))}px sans-serif`;
  ctx.fillText(`synthetic: ${stimulus.name}`, size / 50, size - size / 50);
  return new Uint8Array(
    png ? canvas.toBuffer("image/png") : canvas.toBuffer("image/jpeg", 80),
  );
}

function area(m: SampleMask): number {
  const [x0, y0, x1, y1] = m.box ?? [0, 0, 0, 0];
  return (x1 - x0) * (y1 - y0);
}
