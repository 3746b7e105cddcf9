// Near-miss suggestions and value descriptions for error messages.
import assert from "node:assert/strict";
import { pl } from "../../lib/deps.ts";
import {
  closestNames,
  describeValue,
  didYouMean,
  requireName,
} from "../../lib/base/suggest.ts";

const IMAGES = [
  "shared_12rep_LAION_cluster_1003_i0.jpg",
  "shared_12rep_LAION_cluster_1003_i1.jpg",
  "shared_12rep_LAION_cluster_204_i0.jpg",
  "shared_1rep_NSD_17.png",
];

Deno.test("closestNames: a missing _i0 suffix, a missing extension, a case difference, a typo", () => {
  assert.deepEqual(
    closestNames("shared_12rep_LAION_cluster_1003.jpg", IMAGES),
    [
      "shared_12rep_LAION_cluster_1003_i0.jpg",
      "shared_12rep_LAION_cluster_1003_i1.jpg",
    ],
  );
  assert.deepEqual(
    closestNames("shared_12rep_LAION_cluster_204_i0", IMAGES),
    ["shared_12rep_LAION_cluster_204_i0.jpg"],
  );
  assert.deepEqual(closestNames("LAION_cluster_204_i0.jpg", IMAGES), [
    "shared_12rep_LAION_cluster_204_i0.jpg",
  ]);
  assert.deepEqual(closestNames("SHARED_1REP_NSD_17.PNG", IMAGES), [
    "shared_1rep_NSD_17.png",
  ]);
  assert.deepEqual(
    closestNames("shared_12rep_LAION_clustr_204_i0.jpg", IMAGES),
    ["shared_12rep_LAION_cluster_204_i0.jpg"],
  );
  // Case first, then a longer form; typos only when nothing is closer.
  assert.deepEqual(
    closestNames("Person", ["persons", "bottle", "person", "parson"]),
    ["person", "persons"],
  );
  assert.deepEqual(closestNames("persn", ["bottle", "parson", "person"]), [
    "person",
    "parson",
  ]);
  assert.deepEqual(closestNames("cup", ["cups", "cap", "cut"]), ["cups"]);
  assert.deepEqual(
    closestNames("cpu", ["car", "cut", "cup", "cap"], { max: 2 }),
    ["cup", "cap"],
  );
});

Deno.test("closestNames: nothing close gives nothing; the name itself is not suggested", () => {
  assert.deepEqual(closestNames("unicorn", ["person", "bottle", "table"]), []);
  assert.deepEqual(closestNames("person", ["person"]), []);
  assert.deepEqual(closestNames("", ["person"]), []);
  assert.equal(didYouMean("unicorn", ["person"]), "");
  assert.equal(
    didYouMean("Cup", ["cup", "cups", "table"]),
    ' Did you mean "cup" or "cups"?',
  );
});

Deno.test("describeValue: a DataFrame by its shape, never its content", () => {
  const frame = pl.DataFrame({
    image_name: ["a.jpg", "b.jpg"],
    noun: ["x", "y"],
  });
  assert.equal(describeValue(frame), "a DataFrame (2 rows x 2 columns)");
  assert.equal(describeValue(frame.getColumn("noun")), "a Series of 2 values");
  assert.equal(describeValue(["a"]), "an array of 1 item");
  assert.equal(describeValue(3), "the number 3");
  assert.equal(describeValue(undefined), "undefined");
  assert.equal(describeValue(new Map()), "a Map");
  assert.equal(describeValue("x".repeat(200)).length < 100, true);
});

Deno.test("requireName: one line naming the function and the parameter", () => {
  const frame = pl.DataFrame({ image_name: Array(500).fill("a.jpg") });
  assert.throws(
    () => requireName(frame, "seg.get", "imageName"),
    (err: unknown) => {
      assert.ok(err instanceof TypeError);
      assert.equal(
        err.message,
        "seg.get: imageName must be a string; got a DataFrame (500 rows x 1 columns).",
      );
      return true;
    },
  );
  requireName("a.jpg", "seg.get", "imageName");
});
