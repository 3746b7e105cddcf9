/// <reference lib="dom" />
// The explorer as a person uses it, in headless Chromium driven over the
// DevTools protocol: a typed noun, a moved slider, paging, a click and a
// hover give the images and masks seg.imagesWith and seg.forImage give,
// and text from the data stays text. The gallery's thumbnails are checked
// in a screenshot.
import assert from "node:assert/strict";
import { join } from "node:path";
import { pl, Segmentations } from "../../mod.ts";
import { ANALYSIS_FIXTURE } from "../_support/analysis_fixture.ts";
import { copyOfDataDir, H5PY_FIXTURE } from "../_support/helpers.ts";
import { checkTools, decodeImage, run, tempDir } from "../_support/jupyter.ts";
import { launchChromium, type Page } from "../_support/browser.ts";
import { rgbOf } from "../../lib/plot/_colors.ts";

const tools = await checkTools(
  ["chromium"],
  "tests/plot/explore_browser_test.ts",
);
const chromium = tools.ignore
  ? ""
  : ((await run("which", ["chromium"]))?.stdout.trim() || "chromium");

/** Opens `html` in a fresh headless Chromium and runs `fn` on the page. */
async function withPage(
  html: string,
  fn: (page: Page) => Promise<void>,
  ready = ".seg-explore[data-ready]",
): Promise<void> {
  tools.assertPresent();
  const dir = await tempDir("seg-explore-");
  const file = join(dir, "view.html");
  await Deno.writeTextFile(
    file,
    `<!doctype html><meta charset="utf-8"><body style="margin:8px">${html}</body>`,
  );
  await using browser = await launchChromium(chromium, join(dir, "profile"));
  const page = await browser.browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.setViewport({ width: 1000, height: 900 });
  await page.goto(`file://${file}`);
  await page.waitForSelector(ready);
  await fn(page);
  assert.deepEqual(errors, [], "no script errors");
}

const cards = (page: Page) =>
  page.$$eval(
    ".seg-x-card",
    (els) => els.map((e) => e.getAttribute("data-image")!),
  );

async function setScore(page: Page, value: number): Promise<void> {
  await page.$eval(".seg-x-score", (el, v) => {
    const input = el as HTMLInputElement;
    input.value = String(v);
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }, value);
}

async function setNoun(page: Page, text: string): Promise<void> {
  await page.$eval(".seg-x-noun", (el) => {
    (el as HTMLInputElement).value = "";
  });
  await page.type(".seg-x-noun", text);
}

Deno.test({
  name:
    "explore: a typed noun, the score slider and paging show the images seg.imagesWith gives",
  ignore: tools.ignore,
  fn: async () => {
    using seg = await Segmentations.open({ dataDir: ANALYSIS_FIXTURE });
    const view = await seg.explore(undefined, { pageSize: 3 });
    assert.equal(view.images, seg.images().length);
    const localized = seg.metadata.filter(pl.col("localized").eq(1));
    await withPage(view.html, async (page) => {
      const all: string[] = [];
      // Paging: three per page, every image once, in seg.images() order.
      const pages = Math.ceil(seg.images().length / 3);
      for (let p = 0; p < pages; p++) {
        all.push(...await cards(page));
        await page.click(".seg-x-next");
      }
      assert.deepEqual(all, seg.images());
      // Past the last page stays on it.
      assert.deepEqual(await cards(page), all.slice((pages - 1) * 3));
      for (let p = 0; p < pages; p++) await page.click(".seg-x-prev");
      for (
        const [noun, score] of [["person", 0], ["cup", 0], ["person", 0.6], [
          "dog",
          0.85,
        ]] as const
      ) {
        await setNoun(page, noun);
        await setScore(page, score);
        const frame = localized.filter(pl.col("score").gtEq(score));
        const want = seg.imagesWith({ anyOf: [noun] }, { frame });
        const pages = Math.max(1, Math.ceil(want.length / 3));
        const got: string[] = [];
        for (let p = 0; p < pages; p++) {
          got.push(...await cards(page));
          await page.click(".seg-x-next");
        }
        assert.deepEqual(got, want, `${noun}, score >= ${score}`);
        const visible = await page.$eval(
          ".seg-explore",
          (e) => e.getAttribute("data-visible"),
        );
        assert.equal(Number(visible), want.length);
      }
      // A part of a noun matches every noun containing it.
      await setNoun(page, "CAF");
      await setScore(page, 0);
      assert.deepEqual(
        await cards(page),
        seg.imagesWith({ anyOf: ["café crème"] }),
      );
    });
  },
});

