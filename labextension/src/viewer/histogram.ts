/**
 * Value histograms for the contrast control, counted like `numpy.histogram`
 * (equal bins, the last one closed on the right, values outside the range and
 * non-finite values left out).
 */
import { finiteRange, IScaling, smallestPositive, widen } from './scaling';

export interface IHistogram {
  counts: Uint32Array;
  /** `bins + 1` bin edges, ascending. */
  edges: Float64Array;
  /** The counted range (the first and last edge). */
  min: number;
  max: number;
}

/**
 * Count `data` into `bins` bins over `range` (default: the finite range).
 * With `log`, bins are equal in log(value) over the positive part of the
 * range and values at or below zero are left out, which suits data spanning
 * decades such as diffraction intensities.
 */
export function histogram(
  data: ArrayLike<number>,
  bins: number,
  range?: [number, number],
  log = false
): IHistogram {
  const n = Math.max(1, Math.floor(bins));
  let lo: number;
  let hi: number;
  if (range) {
    [lo, hi] = range[0] <= range[1] ? range : [range[1], range[0]];
  } else {
    const found = finiteRange(data);
    [lo, hi] = found ? [found.min, found.max] : [0, 1];
  }
  if (log) {
    if (!(lo > 0)) {
      lo = smallestPositive(data) ?? 1;
      lo = Math.min(lo, hi > 0 ? hi : lo);
    }
    if (!(hi > lo)) {
      hi = lo * 10;
    }
  } else {
    ({ vmin: lo, vmax: hi } = widen(lo, hi));
  }
  const edges = new Float64Array(n + 1);
  const counts = new Uint32Array(n);
  const position = log
    ? (v: number) => Math.log(v / lo) / Math.log(hi / lo)
    : (v: number) => (v - lo) / (hi - lo);
  for (let i = 0; i <= n; i++) {
    edges[i] = log ? lo * (hi / lo) ** (i / n) : lo + ((hi - lo) * i) / n;
  }
  edges[0] = lo;
  edges[n] = hi;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!(v >= lo && v <= hi)) {
      continue;
    }
    let k = Math.floor(position(v) * n);
    // Rounding can put a value one bin off near an edge: settle it exactly.
    if (k >= n) {
      k = n - 1;
    }
    if (k > 0 && v < edges[k]) {
      k--;
    } else if (k < n - 1 && v >= edges[k + 1]) {
      k++;
    }
    counts[k]++;
  }
  return { counts, edges, min: lo, max: hi };
}

/**
 * The value axis of the contrast control: the data range widened to include
 * the display limits (so both handles stay visible), logarithmic for a log
 * scale.
 */
export interface IValueAxis {
  min: number;
  max: number;
  log: boolean;
}

export function valueAxis(
  data: ArrayLike<number> | null,
  scaling: IScaling
): IValueAxis {
  const log = scaling.mode === 'log';
  const range = data ? finiteRange(data) : null;
  let min = Math.min(range?.min ?? scaling.vmin, scaling.vmin);
  let max = Math.max(range?.max ?? scaling.vmax, scaling.vmax);
  if (log) {
    const floor = data ? smallestPositive(data) : null;
    if (!(min > 0)) {
      min = scaling.vmin > 0 ? scaling.vmin : (floor ?? max * 1e-3);
    }
    if (!(max > min)) {
      max = min * 10;
    }
    return { min, max, log };
  }
  ({ vmin: min, vmax: max } = widen(min, max));
  return { min, max, log };
}

/** Where a value lies along the axis, from 0 (left) to 1 (right), clipped. */
export function axisFraction(axis: IValueAxis, value: number): number {
  const t = axis.log
    ? Math.log(value / axis.min) / Math.log(axis.max / axis.min)
    : (value - axis.min) / (axis.max - axis.min);
  return Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : value > 0 ? 1 : 0;
}

/** The value at a fraction (0–1) of the axis. */
export function axisValue(axis: IValueAxis, fraction: number): number {
  const t = Math.min(1, Math.max(0, fraction));
  return axis.log
    ? axis.min * (axis.max / axis.min) ** t
    : axis.min + (axis.max - axis.min) * t;
}

/**
 * Set one display limit by hand, keeping `vmin < vmax` (the moved limit stops
 * just short of the other). A hand-set limit ends percentile mode, whose
 * limits would otherwise follow the data.
 */
export function setLimit(
  scaling: IScaling,
  which: 'vmin' | 'vmax',
  value: number
): IScaling {
  if (!Number.isFinite(value)) {
    return scaling;
  }
  const gap = Math.max(Math.abs(scaling.vmax - scaling.vmin) * 1e-6, 1e-12);
  const mode = scaling.mode === 'percentile' ? 'linear' : scaling.mode;
  if (which === 'vmin') {
    return { ...scaling, mode, vmin: Math.min(value, scaling.vmax - gap) };
  }
  return { ...scaling, mode, vmax: Math.max(value, scaling.vmin + gap) };
}

/**
 * Move a limit by one keyboard step: 1 % of the axis (10 % with Shift), in
 * the axis's own (linear or log) measure.
 */
export function stepLimit(
  scaling: IScaling,
  which: 'vmin' | 'vmax',
  axis: IValueAxis,
  direction: 1 | -1,
  large = false
): IScaling {
  const step = (large ? 0.1 : 0.01) * direction;
  const fraction = axisFraction(axis, scaling[which]) + step;
  return setLimit(scaling, which, axisValue(axis, fraction));
}
