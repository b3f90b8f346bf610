/**
 * Physical units of the scan and the frame: from the dataset's calibrated axes, or
 * from a calibration the user typed in (metadata are sometimes missing or wrong).
 */
import type { IAxis, IDatasetInfo } from '../api';
import type { IAxisCalibration } from './scalebar';
import type { ICalibration } from './state';

function axisCalibration(axis: IAxis | undefined): IAxisCalibration | null {
  if (!axis || typeof axis.scale !== 'number' || !(axis.scale > 0)) {
    return null;
  }
  return {
    scale: axis.scale,
    offset: typeof axis.offset === 'number' ? axis.offset : 0,
    units: axis.units ?? ''
  };
}

/**
 * The calibration of the scan (`nav`) or frame (`sig`) image as [y, x] axes, the
 * user's override first; null when neither says anything.
 */
export function imageCalibration(
  dataset: IDatasetInfo,
  which: 'nav' | 'sig',
  override: ICalibration | null
): { x: IAxisCalibration; y: IAxisCalibration } | undefined {
  if (override) {
    const axis = { scale: override.scale, offset: 0, units: override.units };
    return { x: axis, y: axis };
  }
  const navRank = dataset.nav_shape.length;
  const axes = dataset.axes ?? [];
  if (axes.length !== dataset.shape.length) {
    return undefined;
  }
  const part = which === 'nav' ? axes.slice(0, navRank) : axes.slice(navRank);
  const x = axisCalibration(part[part.length - 1]);
  const y = part.length >= 2 ? axisCalibration(part[part.length - 2]) : x;
  return x && y ? { x, y } : undefined;
}

/** Where the calibration an editor shows comes from. */
export type CalibrationOrigin = 'user' | 'metadata' | 'none';

/**
 * The per-pixel calibration an image is drawn with, to show in its editor: the
 * user's override, else the metadata's x axis (a frame calibrated 0.4 nm per
 * pixel shows 0.4 and nm), else nothing.
 */
export function shownCalibration(
  override: ICalibration | null,
  metadata: { x: IAxisCalibration } | undefined
): { scale: number | null; units: string; origin: CalibrationOrigin } {
  if (override) {
    return { scale: override.scale, units: override.units, origin: 'user' };
  }
  if (metadata) {
    return {
      scale: metadata.x.scale,
      units: metadata.x.units,
      origin: 'metadata'
    };
  }
  return { scale: null, units: '', origin: 'none' };
}
