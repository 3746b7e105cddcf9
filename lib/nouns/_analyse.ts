// From a free-text phrase to its head noun, WordNet term, supersense and
// category: tag, take the first noun group, lemmatize against WordNet,
// prefer the longest WordNet compound ending at the head, pick the sense by
// WordNet's order weighted by how likely its lexicographer file is in a
// photo, and map the sense to a coarse category.
import type { Tag, Token } from "./_tagger.ts";
import type { Synset, WordNet } from "./_wordnet.ts";
import type { NounCategory } from "./categories.ts";

/** What {@link analyse} finds for one phrase. */
export interface Analysis {
  head: string | null;
  term: string | null;
  supersense: string | null;
  category: NounCategory;
}

/** The loaded tools. */
export interface Tools {
  tag: Tag;
  wordnet: WordNet;
  singular(word: string): string;
}

// Words after which "of" introduces the real head: "pair of jeans".
const QUANTITY = new Set([
  "bit",
  "bouquet",
  "bunch",
  "chunk",
  "cluster",
  "couple",
  "crowd",
  "flock",
  "group",
  "handful",
  "herd",
  "lot",
  "lots",
  "number",
  "pack",
  "pair",
  "pile",
  "piece",
  "row",
  "school",
  "set",
  "slice",
  "stack",
  "swarm",
]);

// Plural forms that name the thing itself (WordNet has them, and their
// singular means something else: glass, jean, person).
const KEEP_PLURAL = new Set([
  "binoculars",
  "clothes",
  "eyeglasses",
  "glasses",
  "goggles",
  "headphones",
  "jeans",
  "leggings",
  "overalls",
  "pajamas",
  "pants",
  "people",
  "pliers",
  "pyjamas",
  "scissors",
  "shorts",
  "spectacles",
  "stairs",
  "sunglasses",
  "tights",
  "trousers",
]);

// Irregular plurals pluralize leaves alone or gets wrong for WordNet.
const IRREGULAR_PLURALS: Record<string, string> = {
  geese: "goose",
  lice: "louse",
  mice: "mouse",
  oxen: "ox",
  teeth: "tooth",
  feet: "foot",
  women: "woman",
  men: "man",
  children: "child",
};
const IRREGULAR = new Map(Object.entries(IRREGULAR_PLURALS));

// A compound starting with one of these and meaning a kind of its last word
// keeps the last word as head: "young woman" is a woman, "little girl" a
// girl (the compound stays the term); "golden retriever" keeps its compound.
// Colours, sides, age and size.
const DESCRIPTORS = new Set([
  "big",
  "black",
  "blue",
  "brown",
  "elderly",
  "gray",
  "green",
  "grey",
  "large",
  "left",
  "little",
  "old",
  "pink",
  "red",
  "right",
  "small",
  "tall",
  "white",
  "yellow",
  "young",
]);

// The sense a photo shows for frequent nouns whose first WordNet senses are
// something else (hot dog: a show-off; cake: a bar of soap; water: the
// compound H2O rather than a lake or the sea).
const PHOTO_SENSES: Record<string, string> = {
  case: "noun.artifact",
  cake: "noun.food",
  fire: "noun.event",
  hot_dog: "noun.food",
  menu: "noun.communication",
  monitor: "noun.artifact",
  plant: "noun.Tops",
  shadow: "noun.state",
  snow: "noun.substance",
  water: "noun.object",
};
// Maps, not objects: a phrase may be "constructor" or "__proto__".
const PHOTO_SENSE = new Map(Object.entries(PHOTO_SENSES));

