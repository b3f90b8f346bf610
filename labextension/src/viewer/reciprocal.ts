/**
 * Axes of an |FFT| image in reciprocal units. The server's FFT is centred
 * (`fftshift`): zero frequency at index ⌊n/2⌋ of an n-pixel axis, one pixel
 * worth 1/(n·scale) of the reciprocal unit. An image without a calibration
 * gets cycles per pixel (1/px), as the server labels saved FFTs.
 */
import type { IAxisCalibration } from './scalebar';

/** The reciprocal of a unit as shown on axes: "1/nm", "1/px". */
export function reciprocalUnits(units: string): string {
  const trimmed = units.trim();
  if (!trimmed || trimmed === 'px' || trimmed === 'pixel') {
    return '1/px';
  }
  const already = /^1\s*\/\s*(.+)$/.exec(trimmed);
  // The reciprocal of a reciprocal unit is the unit itself.
  return already ? already[1] : `1/${trimmed}`;
}

/**
 * The calibration of an FFT axis of `size` pixels whose real-space axis had
 * `real` (pixels when absent).
 */
export function reciprocalAxis(
  real: IAxisCalibration | null | undefined,
  size: number
): IAxisCalibration {
  const n = Math.max(1, size);
  // A scale without units is no calibration: the axis stays in pixels.
  const calibrated = !!real && real.scale > 0 && real.units.trim() !== '';
  const scale = 1 / (n * (calibrated ? real.scale : 1));
  return {
    scale,
    offset: -Math.floor(n / 2) * scale,
    units: reciprocalUnits(calibrated ? real.units : '')
  };
}

/**
 * Both axes of an FFT image of `width` × `height` pixels.
 */
export function reciprocalCalibration(
  real: { x: IAxisCalibration; y: IAxisCalibration } | null | undefined,
  width: number,
  height: number
): { x: IAxisCalibration; y: IAxisCalibration } {
  return {
    x: reciprocalAxis(real?.x, width),
    y: reciprocalAxis(real?.y, height)
  };
}
