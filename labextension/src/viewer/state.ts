/**
 * The viewer's state as plain data: what is shown, with which parameters and display
 * settings. It is what the layout restorer keeps across page reloads, what a saved
 * result carries in its provenance (`view`), and what the server requests are built
 * from. Pure functions only, so that all of it is unit-testable.
 */
import type { IProvenance, IReductionRequest } from '../api';
import { ColormapName, isColormapName } from './colormaps';
import {
  defaultShape,
  fromServerSpec,
  Point,
  Shape,
  ShapeKind,
  toServerSpec
} from './geometry';
import type { StackChoice } from './imagemode';
import {
  IOperationChoice,
  missingParameters,
  readOperationChoice,
  requestParams,
  shownPlane
} from './operationmode';
import { MAX_PROFILE_WIDTH } from './profile';
import { fromRangeSpec, pickParams, rangeSpec } from './scanaxes';
import type { IScaling } from './scaling';
import { DEFAULT_SCALING } from './scaling';

/**
 * What the navigation image shows: a live reduction (a virtual detector, the sum, the
 * centre of mass) or a result array saved earlier (`navResult`).
 */
export type NavMode = 'detector' | 'sum' | 'com' | 'operation' | 'result';

export const NAV_MODES: ReadonlyArray<NavMode> = [
  'detector',
  'sum',
  'com',
  'operation',
  'result'
];

/** Which centre-of-mass quantity the navigation image shows. */
export type ComField =
  'magnitude' | 'field' | 'divergence' | 'curl' | 'shift_x' | 'shift_y';

export const COM_FIELDS: ReadonlyArray<ComField> = [
  'magnitude',
  'field',
  'divergence',
  'curl',
  'shift_x',
  'shift_y'
];

/** The statistic of the frames inside a scan region. */
export type RoiStat = 'sum' | 'mean' | 'std';

export const ROI_STATS: ReadonlyArray<RoiStat> = ['sum', 'mean', 'std'];

/** Detector shapes that can be drawn on the frame. */
export const DETECTOR_KINDS: ReadonlyArray<ShapeKind> = [
  'disk',
  'ring',
  'rectangle',
  'point',
  'polygon'
];

/** Scan regions that can be drawn on the navigation image. */
export const ROI_KINDS: ReadonlyArray<ShapeKind> = ['rectangle', 'disk'];

/** The source of a viewer: a dataset in a repository. */
export interface ISource {
  repository: string;
  path: string;
  dataset: string | null;
}

/**
 * A result array saved earlier, shown as the navigation image: its file, the array
 * inside (null: the file's default) and, for a stack of images, which one.
 */
export interface INavResult {
  repository: string;
  path: string;
  dataset: string | null;
  channel: number;
}

/** A detector drawn on the frame. */
export interface IDetector {
  id: string;
  shape: Shape;
}

/** How an image is drawn. */
export interface IDisplay {
  cmap: ColormapName;
  scaling: IScaling;
  /** Limits follow each new image (until the user sets them). */
  auto: boolean;
  /**
   * The user's limits survive a new image (another result, plane or frame);
   * unpinned, they hold for the image they were set on only.
   */
  pinned?: boolean;
}

/** Parameters of the centre of mass. */
export interface IComParams {
  cx: number;
  cy: number;
  r: number | null;
  /** Degrees, as the server expects. */
  scan_rotation: number;
  flip_y: boolean;
}

/** A user's calibration of one image, overriding the dataset's axes. */
export interface ICalibration {
  scale: number;
  units: string;
}

export interface IViewState {
  mode: NavMode;
  detectors: IDetector[];
  /** The detector whose result tab is shown (and whose handles are active). */
  selected: string | null;
  com: IComParams;
  comField: ComField;
  /** The scan position whose frame is shown, as [x, y]. */
  cursor: Point;
  /** A scan region: the frame then shows a statistic of its frames. */
  roi: Shape | null;
  roiStat: RoiStat;
  navFft: boolean;
  frameFft: boolean;
  nav: IDisplay;
  frame: IDisplay;
  /** User calibrations of the scan and frame pixels (null: the dataset's axes). */
  navCalibration: ICalibration | null;
  frameCalibration: ICalibration | null;
  /** A line drawn for a profile, and on which image. */
  line: [Point, Point] | null;
  lineOn: 'nav' | 'frame';
  /** Pixels across the line that its profile averages (1: the line only). */
  lineWidth: number;
  /** A 3-D array seen as a stack of images or as a 1-D scan (null: as declared). */
  stack: StackChoice;
  /** The saved result shown in mode 'result' (kept when another mode is chosen). */
  navResult: INavResult | null;
  /** The declared reduction shown in mode 'operation' (kept when another mode is chosen). */
  operation: IOperationChoice | null;
}

/** Frame and scan sizes as [height, width]. */
export interface IGeometry {
  nav: [number, number];
  sig: [number, number];
}

