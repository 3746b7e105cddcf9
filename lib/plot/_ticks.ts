// Tick values for count axes: whole numbers only (a count of 2.5 masks means
// nothing), at a 1-2-5 step chosen so the labels do not crowd the axis.

/**
 * Integer ticks from 0 to at most `max`, about one per `spacing` pixels of
 * an axis `length` pixels long; the step is 1, 2 or 5 times a power of ten,
 * picked as d3's `ticks` picks it, but never below 1.
 */
export function integerTicks(
  max: number,
  length: number,
  spacing = 80,
): number[] {
  const top = Math.max(1, Math.floor(max));
  const raw = top / Math.max(2, Math.floor(length / spacing));
  const power = 10 ** Math.floor(Math.log10(raw));
  const error = raw / power;
  const factor = error >= Math.sqrt(50)
    ? 10
    : error >= Math.sqrt(10)
    ? 5
    : error >= Math.sqrt(2)
    ? 2
    : 1;
  const step = Math.max(1, Math.round(factor * power));
  const ticks: number[] = [];
  for (let t = 0; t <= top; t += step) ticks.push(t);
  return ticks;
}
