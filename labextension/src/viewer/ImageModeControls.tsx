/**
 * The image viewer's toolbar, for a 2-D array or a stack of 2-D images: which image
 * of the stack (a slider and its number), the pointer tool (line profile, pan), the
 * FFT, and for a 3-D array the switch back to a scan of diffraction frames. No
 * detectors, centre of mass or scan region: those need a scan of frames.
 */
import React from 'react';

import { useTranslation } from '../i18n';
import { PointerTools } from './PointerTools';
import { canBeStack, DataKind } from './imagemode';
import { Tool } from './interaction';
import { IViewState } from './state';
import type { IDatasetInfo } from '../api';

export function ImageModeControls(props: {
  state: IViewState;
  kind: DataKind;
  dataset: IDatasetInfo;
  /** Images in the stack (1: one image). */
  planes: number;
  tool: Tool;
  onTool: (tool: Tool) => void;
  onChange: (patch: Partial<IViewState>) => void;
}): JSX.Element {
  const { state, planes, onChange } = props;
  const trans = useTranslation();
  const plane = Math.min(planes - 1, Math.max(0, state.cursor[0]));
  const setPlane = (value: number) => {
    if (Number.isInteger(value) && value >= 0 && value < planes) {
      onChange({ cursor: [value, 0] });
    }
  };
  return (
    <div
      className="jp-remotem-viewer-controls jp-remotem-viewer-image-controls"
      role="toolbar"
      aria-label={trans.__('Image tools')}
    >
      {planes > 1 && (
        <fieldset className="jp-remotem-viewer-group jp-remotem-viewer-planes">
          <legend>{trans.__('Image of the stack')}</legend>
          <input
            type="range"
            className="jp-remotem-viewer-plane-slider"
            aria-label={trans.__('Image of the stack')}
            min={0}
            max={planes - 1}
            step={1}
            value={plane}
            onChange={event => setPlane(Number(event.target.value))}
          />
          <input
            type="number"
            className="jp-mod-styled jp-remotem-viewer-number jp-remotem-viewer-plane"
            aria-label={trans.__('Index of the image shown')}
            min={0}
            max={planes - 1}
            step={1}
            // Remounted when the plane changes elsewhere (the slider).
            key={plane}
            defaultValue={plane}
            onKeyDown={event => {
              if (event.key === 'Enter') {
                setPlane(Number(event.currentTarget.value));
              }
            }}
            onBlur={event => setPlane(Number(event.target.value))}
          />
          <span className="jp-remotem-viewer-plane-count">
            {trans.__('of %1 (0–%2)', planes, planes - 1)}
          </span>
        </fieldset>
      )}
      <PointerTools
        tools={['line', 'pan']}
        tool={props.tool}
        onTool={props.onTool}
        toggles
      />
      <fieldset className="jp-remotem-viewer-group">
        <legend>{trans.__('FFT')}</legend>
        <label>
          <input
            type="checkbox"
            className="jp-remotem-viewer-frame-fft"
            checked={state.frameFft}
            onChange={event => onChange({ frameFft: event.target.checked })}
          />
          {trans.__('of the image')}
        </label>
      </fieldset>
      {canBeStack(props.dataset) && (
        <fieldset className="jp-remotem-viewer-group">
          <legend>{trans.__('Shown as')}</legend>
          <button
            className="jp-Button jp-mod-minimal jp-remotem-viewer-as-scan"
            title={trans.__(
              'Show these %1 images as a scan of diffraction frames (virtual detectors, centre of mass)',
              planes
            )}
            onClick={() => onChange({ stack: 'scan' })}
          >
            {trans.__('a scan of frames')}
          </button>
        </fieldset>
      )}
    </div>
  );
}