/**
 * The scan and frame sizes of a dataset's shapes; 1-D scans become one row.
 */
export function geometryOf(navShape: number[], sigShape: number[]): IGeometry {
  const nav: [number, number] =
    navShape.length >= 2
      ? [navShape[navShape.length - 2], navShape[navShape.length - 1]]
      : [1, navShape[0] ?? 1];
  const sig: [number, number] =
    sigShape.length >= 2
      ? [sigShape[sigShape.length - 2], sigShape[sigShape.length - 1]]
      : [1, sigShape[0] ?? 1];
  return { nav, sig };
}

/**
 * A state for a dataset seen for the first time: a bright-field disk, the frame at
 * the centre of the scan.
 */
export function defaultViewState(geometry: IGeometry): IViewState {
  const [sh, sw] = geometry.sig;
  const [nh, nw] = geometry.nav;
  return {
    mode: 'detector',
    detectors: [{ id: 'd1', shape: defaultShape('disk', sw, sh) }],
    selected: 'd1',
    com: defaultCom(geometry),
    comField: 'magnitude',
    cursor: [Math.floor(nw / 2), Math.floor(nh / 2)],
    roi: null,
    roiStat: 'mean',
    navFft: false,
    frameFft: false,
    nav: {
      cmap: 'gray',
      scaling: { ...DEFAULT_SCALING },
      auto: true,
      pinned: false
    },
    frame: {
      cmap: 'inferno',
      scaling: { ...DEFAULT_SCALING, mode: 'log' },
      auto: true,
      pinned: false
    },
    navCalibration: null,
    frameCalibration: null,
    line: null,
    lineOn: 'frame',
    lineWidth: 1,
    stack: null,
    navResult: null,
    operation: null
  };
}

function defaultCom(geometry: IGeometry): IComParams {
  const [sh, sw] = geometry.sig;
  return {
    cx: (sw - 1) / 2,
    cy: (sh - 1) / 2,
    r: null,
    scan_rotation: 0,
    flip_y: false
  };
}

/**
 * A detector id not used yet.
 */
export function nextDetectorId(detectors: ReadonlyArray<IDetector>): string {
  let n = detectors.length + 1;
  const taken = new Set(detectors.map(d => d.id));
  while (taken.has(`d${n}`)) {
    n++;
  }
  return `d${n}`;
}

/**
 * The server's parameters of the full-frame rectangle (rectangles include both edges).
 */
function wholeFrame(geometry: IGeometry): Record<string, unknown> {
  const [sh, sw] = geometry.sig;
  return { shape: 'rectangle', x: 0, y: 0, width: sw - 1, height: sh - 1 };
}

/**
 * The reduction behind the navigation image, and the result arrays to fetch.
 * `channel` picks a detector's plane of a virtual-detector answer, or the plane a
 * declared reduction's choice shows (a component).
 */
export function navigationRequest(
  source: ISource,
  state: IViewState,
  geometry: IGeometry
): { request: IReductionRequest; fields: string[]; channel: number } | null {
  if (state.mode === 'result') {
    // A saved array is read as it is (`GET data`), not reduced.
    return null;
  }
  const base = {
    repository: source.repository,
    path: source.path,
    dataset: source.dataset,
    roi: null,
    ...(state.navFft ? { fft: true } : {})
  };
  if (state.mode === 'operation') {
    // A declared reduction; it waits until the form holds its required parameters.
    if (!state.operation || missingParameters(state.operation).length) {
      return null;
    }
    return {
      request: {
        ...base,
        operation: state.operation.name,
        params: requestParams(state.operation.params)
      },
      fields: [state.operation.field],
      channel: shownPlane(state.operation)
    };
  }
  if (state.mode === 'com') {
    return {
      request: { ...base, operation: 'com', params: { ...state.com } },
      fields:
        state.comField === 'field' ? ['shift_y', 'shift_x'] : [state.comField],
      channel: 0
    };
  }
  if (state.mode === 'sum') {
    return {
      request: {
        ...base,
        operation: 'virtual_detector',
        params: { detectors: [wholeFrame(geometry)] }
      },
      fields: ['intensity'],
      channel: 0
    };
  }
  if (!state.detectors.length) {
    return null;
  }
  const index = Math.max(
    0,
    state.detectors.findIndex(d => d.id === state.selected)
  );
  return {
    request: {
      ...base,
      operation: 'virtual_detector',
      params: { detectors: state.detectors.map(d => toServerSpec(d.shape)) }
    },
    fields: ['intensity'],
    channel: index
  };
}

/**
 * The reduction behind the frame, or null when the frame is read as it is (`GET data`).
 * `navRank` is the number of scan axes (the position a pick names).
 */