// How likely each lexicographer file is as the sense of a noun a detector
// found in a photo; multiplied by a decay over WordNet's sense order.
const PRIORS: Record<string, number> = {
  "noun.body": 1,
  "noun.person": 1,
  "noun.animal": 1,
  "noun.food": 1,
  "noun.plant": 1,
  "noun.artifact": 1,
  "noun.object": 1,
  "noun.Tops": 0.8,
  "noun.location": 0.8,
  "noun.substance": 0.5,
  "noun.communication": 0.5,
  "noun.group": 0.3,
  "noun.phenomenon": 0.3,
  "noun.shape": 0.2,
  "noun.event": 0.2,
  "noun.act": 0.15,
  "noun.state": 0.15,
  "noun.attribute": 0.1,
  "noun.cognition": 0.1,
  "noun.possession": 0.1,
  "noun.process": 0.1,
};
const PRIOR = new Map(Object.entries(PRIORS));
const OTHER_PRIOR = 0.05;
const DECAY = 0.6;
// A sense whose synset lists the word only as a synonym (rose: "blush wine,
// pink wine, rose") is a weaker reading than one named by it; a named
// individual (Stephen Crane) is rarely what a detector found; a plant
// named like a food of the same word is more often seen as the food
// (banana).
const SYNONYM_WEIGHT = 0.8;
const INSTANCE_WEIGHT = 0.1;
const PLANT_BESIDE_FOOD_WEIGHT = 0.5;

const FACE = new Set([
  "beard",
  "brow",
  "cheek",
  "chin",
  "ear",
  "eye",
  "eyebrow",
  "eyelash",
  "eyelid",
  "face",
  "forehead",
  "iris",
  "jaw",
  "lip",
  "mouth",
  "moustache",
  "mustache",
  "nose",
  "nostril",
  "pupil",
  "teeth",
  "tongue",
  "tooth",
]);

const BUILDING_PARTS = [
  "balcony",
  "ceiling",
  "door",
  "floor",
  "roof",
  "stairs",
  "wall",
  "window",
];

const hasAny = (set: Set<string>, words: readonly string[]) =>
  words.some((w) => set.has(w));

/** The category of a sense of `head`. */
export function categoryOf(
  wordnet: WordNet,
  sense: Synset,
  head: string,
): NounCategory {
  const up = wordnet.ancestorWords(sense.offset);
  const last = head.split(" ").at(-1)!;
  switch (sense.lexname) {
    case "noun.body":
      return FACE.has(last) || FACE.has(head) || up.has("face")
        ? "face"
        : "body";
    case "noun.person":
      return "person";
    case "noun.animal":
      return "animal";
    case "noun.food":
      return "food";
    case "noun.plant":
      return "plant";
    case "noun.communication":
      return "text";
    case "noun.location":
      return "place";
    case "noun.artifact":
      if (hasAny(up, ["vehicle", "conveyance"])) return "vehicle";
      if (
        hasAny(up, ["clothing", "garment", "footwear", "headdress", "neckwear"])
      ) return "clothing";
      if (hasAny(up, ["signboard"])) return "text";
      // Buildings, rooms, streets and the parts of buildings; not frames,
      // shelves and other supporting structures.
      if (
        hasAny(up, ["building", "room", "way", "area", ...BUILDING_PARTS]) ||
        (up.has("structure") && !up.has("supporting_structure"))
      ) return "place";
      return "object";
    case "noun.object":
      return hasAny(up, [
          "geological_formation",
          "body_of_water",
          "land",
          "sky",
          "cloud",
          "mountain_peak",
        ])
        ? "place"
        : "other";
    default:
      if (up.has("person")) return "person";
      if (hasAny(up, ["people", "gathering", "family"])) return "person";
      if (up.has("animal")) return "animal";
      if (up.has("plant")) return "plant";
      return "other";
  }
}

/** The sense of `term` a photo most likely shows, or undefined when WordNet has none. */
export function bestSense(
  wordnet: WordNet,
  term: string,
): Synset | undefined {
  const key = term.replace(/ /g, "_");
  const senses = wordnet.senses(term);
  const preferred = PHOTO_SENSE.get(key);
  const photo = preferred && senses.find((s) => s.lexname === preferred);
  if (photo) return photo;
  const food = senses.some((s) =>
    s.lexname === "noun.food" && s.words[0] === key
  );
  let best: Synset | undefined;
  let bestScore = -1;
  senses.forEach((s, i) => {
    const score = (PRIOR.get(s.lexname) ?? OTHER_PRIOR) * DECAY ** i *
      (s.words[0] === key ? 1 : SYNONYM_WEIGHT) *
      (s.instance ? INSTANCE_WEIGHT : 1) *
      (food && s.lexname === "noun.plant" ? PLANT_BESIDE_FOOD_WEIGHT : 1);
    if (score > bestScore) {
      best = s;
      bestScore = score;
    }
  });
  return best;
}

