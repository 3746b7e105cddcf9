// The part-of-speech tagger (wink-nlp with its English lite model): loaded
// once per process, on first need.
import { importTagger } from "../deps.ts";

/** One word of a phrase as the tagger sees it. */
export interface Token {
  /** The word, lower case. */
  value: string;
  /** Universal POS tag (NOUN, ADJ, VERB, ADP, ...). */
  pos: string;
  /** The tagger's lemma (`nails` -> `nail`). */
  lemma: string;
}

/** Tags one phrase. */
export type Tag = (phrase: string) => Token[];

/** Loads the model and returns a tagging function. */
export async function loadTagger(): Promise<Tag> {
  const { winkNLP, model } = await importTagger();
  // deno-lint-ignore no-explicit-any
  const nlp = (winkNLP as any)(model);
  const its = nlp.its;
  return (phrase: string) => {
    const tokens = nlp.readDoc(phrase).tokens();
    const values = tokens.out() as string[];
    const pos = tokens.out(its.pos) as string[];
    const lemmas = tokens.out(its.lemma) as string[];
    return values.map((value, i) => ({
      value: value.toLowerCase(),
      pos: pos[i],
      lemma: (lemmas[i] ?? value).toLowerCase(),
    }));
  };
}
