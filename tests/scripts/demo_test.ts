/// <reference lib="dom" />
// `deno task demo`, as a newcomer runs it with no data configured: a summary
// of the synthetic sample, and a self-contained page (gallery, an overlay,
// noun frequencies, the explorer) that opens offline in a browser without a
// script error and with the explorer working.
import assert from "node:assert/strict";
import { join } from "node:path";
import { DENO_DIR } from "../_support/helpers.ts";
import { checkTools, run, tempDir } from "../_support/jupyter.ts";
import { launchChromium } from "../_support/browser.ts";

const tools = await checkTools(["chromium"], "tests/scripts/demo_test.ts");

Deno.test({
  name:
    "demo: prints a summary of the sample and writes a self-contained page that works in a browser",
  ignore: tools.ignore,
  fn: async () => {
    tools.assertPresent();
    const dir = await tempDir("seg-demo-");
    const page = join(dir, "demo.html");
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("../../scripts/demo.ts", import.meta.url).pathname,
        page,
      ],
      env: {
        LAION_FMRI_DATA_DIR: "",
        XDG_CONFIG_HOME: join(dir, "config"),
        DENO_DIR,
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.match(stdout, /SYNTHETIC sample/);
    assert.ok(stdout.includes(page), stdout);
    const html = await Deno.readTextFile(page);
    assert.doesNotMatch(
      html,
      /(src|href)="https?:/,
      "nothing from the network",
    );
    for (const part of ["Gallery", "Most frequent nouns", "seg-explore"]) {
      assert.ok(html.includes(part), part);
    }
    const chromium = (await run("which", ["chromium"]))?.stdout.trim() ||
      "chromium";
    await using browser = await launchChromium(chromium, join(dir, "profile"));
    const tab = await browser.browser.newPage();
    const errors: string[] = [];
    tab.on("pageerror", (e) => errors.push(String(e)));
    await tab.goto(`file://${page}`);
    await tab.waitForSelector(".seg-explore[data-ready]");
    assert.ok(
      await tab.$$eval(".seg-x-card", (els) => els.length) > 0,
      "the explorer shows images",
    );
    assert.ok(
      await tab.$$eval("figure image", (els) => els.length) > 1,
      "gallery and overlay images",
    );
    assert.deepEqual(errors, []);
  },
});