const CONTENT = new Set(["NOUN", "PROPN"]);
const BREAK_POS = new Set(["ADP", "CCONJ", "SCONJ"]);
const SEGMENT_BREAK = new Set([",", ";", ":", "(", ")", "/", "|", "[", "]"]);
const RELATIVE = new Set(["that", "which", "who", "whose", "where"]);

/** Lemma of a noun, checked against WordNet (`teeth` -> `tooth`, `glasses` stays). */
export function lemmaOf(tools: Tools, token: Token): string {
  const word = token.value;
  const wn = tools.wordnet;
  if (KEEP_PLURAL.has(word) && wn.has(word)) return word;
  const singular = tools.singular(word);
  const plural = IRREGULAR.has(word) || singular !== word;
  if (plural) {
    // pluralize before the tagger's lemma, which follows the tag: "leaves"
    // tagged as a verb has the lemma "leave".
    const candidates = [
      IRREGULAR.get(word),
      singular,
      CONTENT.has(token.pos) ? token.lemma : undefined,
      ...detach(word),
    ];
    for (const c of candidates) {
      if (c && c !== word && wn.has(c)) return c;
    }
  }
  if (wn.has(word)) return word;
  return plural ? (IRREGULAR.get(word) ?? singular) : word;
}

// WordNet's own detachment rules for nouns (morphy).
function detach(word: string): string[] {
  const out: string[] = [];
  const rules: [string, string][] = [
    ["ses", "s"],
    ["xes", "x"],
    ["zes", "z"],
    ["ches", "ch"],
    ["shes", "sh"],
    ["men", "man"],
    ["ies", "y"],
    ["s", ""],
  ];
  for (const [from, to] of rules) {
    if (word.endsWith(from)) out.push(word.slice(0, -from.length) + to);
  }
  return out;
}

/** Whether a token that follows a noun starts a participle clause ("cows grazing", "cat curled up"). */
function startsClause(tools: Tools, token: Token, previous: Token): boolean {
  if (token.pos === "AUX") return true;
  const w = token.value;
  const participle = /(ing|ed)$/.test(w);
  if (!participle) return false;
  if (tools.wordnet.has(`${previous.value}_${w}`)) return false;
  if (token.pos === "VERB") return true;
  if (!w.endsWith("ing")) return false;
  // A gerund tagged as a noun: a clause when WordNet knows the verb and the
  // noun (if any) is first of all an act ("grazing"), not a thing ("painting").
  const stem = w.slice(0, -3);
  const verb = [stem, `${stem}e`, stem.slice(0, -1)].some((s) =>
    s.length > 1 && tools.wordnet.isVerb(s)
  );
  if (!verb) return false;
  const first = tools.wordnet.senses(w)[0];
  return first === undefined || first.lexname === "noun.act";
}

/** The first noun group of a segment, cut at prepositions, conjunctions and clauses. */
function nounGroup(tools: Tools, segment: Token[]): Token[] {
  let group: Token[] = [];
  let lastNoun: Token | undefined;
  for (const t of segment) {
    if (BREAK_POS.has(t.pos) || t.value === "of") {
      // The tagger may take a quantity for a verb ("stack of books").
      const previous = group.at(-1);
      if (
        t.value === "of" && previous &&
        (QUANTITY.has(previous.lemma) || QUANTITY.has(previous.value))
      ) {
        group = [];
        lastNoun = undefined;
        continue;
      }
      break;
    }
    if (RELATIVE.has(t.value) && t.pos !== "NOUN") break;
    if (
      lastNoun && group.at(-1) === lastNoun && startsClause(tools, t, lastNoun)
    ) {
      break;
    }
    group.push(t);
    if (CONTENT.has(t.pos)) lastNoun = t;
  }
  return group;
}

// Tokens that are never a head or part of a compound.
const FUNCTION_POS = new Set(["DET", "PART", "PUNCT", "PRON", "NUM", "SYM"]);