export function frameRequest(
  source: ISource,
  state: IViewState,
  navRank = 2
): { request: IReductionRequest; field: string; channel?: number } | null {
  const base = {
    repository: source.repository,
    path: source.path,
    dataset: source.dataset,
    ...(state.frameFft ? { fft: true } : {})
  };
  if (state.roi) {
    return {
      request: {
        ...base,
        operation: 'frame_stats',
        params: {},
        // A scan with one axis asks for an index range, not image geometry.
        roi: navRank === 1 ? rangeSpec(state.roi) : toServerSpec(state.roi)
      },
      field: state.roiStat
    };
  }
  const choice = state.mode === 'operation' ? state.operation : null;
  if (choice?.frameField && !missingParameters(choice).length) {
    // An array of the navigation's reduction per detector pixel (component k of a
    // decomposition, at the plane the navigation shows).
    return {
      request: {
        ...base,
        operation: choice.name,
        params: requestParams(choice.params),
        roi: null
      },
      field: choice.frameField,
      channel: shownPlane(choice)
    };
  }
  if (state.frameFft) {
    return {
      request: {
        ...base,
        operation: 'pick',
        params: pickParams(state.cursor, navRank),
        roi: null
      },
      field: 'frame'
    };
  }
  return null;
}

/**
 * The numpy slice of the frame at the cursor (`GET data?slice=`).
 */
export function frameSlice(state: IViewState, navRank: number): string {
  const [x, y] = state.cursor;
  if (navRank === 0) {
    // A single image: it is its own frame.
    return '...';
  }
  if (navRank === 1) {
    return `${x},...`;
  }
  // The viewer shows the last two scan axes; earlier ones stay at their first index.
  return [...new Array(navRank - 2).fill(0), y, x, '...'].join(',');
}

/**
 * Keep the cursor inside the scan.
 */
