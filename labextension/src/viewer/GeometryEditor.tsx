/**
 * The selected detector (or the CoM centre) as numbers: centre, radii, corner and
 * size, or a polygon's vertices, typed in pixels or in the frame's calibrated units, applied on Enter or on
 * "Apply"; what cannot be a detector is refused with the reason.
 */
import React, { useEffect, useState } from 'react';

import { useTranslation } from '../i18n';
import { Shape } from './geometry';
import {
  applyGeometry,
  FrameAxes,
  geometryFields,
  GeometryUnit,
  geometryTexts,
  hasCalibratedUnits,
  unitName
} from './geometryunits';

export interface IGeometryEditorProps {
  shape: Shape;
  /** The frame's calibration (the user's, else the metadata's), if any. */
  axes: FrameAxes;
  bounds: { width: number; height: number };
  onChange: (shape: Shape) => void;
  /** What is edited, for the group's name: "Detector d1", "CoM centre". */
  label: string;
}

export function GeometryEditor(
  props: IGeometryEditorProps
): JSX.Element | null {
  const trans = useTranslation();
  const { shape, axes } = props;
  const canCalibrate = hasCalibratedUnits(axes);
  const [unit, setUnit] = useState<GeometryUnit>('px');
  const shownUnit: GeometryUnit = canCalibrate ? unit : 'px';
  const [texts, setTexts] = useState(() =>
    geometryTexts(shape, axes, shownUnit)
  );
  const [problem, setProblem] = useState<string | null>(null);
  const shapeKey = JSON.stringify(shape);
  const axesKey = JSON.stringify(axes ?? null);
  useEffect(() => {
    setTexts(geometryTexts(shape, axes, shownUnit));
    setProblem(null);
  }, [shapeKey, axesKey, shownUnit]);
  const fields = geometryFields(shape);
  const names: Record<string, string> = {
    cx: shape.kind === 'point' ? trans.__('x') : trans.__('cx'),
    cy: shape.kind === 'point' ? trans.__('y') : trans.__('cy'),
    r: trans.__('r'),
    ri: trans.__('inner r'),
    ro: trans.__('outer r'),
    x: trans.__('x'),
    y: trans.__('y'),
    width: trans.__('width'),
    height: trans.__('height')
  };
  // A polygon's vertex coordinates are named by their keys: x1, y1, x2…
  const nameOf = (key: string) => names[key] ?? key;
  const shownNames: Record<string, string> = {};
  for (const field of fields) {
    shownNames[field.key] = nameOf(field.key);
  }
  if (!fields.length) {
    return null;
  }
  const apply = () => {
    const answer = applyGeometry(
      shape,
      texts,
      axes,
      shownUnit,
      props.bounds,
      shownNames
    );
    if ('problem' in answer) {
      setProblem(answer.problem);
      return;
    }
    setProblem(null);
    if (JSON.stringify(answer.shape) !== shapeKey) {
      props.onChange(answer.shape);
    }
  };
  return (
    <fieldset
      className="jp-remotem-viewer-geometry"
      aria-label={trans.__('%1: geometry', props.label)}
      data-kind={shape.kind}
      data-unit={shownUnit}
    >
      <legend>{props.label}</legend>
      <select
        className="jp-remotem-select jp-remotem-viewer-geometry-unit"
        aria-label={trans.__('Units of the geometry')}
        value={shownUnit}
        disabled={!canCalibrate}
        title={
          canCalibrate
            ? trans.__('Type the geometry in pixels or in the frame’s units')
            : trans.__('The frame has no calibration: pixels only')
        }
        onChange={event => setUnit(event.target.value as GeometryUnit)}
      >
        <option value="px">{trans.__('px')}</option>
        {canCalibrate && (
          <option value="calibrated">{unitName('calibrated', axes)}</option>
        )}
      </select>
      {fields.map(field => (
        <label key={field.key}>
          {nameOf(field.key)}
          <input
            className="jp-mod-styled jp-remotem-viewer-number jp-remotem-viewer-geometry-field"
            type="text"
            inputMode="decimal"
            data-key={field.key}
            aria-label={`${nameOf(field.key)} (${unitName(shownUnit, axes, field.axis)})`}
            value={texts[field.key] ?? ''}
            onChange={event => {
              const text = event.target.value;
              setTexts(current => ({ ...current, [field.key]: text }));
            }}
            onKeyDown={event => {
              if (event.key === 'Enter') {
                apply();
              }
            }}
          />
        </label>
      ))}
      <button
        className="jp-Button jp-mod-minimal jp-remotem-viewer-geometry-apply"
        onClick={apply}
      >
        {trans.__('Apply')}
      </button>
      {problem && (
        <div className="jp-remotem-viewer-field-problem" role="alert">
          {problem}
        </div>
      )}
    </fieldset>
  );
}
