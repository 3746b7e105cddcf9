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

function readSet(name: string): Expected[] {
  const text = Deno.readTextFileSync(
    fileURLToPath(new URL(name, import.meta.url)),
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

interface Score {
  head: number;
  supersense: number;
  category: number;
  failures: Record<"head" | "supersense" | "category", string[]>;
}

/** The share of right heads, supersenses and categories on a set; prints the failures. */
async function score(name: string): Promise<Score> {
  const set = readSet(name);
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
    `${name}: heads ${(100 * share("head")).toFixed(1)}%, supersenses ${
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
  return {
    head: share("head"),
    supersense: share("supersense"),
    category: share("category"),
    failures,
  };
}

Deno.test("describeNouns: at least 95% of heads and 90% of supersenses right on the 194-phrase test set", async () => {
  assert.ok(readSet("phrases.tsv").length >= 150);
  const s = await score("phrases.tsv");
  assert.ok(s.head >= 0.95, `heads:\n${s.failures.head.join("\n")}`);
  assert.ok(
    s.supersense >= 0.9,
    `supersenses:\n${s.failures.supersense.join("\n")}`,
  );
});

// Frozen code on it: heads 98%, supersenses 94%; after fixing the two lemma
// bugs it showed (headphones, leaves): 100% and 96%.
Deno.test("describeNouns: at least 95% of heads and 90% of supersenses right on the 100-phrase held-out set", async () => {
  const s = await score("held_out.tsv");
  assert.ok(s.head >= 0.95, `heads:\n${s.failures.head.join("\n")}`);
  assert.ok(
    s.supersense >= 0.9,
    `supersenses:\n${s.failures.supersense.join("\n")}`,
  );
});

Deno.test("describeNouns: odd text (object keys, punctuation, emoji, a long run) gets an answer, never a crash", async () => {
  let seed = 7;
  const rand = () =>
    (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const alphabet = "abcdefghijklmnopqrstuvwxyz  ,.'-()/&é😀0123456789\t\n\"";
  const phrases = [
    "constructor",
    "__proto__",
    "toString",
    "hasOwnProperty",
    "of of of",
    "pair of",
    "'s",
    ",,,",
    "-shirt",
    "x".repeat(5000),
    ...Array.from({ length: 500 }, () =>
      Array.from(
        { length: Math.floor(rand() * 40) },
        () => alphabet[Math.floor(rand() * alphabet.length)],
      ).join("")),
  ];
  const frame = await describeNouns(phrases);
  assert.equal(frame.height, phrases.length);
  const rows = frame.toRecords() as Record<string, string | null>[];
  for (const r of rows) {
    assert.ok((NOUN_CATEGORIES as readonly string[]).includes(r.category!));
    if (r.head === null) {
      assert.deepEqual([r.term, r.supersense, r.category], [
        null,
        null,
        "other",
      ]);
    }
    if (r.supersense !== null) assert.match(r.supersense, /^noun\./);
  }
  assert.deepEqual(
    rows.slice(0, 4).map((r) => r.head),
    ["constructor", null, null, "hasownproperty"],
  );
});
