/**
 * Masks trial by trial, as the Python package's `Subject.segmentations`:
 * a table of trials (a Polars frame or a BIDS events TSV) whose image
 * column names the stimulus shown on each trial.
 *
 * @module
 */

import { pl } from "../../deps.ts";
import type { Mask } from "../masks/mask.ts";
import type { CoverageOptions } from "./coverage.ts";
import { wideFrame } from "./_wide.ts";
import type { MaskFilter } from "../mask_filter.ts";
import { checkOptions } from "../../base/args.ts";
import { NOUNS_OPTIONS, TRIAL_COVERAGE_OPTIONS } from "../_args.ts";

/** What {@link Trials} asks of the reader. */
export interface TrialsSource {
  /** One row per mask. */
  readonly metadata: pl.DataFrame;
  /** Whether the image has masks. */
  hasImage(imageName: string): boolean;
  /** The image's nouns. */
  nouns(imageName: string, options?: { localizedOnly?: boolean }): string[];
  /** The image's metadata rows. */
  forImage(imageName: string): pl.DataFrame;
  /** One mask. */
  get(imageName: string, noun: string, instance?: number): Mask;
  /** The coverage table. */
  coverage(
    selection?: pl.DataFrame,
    options?: CoverageOptions,
  ): Promise<pl.DataFrame>;
  /** Image names with masks. */
  images(): string[];
}

/** Options for {@link Trials.nouns}. */
export type TrialNounsOptions = Pick<MaskFilter, "localizedOnly">;

/** Options for {@link Trials.coverage}. */
export type TrialCoverageOptions = Omit<CoverageOptions, "cache"> & {
  /**
   * Use (and fill) the whole file's cached coverage table when the trials
   * show at least half of the images with masks.
   *
   * @default {true}
   */
  cache?: boolean;
};

/** Columns that name a trial's image, in the order they are looked for. */
export const TRIAL_IMAGE_COLUMNS = [
  "image_name",
  "label",
  "stim_file",
] as const;

/**
 * The masks of the images shown trial by trial. Trial `t` is row `t` of the
 * table. Trials that showed a subject-unique image (or no image) have no
 * masks: `hasImage` is false, `nouns` is `[]`, `forImage` an empty frame.
 *
 * The image column is `image_name`, else `label`, else BIDS `stim_file`.
 * Image names are matched as written, by file name (`stimuli/x.jpg` finds
 * `x.jpg`), or without their extension (`shared_..._i0` finds
 * `shared_..._i0.jpg`), since events files often drop it.
 *
 * @example Trials from a BIDS events table
 * ```ts
 * import { ensureSample, pl, Segmentations } from "../../../mod.ts";
 * using seg = await Segmentations.open({ dataDir: await ensureSample() });
 * const [a, b] = seg.images();
 * const events = pl.DataFrame({
 *   onset: [0, 4, 8],
 *   label: [a.replace(/\.jpg$/, ""), "unique_sub-01_0001", b],
 * });
 * const trials = seg.trials(events);
 * console.log(trials.hasImage(0), trials.hasImage(1), trials.nouns(1)); // true false []
 * const wide = await trials.coverage({ wide: true });
 * console.log(wide.height); // 3
 * ```
 */
export class Trials {
  /** The trial table as given (or read from the TSV), one row per trial. */
  readonly table: pl.DataFrame;
  /** The column the image names were read from. */
  readonly imageColumn: string;
  readonly #source: TrialsSource;
  readonly #shown: (string | null)[];
  readonly #image: (string | null)[];

