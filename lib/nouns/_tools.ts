// The tagger, WordNet and the singular forms, loaded once per process on
// first need (a failed load is retried by the next call).
import { importPluralize } from "../deps.ts";
import type { Tools } from "./_analyse.ts";
import { loadTagger } from "./_tagger.ts";
import { loadWordNet } from "./_wordnet.ts";

let loading: Promise<Tools> | undefined;

/** The loaded tools, shared by every call in this process. */
export function tools(): Promise<Tools> {
  loading ??= (async () => {
    const [tag, wordnet, pluralize] = await Promise.all([
      loadTagger(),
      loadWordNet(),
      importPluralize(),
    ]);
    return { tag, wordnet, singular: (w: string) => pluralize.singular(w) };
  })();
  loading.catch(() => loading = undefined);
  return loading;
}
