/**
 * Detector geometry typed as numbers, in pixels or in the frame's calibrated units
 * (mrad, 1/nm: whatever its axes say), as LiberTEM's GUI lets one type a detector.
 *
 * The shape is kept in pixels (the server's coordinates); a calibrated value is shown
 * as `offset + pixel · scale` (positions) or `pixel · scale` (lengths) and typed back
 * by the inverse. Values are shown with 12 significant digits, which hides the last
 * bit of float rounding, so a value typed in either unit reads back as typed after any
 * number of switches. Pure functions only, so that all of it is unit-testable.
 */
import { Shape } from './geometry';
import { parseNumber } from './NumberField';
import type { IAxisCalibration } from './scalebar';

/** The units geometry is typed in. */
export type GeometryUnit = 'px' | 'calibrated';

/** The calibration of a frame's two axes, when its metadata (or the user) give one. */
export type FrameAxes =
  { x: IAxisCalibration; y: IAxisCalibration } | undefined;

/** One number of a shape: its key in the shape, and how it converts. */
export interface IGeometryField {
  key: string;
  /** The axis whose scale converts it (radii use x: pixels are taken as square). */
  axis: 'x' | 'y';
  /** A length (scale only) rather than a position (scale and offset). */
  length: boolean;
}

const FIELDS: Record<string, IGeometryField[]> = {
  disk: [
    { key: 'cx', axis: 'x', length: false },
    { key: 'cy', axis: 'y', length: false },
    { key: 'r', axis: 'x', length: true }
  ],
  ring: [
    { key: 'cx', axis: 'x', length: false },
    { key: 'cy', axis: 'y', length: false },
    { key: 'ri', axis: 'x', length: true },
    { key: 'ro', axis: 'x', length: true }
  ],
  rectangle: [
    { key: 'x', axis: 'x', length: false },
    { key: 'y', axis: 'y', length: false },
    { key: 'width', axis: 'x', length: true },
    { key: 'height', axis: 'y', length: true }
  ],
  point: [
    { key: 'cx', axis: 'x', length: false },
    { key: 'cy', axis: 'y', length: false }
  ]
};

/**
 * The numbers a shape is typed as; a polygon's are its vertices' positions,
 * `x1, y1, x2, y2…` (numbered from 1, as the user counts them).
 */
export function geometryFields(shape: Shape): IGeometryField[] {
  if (shape.kind === 'polygon') {
    const fields: IGeometryField[] = [];
    shape.vertices.forEach((_, i) => {
      fields.push({ key: `x${i + 1}`, axis: 'x', length: false });
      fields.push({ key: `y${i + 1}`, axis: 'y', length: false });
    });
    return fields;
  }
  return FIELDS[shape.kind] ?? [];
}

/** A shape's numbers by field key (in pixels). */
function shapeValues(shape: Shape): Record<string, number> {
  if (shape.kind === 'polygon') {
    const values: Record<string, number> = {};
    shape.vertices.forEach(([x, y], i) => {
      values[`x${i + 1}`] = x;
      values[`y${i + 1}`] = y;
    });
    return values;
  }
  return shape as unknown as Record<string, number>;
}

/** The shape with its numbers replaced by `values` (in pixels, by field key). */
function withValues(shape: Shape, values: Record<string, number>): Shape {
  if (shape.kind === 'polygon') {
    return {
      ...shape,
      vertices: shape.vertices.map((_, i) => [
        values[`x${i + 1}`],
        values[`y${i + 1}`]
      ])
    };
  }
  return { ...shape, ...values } as Shape;
}

/** Whether values can be typed in calibrated units: both axes have units. */
export function hasCalibratedUnits(axes: FrameAxes): boolean {
  return !!axes && !!axes.x.units.trim() && !!axes.y.units.trim();
}

/** The name of a unit as shown: "px", or the axis' units ("mrad"). */
export function unitName(
  unit: GeometryUnit,
  axes: FrameAxes,
  axis: 'x' | 'y' = 'x'
): string {
  return unit === 'calibrated' && hasCalibratedUnits(axes)
    ? axes![axis].units
    : 'px';
}

