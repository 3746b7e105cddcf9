// The visual field over an overlay (`show(image, { visualField: true })`):
// axes in degrees of visual angle from fixation, eccentricity rings and the
// fixation point, all in image pixel coordinates (the plot's own).
import { Plot } from "../deps.ts";
import type { VisualField } from "../reader/visual_field.ts";

/** The axes' ticks at whole degrees, labelled in degrees (y up). */
export function degreeAxes(field: VisualField): {
  x: { ticks: number[]; tickFormat: (v: number) => string };
  y: { ticks: number[]; tickFormat: (v: number) => string };
} {
  const k = field.degreesPerPixel;
  const [fx, fy] = field.fixation;
  const step = niceStep(field.widthDegrees);
  const ticks = (from: number, to: number) => {
    const out: number[] = [];
    for (let d = Math.ceil(from / step) * step; d <= to + 1e-9; d += step) {
      out.push(Math.round(d * 1e6) / 1e6);
    }
    return out;
  };
  const xs = ticks(-fx * k, (field.width - fx) * k);
  const ys = ticks((fy - field.height) * k, fy * k);
  const label = (d: number) => `${d === 0 ? 0 : d}°`;
  return {
    x: {
      ticks: xs.map((d) => fx + d / k),
      tickFormat: (v) => label(Math.round((v - fx) * k * 1e6) / 1e6),
    },
    y: {
      ticks: ys.map((d) => fy - d / k),
      tickFormat: (v) => label(Math.round((fy - v) * k * 1e6) / 1e6),
    },
  };
}

/** Eccentricity rings (every whole `step` degrees that reach the image) and the fixation cross. */
export function visualFieldMarks(field: VisualField): Plot.Markish[] {
  const k = field.degreesPerPixel;
  const [fx, fy] = field.fixation;
  const corners = [[0, 0], [field.width, 0], [0, field.height], [
    field.width,
    field.height,
  ]];
  const reach = Math.max(
    ...corners.map(([x, y]) => Math.hypot(x - fx, y - fy) * k),
  );
  const step = niceStep(field.widthDegrees);
  const rings: { r: number; x: number; y: number }[] = [];
  const labels: { r: number; x: number; y: number }[] = [];
  for (let r = step; r <= reach; r += step) {
    for (let a = 0; a <= 360; a += 3) {
      const t = a * Math.PI / 180;
      rings.push({
        r,
        x: fx + r / k * Math.cos(t),
        y: fy - r / k * Math.sin(t),
      });
    }
    const t = Math.PI / 4;
    labels.push({
      r,
      x: fx + r / k * Math.cos(t),
      y: fy - r / k * Math.sin(t),
    });
  }
  return [
    Plot.line(rings, {
      x: "x",
      y: "y",
      z: "r",
      stroke: "white",
      strokeOpacity: 0.8,
      strokeWidth: 1,
      strokeDasharray: "3,3",
      clip: true,
      className: "seg-eccentricity",
    }),
    Plot.text(labels, {
      x: "x",
      y: "y",
      text: (d: { r: number }) => `${Math.round(d.r * 1e6) / 1e6}°`,
      fill: "white",
      stroke: "#333",
      strokeWidth: 2,
      fontSize: 10,
      clip: true,
      className: "seg-eccentricity-labels",
    }),
    Plot.dot([[fx, fy]], {
      symbol: "plus",
      r: 6,
      stroke: "white",
      strokeWidth: 2,
      className: "seg-fixation",
    }),
  ];
}

/** 1, 2 or 5 times a power of ten: about 4 to 10 steps across `span` degrees. */
function niceStep(span: number): number {
  const raw = span / 8;
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}
