/**
 * The viewer's layout: the toolbar, remote-versus-local hints and the job in
 * progress above; the navigation image (with its result tabs; a plot over the scan
 * index for a 1-D scan) beside the frame, each with its display controls and
 * histogram; the line profile below.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import React, { useCallback, useMemo, useState } from 'react';

import { IRepository } from '../api';
import { formatShape } from '../format';
import { useTranslation } from '../i18n';
import { ErrorMessage, Spinner } from '../widgets';
import { AutoCentreButton } from './AutoCentreButton';
import { imageCalibration } from './calibration';
import { CalibrationEditor } from './CalibrationEditor';
import { ViewerControls } from './controls';
import { DisplayControls } from './DisplayControls';
import { chooseScaling, effectiveScaling, setPinned } from './display';
import { Point, Shape } from './geometry';
import { RemoteHint, UnavailableOperations } from './hints';
import { GeometryEditor } from './GeometryEditor';
import { HistogramControl } from './HistogramControl';
import { canBeStack, planeCount } from './imagemode';
import { ImageModeControls } from './ImageModeControls';
import { ImageView } from './ImageView';
import { frameImages, outputOf, planeAxis, shownPlane } from './operationmode';
import { IOverlayShape, Tool } from './interaction';
import { JobStatus } from './jobstatus';
import { SaveWhat, ViewerModel } from './model';
import { askForNavResult } from './navdialog';
import { resultLocationText } from './navresult';
import { bandOutline } from './profile';
import { ProfilePlot } from './ProfilePlot';
import { ProfileSection } from './ProfileSection';
import { reciprocalCalibration } from './reciprocal';
import { indexRange, navViews, rangeOf } from './scanaxes';
import type { FrameAxes } from './geometryunits';
import type { IAxisCalibration } from './scalebar';
import { ScanPlot } from './ScanPlot';
import { suggestedPath } from './outputs';
import { askToSave } from './save';
import { transformDataset } from './transformdialog';
import { ICalibration, IDisplay, INavResult, IViewState } from './state';
import { detectorColor, DetectorTabs } from './tabs';
import { useModelVersion } from './usemodel';

/** The colour of the scan region outline. */
const ROI_COLOR = '#ffffff';

/** The colour of the CoM reference centre. */
const COM_COLOR = '#ff5252';

/**
 * A short name of what is shown, for file names of saved results.
 */
function resultLabel(state: IViewState): string {
  if (state.mode === 'result') {
    // The navigation image is saved already: what is saved is the frame.
    return 'frame';
  }
  if (state.mode === 'com') {
    return `com-${state.comField}`;
  }
  if (state.mode === 'sum') {
    return 'sum';
  }
  if (state.mode === 'operation' && state.operation) {
    return `${state.operation.name}-${state.operation.field}`;
  }
  const index = state.detectors.findIndex(d => d.id === state.selected);
  const detector = state.detectors[Math.max(0, index)];
  return detector ? detector.shape.kind : 'detector';
}

/**
 * The name of what a save writes: the navigation image's label, or the frame's
 * (with the scan position of a picked one); an FFT says so.
 */
function saveLabel(state: IViewState, what: SaveWhat): string {
  if (what === 'frame') {
    const [x, y] = state.cursor.map(Math.round);
    const position = state.roi ? 'roi' : `x${x}-y${y}`;
    return `frame-${position}${state.frameFft ? '-fft' : ''}`;
  }
  return `${resultLabel(state)}${state.navFft ? '-fft' : ''}`;
}

