/**
 * Line profiles: image values sampled along a segment.
 */
import { Point } from './geometry';
import { IImage } from './npy';

/**
 * The image value at a fractional position by bilinear interpolation between
 * the four nearest pixel centres; NaN outside the pixel centres' hull.
 * Neighbours with zero weight do not count, so a position exactly on a pixel
 * centre next to a NaN pixel still has a value.
 */
export function bilinear(image: IImage, x: number, y: number): number {
  const { width, height, data } = image;
  if (!(x >= 0 && y >= 0 && x <= width - 1 && y <= height - 1)) {
    return NaN;
  }
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  let sum = 0;
  const add = (ix: number, iy: number, weight: number) => {
    if (weight > 0) {
      sum += weight * data[iy * width + ix];
    }
  };
  add(x0, y0, (1 - fx) * (1 - fy));
  if (fx > 0) {
    add(x0 + 1, y0, fx * (1 - fy));
  }
  if (fy > 0) {
    add(x0, y0 + 1, (1 - fx) * fy);
    if (fx > 0) {
      add(x0 + 1, y0 + 1, fx * fy);
    }
  }
  return sum;
}

/**
 * Values along the segment `p0 → p1` at `samples` evenly spaced points
 * (default: one per pixel of length, both ends included), with their distance
 * from `p0` in image pixels.
 */
export function lineProfile(
  image: IImage,
  p0: Point,
  p1: Point,
  samples?: number
): { distance: Float64Array; values: Float64Array } {
  const length = Math.hypot(p1[0] - p0[0], p1[1] - p0[1]);
  const n = Math.max(1, Math.floor(samples ?? Math.ceil(length) + 1));
  const distance = new Float64Array(n);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = n === 1 ? 0 : i / (n - 1);
    distance[i] = t * length;
    values[i] = bilinear(
      image,
      p0[0] + (p1[0] - p0[0]) * t,
      p0[1] + (p1[1] - p0[1]) * t
    );
  }
  return { distance, values };
}

/**
 * An SVG path of a profile drawn in a `width × height` box (y up), with gaps
 * where values are NaN, and the plotted value range.
 */
export function profilePath(
  profile: { distance: ArrayLike<number>; values: ArrayLike<number> },
  width: number,
  height: number
): { path: string; xmax: number; ymin: number; ymax: number } {
  const { distance, values } = profile;
  const n = Math.min(distance.length, values.length);
  let ymin = Infinity;
  let ymax = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (Number.isFinite(v)) {
      ymin = Math.min(ymin, v);
      ymax = Math.max(ymax, v);
    }
  }
  const xmax = n > 0 ? distance[n - 1] : 0;
  if (ymin > ymax) {
    return { path: '', xmax, ymin: NaN, ymax: NaN };
  }
  const span = ymax > ymin ? ymax - ymin : 1;
  const base = ymax > ymin ? ymin : ymin - 0.5;
  const parts: string[] = [];
  let pen = false;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      pen = false;
      continue;
    }
    const x = xmax > 0 ? (distance[i] / xmax) * width : width / 2;
    const y = height - ((v - base) / span) * height;
    parts.push(`${pen ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`);
    pen = true;
  }
  return { path: parts.join(' '), xmax, ymin, ymax };
}
