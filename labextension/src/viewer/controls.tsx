/**
 * The viewer's toolbar: what the navigation image shows (detectors, sum, centre of
 * mass with its parameters, or a result saved earlier), which shapes to add, the
 * scan region and its statistic, the pointer tool and the FFT switches. Operations the server cannot
 * run on this dataset, and views its scan axes do not allow, are disabled with the
 * reason.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import React from 'react';

import { IOperationInfo } from '../api';
import { useTranslation } from '../i18n';
import { OperationForm } from './OperationForm';
import { defaultChoice, navigationOperations } from './operationmode';
import { PointerTools } from './PointerTools';
import { defaultShape, ShapeKind } from './geometry';
import { unavailableReason } from './hints';
import { Tool } from './interaction';
import { defaultRange, navViews } from './scanaxes';
import {
  COM_FIELDS,
  ComField,
  DETECTOR_KINDS,
  IGeometry,
  IViewState,
  NavMode,
  nextDetectorId,
  ROI_KINDS,
  ROI_STATS,
  RoiStat
} from './state';

function shapeNames(trans: TranslationBundle): Record<ShapeKind, string> {
  return {
    disk: trans.__('Disk'),
    ring: trans.__('Ring'),
    rectangle: trans.__('Rectangle'),
    point: trans.__('Point'),
    polygon: trans.__('Polygon')
  };
}

function comFieldNames(trans: TranslationBundle): Record<ComField, string> {
  return {
    magnitude: trans.__('Magnitude'),
    field: trans.__('Field (colour wheel)'),
    divergence: trans.__('Divergence'),
    curl: trans.__('Curl'),
    shift_x: trans.__('Shift x'),
    shift_y: trans.__('Shift y')
  };
}

function roiStatNames(trans: TranslationBundle): Record<RoiStat, string> {
  return {
    sum: trans.__('Sum'),
    mean: trans.__('Mean'),
    std: trans.__('Std')
  };
}

/** The navigation modes computed live, each by an operation of the server. */
type LiveMode = Exclude<NavMode, 'result' | 'operation'>;

/** The operation behind each live navigation mode of the viewer's own. */
const MODE_OPERATION: Record<LiveMode, string> = {
  detector: 'virtual_detector',
  sum: 'virtual_detector',
  com: 'com'
};

