/**
 * A decoded stimulus image: pixels as they were presented (RGBA composited
 * over the presentation grey) or with their alpha kept.
 *
 * @module
 */

import { createCanvas, loadImage } from "../deps.ts";
import { encodePng } from "../display/png.ts";
import { displayHook, setDisplay } from "../display/jupyter.ts";
import { pngBundle } from "../display/image.ts";
import { CUSTOM_INSPECT, setInspect } from "../display/inspect.ts";

/** The presentation background: middle grey, under transparent stimulus pixels. */
export const PRESENTATION_GREY: readonly [number, number, number] = [
  128,
  128,
  128,
];

/** Encoded image formats of the stimulus archive, told apart by their signature. */
export type StimulusFormat = "jpeg" | "png";

/** Options for {@link decodeStimulus} and `StimulusArchive.image`. */
export interface DecodeStimulusOptions {
  /**
   * Composite transparent pixels over the presentation grey (128, 128, 128)
   * and return RGB, as the images were shown (the Python package's
   * `as_displayed=True`). With `false`, images with an alpha channel come
   * back as RGBA, the others as RGB.
   *
   * @default {true}
   */
  asDisplayed?: boolean;
  /**
   * The image's name, for its display and error messages.
   *
   * @default {"image"}
   */
  name?: string;
  /**
   * Where the bytes come from (file and row), for error messages.
   *
   * @default {"the given bytes"}
   */
  source?: string;
}

/**
 * The format of encoded image bytes from their signature (never from a file
 * name), or `null` when they are neither PNG nor JPEG.
 *
 * @example Tell a PNG from a JPEG
 * ```ts
 * import { imageFormat } from "./stimulus_image.ts";
 * console.log(imageFormat(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]))); // "jpeg"
 * ```
 */
export function imageFormat(bytes: Uint8Array): StimulusFormat | null {
  if (
    bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 &&
    bytes[2] === 0xff
  ) {
    return "jpeg";
  }
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length >= 8 && png.every((b, i) => bytes[i] === b)) return "png";
  return null;
}

/**
 * A decoded stimulus image. In Jupyter it shows inline as a PNG; `pixels`
 * holds `channels` bytes per pixel, row by row from the top-left corner.
 */
export class StimulusImage {
  /** The image's name (the archive's `image_name`). */
  readonly name: string;
  /** The encoded format it was stored in. */
  readonly format: StimulusFormat;
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** 3 (RGB) or 4 (RGBA: only with `asDisplayed: false` and an alpha channel). */
  readonly channels: 3 | 4;
  /** Whether the stored image has an alpha channel (or a transparent colour). */
  readonly hasAlpha: boolean;
  /** Whether transparent pixels were composited over the presentation grey. */
  readonly asDisplayed: boolean;
  /** `width * height * channels` bytes, row-major. */
  readonly pixels: Uint8Array;

  /** Use {@link decodeStimulus} or `StimulusArchive.image`. @ignore */
  constructor(init: {
    name: string;
    format: StimulusFormat;
    width: number;
    height: number;
    channels: 3 | 4;
    hasAlpha: boolean;
    asDisplayed: boolean;
    pixels: Uint8Array;
  }) {
    this.name = init.name;
    this.format = init.format;
    this.width = init.width;
    this.height = init.height;
    this.channels = init.channels;
    this.hasAlpha = init.hasAlpha;
    this.asDisplayed = init.asDisplayed;
    this.pixels = init.pixels;
  }

  /** The pixels as RGBA (opaque for RGB images), e.g. for a canvas's `putImageData`. */
  toRgba(): Uint8ClampedArray {
    if (this.channels === 4) return new Uint8ClampedArray(this.pixels);
    const n = this.width * this.height, src = this.pixels;
    const out = new Uint8ClampedArray(n * 4);
    for (let i = 0, j = 0, k = 0; i < n; i++, j += 3, k += 4) {
      out[k] = src[j];
      out[k + 1] = src[j + 1];
      out[k + 2] = src[j + 2];
      out[k + 3] = 255;
    }
    return out;
  }

  /** PNG bytes of the image at its own size. */
  toPng(): Uint8Array {
    return encodePng(this.toRgba(), this.width, this.height);
  }

  /** One line: name, size, format and mode. */
  toString(): string {
    const mode = this.channels === 4 ? "RGBA" : "RGB";
    const how = this.hasAlpha
      ? this.asDisplayed ? ", composited over grey 128" : ", alpha kept"
      : "";
    return `StimulusImage(${this.name}, ${this.width}x${this.height} ${mode} from ${this.format.toUpperCase()}${how})`;
  }

  /**
   * The image shown `size` pixels wide under its name, for a notebook
   * cell's last line: `image.display({ size: 800 })`.
   *
   * @throws {RangeError} When `size` is not a positive number.
   */
  display(options: { size?: number } = {}): {
    bundle(): Record<string, string>;
  } {
    const size = options?.size ?? 480;
    if (!(typeof size === "number" && size > 0 && Number.isFinite(size))) {
      throw new RangeError(
        `image.display: size must be a positive number of pixels; got ${size}.`,
      );
    }
    const bundle = () => this.#bundle(size);
    const view = { bundle, toString: () => this.toString() };
    setDisplay(view, displayHook(bundle));
    return setInspect(view, () => `${this.toString()} shown ${size} px wide`);
  }

