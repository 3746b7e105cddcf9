// describeNouns on the held test set (tests/nouns/phrases.tsv: 194 phrases
// in the real data's style with the head, supersense and category a
// researcher expects, committed before the code; an empty cell is null).
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  describeNouns,
  NOUN_CATEGORIES,
  NOUN_COLUMNS,
} from "../../lib/nouns/mod.ts";

interface Expected {
  phrase: string;
  head: string | null;
  supersense: string | null;
  category: string;
}

function readSet(): Expected[] {
  const text = Deno.readTextFileSync(
    fileURLToPath(new URL("phrases.tsv", import.meta.url)),
  );
  const [header, ...lines] = text.trimEnd().split("\n");
  assert.equal(header, "phrase\thead\tsupersense\tcategory");
  return lines.map((line) => {
    const [phrase, head, supersense, category] = line.split("\t");
    return {
      phrase,
      head: head || null,
      supersense: supersense || null,
      category,
    };
  });
}

Deno.test("describeNouns: at least 95% of heads and 90% of supersenses right on the 194-phrase test set", async () => {
  const set = readSet();
  assert.ok(set.length >= 150, `${set.length} phrases`);
  const frame = await describeNouns(set.map((e) => e.phrase));
  assert.deepEqual(frame.columns, [...NOUN_COLUMNS]);
  assert.equal(frame.height, set.length);
  const got = frame.toRecords() as unknown as Record<string, string | null>[];
  const failures = {
    head: [] as string[],
    supersense: [] as string[],
    category: [] as string[],
  };
  set.forEach((e, i) => {
    const g = got[i];
    assert.equal(g.noun, e.phrase);
    assert.ok((NOUN_CATEGORIES as readonly string[]).includes(g.category!));
    for (const field of ["head", "supersense", "category"] as const) {
      if (g[field] !== e[field]) {
        failures[field].push(
          `  ${JSON.stringify(e.phrase)}: ${field} ${
            JSON.stringify(g[field])
          }, expected ${JSON.stringify(e[field])}`,
        );
      }
    }
  });
  const share = (field: keyof typeof failures) =>
    1 - failures[field].length / set.length;
  console.log(
    `heads ${(100 * share("head")).toFixed(1)}%, supersenses ${
      (100 * share("supersense")).toFixed(1)
    }%, categories ${(100 * share("category")).toFixed(1)}% of ${set.length}`,
  );
  for (const field of ["head", "supersense", "category"] as const) {
    if (failures[field].length > 0) {
      console.log(
        `${field} wrong (${failures[field].length}):\n${
          failures[field].join("\n")
        }`,
      );
    }
  }
  assert.ok(share("head") >= 0.95, `heads: ${failures.head.join("\n")}`);
  assert.ok(
    share("supersense") >= 0.9,
    `supersenses: ${failures.supersense.join("\n")}`,
  );
});
