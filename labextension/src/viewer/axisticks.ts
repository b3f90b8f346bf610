/**
 * Tick marks at round numbers, as matplotlib and HyperSpy draw them: for the
 * calibrated axes of an image (following zoom and pan) and for a colour bar
 * (linear limits get 1-2-5 steps, a log scale its decades).
 */
import type { IAxisCalibration } from './scalebar';
import { IScaling, normaliser } from './scaling';

/** One tick: where it goes and what it says. */
export interface ITick {
  value: number;
  label: string;
}

/** A tick placed on screen: `position` in pixels or as a fraction of a bar. */
export interface IPlacedTick extends ITick {
  position: number;
}

/**
 * The smallest 1, 2 or 5 × 10^k not below `raw` (raw > 0).
 */
export function niceStep(raw: number): number {
  if (!(raw > 0) || !isFinite(raw)) {
    return 1;
  }
  const power = 10 ** Math.floor(Math.log10(raw));
  const mantissa = raw / power;
  // Guard against 10^k computed as 0.999.. × 10^k.
  const eps = 1e-9;
  const nice =
    mantissa <= 1 + eps
      ? 1
      : mantissa <= 2 + eps
        ? 2
        : mantissa <= 5 + eps
          ? 5
          : 10;
  return nice * power;
}

/**
 * A tick value's text: as many decimals as the step needs, exponents for very
 * large or small magnitudes, and no "-0".
 */
export function formatTick(
  value: number,
  step: number,
  largest = Math.abs(value)
): string {
  if (Math.abs(value) < step * 1e-6) {
    return '0';
  }
  // One notation for every tick of an axis: that of its largest magnitude.
  const magnitude = Math.max(largest, step);
  if (magnitude >= 1e6 || magnitude < 1e-3) {
    const digits = Math.max(
      0,
      Math.floor(Math.log10(Math.abs(value))) - Math.floor(Math.log10(step))
    );
    return value
      .toExponential(Math.min(digits, 6))
      .replace(/\.?0+e/, 'e')
      .replace('e+', 'e');
  }
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return value.toFixed(Math.min(decimals, 10));
}

/**
 * Ticks at multiples of a 1-2-5 step within [lo, hi], at most `maxCount` of
 * them (at least one step fits in any non-empty range).
 */
export function niceTicks(lo: number, hi: number, maxCount: number): ITick[] {
  if (!isFinite(lo) || !isFinite(hi)) {
    return [];
  }
  const [a, b] = lo <= hi ? [lo, hi] : [hi, lo];
  if (b === a) {
    return [{ value: a, label: formatTick(a, Math.abs(a) || 1) }];
  }
  const count = Math.max(1, Math.floor(maxCount));
  const ticksOf = (step: number) =>
    Math.floor(b / step + 1e-9) - Math.ceil(a / step - 1e-9) + 1;
  // The finest 1-2-5 step that keeps to `count` ticks: starting finer than
  // range / count, so that a short axis still gets two or three ticks.
  let step = niceStep((b - a) / (2 * count));
  while (ticksOf(step) > count) {
    step = niceStep(step * 1.01);
  }
  const values: number[] = [];
  const last = Math.floor(b / step + 1e-9);
  for (let k = Math.ceil(a / step - 1e-9); k <= last; k++) {
    // k × step, not repeated sums, at twelve digits: no 0.30000000000000004
    // nor 9.999999999999999e-6; "+ 0" turns -0 into 0.
    values.push(Number((k * step).toPrecision(12)) + 0);
  }
  const largest = Math.max(...values.map(Math.abs));
  return values.map(value => ({
    value,
    label: formatTick(value, step, largest)
  }));
}

/**
 * Ticks of a log axis over [lo, hi] (lo > 0): its decades when there are at
 * least two (thinned to `maxCount`), else round numbers as on a linear axis.
 */
export function logTicks(lo: number, hi: number, maxCount: number): ITick[] {
  if (!(lo > 0) || !(hi > lo)) {
    return niceTicks(lo, hi, maxCount);
  }
  const first = Math.ceil(Math.log10(lo) - 1e-9);
  const last = Math.floor(Math.log10(hi) + 1e-9);
  if (last - first + 1 < 2) {
    return niceTicks(lo, hi, maxCount);
  }
  const every = Math.max(
    1,
    Math.ceil((last - first + 1) / Math.max(1, maxCount))
  );
  // Plain numbers while every decade reads well so, else all as powers of ten.
  const plain = first >= -2 && last <= 4;
  const ticks: ITick[] = [];
  for (let k = first; k <= last; k += every) {
    const value = 10 ** k;
    ticks.push({ value, label: plain ? formatTick(value, value) : `1e${k}` });
  }
  return ticks;
}

/**
 * Ticks along one image axis on screen.
 *
 * @param axis the axis calibration (physical = offset + index × scale); pixels when absent
 * @param screenScale screen pixels per image pixel
 * @param screenOffset the screen position of pixel index 0's centre
 * @param pixels the image's number of pixels along the axis
 * @param length the view's length along the axis, in screen pixels
 * @param spacing the least screen distance between two ticks
 */
export function imageAxisTicks(
  axis: IAxisCalibration | null | undefined,
  screenScale: number,
  screenOffset: number,
  pixels: number,
  length: number,
  spacing: number
): IPlacedTick[] {
  if (!(screenScale > 0) || pixels < 1 || length <= 0) {
    return [];
  }
  const cal = axis && axis.scale !== 0 ? axis : { scale: 1, offset: 0 };
  // The image's extent on screen (pixel edges), clipped to the view.
  const start = Math.max(0, screenOffset - 0.5 * screenScale);
  const end = Math.min(length, screenOffset + (pixels - 0.5) * screenScale);
  if (end <= start) {
    return [];
  }
  const toPhysical = (screen: number) =>
    cal.offset + ((screen - screenOffset) / screenScale) * cal.scale;
  const toScreen = (value: number) =>
    ((value - cal.offset) / cal.scale) * screenScale + screenOffset;
  const count = Math.max(1, Math.floor((end - start) / spacing));
  return niceTicks(toPhysical(start), toPhysical(end), count)
    .map(tick => ({ ...tick, position: toScreen(tick.value) }))
    .filter(tick => tick.position >= start - 0.5 && tick.position <= end + 0.5);
}

/**
 * Ticks of a colour bar for the limits and scale of `scaling`, placed as
 * fractions (0: the lowest colour, 1: the highest) by the same mapping that
 * colours the image, so that a tick sits at its value's colour.
 */
export function colourBarTicks(
  scaling: IScaling,
  maxCount: number
): IPlacedTick[] {
  let { vmin, vmax } = scaling;
  if (scaling.symmetric && scaling.mode !== 'log') {
    const m = Math.max(Math.abs(vmin), Math.abs(vmax));
    [vmin, vmax] = [-m, m];
  }
  const ticks =
    scaling.mode === 'log'
      ? logTicks(vmin, vmax, maxCount)
      : niceTicks(vmin, vmax, maxCount);
  const norm = normaliser(scaling);
  return ticks
    .map(tick => ({ ...tick, position: norm(tick.value) }))
    .filter(tick => tick.position >= 0 && tick.position <= 1);
}
