/**
 * The planes of an answer over the scan: an array of the scan's shape with one more
 * axis is either a stack of separate images (components, detectors), of which the
 * viewer shows one, or the red, green and blue of a colour output, which it shows
 * together as they are (no colormap, no limits), as the server's PNG draws them.
 * Pure functions only.
 */
import type { IImage, INDArray } from './npy';

/** How many planes an answer over the scan holds (1: a plain image). */
export function planeCount(array: INDArray): number {
  return array.shape.length === 3 ? array.shape[2] : 1;
}

/** The plane `index` when the array has it, else the first: a stale choice shows something. */
export function usablePlane(index: number, count: number): number {
  return Number.isInteger(index) && index >= 0 && index < count ? index : 0;
}

/**
 * The value that means full brightness in an array of `dtype`: 255 for integers
 * (8-bit colours), 1 for floats (colours in 0..1).
 */
export function fullColour(dtype: string): number {
  return /^u?int|^bool/.test(dtype) ? 255 : 1;
}

/**
 * RGBA pixels of a colour output from its red, green and blue planes (a missing one,
 * null, is dark): each clipped to 0..`full` and stretched to 0..255; a pixel without a
 * value (NaN) is black, so that the screen shows what a saved PNG holds.
 */
export function colourPixels(
  planes: ReadonlyArray<IImage | null>,
  full: number
): Uint8ClampedArray {
  const shaped = planes.find((plane): plane is IImage => plane !== null);
  const n = shaped ? shaped.width * shaped.height : 0;
  const out = new Uint8ClampedArray(n * 4);
  for (let c = 0; c < 3; c++) {
    const plane = planes[c] ?? null;
    if (!plane) {
      continue;
    }
    for (let i = 0; i < n; i++) {
      const value = plane.data[i];
      out[i * 4 + c] = isNaN(value)
        ? 0
        : Math.round((Math.min(full, Math.max(0, value)) / full) * 255);
    }
  }
  for (let i = 0; i < n; i++) {
    out[i * 4 + 3] = 255;
  }
  return out;
}

/**
 * The mean of the red, green and blue planes, in the array's own units: the one
 * number the readout and a line profile give for a colour pixel (NaN where any is).
 */
export function colourBrightness(planes: ReadonlyArray<IImage>): IImage {
  const [first] = planes;
  const data = new Float64Array(first.width * first.height);
  for (let i = 0; i < data.length; i++) {
    let sum = 0;
    for (const plane of planes) {
      sum += plane.data[i];
    }
    data[i] = sum / planes.length;
  }
  return { width: first.width, height: first.height, data };
}

/**
 * The planes a selector offers: every one the answer holds, and the one chosen even
 * before an answer says how many there are (a restored view).
 */
export function planeChoices(planes: number | null, index: number): number[] {
  const count = Math.max(planes ?? 1, index + 1, 1);
  return Array.from({ length: count }, (_, i) => i);
}

/**
 * The planes of a profile per scan position, `(height, width, ...indexes, bins)`: the
 * bins along its last axis (the rings).
 */
export function profileBins(array: INDArray): number {
  return array.shape.length >= 3 ? array.shape[array.shape.length - 1] : 1;
}

/**
 * Bin `bin` of a profile per scan position as an image of the scan: the mean over its
 * index axes (the sectors), NaN left out (NaN where every one is NaN).
 */
export function profileImage(array: INDArray, bin: number): IImage {
  const [height, width] = array.shape;
  const bins = profileBins(array);
  const per = array.shape.slice(2).reduce((a, b) => a * b, 1);
  const indexes = per / bins;
  const data = new Float64Array(width * height);
  for (let p = 0; p < data.length; p++) {
    data[p] = meanOf(array, p * per + bin, indexes, bins);
  }
  return { width, height, data };
}

/**
 * The profile at scan position (x, y): the mean over the index axes (sectors) of each
 * bin, NaN left out.
 */
export function profileAt(array: INDArray, x: number, y: number): Float64Array {
  const width = array.shape[1];
  const bins = profileBins(array);
  const per = array.shape.slice(2).reduce((a, b) => a * b, 1);
  const start = (y * width + x) * per;
  return Float64Array.from({ length: bins }, (_, bin) =>
    meanOf(array, start + bin, per / bins, bins)
  );
}

/** The mean of `count` values of `array` from `start`, `stride` apart, NaN left out. */
function meanOf(
  array: INDArray,
  start: number,
  count: number,
  stride: number
): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < count; i++) {
    const value = Number(array.data[start + i * stride]);
    if (!isNaN(value)) {
      sum += value;
      n++;
    }
  }
  return n ? sum / n : NaN;
}
