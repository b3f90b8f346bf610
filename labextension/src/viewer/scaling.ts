/**
 * Mapping data values to colours: display limits, the scale (linear, log,
 * power, percentile-clipped) and the RGBA rendering of an image.
 *
 * Everything skips NaN and ±Inf when it measures data, because reductions
 * over masked or empty regions leave NaN holes that must not wash out the
 * contrast of the rest.
 */
import { colormapLUT, ColormapName, packedListeners } from './colormaps';
import { IImage } from './npy';

export type ScaleMode = 'linear' | 'log' | 'power' | 'percentile';

export interface IScaling {
  mode: ScaleMode;
  vmin: number;
  vmax: number;
  /** Exponent of the power scale. */
  gamma: number;
  /** Lower and upper percentile (0–100) of the percentile mode, e.g. [1, 99]. */
  percentiles: [number, number];
  /** Centre the limits on zero (for diverging colour maps). */
  symmetric: boolean;
}

export const DEFAULT_SCALING: IScaling = Object.freeze({
  mode: 'linear',
  vmin: 0,
  vmax: 1,
  gamma: 0.5,
  percentiles: [1, 99] as [number, number],
  symmetric: false
}) as IScaling;

/**
 * Smallest and largest finite value, or null when there is none.
 */
export function finiteRange(
  data: ArrayLike<number>
): { min: number; max: number } | null {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v < min && v > -Infinity) {
      min = v;
    }
    if (v > max && v < Infinity) {
      max = v;
    }
  }
  return min <= max ? { min, max } : null;
}

/**
 * The smallest finite value above zero, or null (the floor of a log scale).
 */
export function smallestPositive(data: ArrayLike<number>): number | null {
  let min = Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v > 0 && v < min) {
      min = v;
    }
  }
  return min < Infinity ? min : null;
}

function finiteValues(data: ArrayLike<number>): Float64Array {
  const values = new Float64Array(data.length);
  let n = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (Number.isFinite(v)) {
      values[n++] = v;
    }
  }
  return values.subarray(0, n);
}

/**
 * Rearrange `values` so that `values[k]` is the k-th smallest, with nothing
 * larger before it and nothing smaller after it (Wirth's selection), and
 * return it. Linear time on average: percentiles of a large image must not
 * cost a full sort at every redraw.
 */
function selectKth(values: Float64Array, k: number): number {
  let lo = 0;
  let hi = values.length - 1;
  while (lo < hi) {
    const pivot = values[k];
    let i = lo;
    let j = hi;
    do {
      while (values[i] < pivot) {
        i++;
      }
      while (pivot < values[j]) {
        j--;
      }
      if (i <= j) {
        const swap = values[i];
        values[i] = values[j];
        values[j] = swap;
        i++;
        j--;
      }
    } while (i <= j);
    if (j < k) {
      lo = i;
    }
    if (k < i) {
      hi = j;
    }
  }
  return values[k];
}

/**
 * numpy's linear percentile of finite `values` (reordered in place).
 */
function percentileOf(values: Float64Array, q: number): number {
  const n = values.length;
  if (n === 0) {
    return NaN;
  }
  const position = (Math.min(Math.max(q, 0), 100) / 100) * (n - 1);
  const lower = Math.floor(position);
  const t = position - lower;
  const a = selectKth(values, lower);
  if (t === 0 || lower + 1 >= n) {
    return a;
  }
  // Everything after `lower` is >= a; the next order statistic is their minimum.
  let b = Infinity;
  for (let i = lower + 1; i < n; i++) {
    if (values[i] < b) {
      b = values[i];
    }
  }
  return a + (b - a) * t;
}

/**
 * The q-th percentile (0–100) of the finite values, interpolated linearly
 * between the two nearest ranks like numpy's default method; NaN when there
 * is no finite value.
 */
export function percentile(data: ArrayLike<number>, q: number): number {
  return percentileOf(finiteValues(data), q);
}

/**
 * Display limits for data under a scaling: the finite range, or the chosen
 * percentiles in percentile mode; a log scale starts at the smallest positive
 * value; symmetric limits are ±max|v|. A constant image gets a range around
 * its value so that it still maps to a colour.
 */
export function autoLimits(
  data: ArrayLike<number>,
  scaling: IScaling
): { vmin: number; vmax: number } {
  let vmin: number;
  let vmax: number;
  if (scaling.mode === 'percentile') {
    const values = finiteValues(data);
    if (values.length === 0) {
      return { vmin: 0, vmax: 1 };
    }
    const [low, high] = scaling.percentiles;
    vmin = percentileOf(values, Math.min(low, high));
    vmax = percentileOf(values, Math.max(low, high));
  } else {
    const range = finiteRange(data);
    if (!range) {
      return { vmin: 0, vmax: 1 };
    }
    ({ min: vmin, max: vmax } = range);
  }
  if (scaling.mode === 'log') {
    const floor = smallestPositive(data);
    if (floor === null) {
      return { vmin: 0.1, vmax: 1 };
    }
    vmin = Math.max(vmin, floor);
    vmax = Math.max(vmax, vmin);
    return vmax > vmin ? { vmin, vmax } : { vmin: vmin / 2, vmax: vmax * 2 };
  }
  if (scaling.symmetric) {
    const m = Math.max(Math.abs(vmin), Math.abs(vmax));
    return m > 0 ? { vmin: -m, vmax: m } : { vmin: -1, vmax: 1 };
  }
  return widen(vmin, vmax);
}