Deno.test({
  name:
    "explore: a click shows every mask of the image (seg.forImage), a hover names and highlights the mask under the cursor",
  ignore: tools.ignore,
  fn: async () => {
    using seg = await Segmentations.open({ dataDir: ANALYSIS_FIXTURE });
    const view = await seg.explore();
    const image = seg.images()[0];
    const rows = seg.forImage(image).filter(pl.col("localized").eq(1));
    const maskRows = (rows.getColumn("mask_row").toArray() as number[]).map(
      Number,
    );
    await withPage(view.html, async (page) => {
      await page.click(`.seg-x-card[data-image="${image}"]`);
      const legend = await page.$$eval(
        ".seg-x-legend li",
        (els) =>
          els.map((e) => [Number(e.getAttribute("data-row")), e.textContent]),
      );
      assert.deepEqual(legend.map(([r]) => r), maskRows);
      const records = rows.toRecords();
      legend.forEach(([, text], k) => {
        const r = records[k];
        assert.equal(
          text,
          `${r.noun} #${r.instance_id} (${Number(r.score).toFixed(2)})`,
        );
      });
      // Hover each mask where it is the smallest mask there: its label shows.
      const masks = maskRows.map((r) => seg.row(r));
      const canvas = await page.$(".seg-x-canvas");
      const box = (await canvas!.boundingBox())!;
      let checked = 0;
      for (const [k, mask] of masks.entries()) {
        const smaller = masks.filter((m) => m.area < mask.area);
        const { width: W, height: H } = mask;
        let at = -1;
        for (let y = 1; y < H - 1 && at < 0; y++) {
          for (let x = 1; x < W - 1 && at < 0; x++) {
            const inside = [-1, 0, 1].every((dy) =>
              [-1, 0, 1].every((dx) => mask.data[(y + dy) * W + x + dx] === 1)
            );
            const free = smaller.every((m) =>
              [-1, 0, 1].every((dy) =>
                [-1, 0, 1].every((dx) => m.data[(y + dy) * W + x + dx] === 0)
              )
            );
            if (inside && free) at = y * W + x;
          }
        }
        if (at < 0) continue; // covered everywhere by smaller masks
        const x = at % W, y = Math.floor(at / W);
        await page.mouse.move(
          box.x + (x + 0.5) / W * box.width,
          box.y + (y + 0.5) / H * box.height,
        );
        const hover = await page.$eval(
          ".seg-explore",
          (e) => e.getAttribute("data-hover"),
        );
        assert.equal(Number(hover), maskRows[k], `mask row ${maskRows[k]}`);
        const tip = await page.$eval(".seg-x-tip", (e) => e.textContent);
        assert.equal(tip, legend[k][1]);
        const active = await page.$$eval(
          ".seg-x-legend li.seg-x-active",
          (els) => els.map((e) => Number(e.getAttribute("data-row"))),
        );
        assert.deepEqual(active, [maskRows[k]]);
        checked++;
      }
      assert.ok(
        checked >= masks.length / 2,
        `hovered ${checked} of ${masks.length}`,
      );
      await page.mouse.move(box.x + 10, box.y + box.height + 200);
      assert.equal(
        await page.$eval(".seg-explore", (e) => e.getAttribute("data-hover")),
        null,
      );
      await page.click(".seg-x-close");
      assert.ok(
        await page.$eval(".seg-x-detail", (e) => (e as HTMLElement).hidden),
      );
    });
  },
});