function calibrated(unit: GeometryUnit, axes: FrameAxes): boolean {
  return unit === 'calibrated' && hasCalibratedUnits(axes);
}

/** A pixel value in `unit`. */
export function toUnit(
  pixels: number,
  field: IGeometryField,
  axes: FrameAxes,
  unit: GeometryUnit
): number {
  if (!calibrated(unit, axes)) {
    return pixels;
  }
  const a = axes![field.axis];
  return field.length ? pixels * a.scale : a.offset + pixels * a.scale;
}

/** A value in `unit` as pixels. */
export function fromUnit(
  value: number,
  field: IGeometryField,
  axes: FrameAxes,
  unit: GeometryUnit
): number {
  if (!calibrated(unit, axes)) {
    return value;
  }
  const a = axes![field.axis];
  return field.length ? value / a.scale : (value - a.offset) / a.scale;
}

/** A value as a field shows it: 12 significant digits, no trailing zeros. */
export function formatGeometry(value: number): string {
  return String(Number(value.toPrecision(12)));
}

/** The texts of a shape's fields in `unit`. */
export function geometryTexts(
  shape: Shape,
  axes: FrameAxes,
  unit: GeometryUnit
): Record<string, string> {
  const record = shapeValues(shape);
  const texts: Record<string, string> = {};
  for (const field of geometryFields(shape)) {
    texts[field.key] = formatGeometry(
      toUnit(record[field.key], field, axes, unit)
    );
  }
  return texts;
}

/**
 * The shape with the typed texts (in `unit`) applied, or why they are refused: a
 * text that is no number, a centre or corner off the `width × height` frame, a
 * radius or size that is not positive, an inner radius not below the outer one.
 * `names` are the fields' names in the messages (default: their keys).
 */
export function applyGeometry(
  shape: Shape,
  texts: Record<string, string>,
  axes: FrameAxes,
  unit: GeometryUnit,
  bounds: { width: number; height: number },
  names: Record<string, string> = {}
): { shape: Shape } | { problem: string } {
  const fields = geometryFields(shape);
  const name = (field: IGeometryField) => names[field.key] ?? field.key;
  const values: Record<string, number> = {};
  const shown = (key: string, pixels: number) => {
    const field = fields.find(f => f.key === key)!;
    return `${formatGeometry(toUnit(pixels, field, axes, unit))} ${unitName(unit, axes, field.axis)}`;
  };
  const record = shapeValues(shape);
  const before = geometryTexts(shape, axes, unit);
  for (const field of fields) {
    const text = texts[field.key] ?? '';
    if (text === before[field.key]) {
      // Not changed: the exact value stays (the text shows it rounded).
      values[field.key] = record[field.key];
      continue;
    }
    const value = parseNumber(text);
    if (value === null) {
      return {
        problem: `${name(field)}: “${text}” is not a number.`
      };
    }
    values[field.key] = fromUnit(value, field, axes, unit);
  }
  for (const field of fields) {
    const v = values[field.key];
    if (field.length) {
      if (!(v > 0) && !(field.key === 'ri' && v === 0)) {
        return {
          problem: `${name(field)} must be larger than 0, not ${shown(field.key, v)}.`
        };
      }
    } else {
      const size = field.axis === 'x' ? bounds.width : bounds.height;
      if (v < 0 || v > size - 1) {
        return {
          problem: `${name(field)} must lie on the frame, between ${shown(field.key, 0)} and ${shown(field.key, size - 1)}, not ${shown(field.key, v)}.`
        };
      }
    }
  }
  if (shape.kind === 'ring' && !(values.ri < values.ro)) {
    return {
      problem: `The inner radius (${shown('ri', values.ri)}) must be smaller than the outer radius (${shown('ro', values.ro)}).`
    };
  }
  return { shape: withValues(shape, values) };
}