/**
 * A range that is not empty: equal limits move apart by half their magnitude
 * (or by 0.5 around zero).
 */
export function widen(
  vmin: number,
  vmax: number
): { vmin: number; vmax: number } {
  if (vmax > vmin) {
    return { vmin, vmax };
  }
  const half = vmin === 0 ? 0.5 : Math.abs(vmin) / 2;
  return { vmin: vmin - half, vmax: vmin + half };
}

/**
 * The function from a data value to [0, 1] (NaN stays NaN) for a scaling.
 *
 * `data`, when given, lets a log scale whose lower limit is not positive
 * start at the smallest positive value of the data instead of a guess.
 */
export function normaliser(
  scaling: IScaling,
  data?: ArrayLike<number>
): (value: number) => number {
  const clip = (t: number) => (t < 0 ? 0 : t > 1 ? 1 : t);
  let { vmin, vmax } = scaling;
  if (scaling.mode === 'log') {
    if (!(vmin > 0)) {
      const floor = data ? smallestPositive(data) : null;
      vmin = floor ?? (vmax > 0 ? vmax * 1e-3 : 1e-3);
    }
    if (!(vmax > vmin)) {
      vmax = vmin * 10;
    }
    const lo = Math.log(vmin);
    const span = Math.log(vmax) - lo;
    // Values at or below zero are below any positive floor: the lowest colour.
    return v => (v !== v ? NaN : v <= 0 ? 0 : clip((Math.log(v) - lo) / span));
  }
  if (scaling.symmetric) {
    const m = Math.max(Math.abs(vmin), Math.abs(vmax));
    vmin = -m;
    vmax = m;
  }
  ({ vmin, vmax } = widen(vmin, vmax));
  const span = vmax - vmin;
  if (scaling.mode === 'power') {
    const gamma = scaling.gamma > 0 ? scaling.gamma : 1;
    return v => (v !== v ? NaN : clip((v - vmin) / span) ** gamma);
  }
  return v => (v !== v ? NaN : clip((v - vmin) / span));
}

/**
 * One value mapped to [0, 1] under a scaling; NaN stays NaN.
 */
export function normalise(value: number, scaling: IScaling): number {
  return normaliser(scaling)(value);
}

/**
 * Colour an image: RGBA bytes, row-major, ready for `ImageData`. NaN pixels
 * are fully transparent so that the background shows through holes.
 */
export function renderRGBA(
  image: IImage,
  scaling: IScaling,
  cmap: ColormapName,
  out?: Uint8ClampedArray
): Uint8ClampedArray {
  const { data } = image;
  const n = image.width * image.height;
  const rgba =
    out && out.length === n * 4 && out.byteOffset % 4 === 0
      ? out
      : new Uint8ClampedArray(n * 4);
  // One 32-bit write per pixel: the colours packed in the machine's byte order.
  const colours = packedColours(cmap);
  const pixels = new Uint32Array(rgba.buffer, rgba.byteOffset, n);
  const norm = normaliser(scaling, data);
  for (let i = 0; i < n; i++) {
    const t = norm(data[i]);
    // NaN: transparent black.
    pixels[i] = t === t ? colours[(t * 255 + 0.5) | 0] : 0;
  }
  if (out && rgba !== out && out.length === rgba.length) {
    out.set(rgba);
    return out;
  }
  return rgba;
}

const packed = new Map<ColormapName, Uint32Array>();
// The server's tables replace the built-in gray: forget colours packed before.
packedListeners.push(() => packed.clear());

/** A colour map as opaque RGBA pixels, one 32-bit word per entry. */
function packedColours(cmap: ColormapName): Uint32Array {
  let colours = packed.get(cmap);
  if (!colours) {
    const lut = colormapLUT(cmap);
    colours = new Uint32Array(256);
    const bytes = new Uint8Array(colours.buffer);
    for (let k = 0; k < 256; k++) {
      bytes.set([lut[k * 3], lut[k * 3 + 1], lut[k * 3 + 2], 255], k * 4);
    }
    packed.set(cmap, colours);
  }
  return colours;
}

/**
 * A scaling with some settings changed; with `data`, the limits follow
 * (`autoLimits`), so that switching to log or percentile mode, or changing
 * the percentiles, shows the data at once instead of with stale limits.
 */
export function updateScaling(
  scaling: IScaling,
  changes: Partial<IScaling>,
  data?: ArrayLike<number> | null
): IScaling {
  const next = { ...scaling, ...changes };
  return data ? { ...next, ...autoLimits(data, next) } : next;
}