  #bundle(size: number): Record<string, string> {
    const mode = this.channels === 4 ? "RGBA" : "RGB";
    return pngBundle({
      png: this.toPng(),
      width: this.width,
      height: this.height,
      size,
      title: this.name,
      details:
        `${this.width}x${this.height} ${mode} from ${this.format.toUpperCase()}`,
      text: this.toString(),
      background: "#ffffff",
    });
  }

  /** What `console.log(image)` shows: one line, not the pixel values. */
  [CUSTOM_INSPECT](): string {
    return this.toString();
  }

  /**
   * The Deno Jupyter kernel calls this to show the image inline, 480 px
   * wide under its name (a 1000 px stimulus would fill the notebook); the
   * display is the cell's one output (see lib/display/jupyter.ts).
   */
  [Symbol.for("Jupyter.display")]():
    | Record<string, string>
    | Promise<Record<string, string>> {
    return displayHook(() => this.#bundle(480))();
  }
}

/**
 * Decodes PNG or JPEG bytes (told apart by content) into a
 * {@link StimulusImage}: by default RGB as presented, transparent pixels
 * composited over the presentation grey (128, 128, 128).
 *
 * @throws {TypeError} When the bytes are neither PNG nor JPEG, or do not decode.
 *
 * @example Decode a PNG with a transparent pixel
 * ```ts
 * import { createCanvas } from "../deps.ts";
 * import { decodeStimulus } from "./stimulus_image.ts";
 * const canvas = createCanvas(2, 1);
 * const ctx = canvas.getContext("2d");
 * ctx.fillStyle = "#ff0000";
 * ctx.fillRect(0, 0, 1, 1); // the second pixel stays transparent
 * const png = new Uint8Array(canvas.toBuffer("image/png"));
 * const shown = await decodeStimulus(png);
 * console.log([...shown.pixels]); // [255, 0, 0, 128, 128, 128]
 * const raw = await decodeStimulus(png, { asDisplayed: false });
 * console.log(raw.channels, raw.pixels[7]); // 4 0
 * ```
 */
export async function decodeStimulus(
  bytes: Uint8Array,
  options: DecodeStimulusOptions = {},
): Promise<StimulusImage> {
  const { asDisplayed = true, name = "image", source = "the given bytes" } =
    options;
  const format = imageFormat(bytes);
  if (format === null) {
    const head = [...bytes.subarray(0, 8)].map((b) =>
      b.toString(16).padStart(2, "0")
    ).join(" ");
    throw new TypeError(
      `${name} (${source}) is neither a PNG nor a JPEG: it starts with ${
        head || "nothing"
      }. The archive may be damaged; get it again.`,
    );
  }
  let image: Awaited<ReturnType<typeof loadImage>>;
  try {
    image = await loadImage(bytes);
  } catch (err) {
    throw new TypeError(
      `${name} (${source}) is a damaged ${format.toUpperCase()} (${
        (err as Error).message
      }); the archive may be damaged, get it again.`,
      { cause: err },
    );
  }
  const { width, height } = image;
  if (!(width > 0 && height > 0)) {
    throw new TypeError(
      `${name} (${source}) decodes to an empty ${format.toUpperCase()}; the archive may be damaged, get it again.`,
    );
  }
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext("2d");
  ctx.drawImage(image, 0, 0);
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const hasAlpha = format === "png" && pngHasAlpha(bytes);
  const n = width * height;
  if (hasAlpha && !asDisplayed) {
    return new StimulusImage({
      name,
      format,
      width,
      height,
      channels: 4,
      hasAlpha,
      asDisplayed,
      pixels: new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.byteLength),
    });
  }
  const out = new Uint8Array(n * 3);
  const [gr, gg, gb] = PRESENTATION_GREY;
  for (let i = 0, j = 0, k = 0; i < n; i++, j += 3, k += 4) {
    const a = rgba[k + 3];
    if (a === 255) {
      out[j] = rgba[k];
      out[j + 1] = rgba[k + 1];
      out[j + 2] = rgba[k + 2];
    } else {
      // Straight (unpremultiplied) alpha over the grey, rounded.
      const b = 255 - a;
      out[j] = (rgba[k] * a + gr * b + 127) / 255 | 0;
      out[j + 1] = (rgba[k + 1] * a + gg * b + 127) / 255 | 0;
      out[j + 2] = (rgba[k + 2] * a + gb * b + 127) / 255 | 0;
    }
  }
  return new StimulusImage({
    name,
    format,
    width,
    height,
    channels: 3,
    hasAlpha,
    asDisplayed: hasAlpha ? asDisplayed : true,
    pixels: out,
  });
}

/** Whether PNG bytes have an alpha channel (colour type 4 or 6) or a transparent colour (tRNS). */
export function pngHasAlpha(bytes: Uint8Array): boolean {
  if (bytes.length < 26) return false;
  const colorType = bytes[25];
  if (colorType === 4 || colorType === 6) return true;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let p = 8; p + 8 <= bytes.length;) {
    const length = view.getUint32(p);
    const type = String.fromCharCode(...bytes.subarray(p + 4, p + 8));
    if (type === "tRNS") return true;
    if (type === "IDAT" || type === "IEND") return false;
    p += 12 + length;
  }
  return false;
}