export function ViewerPanel(props: {
  model: ViewerModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  useModelVersion(model);
  const [tool, setTool] = useState<Tool>('pick');
  const update = useCallback(
    (patch: Partial<IViewState>) => model.update(patch),
    [model]
  );

  const save = useCallback(
    async (note: string | null, what: SaveWhat = 'nav') => {
      const source = model.source;
      const state = model.state;
      if (!source || !state) {
        return;
      }
      let repositories: IRepository[] = model.repositories ?? [];
      if (!repositories.length) {
        repositories = await model.api.listRepositories();
      }
      const own = repositories.find(r => r.name === source.repository);
      // A saved result shown as navigation image is saved already.
      const initialWhat: SaveWhat = state.mode === 'result' ? 'frame' : what;
      await askToSave({
        trans,
        title: note ? trans.__('Run as job') : trans.__('Save result'),
        repositories,
        frameAvailable: true,
        note,
        initial: {
          repository: own?.writable
            ? own.name
            : (repositories.find(r => r.home)?.name ?? ''),
          path: suggestedPath(
            source.path,
            saveLabel(state, initialWhat),
            'hdf5'
          ),
          format: 'hdf5',
          what: initialWhat
        },
        nameFor: what =>
          suggestedPath(
            source.path,
            saveLabel(model.state ?? state, what),
            'hdf5'
          ),
        quote: (output, what, signal, picture) =>
          model.quote(output, what, signal, picture),
        submit: (output, what, picture) => model.submit(output, what, picture)
      });
    },
    [model, trans]
  );

  const chooseResult = useCallback(async () => {
    const source = model.source;
    const dataset = model.dataset;
    const state = model.state;
    if (!source || !dataset || !state) {
      return;
    }
    const choice = await askForNavResult({
      trans,
      api: model.api,
      source,
      navShape: dataset.nav_shape,
      current: state.navResult
    });
    if (choice) {
      await model.chooseNavResult(choice);
    }
  }, [model, trans]);

  if (model.loadError) {
    return (
      <div className="jp-remotem-viewer" data-status="error">
        <ErrorMessage
          error={model.loadError}
          onRetry={() => void model.load()}
        />
      </div>
    );
  }
  const state = model.state;
  const geometry = model.geometry;
  const dataset = model.dataset;
  const source = model.source;
  if (!state || !geometry || !dataset || !source) {
    return (
      <div className="jp-remotem-viewer" data-status="loading">
        <Spinner label={trans.__('Reading metadata…')} />
      </div>
    );
  }
  const job = model.job;
  // A 2-D array or a stack of images: the image viewer, without what needs a scan.
  const kind = model.dataKind;
  const imageMode = kind !== 'scan';
  const tooLargeNote = trans.__(
    'The whole dataset is too large to compute interactively: a job computes it and writes the result.'
  );
  return (
    <div
      className="jp-remotem-viewer"
      data-status="ready"
      data-mode={state.mode}
      data-kind={kind}
    >
      <div className="jp-remotem-viewer-header">
        <span
          className="jp-remotem-viewer-title"
          title={`${source.repository}:${source.path}`}
        >
          {`${source.repository}:${source.path}`}
          {source.dataset ? ` ${source.dataset}` : ''}
          <span className="jp-remotem-viewer-shape">
            {formatShape(dataset.shape)}
          </span>
        </span>
        {model.result && (
          <span className="jp-remotem-badge jp-remotem-viewer-reopened">
            {trans.__('reopened from %1', model.result.path)}
          </span>
        )}
        <button
          className="jp-Button jp-mod-styled jp-remotem-viewer-transform"
          title={trans.__(
            'Write the dataset transformed (cropped, binned, rotated…) as a new one, by a job'
          )}
          onClick={() =>
            void transformDataset(model, trans).catch(() => undefined)
          }
        >
          {trans.__('Transform…')}
        </button>
        <button
          className="jp-Button jp-mod-styled jp-mod-accept jp-remotem-viewer-save"
          onClick={() =>
            void save(null, imageMode ? 'frame' : 'nav').catch(() => undefined)
          }
        >
          {trans.__('Save result…')}
        </button>
      </div>
      {imageMode ? (
        <ImageModeControls
          state={state}
          kind={kind}
          dataset={dataset}
          planes={planeCount(dataset)}
          tool={tool}
          onTool={setTool}
          onChange={update}
        />
      ) : (
        <ViewerControls
          state={state}
          geometry={geometry}
          navRank={dataset.nav_shape.length}
          operations={model.operations}
          navPlanes={model.navigation.planes}
          tool={tool}
          onTool={setTool}
          onChange={update}
          onChooseResult={() => void chooseResult().catch(() => undefined)}
          autoCentre={
            <AutoCentreButton
              api={model.api}
              source={source}
              operations={model.operations}
              onCentre={beam => {
                const com = model.state?.com ?? state.com;
                update({ com: { ...com, cx: beam.cx, cy: beam.cy } });
              }}
            />
          }
          onShowAsImages={
            canBeStack(dataset) ? () => update({ stack: 'images' }) : undefined
          }
        />
      )}
      <RemoteHint
        api={model.api}
        repository={source.repository}
        path={source.path}
        dataset={source.dataset}
        kind={kind}
        settled={
          imageMode
            ? !model.frame.busy
            : model.navigation.exact && !model.navigation.busy
        }
        copying={!!job && job.kind === 'copy' && job.phase !== 'COMPLETED'}
        onCopy={home => void model.copyTo(home).catch(() => undefined)}
      />
      {!imageMode && <UnavailableOperations operations={model.operations} />}
      {job && (
        <JobStatus
          job={job}
          error={model.jobError}
          onCancel={() => model.cancelJob()}
          onDismiss={() => model.dismissJob()}
        />
      )}
      <div className="jp-remotem-viewer-views">
        {!imageMode && (
          <NavigationSection
            model={model}
            state={state}
            tool={tool}
            onChange={update}
            onRunAsJob={() => void save(tooLargeNote).catch(() => undefined)}
          />
        )}
        <FrameSection
          model={model}
          state={state}
          tool={tool}
          imageMode={imageMode}
          onChange={update}
          onRunAsJob={() =>
            void save(tooLargeNote, 'frame').catch(() => undefined)
          }
        />
      </div>
      {/* Shown while the line tool is on, so that the layout does not move mid-drag. */}
      {(state.line || tool === 'line') && (
        <ProfileSection
          model={model}
          state={state}
          onChange={update}
          onClose={() => {
            update({ line: null });
            setTool('pick');
          }}
        />
      )}
    </div>
  );
}

/**
 * Display controls and histogram of one image.
 */
function DisplayPanel(props: {
  display: IDisplay;
  data: ArrayLike<number> | null;
  /** The image is drawn in its own colours: no colormap or limits to choose. */
  colour?: boolean;
  diverging: boolean;
  calibration: ICalibration | null;
  /** What the metadata says, shown until the user calibrates. */
  metadataCalibration: { x: IAxisCalibration } | undefined;
  onChange: (display: IDisplay) => void;
  onCalibration: (calibration: ICalibration | null) => void;
}): JSX.Element {
  const { display, data } = props;
  const scaling = effectiveScaling(display, data);
  return (
    <div className="jp-remotem-viewer-display">
      {!props.colour && (
        <>
          <DisplayControls
            cmap={display.cmap}
            scaling={scaling}
            diverging={props.diverging}
            data={data}
            onCmap={cmap => props.onChange({ ...display, cmap })}
            onScaling={next =>
              props.onChange(chooseScaling(display, next, data))
            }
          />
          <HistogramControl
            data={data}
            scaling={scaling}
            onChange={next =>
              props.onChange(chooseScaling(display, next, data))
            }
            pinned={!!display.pinned}
            onPinned={pinned =>
              props.onChange(setPinned(display, pinned, data))
            }
          />
        </>
      )}
      <CalibrationEditor
        key={JSON.stringify([props.calibration, props.metadataCalibration])}
        calibration={props.calibration}
        metadata={props.metadataCalibration}
        onChange={props.onCalibration}
      />
    </div>
  );
}

/**
 * Work refused as too large for an interactive answer, and the way out: a job.
 */
function TooLarge(props: {
  message: string;
  onRunAsJob: () => void;
}): JSX.Element {
  const trans = useTranslation();
  return (
    <div className="jp-remotem-viewer-too-large" role="alert">
      <span>{props.message}</span>
      <button
        className="jp-Button jp-mod-styled jp-mod-accept jp-remotem-viewer-run-job"
        onClick={props.onRunAsJob}
      >
        {trans.__('Run as job…')}
      </button>
    </div>
  );
}

/** Quantities whose values have a sign (shown centred on zero). */
function isSigned(state: IViewState): boolean {
  return (
    state.mode === 'com' &&
    ['divergence', 'curl', 'shift_x', 'shift_y'].includes(state.comField)
  );
}

/** What the navigation and frame sections are given. */
interface ISectionProps {
  model: ViewerModel;
  state: IViewState;
  tool: Tool;
  onChange: (patch: Partial<IViewState>) => void;
  onRunAsJob: () => void;
  /** The frame is an image of its own (a 2-D array, a stack of images). */
  imageMode?: boolean;
}

function NavigationSection(props: ISectionProps): JSX.Element {
  const { model, state, onChange } = props;
  const trans = useTranslation();
  const nav = model.navigation;
  const dataset = model.dataset!;
  const image = nav.image;
  const data = image?.data ?? null;
  // An FFT is not in scan coordinates: the scan region is not drawn on it.
  const shapes =
    state.roi && !state.navFft
      ? [{ id: 'roi', shape: state.roi, color: ROI_COLOR, selected: true }]
      : [];
  const showField =
    state.mode === 'com' && state.comField === 'field' && !!nav.field;
  // A colour output (a decomposition's composite) is drawn in its own colours.
  const showColour = nav.colour && !!nav.field;
  const navRank = dataset.nav_shape.length;
  const views = navViews(navRank);
  const realCalibration = imageCalibration(
    dataset,
    'nav',
    state.navCalibration
  );
  const calibration =
    state.navFft && image
      ? reciprocalCalibration(realCalibration, image.width, image.height)
      : realCalibration;
  const shownResult =
    state.mode === 'result' && state.navResult ? state.navResult : null;
  return (
    <section
      className="jp-remotem-viewer-nav"
      aria-label={trans.__('Navigation image')}
      data-mode={state.mode}
      data-nav-result={
        shownResult ? resultLocationText(shownResult) : undefined
      }
      data-channel={shownResult ? shownResult.channel : undefined}
      data-exact={nav.exact}
      data-step={nav.step}
      data-colour={showColour}
      data-planes={nav.planes}
      data-busy={nav.busy}
      data-latency-ms={
        nav.latencyMs === null ? undefined : Math.round(nav.latencyMs)
      }
    >
      {state.mode === 'detector' && (
        <DetectorTabs
          detectors={state.detectors}
          selected={state.selected}
          onSelect={id => onChange({ selected: id })}
          onRemove={id => {
            const detectors = state.detectors.filter(d => d.id !== id);
            onChange({
              detectors,
              selected:
                state.selected === id
                  ? (detectors[0]?.id ?? null)
                  : state.selected
            });
          }}
        />
      )}
      {shownResult && (
        <NavResultCaption
          result={shownResult}
          channels={model.navResultFit?.channels ?? null}
        />
      )}
      {navRank === 1 ? (
        <ScanPlot
          values={data}
          index={state.cursor[0]}
          range={rangeOf(state.roi)}
          onPick={index => onChange({ cursor: [index, 0] })}
          label={trans.__('Navigation plot: pick a frame by its scan index')}
          busy={nav.busy}
          stale={!nav.exact}
          colours={showColour ? nav.field : null}
        />
      ) : views.navigation ? (
        <div className="jp-remotem-note jp-remotem-viewer-nav-unavailable">
          {views.navigation}
        </div>
      ) : (
        <ImageView
          className={
            'jp-remotem-viewer-nav-image' +
            (showField ? ' jp-remotem-viewer-nav-field' : '') +
            (showColour ? ' jp-remotem-viewer-nav-colour' : '')
          }
          image={image}
          rgba={showField || showColour ? nav.field : null}
          channels={nav.channels}
          legend={showColour ? 'none' : undefined}
          scaling={effectiveScaling(state.nav, data)}
          cmap={state.nav.cmap}
          calibration={calibration}
          shapes={[...profileBand(state, 'nav'), ...shapes]}
          onShapeChange={
            state.navFft
              ? undefined
              : (_id: string, shape: Shape) => onChange({ roi: shape })
          }
          marker={state.navFft ? null : state.cursor}
          onPick={(point: Point) => onChange({ cursor: point })}
          line={state.lineOn === 'nav' ? state.line : null}
          onLineChange={line => onChange({ line, lineOn: 'nav' })}
          tool={props.tool}
          label={
            showField
              ? trans.__('Centre-of-mass field as a colour wheel')
              : showColour
                ? trans.__(
                    'Navigation image in its own colours (red, green, blue): pick a scan position'
                  )
                : shownResult
                  ? trans.__(
                      'Navigation image (saved result %1): pick a scan position',
                      resultLocationText(shownResult)
                    )
                  : trans.__('Navigation image: pick a scan position')
          }
          busy={nav.busy}
          stale={!nav.exact}
        />
      )}
      {navRank === 1 && state.roi && (
        <RangeEditor
          range={rangeOf(state.roi) ?? [0, 0]}
          size={model.geometry?.nav[1] ?? 1}
          onChange={roi => onChange({ roi })}
        />
      )}
      {nav.error && (
        <ErrorMessage
          error={nav.error}
          onRetry={() => model.refreshNavigation()}
        />
      )}
      {model.navResultError && (
        <div className="jp-remotem-viewer-nav-result-error">
          <ErrorMessage error={model.navResultError} />
        </div>
      )}
      {nav.tooLarge && (
        <TooLarge
          message={
            image
              ? trans.__(
                  'Shown from a subsample of the scan: the exact image is too large to compute interactively.'
                )
              : trans.__('Too large to compute interactively.')
          }
          onRunAsJob={props.onRunAsJob}
        />
      )}
      {!nav.exact && image && !nav.tooLarge && (
        <div className="jp-remotem-note jp-remotem-viewer-coarse">
          {trans.__('Every %1th scan position; refining…', nav.step)}
        </div>
      )}
      {nav.profile && (
        <section
          className="jp-remotem-viewer-nav-profile"
          aria-label={trans.__('Profile at the cursor')}
        >
          <div className="jp-remotem-viewer-caption">
            {trans.__(
              'Profile at x=%1, y=%2 (the mean of its sectors); the image shows %3 bin %4',
              state.cursor[0],
              state.cursor[1],
              nav.profile.axis,
              state.operation?.index ?? 0
            )}
          </div>
          <ProfilePlot
            profile={nav.profile}
            units={nav.profile.units || undefined}
            label={trans.__('Profile over %1', nav.profile.axis)}
          />
        </section>
      )}
      <DisplayPanel
        display={state.nav}
        data={data}
        colour={showColour}
        diverging={isSigned(state)}
        calibration={state.navCalibration}
        metadataCalibration={imageCalibration(dataset, 'nav', null)}
        onChange={display => onChange({ nav: display })}
        onCalibration={navCalibration => onChange({ navCalibration })}
      />
    </section>
  );
}

/**
 * Which saved result the navigation image shows (and which of its planes).
 */
function NavResultCaption(props: {
  result: INavResult;
  /** Its number of planes, once read. */
  channels: number | null;
}): JSX.Element {
  const trans = useTranslation();
  const text = resultLocationText(props.result);
  return (
    <div className="jp-remotem-viewer-nav-source" title={text}>
      {props.channels !== null && props.channels > 1
        ? trans.__(
            'Saved result %1, channel %2 (channels 0–%3)',
            text,
            props.result.channel,
            props.channels - 1
          )
        : trans.__('Saved result %1', text)}
    </div>
  );
}

/**
 * The scan region of a 1-D scan as its first and last index (both included).
 */
function RangeEditor(props: {
  range: [number, number];
  size: number;
  onChange: (roi: Shape) => void;
}): JSX.Element {
  const trans = useTranslation();
  const [start, end] = props.range;
  const field = (label: string, value: number, which: 'start' | 'end') => (
    <label>
      {label}
      <input
        type="number"
        className={`jp-mod-styled jp-remotem-viewer-range-${which}`}
        min={0}
        max={props.size - 1}
        step={1}
        // Remounted when the range changes elsewhere.
        key={value}
        defaultValue={value}
        onKeyDown={event => {
          if (event.key === 'Enter') {
            event.currentTarget.blur();
          }
        }}
        onBlur={event => {
          const typed = Number(event.target.value);
          if (event.target.value.trim() === '' || !isFinite(typed)) {
            return;
          }
          const [a, b] = which === 'start' ? [typed, end] : [start, typed];
          props.onChange(indexRange(a, b, props.size));
        }}
      />
    </label>
  );
  return (
    <div className="jp-remotem-viewer-range">
      {trans.__('Scan region:')}
      {field(trans.__('from index'), start, 'start')}
      {field(trans.__('to'), end, 'end')}
    </div>
  );
}

function FrameSection(props: ISectionProps): JSX.Element {
  const { model, state, onChange } = props;
  const trans = useTranslation();
  const frame = model.frame;
  const dataset = model.dataset!;
  const data = frame.image?.data ?? null;
  const shapes = useMemo(() => {
    if (state.mode === 'com') {
      const { cx, cy, r } = state.com;
      const shape: Shape =
        r !== null ? { kind: 'disk', cx, cy, r } : { kind: 'point', cx, cy };
      return [{ id: 'com', shape, color: COM_COLOR, selected: true }];
    }
    if (state.mode === 'sum' || state.mode === 'operation') {
      return [];
    }
    return state.detectors.map((detector, index) => ({
      id: detector.id,
      shape: detector.shape,
      color: detectorColor(index),
      selected: detector.id === state.selected
    }));
  }, [state.mode, state.com, state.detectors, state.selected]);

  const onShapeChange = (id: string, shape: Shape) => {
    if (id === 'com') {
      if (shape.kind === 'disk' || shape.kind === 'point') {
        onChange({
          com: {
            ...state.com,
            cx: shape.cx,
            cy: shape.cy,
            r: shape.kind === 'disk' ? shape.r : null
          }
        });
      }
      return;
    }
    onChange({
      detectors: state.detectors.map(d => (d.id === id ? { ...d, shape } : d)),
      selected: id
    });
  };

  const navRank = dataset.nav_shape.length;
  const choice = state.mode === 'operation' ? state.operation : null;
  const operation = choice
    ? ((model.operations ?? []).find(op => op.name === choice.name) ?? null)
    : null;
  const frameArrays = operation ? frameImages(operation) : [];
  const frameField =
    choice?.frameField && frameArrays.includes(choice.frameField)
      ? choice.frameField
      : null;
  const fieldCaption = (field: string) => {
    const axis = operation ? planeAxis(outputOf(operation, field)!) : null;
    return axis
      ? trans.__('%1 %2 of %3', field, shownPlane(choice), choice!.name)
      : trans.__('%1 of %2', field, choice!.name);
  };
  const caption = props.imageMode
    ? navRank === 1
      ? trans.__(
          'Image %1 of %2',
          state.cursor[0],
          `0–${dataset.nav_shape[0] - 1}`
        )
      : trans.__('Image')
    : state.roi
      ? trans.__('%1 of the frames in the scan region', state.roiStat)
      : frameField
        ? fieldCaption(frameField)
        : navRank === 1
          ? trans.__('Frame at index %1', state.cursor[0])
          : trans.__('Frame at x=%1, y=%2', state.cursor[0], state.cursor[1]);
  const realCalibration = imageCalibration(
    dataset,
    'sig',
    state.frameCalibration
  );
  const calibration =
    state.frameFft && frame.image
      ? reciprocalCalibration(
          realCalibration,
          frame.image.width,
          frame.image.height
        )
      : realCalibration;
  return (
    <section
      className="jp-remotem-viewer-frame"
      aria-label={
        props.imageMode ? trans.__('Image') : trans.__('Detector frame')
      }
      data-busy={frame.busy}
    >
      {choice && frameArrays.length > 0 && (
        <label className="jp-remotem-viewer-frame-shows">
          {trans.__('Shows')}
          <select
            className="jp-remotem-select"
            data-testid="frame-field"
            value={frameField ?? ''}
            title={trans.__(
              'The frame at the cursor, or an array of %1 per detector pixel',
              choice.name
            )}
            onChange={event =>
              onChange({
                operation: {
                  ...choice,
                  frameField: event.target.value || undefined
                }
              })
            }
          >
            <option value="">{trans.__('Frame at the cursor')}</option>
            {frameArrays.map(name => (
              <option
                key={name}
                value={name}
                title={outputOf(operation!, name)?.description}
              >
                {name}
              </option>
            ))}
          </select>
        </label>
      )}
      <div className="jp-remotem-viewer-caption" aria-live="polite">
        {state.frameFft ? trans.__('|FFT| of: %1', caption) : caption}
      </div>
      <ImageView
        className="jp-remotem-viewer-frame-image"
        image={frame.image}
        scaling={effectiveScaling(state.frame, data)}
        cmap={state.frame.cmap}
        calibration={calibration}
        // Detectors live in the frame's coordinates, not in its FFT's.
        shapes={
          state.frameFft
            ? []
            : [
                ...profileBand(state, 'frame'),
                ...(props.imageMode ? [] : shapes)
              ]
        }
        onShapeChange={state.frameFft ? undefined : onShapeChange}
        onSelectShape={id => {
          if (id !== 'com') {
            onChange({ selected: id });
          }
        }}
        line={state.lineOn === 'frame' ? state.line : null}
        onLineChange={line => onChange({ line, lineOn: 'frame' })}
        tool={props.tool === 'pick' ? 'pick' : props.tool}
        label={
          props.imageMode
            ? trans.__('Image')
            : trans.__('Detector frame: drag detectors and their handles')
        }
        busy={frame.busy}
      />
      {!state.frameFft && !props.imageMode && (
        <SelectedGeometry
          shapes={shapes}
          axes={realCalibration}
          sig={model.geometry?.sig ?? [1, 1]}
          onShapeChange={onShapeChange}
        />
      )}
      {frame.error && (
        <ErrorMessage
          error={frame.error}
          onRetry={() => model.refreshFrame()}
        />
      )}
      {frame.error?.status === 413 && (
        <TooLarge
          message={trans.__('Too large to compute interactively.')}
          onRunAsJob={props.onRunAsJob}
        />
      )}
      <DisplayPanel
        display={state.frame}
        data={data}
        diverging={false}
        calibration={state.frameCalibration}
        metadataCalibration={imageCalibration(dataset, 'sig', null)}
        onChange={display => onChange({ frame: display })}
        onCalibration={frameCalibration => onChange({ frameCalibration })}
      />
    </section>
  );
}

/** The colour of the band a line profile averages over. */
const BAND_COLOR = '#ffeb3b';

/**
 * The band a wide line profile averages over, drawn as an outline on the image the
 * line is on (nothing for a width of 1).
 */
function profileBand(
  state: IViewState,
  on: 'nav' | 'frame'
): (IOverlayShape & { color: string })[] {
  if (!state.line || state.lineOn !== on) {
    return [];
  }
  const outline = bandOutline(state.line[0], state.line[1], state.lineWidth);
  return outline
    ? [
        {
          id: PROFILE_BAND,
          shape: { kind: 'polygon', vertices: outline },
          color: BAND_COLOR,
          fixed: true
        }
      ]
    : [];
}

/** The id of the profile band among a view's overlays (not editable). */
const PROFILE_BAND = 'profile-band';

/**
 * The numbers of the shape whose handles are active on the frame (the selected
 * detector, or the CoM centre).
 */
function SelectedGeometry(props: {
  shapes: { id: string; shape: Shape; selected?: boolean }[];
  axes: FrameAxes;
  sig: [number, number];
  onShapeChange: (id: string, shape: Shape) => void;
}): JSX.Element | null {
  const trans = useTranslation();
  const chosen = props.shapes.find(s => s.selected);
  if (!chosen) {
    return null;
  }
  const [height, width] = props.sig;
  return (
    <GeometryEditor
      key={chosen.id}
      shape={chosen.shape}
      axes={props.axes}
      bounds={{ width, height }}
      label={
        chosen.id === 'com'
          ? trans.__('Centre of mass: reference centre')
          : trans.__('Detector %1', chosen.id)
      }
      onChange={shape => props.onShapeChange(chosen.id, shape)}
    />
  );
}
