/**
 * Noun phrases made meaningful: head nouns, WordNet supersenses and coarse
 * categories ({@link describeNouns}, {@link NOUN_CATEGORIES}).
 *
 * @module
 */

export {
  describeNouns,
  type DescribeNounsOptions,
  NOUN_COLUMNS,
} from "./describe_nouns.ts";
export { NOUN_CATEGORIES, type NounCategory } from "./categories.ts";
export { keepHeadMethod } from "./frame_head.ts";
