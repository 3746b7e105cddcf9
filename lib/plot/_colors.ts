// Categorical colours for nouns: saturated enough to read as a translucent
// overlay on a photograph, and ordered for contrast: each colour is the one
// farthest (CIELAB distance) from all those before it, so the nouns of one
// image, which take the first colours, are told apart at a glance however
// many there are (the smallest distance among the first 6 is about twice the
// previous palette's). Colours close to the presentation grey or too dark to
// show on a photograph were left out.

/** The noun palette, in order of assignment; figures with more nouns cycle through it. */
export const NOUN_PALETTE: readonly string[] = [
  "#4269d0", // blue
  "#ffab00", // amber
  "#00c853", // green
  "#d81b60", // raspberry
  "#ff00ff", // magenta
  "#008080", // teal
  "#9c6b4e", // brown
  "#ff4500", // orange red
  "#6200ea", // deep violet
  "#808000", // olive
  "#97bbf5", // light blue
  "#911eb4", // purple
  "#ff8ab7", // pink
  "#ff725c", // coral
  "#42d4f4", // cyan
  "#6cc5b0", // sea green
  "#f58231", // orange
  "#00a6ff", // azure
  "#a463f2", // lavender
  "#3ca951", // leaf green
];

/**
 * The colour of the noun ranked `rank` (0: the most frequent): the palette's
 * colours first, then colours spread around the hue circle by the golden
 * angle at three lightnesses, none repeating a colour given before it.
 */
export function rankedColors(count: number): string[] {
  const out: string[] = [];
  const used = new Set<string>();
  for (let rank = 0; rank < count; rank++) {
    if (rank < NOUN_PALETTE.length) {
      out.push(NOUN_PALETTE[rank]);
      used.add(NOUN_PALETTE[rank]);
      continue;
    }
    const k = rank - NOUN_PALETTE.length;
    let color = "";
    // A colour already given (8-bit channels hold only so many hues at one
    // lightness) moves on in hue, saturation and lightness.
    for (let step = 0; !color || used.has(color); step++) {
      const hue = ((k + step * 0.37) * 137.508) % 360;
      const light = [0.45, 0.58, 0.36][k % 3] + ((step * 7) % 11 - 5) * 0.012;
      color = hslHex(hue, 0.72 - (step % 5) * 0.04, light);
    }
    used.add(color);
    out.push(color);
  }
  return out;
}

/** One colour per noun, in the order given (rank 0 first); see {@link rankedColors}. */
export function nounColors(nouns: readonly string[]): string[] {
  return rankedColors(nouns.length);
}

function hslHex(h: number, s: number, l: number): string {
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => {
    const k = (n + h / 30) % 12;
    const c = l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(c * 255).toString(16).padStart(2, "0");
  };
  return `#${f(0)}${f(8)}${f(4)}`;
}

/** `[r, g, b]` of a `#rrggbb` colour. */
export function rgbOf(color: string): [number, number, number] {
  const m = /^#([0-9a-f]{6})$/i.exec(color);
  if (!m) throw new TypeError(`Expected a #rrggbb colour, got ${color}.`);
  const v = parseInt(m[1], 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

/** Black or white, whichever reads better on `color` (WCAG relative luminance). */
export function textColorOn(color: string): string {
  const [r, g, b] = rgbOf(color).map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  const luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  // Contrast with white vs with black: pick the larger.
  return (1.05 / (luminance + 0.05)) >= ((luminance + 0.05) / 0.05)
    ? "#ffffff"
    : "#111111";
}