export function ViewerControls(props: {
  state: IViewState;
  geometry: IGeometry;
  /** The number of scan axes. */
  navRank: number;
  operations: IOperationInfo[] | null;
  tool: Tool;
  onTool: (tool: Tool) => void;
  onChange: (patch: Partial<IViewState>) => void;
  /** Choose a saved result as the navigation image (opens a dialog). */
  onChooseResult: () => void;
  /** Finds the CoM centre automatically (shown with the CoM parameters). */
  autoCentre?: React.ReactNode;
  /** Show a 3-D array as a stack of images instead (absent: it cannot be one). */
  onShowAsImages?: () => void;
  /** Planes of the navigation answer along its index axis (components), once answered. */
  navPlanes?: number | null;
}): JSX.Element {
  const { state, geometry, navRank, operations, onChange } = props;
  const views = navViews(navRank);
  const trans = useTranslation();
  const names = shapeNames(trans);
  const modes: { mode: LiveMode; label: string }[] = [
    { mode: 'detector', label: trans.__('Detectors') },
    { mode: 'sum', label: trans.__('Sum') },
    { mode: 'com', label: trans.__('Centre of mass') }
  ];
  const [sh, sw] = geometry.sig;
  const [nh, nw] = geometry.nav;
  // Declared reductions that answer an image of the scan, each a navigation mode.
  const more = navigationOperations(operations);
  const shownOperation =
    more.find(op => op.name === state.operation?.name) ?? null;

  const addDetector = (kind: ShapeKind) => {
    const id = nextDetectorId(state.detectors);
    onChange({
      // A saved result stays the navigation image while detectors are drawn.
      mode: state.mode === 'result' ? 'result' : 'detector',
      detectors: [
        ...state.detectors,
        { id, shape: defaultShape(kind, sw, sh) }
      ],
      selected: id
    });
  };
  const navFftReason =
    views.navFft ??
    (state.mode === 'result'
      ? trans.__(
          'The server computes the FFT of a live navigation image only, not of a saved result.'
        )
      : null);
  const roiReason =
    views.region ?? unavailableReason(operations, 'frame_stats');
  // A 1-D scan's region is a range of indices.
  const roiKinds = navRank === 1 ? (['rectangle'] as ShapeKind[]) : ROI_KINDS;
  const roiNames =
    navRank === 1 ? { ...names, rectangle: trans.__('index range') } : names;

  return (
    <div
      className="jp-remotem-viewer-controls"
      role="toolbar"
      aria-label={trans.__('Viewer tools')}
    >
      <fieldset className="jp-remotem-viewer-group">
        <legend>{trans.__('Navigation image')}</legend>
        <div role="radiogroup" aria-label={trans.__('Navigation image')}>
          {modes.map(({ mode, label }) => {
            const reason = unavailableReason(operations, MODE_OPERATION[mode]);
            return (
              <button
                key={mode}
                role="radio"
                aria-checked={state.mode === mode}
                data-mode={mode}
                className={
                  'jp-remotem-viewer-mode' +
                  (state.mode === mode ? ' jp-mod-active' : '')
                }
                disabled={reason !== null}
                title={reason ?? label}
                onClick={() => onChange({ mode })}
              >
                {label}
              </button>
            );
          })}
          {more.length > 0 && (
            <select
              className={
                'jp-remotem-select jp-remotem-viewer-mode-operation' +
                (state.mode === 'operation' ? ' jp-mod-active' : '')
              }
              aria-label={trans.__('Other reductions')}
              data-testid="operation-mode"
              value={
                state.mode === 'operation' ? (state.operation?.name ?? '') : ''
              }
              onChange={event => {
                const chosen = more.find(op => op.name === event.target.value);
                if (chosen) {
                  const kept =
                    state.operation?.name === chosen.name
                      ? state.operation
                      : null;
                  onChange({
                    mode: 'operation',
                    operation: kept ?? defaultChoice(chosen)
                  });
                }
              }}
            >
              <option value="" disabled>
                {trans.__('More…')}
              </option>
              {more.map(op => (
                <option key={op.name} value={op.name} title={op.description}>
                  {op.name}
                </option>
              ))}
            </select>
          )}
          <button
            role="radio"
            aria-checked={state.mode === 'result'}
            aria-haspopup="dialog"
            data-mode="result"
            className={
              'jp-remotem-viewer-mode jp-remotem-viewer-mode-result' +
              (state.mode === 'result' ? ' jp-mod-active' : '')
            }
            disabled={views.navigation !== null}
            title={
              views.navigation ??
              trans.__(
                'Show a result saved earlier (a job’s output, or any array of the scan’s shape) as the navigation image'
              )
            }
            onClick={props.onChooseResult}
          >
            {trans.__('Saved result…')}
          </button>
        </div>
      </fieldset>
      {state.mode !== 'com' && state.mode !== 'operation' && (
        <fieldset className="jp-remotem-viewer-group">
          <legend>{trans.__('Add detector')}</legend>
          {DETECTOR_KINDS.map(kind => (
            <button
              key={kind}
              className="jp-remotem-viewer-add"
              data-shape={kind}
              title={trans.__('Add a %1 detector on the frame', names[kind])}
              onClick={() => addDetector(kind)}
            >
              {names[kind]}
            </button>
          ))}
        </fieldset>
      )}
      {state.mode === 'operation' && shownOperation && state.operation && (
        <OperationForm
          operation={shownOperation}
          choice={state.operation}
          planes={props.navPlanes ?? null}
          onChange={operation => onChange({ operation })}
        />
      )}
      {state.mode === 'com' && (
        <ComControls
          state={state}
          wheelReason={views.comWheel}
          onChange={onChange}
          autoCentre={props.autoCentre}
        />
      )}
      <fieldset className="jp-remotem-viewer-group">
        <legend>{trans.__('Scan region')}</legend>
        <select
          className="jp-remotem-select jp-remotem-viewer-roi"
          aria-label={trans.__('Scan region shape')}
          value={state.roi?.kind ?? ''}
          disabled={roiReason !== null}
          title={roiReason ?? trans.__('Frames inside a region of the scan')}
          onChange={event => {
            const kind = event.target.value as ShapeKind | '';
            const roi = !kind
              ? null
              : navRank === 1
                ? defaultRange(nw)
                : defaultShape(kind, nw, nh);
            onChange({ roi });
          }}
        >
          <option value="">{trans.__('none (frame at cursor)')}</option>
          {roiKinds.map(kind => (
            <option key={kind} value={kind}>
              {roiNames[kind]}
            </option>
          ))}
        </select>
        <select
          className="jp-remotem-select jp-remotem-viewer-roi-stat"
          aria-label={trans.__('Statistic of the frames in the region')}
          value={state.roiStat}
          disabled={!state.roi}
          onChange={event =>
            onChange({ roiStat: event.target.value as RoiStat })
          }
        >
          {ROI_STATS.map(stat => (
            <option key={stat} value={stat}>
              {roiStatNames(trans)[stat]}
            </option>
          ))}
        </select>
      </fieldset>
      <PointerTools
        tools={['pick', 'line', 'pan']}
        tool={props.tool}
        onTool={props.onTool}
      />
      {props.onShowAsImages && (
        <fieldset className="jp-remotem-viewer-group">
          <legend>{trans.__('Shown as')}</legend>
          <button
            className="jp-Button jp-mod-minimal jp-remotem-viewer-as-images"
            title={trans.__(
              'Show these frames as a stack of images, with a slider (no detectors)'
            )}
            onClick={props.onShowAsImages}
          >
            {trans.__('a stack of images')}
          </button>
        </fieldset>
      )}
      <fieldset className="jp-remotem-viewer-group">
        <legend>{trans.__('FFT')}</legend>
        <label>
          <input
            type="checkbox"
            className="jp-remotem-viewer-nav-fft"
            checked={state.navFft}
            disabled={navFftReason !== null}
            title={navFftReason ?? trans.__('|FFT| of the navigation image')}
            onChange={event => onChange({ navFft: event.target.checked })}
          />
          {trans.__('of the image')}
        </label>
        <label>
          <input
            type="checkbox"
            className="jp-remotem-viewer-frame-fft"
            checked={state.frameFft}
            onChange={event => onChange({ frameFft: event.target.checked })}
          />
          {trans.__('of the frame')}
        </label>
      </fieldset>
    </div>
  );
}

