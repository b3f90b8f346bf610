/**
 * Which viewer a dataset gets: the 4-D viewer (a navigation image over the scan and
 * the detector frame, with virtual detectors and the centre of mass), or the image
 * viewer of a 2-D array or a stack of 2-D images (the image with the display tools
 * and, for a stack, a plane slider; nothing that needs a scan of diffraction frames).
 *
 * The server splits every array into scan and frame axes (`nav_shape`, `sig_shape`;
 * by default the last two axes are the frame). A 2-D array has no scan axis: it is
 * an image. A 3-D array is either a line scan of diffraction frames or a stack of
 * images, which only its declaration tells apart: frame axes calibrated in a length
 * (nm, Å, µm: real space) or HyperSpy's metadata make it a stack; diffraction units
 * (mrad, 1/nm) or a diffraction signal type make it a scan; a format whose frames
 * are pictures (TIFF: the server's `frame_kind` 'image') makes it a stack; an
 * undeclared one (a plain .npy) opens as a scan, and the user may switch it (kept
 * in the view state).
 * Pure functions only, so that all of it is unit-testable.
 */
import type { IDatasetInfo } from '../api';

/** What the viewer shows a dataset as. */
export type DataKind = 'scan' | 'image' | 'stack';

/** The user's word on a 3-D array, kept in the view (null: as declared). */
export type StackChoice = 'images' | 'scan' | null;

/** Units of length: frame axes in these are real space, i.e. images. */
const LENGTHS = new Set([
  'pm',
  'Å',
  'A',
  'angstrom',
  'nm',
  'µm',
  'μm',
  'um',
  'mm',
  'cm',
  'm'
]);

/** HyperSpy signal types of diffraction patterns (pyxem's and HyperSpy's own). */
const DIFFRACTION = /diffraction|dpc|4d_stem|ptychography/i;

function signalType(dataset: IDatasetInfo): string | null {
  const meta = dataset.metadata as Record<string, any> | undefined;
  const type = meta?.metadata?.Signal?.signal_type;
  return typeof type === 'string' ? type : null;
}

/**
 * What a 3-D array's declaration says it is: 'images', 'scan', or null when it
 * says nothing.
 */
export function declaredStack(dataset: IDatasetInfo): 'images' | 'scan' | null {
  const type = signalType(dataset);
  if (type && DIFFRACTION.test(type)) {
    return 'scan';
  }
  if (dataset.frame_kind === 'image') {
    return 'images';
  }
  const axes = dataset.axes ?? [];
  const frame = axes.slice(axes.length - dataset.sig_shape.length);
  // HyperSpy writes "<undefined>" for an axis without units.
  const units = frame.map(a =>
    (a.units ?? '').trim().replace('<undefined>', '')
  );
  if (units.length === 2 && units.every(u => LENGTHS.has(u))) {
    return 'images';
  }
  if (units.some(u => u !== '' && u !== 'px' && !LENGTHS.has(u))) {
    return 'scan';
  }
  return null;
}

/** Whether the user may switch the dataset between a scan and a stack of images. */
export function canBeStack(dataset: IDatasetInfo): boolean {
  return dataset.nav_shape.length === 1 && dataset.sig_shape.length === 2;
}

/**
 * What the viewer shows `dataset` as, given the user's `choice` for a 3-D array.
 */
export function dataKind(
  dataset: IDatasetInfo,
  choice: StackChoice = null
): DataKind {
  if (dataset.sig_shape.length !== 2) {
    return 'scan';
  }
  if (dataset.nav_shape.length === 0) {
    return 'image';
  }
  if (!canBeStack(dataset)) {
    return 'scan';
  }
  const said = choice ?? declaredStack(dataset);
  return said === 'images' ? 'stack' : 'scan';
}

/** The number of images of a stack (1 for a single image). */
export function planeCount(dataset: IDatasetInfo): number {
  return dataset.nav_shape.length === 1 ? dataset.nav_shape[0] : 1;
}
