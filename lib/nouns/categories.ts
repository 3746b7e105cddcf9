/**
 * The coarse categories {@link describeNouns} sorts nouns into.
 *
 * @module
 */

/**
 * The categories, in this order:
 *
 * - `face`: faces and their parts (eyes, nose, mouth, lips, ears, teeth, beard);
 * - `body`: other body parts (hands, fingers, nails, hair, arms, legs, skin);
 * - `person`: people (woman, child, crowd, police officer);
 * - `animal`: animals and their parts (dog, golden retriever, mane);
 * - `food`: food and drink (pizza, cake, coffee, hot dog);
 * - `plant`: plants and their parts (tree, grass, flowers, leaves);
 * - `vehicle`: vehicles (car, bicycle, boat, bus, train, airplane);
 * - `clothing`: garments, shoes and headwear (jeans, dress, hat, scarf);
 * - `place`: buildings, rooms, their walls, windows, doors and floors,
 *   streets, landscapes (sky, mountains, beach, sea, field);
 * - `text`: written words, signs, logos, posters, sheet music (WordNet's
 *   communication nouns and signboards);
 * - `object`: other artifacts (furniture, tools, toys, jewellery, glasses, books);
 * - `other`: everything else (rocks, snow, smoke, shadows), nouns WordNet
 *   does not know, and phrases without a noun.
 */
export const NOUN_CATEGORIES = [
  "face",
  "body",
  "person",
  "animal",
  "food",
  "plant",
  "vehicle",
  "clothing",
  "place",
  "text",
  "object",
  "other",
] as const;

/** One of {@link NOUN_CATEGORIES}. */
export type NounCategory = typeof NOUN_CATEGORIES[number];
