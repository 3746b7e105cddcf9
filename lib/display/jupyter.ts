// The Deno Jupyter kernel's outputs: the display hook objects carry, and a
// progress line updated in place. Nothing here knows about masks or figures.
import { escapeHtml } from "./escape.ts";

const DISPLAY = Symbol.for("Jupyter.display");

/**
 * A `Symbol.for("Jupyter.display")` method. Outside a kernel it returns the
 * whole `bundle` (synchronously). Inside the kernel it shows the bundle as a
 * `display_data` output, lets the event loop send it, and returns what
 * becomes the cell's result: `summary` as text, or, when `summary` is
 * `null`, an empty bundle.
 *
 * Why the display comes first: Deno 2.9's kernel sometimes publishes a
 * cell's result after the cell's "idle" status, and Jupyter frontends
 * (JupyterLab, nbconvert) then drop it (measured here: 1 result in 5 to 20);
 * a display followed by a turn of the event loop arrives in order (0 late in
 * hundreds of runs), so what the user must see always shows.
 *
 * Why an empty bundle: the kernel sends a result for every value but
 * `undefined`, and the hook cannot make the value `undefined`. Measured with
 * Deno 2.9.6 and nbconvert: returning `undefined` or `null` sends a result
 * without `data`, which makes nbclient fail the whole run (`KeyError:
 * 'data'`); `{ "text/plain": "" }` leaves an empty text output; `{}` leaves an
 * output without data, which JupyterLab renders as nothing at all (no
 * prompt, no line; nbconvert's HTML keeps a bare `Out[n]:` prompt). So the
 * display is the one visible output, whether or not the result arrives.
 */
export function displayHook(
  bundle: () => Record<string, string>,
  summary: (() => string) | null = null,
  kernel: () => JupyterDisplayFn | undefined = jupyterDisplay,
): () => Record<string, string> | Promise<Record<string, string>> {
  return () => {
    const display = kernel();
    if (!display) return bundle();
    return (async () => {
      await display(bundle(), { raw: true });
      // Let the event loop send the output before the kernel reports "idle".
      await new Promise((resolve) => setTimeout(resolve, 20));
      const result: Record<string, string> = summary
        ? { "text/plain": summary() }
        : {};
      return result;
    })();
  };
}

/** Gives `target` the kernel's display hook (`Symbol.for("Jupyter.display")`). */
export function setDisplay(
  target: object,
  hook: () => Record<string, string> | Promise<Record<string, string>>,
): void {
  Object.defineProperty(target, DISPLAY, {
    configurable: true,
    enumerable: false,
    value: hook,
  });
}

/** `Deno.jupyter.display`, with the options this module uses. */
export type JupyterDisplayFn = (
  bundle: Record<string, string>,
  options: { raw: boolean; display_id?: string; update?: boolean },
) => Promise<void>;

/** `Deno.jupyter.display` inside the Deno kernel, else `undefined`. */
export function jupyterDisplay(): JupyterDisplayFn | undefined {
  try {
    // Outside `deno jupyter`, even reading `Deno.jupyter` may throw.
    const jupyter = (Deno as unknown as { jupyter?: { display?: unknown } })
      .jupyter;
    if (jupyter && typeof jupyter.display === "function") {
      return jupyter.display.bind(jupyter) as JupyterDisplayFn;
    }
  } catch {
    // Not in a kernel.
  }
  return undefined;
}

/**
 * A progress line in a notebook: one output, created once the work has
 * lasted `delayMs` (quick runs show nothing) and then updated in place.
 */
export class NotebookProgress {
  readonly #label: string;
  readonly #display: JupyterDisplayFn | undefined;
  readonly #id = `laion-fmri-progress-${crypto.randomUUID()}`;
  readonly #start = performance.now();
  readonly #delayMs: number;
  #shown = false;
  #last = 0;

  /**
   * `display` defaults to the kernel's (`undefined`); `null` shows nothing.
   * Nothing is shown either outside a kernel.
   */
  constructor(
    label: string,
    display: JupyterDisplayFn | null | undefined = undefined,
    delayMs = 400,
  ) {
    this.#label = label;
    this.#display = display === null ? undefined : display ?? jupyterDisplay();
    this.#delayMs = delayMs;
  }

  /** Reports `done` of `total`; throttled to a few updates per second. */
  async update(done: number, total: number): Promise<void> {
    if (!this.#display) return;
    const now = performance.now();
    if (now - this.#start < this.#delayMs) return;
    if (this.#shown && now - this.#last < 250 && done < total) return;
    this.#last = now;
    await this.#show(
      `${done}/${total} masks`,
      `<progress value="${done}" max="${total}" style="width:16em;vertical-align:middle"></progress>`,
    );
  }

  /** Replaces the line with a closing message, if it was ever shown. */
  async finish(message: string): Promise<void> {
    if (!this.#display || !this.#shown) return;
    await this.#show(message, "");
    // A turn of the event loop sends it before the cell can end (see displayable).
    await new Promise((resolve) => setTimeout(resolve, 20));
  }

  async #show(text: string, bar: string): Promise<void> {
    const bundle = {
      "text/plain": `${this.#label}: ${text}`,
      "text/html":
        `<div class="laion-fmri-progress" style="font:12px system-ui,sans-serif">${bar} ${
          escapeHtml(this.#label)
        }: ${escapeHtml(text)}</div>`,
    };
    try {
      await this.#display!(bundle, {
        raw: true,
        display_id: this.#id,
        update: this.#shown,
      });
      this.#shown = true;
    } catch {
      // A progress line must never break the computation it reports on.
    }
  }
}
