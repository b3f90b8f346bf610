/**
 * The calibration of one image (scale per pixel and units): shows the metadata's
 * until the user types their own, which then overrides it until reset.
 */
import React, { useState } from 'react';

import { useTranslation } from '../i18n';
import { shownCalibration } from './calibration';
import { parseNumber } from './NumberField';
import type { IAxisCalibration } from './scalebar';
import type { ICalibration } from './state';

export interface ICalibrationEditorProps {
  /** The user's calibration, or null when the metadata's holds. */
  calibration: ICalibration | null;
  /** What the dataset's axes say (the x axis is shown), if anything. */
  metadata: { x: IAxisCalibration } | undefined;
  onChange: (calibration: ICalibration | null) => void;
}

/**
 * Remount it (`key`) when the calibration changes elsewhere: its fields start from
 * the calibration in force.
 */
export function CalibrationEditor(props: ICalibrationEditorProps): JSX.Element {
  const trans = useTranslation();
  const shown = shownCalibration(props.calibration, props.metadata);
  const [scale, setScale] = useState(
    shown.scale === null ? '' : String(shown.scale)
  );
  const [units, setUnits] = useState(shown.units);
  const [problem, setProblem] = useState<string | null>(null);
  const apply = () => {
    if (!scale.trim()) {
      setProblem(null);
      props.onChange(null);
      return;
    }
    const value = parseNumber(scale, Number.MIN_VALUE);
    if (value === null) {
      setProblem(
        trans.__(
          'The size of a pixel must be a positive number, not “%1”.',
          scale
        )
      );
      return;
    }
    setProblem(null);
    props.onChange({ scale: value, units: units.trim() });
  };
  const summary =
    shown.origin === 'user'
      ? trans.__(
          'Calibration: %1 %2 per pixel (yours)',
          shown.scale,
          shown.units
        )
      : shown.origin === 'metadata'
        ? trans.__(
            'Calibration: %1 %2 per pixel (from the metadata)',
            shown.scale,
            shown.units
          )
        : trans.__('Calibration: none in the metadata (pixels)');
  return (
    <details
      className="jp-remotem-viewer-calibration"
      data-origin={shown.origin}
    >
      <summary>{summary}</summary>
      <label>
        {trans.__('per pixel')}
        <input
          className="jp-mod-styled jp-remotem-viewer-number jp-remotem-viewer-calibration-scale"
          type="text"
          inputMode="decimal"
          value={scale}
          onChange={event => setScale(event.target.value)}
          onKeyDown={event => event.key === 'Enter' && apply()}
        />
      </label>
      <label>
        {trans.__('units')}
        <input
          className="jp-mod-styled jp-remotem-viewer-units"
          type="text"
          value={units}
          onChange={event => setUnits(event.target.value)}
          onKeyDown={event => event.key === 'Enter' && apply()}
        />
      </label>
      <button
        className="jp-Button jp-mod-minimal jp-remotem-viewer-calibration-apply"
        onClick={apply}
      >
        {trans.__('Apply')}
      </button>
      {shown.origin === 'user' && (
        <button
          className="jp-Button jp-mod-minimal jp-remotem-viewer-calibration-reset"
          title={trans.__('Forget your calibration and use the metadata’s')}
          onClick={() => props.onChange(null)}
        >
          {trans.__('Use the metadata')}
        </button>
      )}
      {problem && (
        <div className="jp-remotem-viewer-field-problem" role="alert">
          {problem}
        </div>
      )}
    </details>
  );
}
