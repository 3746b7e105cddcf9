// Categorical colours for nouns: saturated enough to read as a translucent
// overlay on a photograph, distinct from each other, in order of preference
// (the first nouns of a figure get the most distinct ones).

/** The noun palette; figures with more nouns cycle through it. */
export const NOUN_PALETTE: readonly string[] = [
  "#4269d0", // blue
  "#efb118", // amber
  "#ff725c", // coral
  "#3ca951", // green
  "#a463f2", // violet
  "#ff8ab7", // pink
  "#6cc5b0", // teal
  "#9c6b4e", // brown
  "#42d4f4", // cyan
  "#f032e6", // magenta
  "#bfef45", // lime
  "#7b1fa2", // purple
  "#2e7d74", // dark teal
  "#800000", // maroon
  "#808000", // olive
  "#1a237e", // navy
  "#f58231", // orange
  "#97bbf5", // light blue
  "#d81b60", // raspberry
  "#9498a0", // grey
];

/** One colour per noun, in the order given, cycling the palette. */
export function nounColors(nouns: readonly string[]): string[] {
  return nouns.map((_, i) => NOUN_PALETTE[i % NOUN_PALETTE.length]);
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