function ComControls(props: {
  state: IViewState;
  /** Why the colour wheel cannot be shown, or null. */
  wheelReason: string | null;
  onChange: (patch: Partial<IViewState>) => void;
  autoCentre?: React.ReactNode;
}): JSX.Element {
  const { state, onChange } = props;
  const trans = useTranslation();
  const fields = comFieldNames(trans);
  const com = state.com;
  const set = (key: 'cx' | 'cy' | 'scan_rotation') => (value: number) =>
    onChange({ com: { ...com, [key]: value } });
  return (
    <fieldset className="jp-remotem-viewer-group jp-remotem-viewer-com">
      <legend>{trans.__('Centre of mass')}</legend>
      <select
        className="jp-remotem-select jp-remotem-viewer-com-field"
        aria-label={trans.__('Quantity shown')}
        value={state.comField}
        onChange={event =>
          onChange({ comField: event.target.value as ComField })
        }
      >
        {COM_FIELDS.map(field => (
          <option
            key={field}
            value={field}
            disabled={field === 'field' && props.wheelReason !== null}
            title={
              field === 'field' ? (props.wheelReason ?? undefined) : undefined
            }
          >
            {fields[field]}
          </option>
        ))}
      </select>
      <ComNumber
        label={trans.__('cx')}
        title={trans.__('Reference centre on the frame, x')}
        value={com.cx}
        step={0.5}
        onCommit={set('cx')}
      />
      <ComNumber
        label={trans.__('cy')}
        title={trans.__('Reference centre on the frame, y')}
        value={com.cy}
        step={0.5}
        onCommit={set('cy')}
      />
      {props.autoCentre}
      <ComNumber
        label={trans.__('rotation °')}
        title={trans.__('Rotation of the scan against the detector')}
        value={com.scan_rotation}
        step={1}
        className="jp-remotem-viewer-rotation"
        onCommit={set('scan_rotation')}
      />
      <label>
        <input
          type="checkbox"
          className="jp-remotem-viewer-flip"
          checked={com.flip_y}
          onChange={event =>
            onChange({ com: { ...com, flip_y: event.target.checked } })
          }
        />
        {trans.__('flip y')}
      </label>
    </fieldset>
  );
}

/**
 * A number of the CoM parameters, committed on Enter or when focus leaves.
 */
function ComNumber(props: {
  label: string;
  title: string;
  value: number;
  step: number;
  className?: string;
  onCommit: (value: number) => void;
}): JSX.Element {
  const commit = (text: string) => {
    const value = Number(text);
    if (text.trim() !== '' && isFinite(value) && value !== props.value) {
      props.onCommit(value);
    }
  };
  return (
    <label title={props.title}>
      {props.label}
      <input
        type="number"
        className={`jp-mod-styled jp-remotem-viewer-number ${props.className ?? ''}`}
        step={props.step}
        // Remounted when the value changes elsewhere (a drag on the frame).
        key={props.value}
        defaultValue={props.value}
        onBlur={event => commit(event.target.value)}
        onKeyDown={event => {
          if (event.key === 'Enter') {
            commit(event.currentTarget.value);
          }
        }}
      />
    </label>
  );
}
