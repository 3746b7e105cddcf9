/**
 * nodejs-polars answers `frame.name` with the column `name` when the frame
 * has one, before its methods: a frame with the `head` column that
 * {@link describeNouns} gives would lose `frame.head(n)`, and every helper
 * that calls it (the notebook's table display among them). Once installed,
 * `head` is the method on every frame made after; the column stays
 * `frame.getColumn("head")`.
 *
 * @module
 */

import { importPolarsFrameModule } from "../deps.ts";

const wrappedMark = Symbol.for("laion-fmri-segmentations.headMethod");

interface Frame {
  columns: string[];
  height: number;
  slice(offset: number, length: number): unknown;
}

function headFirst(frame: Frame): Frame {
  // A blank target: the frame is itself a Proxy whose descriptor trap throws
  // for names that are not columns, which a Proxy on it would trip over.
  return new Proxy({} as Frame, {
    get(_, prop) {
      if (prop === "head" && frame.columns.includes("head")) {
        // DataFrame.head's meaning: the first n rows; all but the last -n.
        return (n = 5) =>
          frame.slice(0, n >= 0 ? n : Math.max(0, frame.height + n));
      }
      return Reflect.get(frame, prop);
    },
    set(_, prop, value) {
      return Reflect.set(frame, prop, value);
    },
    has(_, prop) {
      return Reflect.has(frame, prop);
    },
    ownKeys() {
      return Reflect.ownKeys(frame);
    },
    getOwnPropertyDescriptor(_, prop) {
      return typeof prop === "string" && frame.columns.includes(prop)
        ? Reflect.getOwnPropertyDescriptor(frame, prop)
        : undefined;
    },
  });
}

let installing: Promise<void> | undefined;

/** Makes `frame.head(n)` the method on frames with a `head` column (once per process). */
export function keepHeadMethod(): Promise<void> {
  installing ??= (async () => {
    const mod = await importPolarsFrameModule();
    const make = mod._DataFrame as ((raw: unknown) => object) & {
      [wrappedMark]?: true;
    };
    if (make[wrappedMark]) return;
    mod._DataFrame = Object.assign(
      (raw: unknown) => headFirst(make(raw) as Frame),
      { [wrappedMark]: true as const },
    );
  })();
  return installing;
}
