/**
 * Scans with one scan axis (a time series, a line scan) or with more than two.
 *
 * The viewer is built around a 2-D scan: a navigation image, regions drawn on it, its
 * FFT, the centre-of-mass colour wheel. A 1-D scan is shown as a line plot over the
 * scan index instead, its regions are index ranges, and what needs two scan axes is
 * switched off with the reason; scans with more than two axes show their frames only.
 * The server treats a 1-D scan as one row of positions (shape `(1, n)`), so the frame
 * index is the x coordinate of the cursor and a range is a rectangle one row high.
 */
import type { INDArray } from './npy';
import { Shape } from './geometry';
import type { IViewState } from './state';

/** Why a view cannot be shown for a scan, or null when it can. */
export interface INavViews {
  /** The navigation image or plot. */
  navigation: string | null;
  /** Scan regions (frame statistics over a region). */
  region: string | null;
  /** The FFT of the navigation image. */
  navFft: string | null;
  /** The centre-of-mass field as a colour wheel. */
  comWheel: string | null;
}

/**
 * Which navigation views a scan with `navRank` scan axes can show, and why not.
 */
export function navViews(navRank: number): INavViews {
  if (navRank > 2) {
    const reason = `This scan has ${navRank} scan axes; the navigation view, scan regions and their FFT need 1 or 2. The frame shown is at the first position of the earlier axes.`;
    return {
      navigation: reason,
      region: reason,
      navFft: reason,
      comWheel: reason
    };
  }
  if (navRank === 1) {
    return {
      navigation: null,
      region: null,
      navFft: 'The FFT of the navigation image needs a 2-D scan.',
      comWheel: 'The colour wheel needs a 2-D scan.'
    };
  }
  return { navigation: null, region: null, navFft: null, comWheel: null };
}

/**
 * The state with what the scan cannot show switched off (a state restored from a
 * 2-D scan's view, or a saved result's, may ask for it), and with the FFT of the
 * navigation image off while it is a saved array (the server computes FFTs of
 * reductions only).
 */
export function supportedState(state: IViewState, navRank: number): IViewState {
  const views = navViews(navRank);
  return {
    ...state,
    navFft: views.navFft || state.mode === 'result' ? false : state.navFft,
    comField:
      views.comWheel && state.comField === 'field'
        ? 'magnitude'
        : state.comField,
    roi: views.region ? null : state.roi
  };
}

/**
 * The `pick` parameters of the frame at the cursor: `{y, x}` for a 2-D scan, the
 * full position otherwise (earlier axes of a higher scan at their first index; none
 * for a single image).
 */
export function pickParams(
  cursor: [number, number],
  navRank: number
): Record<string, unknown> {
  const [x, y] = cursor;
  if (navRank === 2) {
    return { y, x };
  }
  if (navRank === 1) {
    return { position: [x] };
  }
  if (navRank === 0) {
    // A single image is its own frame.
    return { position: [] };
  }
  return { position: [...new Array(Math.max(0, navRank - 2)).fill(0), y, x] };
}

/**
 * A result array of a 1-D scan as one row of a 2-D scan: `(n,)` becomes `(1, n)` and
 * a virtual detector's `(n, k)` becomes `(1, n, k)`, the shapes the image code reads.
 */
export function asScanRows(array: INDArray, navRank: number): INDArray {
  return navRank === 1 ? { ...array, shape: [1, ...array.shape] } : array;
}

/**
 * The scan positions `start` to `end` (both included, in either order) of a 1-D
 * scan: the server's rectangle one row high. The server covers `int(x) ..
 * int(x + width)` inclusive and a zero extent covers nothing, so both extents carry
 * an extra half position (a range of one index is then not empty).
 */
export function indexRange(start: number, end: number, n: number): Shape {
  const clamp = (i: number) => Math.min(n - 1, Math.max(0, Math.round(i)));
  const [lo, hi] = [clamp(start), clamp(end)].sort((a, b) => a - b);
  return { kind: 'rectangle', x: lo, y: 0, width: hi - lo + 0.5, height: 0.5 };
}

/**
 * The first and last index of a 1-D scan's region (inclusive), or null for a region
 * that is not a range.
 */
export function rangeOf(shape: Shape | null): [number, number] | null {
  if (!shape || shape.kind !== 'rectangle') {
    return null;
  }
  const [a, b] = [shape.x, shape.x + shape.width].sort((p, q) => p - q);
  return [Math.trunc(a), Math.trunc(b)];
}

/**
 * A 1-D scan's region as the server's index range (`stop` one past the last), or null
 * for a region that is not a range.
 */
export function rangeSpec(
  shape: Shape | null
): { shape: 'range'; start: number; stop: number } | null {
  const range = rangeOf(shape);
  return range ? { shape: 'range', start: range[0], stop: range[1] + 1 } : null;
}

/**
 * The region a saved `{"shape": "range", start, stop}` stands for, or null for
 * anything else.
 */
export function fromRangeSpec(value: unknown, n: number): Shape | null {
  if (typeof value !== 'object' || value === null) {
    return null;
  }
  const { shape, start, stop } = value as Record<string, unknown>;
  if (
    shape !== 'range' ||
    typeof start !== 'number' ||
    typeof stop !== 'number'
  ) {
    return null;
  }
  return indexRange(start, stop - 1, n);
}

/**
 * The range a new region of a 1-D scan starts with: the middle quarter.
 */
export function defaultRange(n: number): Shape {
  const length = Math.max(1, Math.round(n / 4));
  const start = Math.max(0, Math.floor((n - length) / 2));
  return indexRange(start, start + length - 1, n);
}

/**
 * The scan index under a pointer at `offset` along a plot `size` wide whose first
 * and last index sit at its two ends.
 */
export function indexAt(offset: number, size: number, n: number): number {
  if (n <= 1 || size <= 0) {
    return 0;
  }
  const index = Math.round((offset / size) * (n - 1));
  return Math.min(n - 1, Math.max(0, index));
}