/** Index of the head in a noun group, or -1; `strict` requires a token tagged as a noun in the group. */
function headIndex(tools: Tools, group: Token[], strict: boolean): number {
  const hasNoun = group.some((t) => CONTENT.has(t.pos));
  if (strict && !hasNoun) return -1;
  let final = -1;
  for (let i = group.length - 1; i >= 0; i--) {
    if (!FUNCTION_POS.has(group[i].pos) && group[i].value !== "-") {
      final = i;
      break;
    }
  }
  for (let i = group.length - 1; i >= 0; i--) {
    const t = group[i];
    if (CONTENT.has(t.pos) && /[a-z]/.test(t.value)) return i;
    // A group ends with its head: a last word the tagger took for an
    // adjective or verb ("convertible", "watch") is the head when WordNet
    // has it as a noun.
    if (i === final && tools.wordnet.has(lemmaOf(tools, t))) return i;
  }
  return -1;
}

/** The longest WordNet compound ending at the head, e.g. `teddy_bear`. */
function compound(
  tools: Tools,
  group: Token[],
  head: number,
  lemma: string,
): string {
  for (let start = Math.max(0, head - 3); start < head; start++) {
    const words = group.slice(start, head);
    if (words.some((t) => FUNCTION_POS.has(t.pos) && t.value !== "-")) {
      continue;
    }
    let text = "";
    for (const t of words) {
      if (t.value === "-") text = `${text.replace(/_$/, "")}-`;
      else text += `${t.value}_`;
    }
    for (const last of new Set([lemma, group[head].value])) {
      const candidate = `${text}${last}`;
      if (candidate.startsWith("-") || candidate.includes("_-")) continue;
      if (tools.wordnet.has(candidate)) return candidate;
    }
  }
  return lemma;
}

function normalize(phrase: string): string {
  return phrase.toLowerCase().replace(/[\u2018\u2019`]/g, "'")
    .replace(/\s+/g, " ").trim();
}

/** Head, term, supersense and category of one phrase. */
export function analyse(tools: Tools, phrase: string): Analysis {
  const text = normalize(phrase);
  const none: Analysis = {
    head: null,
    term: null,
    supersense: null,
    category: "other",
  };
  if (text === "") return none;
  const tokens = tools.tag(text);
  const segments: Token[][] = [[]];
  for (const t of tokens) {
    if (t.pos === "PUNCT" && SEGMENT_BREAK.has(t.value)) segments.push([]);
    else segments.at(-1)!.push(t);
  }
  const groups = segments.filter((s) => s.length > 0).map((s) =>
    nounGroup(tools, s)
  );
  for (const strict of [true, false]) {
    for (const group of groups) {
      const h = headIndex(tools, group, strict);
      if (h < 0) continue;
      return describeHead(tools, group, h);
    }
  }
  return none;
}

function describeHead(tools: Tools, group: Token[], h: number): Analysis {
  const wn = tools.wordnet;
  const lemma = lemmaOf(tools, group[h]);
  const termKey = compound(tools, group, h, lemma);
  let headKey = termKey;
  const parts = termKey.split("_");
  if (parts.length === 2 && DESCRIPTORS.has(parts[0]) && wn.has(lemma)) {
    const kinds = wn.senses(lemma).map((s) => s.offset);
    const isKind = wn.senses(termKey).some((s) =>
      kinds.some((k) => wn.isUnder(s.offset, k))
    );
    if (isKind) headKey = lemma;
  }
  const sense = bestSense(wn, termKey);
  const head = headKey.replace(/_/g, " ");
  // The term is a WordNet entry, or null when WordNet lacks the head.
  const term = wn.has(termKey) ? termKey.replace(/_/g, " ") : null;
  return {
    head,
    term,
    supersense: sense?.lexname ?? null,
    category: sense ? categoryOf(wn, sense, head) : "other",
  };
}

/** Supersense and category of a head a user gave (an override): its best sense. */
export function describeLemma(
  wordnet: WordNet,
  head: string,
): { supersense: string | null; category: NounCategory } {
  const sense = bestSense(wordnet, head);
  return sense
    ? {
      supersense: sense.lexname,
      category: categoryOf(wordnet, sense, head),
    }
    : { supersense: null, category: "other" };
}