Deno.test({
  name:
    "explore: text from the data stays text (a noun that looks like markup)",
  ignore: tools.ignore,
  fn: async () => {
    const dataDir = await copyOfDataDir(H5PY_FIXTURE);
    const csv = join(
      dataDir,
      "stimuli",
      "task-images_desc-segmentations_metadata.csv",
    );
    const hostile = `<img src=x onerror="document.title='pwned'"></script><b>`;
    const text = await Deno.readTextFile(csv);
    await Deno.writeTextFile(
      csv,
      text.replace(",dog,", `,"${hostile.replaceAll('"', '""')}",`),
    );
    using seg = await Segmentations.open({ dataDir });
    assert.ok(seg.nounCounts().getColumn("noun").toArray().includes(hostile));
    const view = await seg.explore();
    await withPage(view.html, async (page) => {
      assert.equal(await page.$$eval("img", (els) => els.length), 0);
      assert.equal(
        await page.$$eval(
          ".seg-explore b:not(.seg-x-detail-name)",
          (els) => els.length,
        ),
        1,
        "only the title",
      );
      assert.notEqual(await page.title(), "pwned");
      const options = await page.$$eval(
        "datalist option",
        (els) => els.map((e) => (e as HTMLOptionElement).value),
      );
      assert.ok(options.includes(hostile));
      await setNoun(page, hostile);
      const shown = await cards(page);
      assert.deepEqual(shown, seg.imagesWith({ anyOf: [hostile] }));
      await page.click(".seg-x-card");
      const legend = await page.$$eval(
        ".seg-x-legend li",
        (els) => els.map((e) => e.textContent),
      );
      assert.ok(legend.some((t) => t!.startsWith(hostile)));
    });
  },
});

Deno.test({
  name:
    "gallery: each thumbnail shows the stimulus and its masks' outlines in the nouns' colours",
  ignore: tools.ignore,
  fn: async () => {
    using seg = await Segmentations.open({ dataDir: H5PY_FIXTURE });
    const figure = await seg.gallery(undefined, { size: 240, columns: 2 });
    const shownImages = seg.images();
    assert.equal(figure.querySelectorAll("image").length, shownImages.length);
    const scale = figure.scale("color")!;
    const colorOf = new Map(
      (scale.domain as string[]).map((
        n,
        i,
      ) => [n, (scale.range as string[])[i]]),
    );
    await withPage(figure.outerHTML, async (page) => {
      const boxes = await page.$$eval("image", (els) =>
        els.map((e) => {
          const r = e.getBoundingClientRect();
          return [r.x, r.y, r.width, r.height].map(Math.round);
        }));
      const shot = await page.screenshot({ type: "png", fullPage: true });
      const pixels = await decodeImage(new Uint8Array(shot));
      const near = (
        [bx, by, bw, bh]: number[],
        rgb: readonly number[],
        tolerance: number,
      ) => {
        let n = 0;
        for (let y = by; y < by + bh; y++) {
          for (let x = bx; x < bx + bw; x++) {
            const p = (y * pixels.width + x) * 4;
            if (
              Math.abs(pixels.data[p] - rgb[0]) <= tolerance &&
              Math.abs(pixels.data[p + 1] - rgb[1]) <= tolerance &&
              Math.abs(pixels.data[p + 2] - rgb[2]) <= tolerance
            ) n++;
          }
        }
        return n;
      };
      shownImages.forEach((image, k) => {
        const box = boxes[k];
        // The fixture's stimuli are red, green, blue and yellow quadrants.
        for (const rgb of [[255, 0, 0], [0, 255, 0], [0, 0, 255]]) {
          assert.ok(
            near(box, rgb, 60) > 50,
            `${image}: stimulus colour ${rgb}`,
          );
        }
        for (const noun of seg.nouns(image)) {
          const rgb = rgbOf(colorOf.get(noun)!);
          assert.ok(near(box, rgb, 70) >= 8, `${image}: outline of "${noun}"`);
        }
      });
    }, "figure");
  },
});