  /**
   * Use `seg.trials(table)`.
   *
   * @throws {TypeError} When the table has no `image_name`, `label` or
   * `stim_file` column, or the TSV cannot be read.
   */
  constructor(source: TrialsSource, table: pl.DataFrame | string) {
    this.#source = source;
    const where = typeof table === "string" ? table : "the trial table";
    const frame = typeof table === "string" ? readEventsTsv(table) : table;
    const column = TRIAL_IMAGE_COLUMNS.find((c) => frame.columns.includes(c));
    if (!column) {
      throw new TypeError(
        `${where} has no image_name, label or stim_file column (it has: ${
          frame.columns.join(", ")
        }); the image of each trial must be in one of them.`,
      );
    }
    this.table = frame;
    this.imageColumn = column;
    this.#shown = (frame.getColumn(column).cast(pl.Utf8).toArray() as (
      | string
      | null
    )[]).map((v) => v === null || v === "" || v === "n/a" ? null : v);
    const stems = new Map<string, string>();
    for (const image of source.images()) {
      const stem = image.replace(/\.[A-Za-z0-9]+$/, "");
      if (!stems.has(stem)) stems.set(stem, image);
    }
    this.#image = this.#shown.map((v) => {
      if (v === null) return null;
      if (source.hasImage(v)) return v;
      // BIDS stim_file values are paths: the file name is the image.
      const name = v.replace(/^.*[\\/]/, "");
      if (source.hasImage(name)) return name;
      return stems.get(name) ??
        stems.get(name.replace(/\.[A-Za-z0-9]+$/, "")) ?? null;
    });
  }

  /** Number of trials. */
  get length(): number {
    return this.#shown.length;
  }

  /**
   * The image shown on the trial as the metadata names it when it has masks,
   * else as the table names it; `null` for a trial without an image.
   */
  imageName(trial: number): string | null {
    this.#check(trial);
    return this.#image[trial] ?? this.#shown[trial];
  }

  /** Whether the trial's image has masks. */
  hasImage(trial: number): boolean {
    this.#check(trial);
    return this.#image[trial] !== null;
  }

  /** The nouns of the trial's image; `[]` when it has no masks. */
  nouns(trial: number, options: TrialNounsOptions = {}): string[] {
    checkOptions("trials.nouns", options, NOUNS_OPTIONS);
    this.#check(trial);
    const image = this.#image[trial];
    return image === null ? [] : this.#source.nouns(image, options);
  }

  /** The metadata rows of the trial's image; an empty frame when it has no masks. */
  forImage(trial: number): pl.DataFrame {
    this.#check(trial);
    const image = this.#image[trial];
    return image === null
      ? this.#source.metadata.clear()
      : this.#source.forImage(image);
  }

  /**
   * The mask of `noun` number `instance` in the trial's image.
   *
   * @throws {MaskNotFoundError} When the image has no masks or no such mask.
   */
  get(trial: number, noun: string, instance = 0): Mask {
    this.#check(trial);
    return this.#source.get(this.imageName(trial) ?? "", noun, instance);
  }

  /**
   * The coverage table trial by trial: one row per (trial, noun) with
   * `trial`, `image_name`, `noun`, `masks`, `pixels` and `fraction`; with
   * `wide`, one row per trial (every trial, 0 where its image has no masks)
   * and one column per noun. See `seg.coverage` for the values.
   */
  async coverage(options: TrialCoverageOptions = {}): Promise<pl.DataFrame> {
    checkOptions("trials.coverage", options, TRIAL_COVERAGE_OPTIONS);
    const shown = new Set(this.#image.filter((v) => v !== null));
    const meta = this.#source.metadata;
    const images = meta.getColumn("image_name").toArray() as string[];
    const selected = images.filter((i) => shown.has(i)).length;
    const whole = selected * 2 >= images.length;
    const selection = whole ? undefined : meta.filter(
      pl.col("image_name").isIn([...shown]),
    );
    const long = await this.#source.coverage(selection, {
      ...options,
      wide: false,
    });
    const rowsOf = new Map<string, number[]>();
    (long.getColumn("image_name").toArray() as string[]).forEach((image, r) => {
      const list = rowsOf.get(image);
      if (list) list.push(r);
      else rowsOf.set(image, [r]);
    });
    const trial: number[] = [];
    const take: number[] = [];
    this.#image.forEach((image, t) => {
      for (const r of image === null ? [] : rowsOf.get(image) ?? []) {
        trial.push(t);
        take.push(r);
      }
    });
    const picked = long.select(
      pl.col("*").gather(pl.Series("take", take, pl.UInt32)),
    );
    if (!options.wide) {
      return picked.withColumns(pl.Series("trial", trial, pl.Int64)).select(
        "trial",
        "image_name",
        options.by ?? "noun",
        "masks",
        "pixels",
        "fraction",
      );
    }
    const value = options.value ?? "fraction";
    return wideFrame(
      [
        pl.Series("trial", this.#image.map((_, t) => t), pl.Int64),
        pl.Series(
          "image_name",
          this.#image.map((v, t) => v ?? this.#shown[t]),
          pl.Utf8,
        ),
      ],
      this.length,
      trial,
      picked.getColumn(options.by ?? "noun").toArray() as string[],
      picked.getColumn(value).toArray() as number[],
      value === "fraction" ? "fraction" : "count",
    );
  }

  /** One line: trials and how many show images with masks. */
  toString(): string {
    const withMasks = this.#image.filter((v) => v !== null).length;
    return `Trials(${this.length} trials, ${withMasks} with masks, image column "${this.imageColumn}")`;
  }

  #check(trial: number): void {
    if (typeof trial !== "number" || !Number.isInteger(trial)) {
      throw new TypeError(
        `Trial ${
          JSON.stringify(trial)
        } is not a trial number: pass an integer from 0 to ${
          this.length - 1
        } (the row of the trial table).`,
      );
    }
    if (trial < 0 || trial >= this.length) {
      throw new RangeError(
        `Trial ${trial} is out of range: the table has trials 0 to ${
          this.length - 1
        }.`,
      );
    }
  }
}

/** A BIDS events TSV (`n/a` = missing), the image column read as text. */
function readEventsTsv(path: string): pl.DataFrame {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (err) {
    throw new TypeError(
      `Cannot read the events file ${path}: ${
        (err as Error).message
      }; pass the path of a BIDS events TSV or a Polars frame.`,
      { cause: err },
    );
  }
  const header = (text.split("\n", 1)[0] ?? "").replace(/\r$/, "").split("\t");
  try {
    return pl.readCSV(text, {
      sep: "\t",
      hasHeader: true,
      nullValues: ["n/a"],
      dtypes: Object.fromEntries(
        TRIAL_IMAGE_COLUMNS.filter((c) => header.includes(c)).map((c) => [
          c,
          pl.Utf8,
        ]),
      ),
    });
  } catch (err) {
    throw new TypeError(
      `Cannot parse ${path} as a tab-separated events file: ${
        (err as Error).message
      }`,
      { cause: err },
    );
  }
}
