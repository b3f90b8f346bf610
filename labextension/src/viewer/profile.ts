/**
 * Line profiles: image values sampled along a segment, averaged across a band of
 * a chosen width, and the table a profile is exported as.
 *
 * The sampling is `scipy.ndimage.map_coordinates(image, ..., order=1)` (and
 * `skimage.measure.profile_line` with `linewidth`): one sample per pixel of
 * length with both ends included, and across the line `width` samples one pixel
 * apart centred on it; each value is the mean of the samples across that fall on
 * the image.
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

/** Widest band a profile averages over, in pixels. */
export const MAX_PROFILE_WIDTH = 256;

/** The unit vector perpendicular to `p0 → p1` (x right, y down), or null for a point. */
function normal(p0: Point, p1: Point): Point | null {
  const length = Math.hypot(p1[0] - p0[0], p1[1] - p0[1]);
  if (!(length > 0)) {
    return null;
  }
  return [-(p1[1] - p0[1]) / length, (p1[0] - p0[0]) / length];
}

/**
 * The offsets across the line of a band `width` pixels wide: `width` positions
 * one pixel apart, centred on the line (`[0]` for a width of 1).
 */
export function acrossOffsets(width: number): number[] {
  const n = Math.max(1, Math.round(width));
  return Array.from({ length: n }, (_, k) => k - (n - 1) / 2);
}

/**
 * The profile along `p0 → p1` averaged across a band `width` pixels wide: at
 * each sample, the mean of the bilinear values across the band that fall on the
 * image (NaN when none does). A width of 1 is `lineProfile`.
 */
export function bandProfile(
  image: IImage,
  p0: Point,
  p1: Point,
  width = 1
): { distance: Float64Array; values: Float64Array } {
  const along = lineProfile(image, p0, p1);
  const n = normal(p0, p1);
  const offsets = acrossOffsets(width);
  if (!n || offsets.length === 1) {
    return along;
  }
  const count = along.values.length;
  const values = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const t = count === 1 ? 0 : i / (count - 1);
    const x = p0[0] + (p1[0] - p0[0]) * t;
    const y = p0[1] + (p1[1] - p0[1]) * t;
    let sum = 0;
    let used = 0;
    for (const o of offsets) {
      const v = bilinear(image, x + n[0] * o, y + n[1] * o);
      if (!Number.isNaN(v)) {
        sum += v;
        used++;
      }
    }
    values[i] = used ? sum / used : NaN;
  }
  return { distance: along.distance, values };
}

/**
 * The outline of the band a profile averages over: the rectangle along the line
 * reaching half a pixel beyond the outermost samples on each side; null for a
 * width of 1 (the line itself is drawn) or a line of no length.
 */
export function bandOutline(
  p0: Point,
  p1: Point,
  width: number
): Point[] | null {
  const n = normal(p0, p1);
  const w = Math.max(1, Math.round(width));
  if (!n || w <= 1) {
    return null;
  }
  const h = w / 2;
  const at = (p: Point, side: number): Point => [
    p[0] + n[0] * h * side,
    p[1] + n[1] * h * side
  ];
  return [at(p0, -1), at(p1, -1), at(p1, 1), at(p0, 1)];
}

/** A profile as exported: positions in the image's calibration, and values. */
export interface IProfileTable {
  /** Column names, e.g. "distance (nm)", "x (nm)", "y (nm)", "value". */
  columns: string[];
  /** One row per sample, the columns in order. */
  rows: number[][];
  /** Comment lines saying where the profile comes from. */
  header: string[];
}

/** How image pixels map to calibrated positions (`offset + index * scale`). */
export interface IProfileAxes {
  x: { scale: number; offset: number; units: string };
  y: { scale: number; offset: number; units: string };
}

/**
 * The table of a profile: for each sample its calibrated distance along the
 * line and calibrated x and y, then the value; pixels when `axes` is undefined.
 */
export function profileTable(
  profile: { distance: ArrayLike<number>; values: ArrayLike<number> },
  line: [Point, Point],
  width: number,
  axes: IProfileAxes | undefined,
  source: string
): IProfileTable {
  const [p0, p1] = line;
  const x = axes?.x ?? { scale: 1, offset: 0, units: 'px' };
  const y = axes?.y ?? { scale: 1, offset: 0, units: 'px' };
  const unit = (u: string) => u || 'px';
  const n = profile.values.length;
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) {
    const t = n === 1 ? 0 : i / (n - 1);
    const px = p0[0] + (p1[0] - p0[0]) * t;
    const py = p0[1] + (p1[1] - p0[1]) * t;
    const dx = (px - p0[0]) * x.scale;
    const dy = (py - p0[1]) * y.scale;
    rows.push([
      Math.hypot(dx, dy),
      x.offset + px * x.scale,
      y.offset + py * y.scale,
      profile.values[i]
    ]);
  }
  return {
    columns: [
      `distance (${unit(x.units)})`,
      `x (${unit(x.units)})`,
      `y (${unit(y.units)})`,
      'value'
    ],
    rows,
    header: [
      `line profile of ${source}`,
      `from pixel (${line[0].join(', ')}) to pixel (${line[1].join(', ')}), ` +
        `averaged across ${Math.max(1, Math.round(width))} px, bilinear`
    ]
  };
}

/**
 * The table as CSV in the layout of `numpy.savetxt` with a header: `#` lines,
 * the column names first, then one row per sample (full precision; NaN for
 * samples off the image). `numpy.loadtxt(f, delimiter=',')` reads the numbers,
 * `numpy.genfromtxt(f, delimiter=',', names=True)` the names too.
 */
export function profileCsv(table: IProfileTable): string {
  const lines = [
    `# ${table.columns.join(',')}`,
    ...table.header.map(line => `# ${line}`),
    ...table.rows.map(row => row.map(v => String(v)).join(','))
  ];
  return lines.join('\n') + '\n';
}
