/**
 * Scale bars and value readouts in physical units.
 */

/**
 * The calibration of one image axis, from the dataset's `meta` axes
 * (`physical = offset + index * scale`).
 */
export interface IAxisCalibration {
  scale: number;
  offset: number;
  units: string;
}

/**
 * A unit the scale bar knows: its spellings (the first is shown), its size in
 * the base unit of its quantity, and whether the bar may switch to it when
 * another unit of the quantity gives a number out of 1–999.
 */
interface IUnit {
  names: string[];
  factor: number;
  target: boolean;
}

const unit = (names: string[], factor: number, target = true): IUnit => ({
  names,
  factor,
  target
});

/**
 * Quantities whose scale bars change prefix (lengths, angles, times).
 * Reciprocal lengths keep their unit: diffraction people read "0.5 1/nm",
 * not "500 1/µm".
 */
const QUANTITIES: ReadonlyArray<ReadonlyArray<IUnit>> = [
  [
    unit(['pm'], 1e-12),
    unit(['Å', 'A', 'angstrom', 'Angstrom'], 1e-10, false),
    unit(['nm'], 1e-9),
    unit(['µm', 'um', 'μm', 'micron'], 1e-6),
    unit(['mm'], 1e-3),
    unit(['cm'], 1e-2, false),
    unit(['m'], 1)
  ],
  [
    unit(['µrad', 'urad', 'μrad'], 1e-6),
    unit(['mrad'], 1e-3),
    unit(['rad'], 1)
  ],
  [
    unit(['ps'], 1e-12),
    unit(['ns'], 1e-9),
    unit(['µs', 'us', 'μs'], 1e-6),
    unit(['ms'], 1e-3),
    unit(['s'], 1)
  ]
];

function findUnit(
  units: string
): { quantity: ReadonlyArray<IUnit>; unit: IUnit } | null {
  for (const quantity of QUANTITIES) {
    const found = quantity.find(u => u.names.includes(units));
    if (found) {
      return { quantity, unit: found };
    }
  }
  return null;
}

/**
 * The largest 1, 2 or 5 × 10^k not above `value` (value > 0).
 */
export function niceLength(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  const mantissa = value / power;
  // Guard against 10^k computed as 0.999.. × 10^k.
  const eps = 1e-9;
  const step = mantissa >= 5 - eps ? 5 : mantissa >= 2 - eps ? 2 : 1;
  return step * power;
}

/**
 * Whether an axis carries a real calibration (not plain pixel indices).
 */
export function isCalibrated(
  calibration: IAxisCalibration | undefined | null
): boolean {
  if (
    !calibration ||
    !(calibration.scale > 0) ||
    !Number.isFinite(calibration.scale)
  ) {
    return false;
  }
  const units = (calibration.units ?? '').trim();
  const plain =
    units === '' ||
    units === 'px' ||
    units === 'pixel' ||
    units === 'pixels' ||
    units === '<undefined>';
  return !(plain && calibration.scale === 1);
}

/**
 * A scale bar about `targetScreenPx` long (never longer): a 1-2-5 length in
 * physical units, with the unit prefix that keeps the number between 1 and
 * 999 (nm → µm, mrad → rad, Å → nm only when Å would not do). Null for
 * uncalibrated axes.
 * `pixelsPerImagePixel` is the current zoom.
 */
export function scaleBar(
  calibration: IAxisCalibration,
  pixelsPerImagePixel: number,
  targetScreenPx: number
): { screenPx: number; label: string } | null {
  if (
    !isCalibrated(calibration) ||
    !(pixelsPerImagePixel > 0) ||
    !(targetScreenPx > 0)
  ) {
    return null;
  }
  const units = (calibration.units ?? '').trim();
  const known = findUnit(units);
  const factor = known ? known.unit.factor : 1;
  // Work in the base unit of the quantity so that the prefix can change.
  const perScreenPx = (calibration.scale * factor) / pixelsPerImagePixel;
  const length = niceLength(targetScreenPx * perScreenPx);
  const screenPx = length / perScreenPx;
  if (!known) {
    const text = formatLength(length);
    return { screenPx, label: units ? `${text} ${units}` : text };
  }
  // Lengths in a unit, without float noise (1e-6 / 1e-9 is 999.99...).
  const inUnit = (u: IUnit) => Number((length / u.factor).toPrecision(9));
  const inRange = (u: IUnit) => inUnit(u) >= 1;
  let shown = known.unit;
  if (!(inRange(shown) && inUnit(shown) < 1000)) {
    // The largest unit in which the number is still at least 1.
    const targets = known.quantity.filter(u => u.target);
    shown = targets.filter(inRange).pop() ?? targets[0];
  }
  return {
    screenPx,
    label: `${formatLength(inUnit(shown))} ${shown.names[0]}`
  };
}

function formatLength(value: number): string {
  // 1-2-5 lengths: at most one significant digit, remove float noise.
  return String(Number(value.toPrecision(6)));
}

/**
 * A compact number for the readout under the cursor: integers as they are,
 * four significant digits otherwise, exponent notation for very large or
 * small magnitudes.
 */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) {
    return 'NaN';
  }
  if (!Number.isFinite(v)) {
    return v > 0 ? '∞' : '−∞';
  }
  const a = Math.abs(v);
  if (Number.isInteger(v) && a < 1e7) {
    return String(v);
  }
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) {
    return v.toExponential(3).replace(/\.?0+e/, 'e');
  }
  return String(Number(v.toPrecision(4)));
}

/**
 * The physical coordinate of an image index along a calibrated axis.
 */
export function physical(calibration: IAxisCalibration, index: number): number {
  return calibration.offset + index * calibration.scale;
}
