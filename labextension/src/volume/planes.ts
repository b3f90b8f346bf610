/**
 * The geometry and painting of the three orthogonal slice panes: which array axes a
 * pane shows, where a pointer on it lands in the volume, where the crosshair goes,
 * and the plane's pixels as RGBA (a colour map within contrast limits for
 * intensities, a colour per label for segmentations). Pure, so unit-testable.
 */
import { labelColour } from './labels';

/** The three axes of a volume in array order. */
export type VolumeAxis = 'z' | 'y' | 'x';
export const VOLUME_AXES: VolumeAxis[] = ['z', 'y', 'x'];

/** A voxel position (z, y, x). */
export type Voxel = [number, number, number];

/**
 * The array axes a pane across `axis` shows as rows and as columns: a z-plane is
 * (y, x), a y-plane (z, x), an x-plane (z, y), each as numpy's `take` gives it.
 */
export function paneAxes(axis: VolumeAxis): { row: number; col: number } {
  switch (axis) {
    case 'z':
      return { row: 1, col: 2 };
    case 'y':
      return { row: 0, col: 2 };
    default:
      return { row: 0, col: 1 };
  }
}

/** The voxel under (col, row) of the pane across `axis` at the crosshair `at`. */
export function voxelAt(
  axis: VolumeAxis,
  at: Voxel,
  col: number,
  row: number
): Voxel {
  const voxel: Voxel = [...at];
  const { row: r, col: c } = paneAxes(axis);
  voxel[r] = row;
  voxel[c] = col;
  return voxel;
}

/** Where the crosshair at `at` falls on the pane across `axis`: (col, row). */
export function crosshairOn(axis: VolumeAxis, at: Voxel): [number, number] {
  const { row, col } = paneAxes(axis);
  return [at[col], at[row]];
}

/** A pane's size in pixels of the plane: (width, height). */
export function paneSize(
  axis: VolumeAxis,
  shape: ReadonlyArray<number>
): [number, number] {
  const { row, col } = paneAxes(axis);
  return [shape[col], shape[row]];
}

/** A pane's width over its height in space, given the voxel spacing (z, y, x). */
export function paneAspect(
  axis: VolumeAxis,
  shape: ReadonlyArray<number>,
  spacing: ReadonlyArray<number>
): number {
  const { row, col } = paneAxes(axis);
  return (shape[col] * spacing[col]) / (shape[row] * spacing[row]);
}

/** Keeps a voxel inside the volume. */
export function clampVoxel(voxel: Voxel, shape: ReadonlyArray<number>): Voxel {
  return voxel.map((v, i) =>
    Math.min(Math.max(Math.round(v), 0), shape[i] - 1)
  ) as Voxel;
}

/** How a plane's values become colours. */
export type Painting =
  | { kind: 'intensity'; lut: Uint8Array; min: number; max: number }
  | { kind: 'labels' };

/**
 * The RGBA pixels of a plane (row-major values): intensities through a 256-entry
 * RGB table between `min` and `max` (NaN transparent), labels in their colours.
 */
export function paintPlane(
  values: ArrayLike<number>,
  painting: Painting
): Uint8ClampedArray {
  const rgba = new Uint8ClampedArray(values.length * 4);
  if (painting.kind === 'labels') {
    const cache = new Map<number, number[]>();
    for (let i = 0; i < values.length; i++) {
      const value = Number(values[i]);
      let colour = cache.get(value);
      if (!colour) {
        colour = labelColour(value);
        cache.set(value, colour);
      }
      rgba.set(colour, 4 * i);
    }
    return rgba;
  }
  const { lut, min, max } = painting;
  const span = max > min ? max - min : 1;
  for (let i = 0; i < values.length; i++) {
    const value = Number(values[i]);
    if (!isFinite(value)) {
      continue; // transparent
    }
    const t = Math.min(Math.max((value - min) / span, 0), 1);
    const k = Math.round(t * 255) * 3;
    rgba[4 * i] = lut[k];
    rgba[4 * i + 1] = lut[k + 1];
    rgba[4 * i + 2] = lut[k + 2];
    rgba[4 * i + 3] = 255;
  }
  return rgba;
}

/** A box (z0:z1, y0:y1, x0:x1) of `half` voxels around a voxel, inside the volume. */
export function boxAround(
  at: Voxel,
  half: number,
  shape: ReadonlyArray<number>
): Array<[number, number]> {
  return at.map((v, i) => {
    const start = Math.max(0, Math.min(v - half, shape[i] - 2 * half));
    return [start, Math.min(shape[i], start + 2 * half)] as [number, number];
  });
}

/** A box as the API's `box=` text. */
export function boxText(box: ReadonlyArray<[number, number]>): string {
  return box.map(([start, stop]) => `${start}:${stop}`).join(',');
}

/** The largest box of `aspect` (width / height) centred in a `width` × `height` area. */
export function fitBox(
  width: number,
  height: number,
  aspect: number
): { left: number; top: number; width: number; height: number } {
  const w = Math.max(0, Math.min(width, height * aspect));
  const h = aspect > 0 ? w / aspect : 0;
  return { left: (width - w) / 2, top: (height - h) / 2, width: w, height: h };
}
