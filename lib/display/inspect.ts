// What `console.log(x)` or a cell's plain result shows of this module's
// objects: one line saying what it is (Deno's custom inspect hook), instead of
// hundreds of lines of DOM nodes or pixel arrays; and for a Promise that holds
// one (a forgotten `await`), the hint to await it.

/** Deno's hook for `Deno.inspect` and `console.log`. */
export const CUSTOM_INSPECT: unique symbol = Symbol.for(
  "Deno.customInspect",
) as never;

/**
 * Gives `target` a one-line inspection: `line()` is what `console.log` and
 * `Deno.inspect` show of it.
 *
 * @example
 * ```ts
 * import { setInspect } from "./inspect.ts";
 * const big = setInspect({ data: new Uint8Array(1e6) }, () => "Mask(row 3)");
 * console.log(Deno.inspect(big)); // Mask(row 3)
 * ```
 */
export function setInspect<T extends object>(target: T, line: () => string): T {
  Object.defineProperty(target, CUSTOM_INSPECT, {
    configurable: true,
    enumerable: false,
    value: () => line(),
  });
  return target;
}

/**
 * Marks a Promise so that, shown without `await`, it says what it holds and
 * how to get it: `Promise of a figure (seg.show()): put await in front`.
 * Nothing else changes (no handler is attached: a rejection stays unhandled
 * when nobody awaits it).
 *
 * @example
 * ```ts
 * import { awaitHint } from "./inspect.ts";
 * const p = awaitHint(Promise.resolve(1), "a figure", "seg.show(image)");
 * console.log(Deno.inspect(p)); // Promise of a figure: put `await` in front: await seg.show(image)
 * console.log(await p); // 1
 * ```
 */
export function awaitHint<T>(
  promise: Promise<T>,
  what: string,
  call: string,
): Promise<T> {
  return setInspect(
    promise,
    () => `Promise of ${what}: put \`await\` in front: await ${call}`,
  );
}
