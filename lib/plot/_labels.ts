// Label chips of an overlay: "noun #instance (score)" placed largest mask
// first at the first free spot around its box; a label that would overlap
// another is left out (its box's tooltip still names it), and long phrase
// nouns are shortened with an ellipsis, so labels never pile up unreadably.
import { createCanvas, GlobalFonts } from "../deps.ts";
import { textColorOn } from "./_colors.ts";
import type { Drawn } from "./_overlay.ts";

export const LABEL_FONT_SIZE = 11;
// Verdana's metrics are close to DejaVu Sans' (a descendant of Bitstream
// Vera): chips are measured with DejaVu Sans and fit either.
export const LABEL_FONT_FAMILY = '"DejaVu Sans", Verdana, sans-serif';
const CHIP_HEIGHT = 16;
const CHIP_PAD = 4;
/** Widest chip, in figure pixels, as a share of the frame's width (and at most 240 px). */
const MAX_CHIP_SHARE = 0.45;
const GAP = 1;

/** One placed label. Coordinates in image pixels. */
export interface Chip {
  noun: string;
  label: string;
  tip: string;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  tx: number;
  ty: number;
  textColor: string;
}

/** The full label of a mask. */
export function labelOf(d: Drawn): string {
  return `${d.noun} #${d.instance} (${d.score.toFixed(2)})`;
}

/** The hover text of a mask. */
export function tooltip(d: Drawn): string {
  const box = d.detectorBox && d.box
    ? `box [${d.box.map((v) => Math.round(v)).join(", ")}]`
    : "no detector box";
  return `${d.noun} #${d.instance}\nscore ${d.score.toFixed(3)}\n${box}${
    d.localized ? "" : "\nnot localized"
  }`;
}

let measureContext: ReturnType<ReturnType<typeof createCanvas>["getContext"]>;

function textWidth(text: string): number {
  // Without DejaVu Sans here, estimate from its average advance (~0.6 em).
  const estimate = text.length * LABEL_FONT_SIZE * 0.6;
  if (!GlobalFonts.has("DejaVu Sans")) return estimate;
  measureContext ??= createCanvas(1, 1).getContext("2d");
  measureContext.font = `${LABEL_FONT_SIZE}px "DejaVu Sans"`;
  return measureContext.measureText(text).width * 1.05;
}

/** The label, its noun shortened with "…" until it fits `maxWidth` figure pixels. */
function fitted(d: Drawn, maxWidth: number): string {
  const full = labelOf(d);
  if (textWidth(full) <= maxWidth) return full;
  const tail = ` #${d.instance} (${d.score.toFixed(2)})`;
  const chars = [...d.noun];
  let lo = 1, hi = chars.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (
      textWidth(chars.slice(0, mid).join("").trimEnd() + "…" + tail) <= maxWidth
    ) lo = mid;
    else hi = mid - 1;
  }
  return chars.slice(0, lo).join("").trimEnd() + "…" + tail;
}

/** What {@link placeChips} returns. */
export interface Placement {
  chips: Chip[];
  /** Masks with a box that got no label (no free spot). */
  skipped: number;
}

/**
 * Places one chip per mask with a box, largest mask first, at the first of a
 * few spots around its box that overlaps no chip placed before; masks with no
 * free spot get none.
 */
export function placeChips(
  drawn: readonly Drawn[],
  colorOf: ReadonlyMap<string, string>,
  W: number,
  H: number,
  innerW: number,
  kx: number,
  ky: number,
): Placement {
  const chips: Chip[] = [];
  const h = CHIP_HEIGHT * ky;
  const maxText = Math.min(240, innerW * MAX_CHIP_SHARE) - 2 * CHIP_PAD;
  const gx = GAP * kx, gy = GAP * ky;
  const order = drawn.map((_, i) => i).filter((i) => drawn[i].box !== null)
    .sort((a, b) => drawn[b].cells - drawn[a].cells || a - b);
  let skipped = 0;
  for (const i of order) {
    const d = drawn[i];
    const label = fitted(d, maxText);
    const w = (textWidth(label) + 2 * CHIP_PAD) * kx;
    const [bx0, by0, bx1, by1] = d.box!;
    const cx = (bx0 + bx1) / 2, cy = (by0 + by1) / 2;
    const spots: [number, number][] = [
      [bx0, by0 - h], // above the box, left-aligned
      [bx0, by0], // inside its top-left corner
      [bx0, by1], // below it
      [bx0, by1 - h], // inside its bottom-left corner
      [bx1 - w, by0 - h], // above, right-aligned
      [bx1 - w, by0], // inside its top-right corner
      [cx - w / 2, cy - h / 2], // centred on the box
    ];
    let placed: [number, number] | undefined;
    for (const [sx, sy] of spots) {
      const x1 = Math.max(0, Math.min(sx, W - w));
      const y1 = Math.max(0, Math.min(sy, H - h));
      const free = chips.every((c) =>
        c.x2 + gx <= x1 || x1 + w + gx <= c.x1 || c.y2 + gy <= y1 ||
        y1 + h + gy <= c.y1
      );
      if (free) {
        placed = [x1, y1];
        break;
      }
    }
    if (!placed) {
      skipped++;
      continue;
    }
    const [x1, y1] = placed;
    chips.push({
      noun: d.noun,
      label,
      tip: tooltip(d),
      x1,
      y1,
      x2: x1 + w,
      y2: y1 + h,
      tx: x1 + CHIP_PAD * kx,
      ty: y1 + h / 2,
      textColor: textColorOn(colorOf.get(d.noun)!),
    });
  }
  return { chips, skipped };
}
