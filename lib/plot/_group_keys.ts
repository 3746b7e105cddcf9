// The colour key of a figure's masks: the noun, or its group (head,
// category, supersense) with a palette of the groups, cached per reader.
import { pl } from "../deps.ts";
import { groupOf, type NounGrouping } from "../reader/noun_table.ts";
import type { SegmentationsReader } from "../reader/reader.ts";
import { paletteFor } from "./palette.ts";

/** A noun's legend key: itself, or its group's label; with the group palette. */
export type KeyOf = ((noun: string) => string) & {
  by: NounGrouping;
  palette?: ReadonlyMap<string, string>;
};

const groupPalettes = new WeakMap<
  SegmentationsReader,
  Map<string, ReadonlyMap<string, string>>
>();

/**
 * How a figure keys its colours: by noun, or by the head, category or
 * supersense of each noun, the groups coloured by their frequency in the
 * whole data (so a group keeps its colour from figure to figure).
 */
export async function groupKeys(
  seg: SegmentationsReader,
  options: { by?: NounGrouping; overrides?: pl.DataFrame | string },
): Promise<KeyOf> {
  const by = options.by ?? "noun";
  if (by === "noun") return Object.assign((n: string) => n, { by });
  const labels = (await groupOf(seg.metadata, by, {
    overrides: options.overrides,
  })).toArray() as (string | null)[];
  const nouns = seg.metadata.getColumn("noun").toArray() as string[];
  const label = new Map<string, string>();
  nouns.forEach((n, i) => {
    if (!label.has(n)) label.set(n, labels[i] ?? "(none)");
  });
  const key = options.overrides === undefined ? by : undefined;
  let cache = groupPalettes.get(seg);
  if (!cache) groupPalettes.set(seg, cache = new Map());
  let palette = key ? cache.get(key) : undefined;
  if (!palette) {
    palette = paletteFor(
      pl.DataFrame([
        pl.Series("noun", nouns.map((n) => label.get(n)!), pl.Utf8),
        seg.metadata.getColumn("image_name"),
      ]),
    );
    if (key) cache.set(key, palette);
  }
  return Object.assign((n: string) => label.get(n) ?? "(none)", {
    by,
    palette,
  });
}