export function clampCursor(point: Point, geometry: IGeometry): Point {
  const [nh, nw] = geometry.nav;
  const x = Math.min(nw - 1, Math.max(0, Math.round(point[0])));
  const y = Math.min(nh - 1, Math.max(0, Math.round(point[1])));
  return [x, y];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPoint(value: unknown): value is Point {
  return (
    Array.isArray(value) &&
    value.length === 2 &&
    value.every(v => typeof v === 'number' && isFinite(v))
  );
}

function pick<T>(value: unknown, allowed: ReadonlyArray<T>, fallback: T): T {
  return allowed.includes(value as T) ? (value as T) : fallback;
}

function readShape(value: unknown): Shape | null {
  if (!isRecord(value)) {
    return null;
  }
  try {
    // Our own saved shapes carry `kind`; server specs carry `shape`.
    if (typeof value.kind === 'string') {
      return fromServerSpec({ ...value, shape: value.kind });
    }
    return fromServerSpec(value);
  } catch {
    return null;
  }
}

/**
 * A request's scan region: an index range of a 1-D scan, or any shape.
 */
function readRoi(value: unknown, geometry: IGeometry): Shape | null {
  return fromRangeSpec(value, geometry.nav[1]) ?? readShape(value);
}

function readDisplay(value: unknown, fallback: IDisplay): IDisplay {
  if (!isRecord(value)) {
    return fallback;
  }
  const scaling = isRecord(value.scaling)
    ? ({ ...fallback.scaling, ...value.scaling } as IScaling)
    : fallback.scaling;
  return {
    cmap: isColormapName(value.cmap) ? value.cmap : fallback.cmap,
    scaling,
    auto: typeof value.auto === 'boolean' ? value.auto : fallback.auto,
    pinned: typeof value.pinned === 'boolean' ? value.pinned : fallback.pinned
  };
}

/**
 * A saved result's location and channel read back from untrusted JSON, or null.
 */
export function readNavResult(value: unknown): INavResult | null {
  if (
    !isRecord(value) ||
    typeof value.repository !== 'string' ||
    !value.repository ||
    typeof value.path !== 'string' ||
    !value.path
  ) {
    return null;
  }
  const channel = value.channel;
  return {
    repository: value.repository,
    path: value.path,
    dataset:
      typeof value.dataset === 'string' && value.dataset ? value.dataset : null,
    channel:
      typeof channel === 'number' && Number.isInteger(channel) && channel >= 0
        ? channel
        : 0
  };
}

function readCalibration(value: unknown): ICalibration | null {
  if (
    isRecord(value) &&
    typeof value.scale === 'number' &&
    value.scale > 0 &&
    typeof value.units === 'string'
  ) {
    return { scale: value.scale, units: value.units };
  }
  return null;
}

/**
 * A state read back from untrusted JSON (the layout store, a file's provenance):
 * whatever is missing or malformed takes the default.
 */
export function readViewState(value: unknown, geometry: IGeometry): IViewState {
  const fallback = defaultViewState(geometry);
  if (!isRecord(value)) {
    return fallback;
  }
  const detectors: IDetector[] = [];
  if (Array.isArray(value.detectors)) {
    for (const item of value.detectors) {
      const shape = readShape(isRecord(item) ? item.shape : null);
      if (shape) {
        const id =
          isRecord(item) && typeof item.id === 'string' && item.id
            ? item.id
            : nextDetectorId(detectors);
        detectors.push({ id, shape });
      }
    }
  }
  const chosen = Array.isArray(value.detectors)
    ? detectors
    : fallback.detectors;
  const com = isRecord(value.com) ? value.com : {};
  const number = (v: unknown, d: number) =>
    typeof v === 'number' && isFinite(v) ? v : d;
  const line =
    Array.isArray(value.line) &&
    value.line.length === 2 &&
    isPoint(value.line[0]) &&
    isPoint(value.line[1])
      ? ([value.line[0], value.line[1]] as [Point, Point])
      : null;
  const navResult = readNavResult(value.navResult);
  const operation = readOperationChoice(value.operation);
  const mode = pick(value.mode, NAV_MODES, fallback.mode);
  // Modes 'result' and 'operation' need a result or an operation to show.
  const shown =
    (mode === 'result' && !navResult) || (mode === 'operation' && !operation)
      ? fallback.mode
      : mode;
  return {
    mode: shown,
    detectors: chosen,
    selected:
      typeof value.selected === 'string' &&
      chosen.some(d => d.id === value.selected)
        ? value.selected
        : (chosen[0]?.id ?? null),
    com: {
      cx: number(com.cx, fallback.com.cx),
      cy: number(com.cy, fallback.com.cy),
      r: typeof com.r === 'number' && com.r > 0 ? com.r : null,
      scan_rotation: number(com.scan_rotation, 0),
      flip_y: com.flip_y === true
    },
    comField: pick(value.comField, COM_FIELDS, fallback.comField),
    cursor: isPoint(value.cursor)
      ? clampCursor(value.cursor, geometry)
      : fallback.cursor,
    roi: readShape(value.roi),
    roiStat: pick(value.roiStat, ROI_STATS, fallback.roiStat),
    navFft: value.navFft === true,
    frameFft: value.frameFft === true,
    nav: readDisplay(value.nav, fallback.nav),
    frame: readDisplay(value.frame, fallback.frame),
    navCalibration: readCalibration(value.navCalibration),
    frameCalibration: readCalibration(value.frameCalibration),
    line,
    lineOn: value.lineOn === 'nav' ? 'nav' : 'frame',
    lineWidth:
      typeof value.lineWidth === 'number' &&
      Number.isInteger(value.lineWidth) &&
      value.lineWidth >= 1 &&
      value.lineWidth <= MAX_PROFILE_WIDTH
        ? value.lineWidth
        : 1,
    stack:
      value.stack === 'images' || value.stack === 'scan' ? value.stack : null,
    navResult,
    operation
  };
}

/**
 * The state a result was made with: its saved view when there is one, else what its
 * request says (operation, detectors, CoM parameters, scan region).
 */
export function stateFromProvenance(
  provenance: IProvenance,
  geometry: IGeometry
): IViewState {
  if (isRecord(provenance.view)) {
    return readViewState(provenance.view, geometry);
  }
  const state = defaultViewState(geometry);
  const request = provenance.request;
  if (!request) {
    return state;
  }
  const params = isRecord(request.params) ? request.params : {};
  if (request.operation === 'com') {
    const restored = readViewState({ mode: 'com', com: params }, geometry);
    return { ...restored, roi: readRoi(request.roi, geometry) };
  }
  if (
    request.operation === 'virtual_detector' &&
    Array.isArray(params.detectors)
  ) {
    const detectors = params.detectors.map((spec, i) => ({
      id: `d${i + 1}`,
      shape: spec
    }));
    return readViewState({ detectors }, geometry);
  }
  if (request.operation === 'frame_stats') {
    return { ...state, roi: readRoi(request.roi, geometry) };
  }
  return state;
}

/**
 * The source a result was computed from, when its provenance says.
 */
export function sourceFromProvenance(provenance: IProvenance): ISource | null {
  const request = provenance.request;
  if (
    !request ||
    typeof request.repository !== 'string' ||
    typeof request.path !== 'string'
  ) {
    return null;
  }
  return {
    repository: request.repository,
    path: request.path,
    dataset: typeof request.dataset === 'string' ? request.dataset : null
  };
}

/**
 * Read "repository:path" (as typed in the palette); null when malformed.
 */
export function parseLocation(
  text: string
): { repository: string; path: string } | null {
  const at = text.indexOf(':');
  if (at <= 0) {
    return null;
  }
  const repository = text.slice(0, at).trim();
  const path = text
    .slice(at + 1)
    .trim()
    .replace(/^\/+/, '');
  return repository && path ? { repository, path } : null;
}
