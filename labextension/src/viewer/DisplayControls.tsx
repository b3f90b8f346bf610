/**
 * Display settings of an image: colour map, scale mode and its parameters,
 * centring on zero for signed data, and automatic limits.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import React from 'react';

import { useTranslation } from '../i18n';
import { colormapGradient, ColormapName, COLORMAPS } from './colormaps';
import { NumberField } from './NumberField';
import { IScaling, ScaleMode, updateScaling } from './scaling';

/**
 * The scale modes offered, in menu order, with their labels and tooltips.
 */
export function scaleModes(
  trans: TranslationBundle
): { mode: ScaleMode; label: string; title: string }[] {
  return [
    {
      mode: 'linear',
      label: trans.__('Linear'),
      title: trans.__('Linear between the limits')
    },
    {
      mode: 'log',
      label: trans.__('Log'),
      title: trans.__(
        'Logarithmic; values at or below zero get the lowest colour'
      )
    },
    {
      mode: 'power',
      label: trans.__('Power'),
      title: trans.__(
        'Power law with exponent γ (γ < 1 brightens faint signal)'
      )
    },
    {
      mode: 'percentile',
      label: trans.__('Percentile'),
      title: trans.__('Linear between two percentiles of the data')
    }
  ];
}

export interface IDisplayControlsProps {
  cmap: ColormapName;
  scaling: IScaling;
  /** Offer centring on zero (signed data or a diverging colour map). */
  diverging: boolean;
  onCmap: (c: ColormapName) => void;
  onScaling: (s: IScaling) => void;
  /**
   * The displayed values. With them, "Auto" and changes of mode, percentiles
   * or centring set the limits from the data; without them those changes
   * leave the limits to the owner.
   */
  data?: ArrayLike<number> | null;
}

export function DisplayControls(props: IDisplayControlsProps): JSX.Element {
  const { cmap, scaling, onScaling } = props;
  const trans = useTranslation();
  const update = (changes: Partial<IScaling>) =>
    onScaling(updateScaling(scaling, changes, props.data));
  const divergingMap = COLORMAPS.find(c => c.name === cmap)?.diverging;
  // A percentile end never passes the other one.
  const setEnd = (end: 0 | 1, value: number): [number, number] => {
    const [low, high] = scaling.percentiles;
    return end === 0
      ? [Math.min(value, high), high]
      : [low, Math.max(value, low)];
  };
  return (
    <div className="jp-RemotemViewer-display" data-testid="display-controls">
      <label className="jp-RemotemViewer-field">
        <span>{trans.__('Colours')}</span>
        <span
          className="jp-RemotemViewer-swatch"
          data-testid="colormap-swatch"
          style={{ backgroundImage: colormapGradient(cmap) }}
          aria-hidden="true"
        />
        <select
          className="jp-RemotemViewer-select jp-mod-styled"
          data-testid="colormap-select"
          aria-label={trans.__('Colour map')}
          value={cmap}
          onChange={event => props.onCmap(event.target.value as ColormapName)}
        >
          {COLORMAPS.map(entry => (
            <option key={entry.name} value={entry.name}>
              {entry.label}
            </option>
          ))}
        </select>
      </label>
      <label className="jp-RemotemViewer-field">
        <span>{trans.__('Scale')}</span>
        <select
          className="jp-RemotemViewer-select jp-mod-styled"
          data-testid="scale-select"
          aria-label={trans.__('Scale')}
          value={scaling.mode}
          onChange={event => update({ mode: event.target.value as ScaleMode })}
        >
          {scaleModes(trans).map(entry => (
            <option key={entry.mode} value={entry.mode} title={entry.title}>
              {entry.label}
            </option>
          ))}
        </select>
      </label>
      {scaling.mode === 'power' && (
        <label className="jp-RemotemViewer-field">
          <span>{trans.__('γ')}</span>
          <NumberField
            value={scaling.gamma}
            label={trans.__('Power-law exponent γ')}
            testId="gamma-input"
            min={0.05}
            max={10}
            onCommit={gamma => update({ gamma })}
          />
        </label>
      )}
      {scaling.mode === 'percentile' && (
        <span className="jp-RemotemViewer-field">
          {([0, 1] as const).map(end => (
            <React.Fragment key={end}>
              {end === 1 && <span>–</span>}
              <NumberField
                value={scaling.percentiles[end]}
                label={
                  end === 0
                    ? trans.__('Lower percentile')
                    : trans.__('Upper percentile')
                }
                testId={end === 0 ? 'percentile-low' : 'percentile-high'}
                min={0}
                max={100}
                onCommit={value => update({ percentiles: setEnd(end, value) })}
              />
            </React.Fragment>
          ))}
          <span>%</span>
        </span>
      )}
      {(props.diverging || divergingMap) && scaling.mode !== 'log' && (
        <label className="jp-RemotemViewer-field">
          <input
            type="checkbox"
            data-testid="symmetric-toggle"
            aria-label={trans.__('Centre the limits on zero')}
            checked={scaling.symmetric}
            onChange={event => update({ symmetric: event.target.checked })}
          />
          <span>{trans.__('Centre on 0')}</span>
        </label>
      )}
      <button
        className="jp-Button jp-mod-styled jp-mod-reject jp-RemotemViewer-auto"
        data-testid="auto-button"
        title={trans.__('Set the limits from the data')}
        aria-label={trans.__('Set the limits from the data')}
        disabled={!props.data}
        onClick={() => update({})}
      >
        {trans.__('Auto')}
      </button>
    </div>
  );
}
