/**
 * The live model behind one viewer: loads the dataset's metadata (or, for a saved
 * result, the dataset it came from and the view it was saved with), keeps the view
 * state, asks the server for the navigation image and the frame whenever the state
 * calls for it, and follows the job of a save or of work too large to answer at once.
 */
import { ISignal, Signal } from '@lumino/signaling';

import {
  IDatasetInfo,
  IJob,
  IJobOutput,
  IOperationDim,
  IOperationInfo,
  IPictureOptions,
  IReductionJobRequest,
  IReductionRequest,
  IRepository,
  isAbort,
  ISaveDryRun,
  JobRequest,
  RemotemAPI,
  RemotemError
} from '../api';
import { isFinal } from '../jobstate';
import { installColormaps } from './colormaps';
import { followNewImage, switchSpace } from './display';
import type { IReadoutChannel } from './ImageView';
import { DataKind, dataKind } from './imagemode';
import { colourWheel, expandCoarse, inferStep } from './images';
import { JobWatch } from './jobwatch';
import { fitResult, IResultFit, resultLocationText } from './navresult';
import { IImage, INDArray, parseNpy, toImage } from './npy';
import {
  outputOf,
  profileAxis,
  profileCoordinates,
  showsColour
} from './operationmode';
import {
  colourBrightness,
  colourPixels,
  fullColour,
  planeCount,
  profileAt,
  profileBins,
  profileImage,
  usablePlane
} from './planes';
import { LiveQuery } from './requests';
import { asScanRows, navViews, pickParams, supportedState } from './scanaxes';
import {
  clampCursor,
  defaultViewState,
  frameRequest,
  frameSlice,
  geometryOf,
  IDisplay,
  IGeometry,
  INavResult,
  ISource,
  IViewState,
  navigationRequest,
  readViewState,
  sourceFromProvenance,
  stateFromProvenance
} from './state';

/** The curve at the cursor of a profile per scan position. */
export interface INavProfile {
  distance: Float64Array;
  values: Float64Array;
  /** The unit of `distance` ('' for ring indexes). */
  units: string;
  /** The name of the axis (radius). */
  axis: string;
}

/** The navigation image as last answered. */
export interface INavigation {
  /** The shown plane, spread over the whole scan. */
  image: IImage | null;
  /**
   * RGBA pixels drawn as they are: the colour wheel when the CoM field is shown, the
   * colours of a colour output (a decomposition's composite).
   */
  field: Uint8ClampedArray | null;
  /** The array's own colours are shown (`field`): no colormap, no limits. */
  colour: boolean;
  /**
   * The parts the readout names beside `image`'s value: red, green and blue of a colour
   * output, the x and y of the centre-of-mass field; empty for a plain image.
   */
  channels: IReadoutChannel[];
  /**
   * The curve at the cursor of a profile per scan position (a radial profile: the mean
   * over sectors of each ring) over its axis's coordinates; null for any other image.
   */
  profile: INavProfile | null;
  /** How many planes the answer holds along its index axis (1: a plain image). */
  planes: number;
  /** Whether every scan position was read. */
  exact: boolean;
  step: number;
  /** ms from the request to its first answer. */
  latencyMs: number | null;
  error: RemotemError | null;
  /** The exact pass was refused as too large: a job can compute it. */
  tooLarge: boolean;
  busy: boolean;
}

/** The frame as last answered. */
export interface IFrame {
  image: IImage | null;
  error: RemotemError | null;
  busy: boolean;
}

/** What a save writes: the navigation result, or the frame (ROI statistic, pick). */
export type SaveWhat = 'nav' | 'frame';

interface INavArrays {
  arrays: INDArray[];
  step: number;
  /** How a saved result shown as navigation image was read. */
  fit?: IResultFit;
}

/** What the metadata says about a saved result's array. */
interface IResultInfo {
  /** Its location, as `resultLocationText` writes it. */
  key: string;
  shape: number[];
  format: string;
}

export class ViewerModel {
  /**
   * @param target what was opened: a dataset, or a saved result
   * @param restored a view state kept by the layout restorer, if any
   */
  constructor(
    readonly api: RemotemAPI,
    readonly target: ISource,
    restored?: unknown
  ) {
    this._restored = restored ?? null;
  }

  /** The dataset the viewer computes on (the target, or the source of a result). */
  get source(): ISource | null {
    return this._source;
  }

  /** Set when the target is a result: its own location. */
  get result(): ISource | null {
    return this._isResult ? this.target : null;
  }

  get dataset(): IDatasetInfo | null {
    return this._dataset;
  }

  get geometry(): IGeometry | null {
    return this._geometry;
  }

  get loadError(): RemotemError | null {
    return this._loadError;
  }

  get state(): IViewState | null {
    return this._state;
  }

  get repositories(): IRepository[] | null {
    return this._repositories;
  }

  get operations(): IOperationInfo[] | null {
    return this._operations;
  }

  get navigation(): INavigation {
    return this._nav;
  }

  get frame(): IFrame {
    return this._frame;
  }

  /**
   * Why the saved result last chosen as navigation image was not taken (the
   * navigation image shown before stays).
   */
  get navResultError(): RemotemError | null {
    return this._navResultError;
  }

  /** How the saved result shown as navigation image is read, once known. */
  get navResultFit(): IResultFit | null {
    return this._state?.mode === 'result' ? this._navResultFit : null;
  }

  /** The job this viewer started last, as last seen. */
  get job(): IJob | null {
    return this._watch?.job ?? null;
  }

  get jobError(): RemotemError | null {
    return this._jobError;
  }

  /** Anything shown changed. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * A number that grows with every change of what is shown: a view compares it
   * with the one it last drew, so that a change made before it listened (a
   * restored viewer's answers can all arrive before the panel subscribes) is
   * never lost.
   */
  get version(): number {
    return this._version;
  }

  /** The view state changed (worth saving in the layout). */
  get stateChanged(): ISignal<this, void> {
    return this._stateChanged;
  }

  /** A job started here was submitted or moved on. */
  get jobChanged(): ISignal<this, IJob> {
    return this._jobChanged;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /**
   * Read the metadata (following a result to its source), then compute.
   */
  async load(): Promise<void> {
    this._loadError = null;
    this._touch();
    try {
      // The colour maps (and the rest of the view contract) come from the server.
      const contract = this.api.getViewContract();
      // (Awaited below; a failure of the metadata first must not leave it unhandled.)
      contract.catch(() => undefined);
      let meta = await this.api.getMeta(
        this.target.repository,
        this.target.path,
        this.target.dataset
      );
      let source: ISource = this.target;
      const provenance = meta.provenance ?? null;
      const origin = provenance ? sourceFromProvenance(provenance) : null;
      if (origin) {
        source = origin;
        meta = await this.api.getMeta(
          origin.repository,
          origin.path,
          origin.dataset
        );
      }
      if (this._disposed) {
        return;
      }
      if (!meta.dataset) {
        throw new RemotemError(
          'This file holds no array that can be shown.',
          0,
          'no_dataset',
          null
        );
      }
      installColormaps((await contract).colormaps);
      if (this._disposed) {
        return;
      }
      const geometry = geometryOf(
        meta.dataset.nav_shape,
        meta.dataset.sig_shape
      );
      this._isResult = origin !== null;
      this._source = {
        ...source,
        dataset: source.dataset ?? meta.dataset.dataset
      };
      this._dataset = meta.dataset;
      this._geometry = geometry;
      this._state = this._shownAs(
        supportedState(
          this._restored !== null
            ? readViewState(this._restored, geometry)
            : provenance && origin
              ? stateFromProvenance(provenance, geometry)
              : this._firstState(meta.dataset, geometry),
          meta.dataset.nav_shape.length
        )
      );
    } catch (reason) {
      if (!isAbort(reason)) {
        this._loadError = RemotemError.from(reason);
      }
      this._touch();
      return;
    }
    this._touch();
    this._stateChanged.emit();
    void this._loadContext();
    this.refreshNavigation();
    this.refreshFrame();
  }

  /**
   * Change the view state; recompute what it affects.
   */
  update(patch: Partial<IViewState>): void {
    if (!this._state || !this._geometry) {
      return;
    }
    const next = this._shownAs(
      supportedState({ ...this._state, ...patch }, this._navRank)
    );
    next.cursor = clampCursor(next.cursor, this._geometry);
    if (patch.mode !== undefined) {
      this._navResultError = null;
    }
    const shownBefore = this._imageKeys();
    const before = this._state;
    this._state = next;
    this._followNewImages(before, shownBefore, patch);
    const navKey = this._navKey();
    if (navKey !== this._lastNavKey) {
      this.refreshNavigation();
    } else {
      this._showNavigation();
    }
    if (this._frameKey() !== this._lastFrameKey) {
      this.refreshFrame();
    }
    this._touch();
    this._stateChanged.emit();
  }

  /**
   * What identifies the navigation image and the frame on screen: when one changes,
   * a new image is shown.
   */
  private _imageKeys(): { nav: string; frame: string } {
    const channel = this._navigationPlan()?.channel ?? 0;
    return {
      nav: JSON.stringify([this._navKey(), channel]),
      frame: this._frameKey()
    };
  }

  /**
   * The displays for the images the state now asks for: a switch between real space
   * and FFT swaps in that space's display; any new image lets unpinned limits follow
   * it. A display the patch sets itself is the user's choice and stays.
   */
  private _followNewImages(
    before: IViewState,
    shownBefore: { nav: string; frame: string },
    patch: Partial<IViewState>
  ): void {
    const state = this._state!;
    const defaults = defaultViewState(this._geometry!);
    const shown = this._imageKeys();
    const displayOf = (which: 'nav' | 'frame') => {
      const fftKey = which === 'nav' ? 'navFft' : 'frameFft';
      if (patch[which] !== undefined) {
        return state[which];
      }
      if (state[fftKey] !== before[fftKey]) {
        const { shown: display, aside } = switchSpace(
          state[which],
          this._asideDisplays[which],
          state[fftKey],
          defaults[which]
        );
        this._asideDisplays[which] = aside;
        return display;
      }
      return shown[which] !== shownBefore[which]
        ? followNewImage(state[which])
        : state[which];
    };
    this._state = {
      ...state,
      nav: displayOf('nav'),
      frame: displayOf('frame')
    };
  }

  /**
   * Show the saved result `choice` as the navigation image, once its metadata says
   * that it fits the scan; otherwise `navResultError` says why and the navigation
   * image shown stays. Resolves whether it was taken.
   */
  async chooseNavResult(choice: INavResult): Promise<boolean> {
    if (!this._state || !this._dataset) {
      return false;
    }
    const run = ++this._choiceRun;
    this._navResultError = null;
    // The file may have been written again since it was last read.
    this._resultInfo = null;
    this._touch();
    try {
      await this._fitResult(choice);
    } catch (reason) {
      if (run === this._choiceRun && !isAbort(reason) && !this._disposed) {
        this._navResultError = RemotemError.from(reason);
        this._touch();
      }
      return false;
    }
    if (run !== this._choiceRun || this._disposed || !this._state) {
      return false;
    }
    this.update({ mode: 'result', navResult: choice });
    return true;
  }

  /**
   * Ask for the navigation image again: coarse first, then exact (a saved result:
   * read once).
   */
  refreshNavigation(): void {
    const source = this._source;
    const state = this._state;
    const geometry = this._geometry;
    if (!source || !state || !geometry) {
      return;
    }
    this._lastNavKey = this._navKey();
    if (
      state.mode === 'result' &&
      state.navResult &&
      !navViews(this._navRank).navigation &&
      this.dataKind === 'scan'
    ) {
      this._refreshResult(state.navResult);
      return;
    }
    const plan = this._navigationPlan();
    if (!plan) {
      this._navArrays = null;
      this._nav = {
        ...this._nav,
        image: null,
        field: null,
        colour: false,
        channels: [],
        profile: null,
        error: null
      };
      this._touch();
      return;
    }
    this._navStarted = performance.now();
    this._navFirstPending = true;
    this._nav = { ...this._nav, error: null, tooLarge: false };
    void this._navQuery.start(async (coarse, signal) => {
      const request = coarse ? { ...plan.request, coarse: true } : plan.request;
      const answer = await reduceFields(this.api, request, plan.fields, signal);
      const arrays = answer.arrays.map(a => asScanRows(a, this._navRank));
      const step =
        answer.step ??
        Math.max(
          inferStep(arrays[0].shape[0] ?? 1, geometry.nav[0]),
          inferStep(arrays[0].shape[1] ?? 1, geometry.nav[1])
        );
      return { value: { arrays, step }, step };
    }, true);
  }

  /**
   * Read the chosen plane of a saved result, checked against the scan first.
   */
  private _refreshResult(result: INavResult): void {
    this._navStarted = performance.now();
    this._navFirstPending = true;
    this._nav = { ...this._nav, error: null, tooLarge: false };
    void this._navQuery.start(async (_coarse, signal) => {
      const fit = await this._fitResult(result, signal);
      const array = await this._readArray(result, fit.slice, signal);
      const arrays = [asScanRows(array, this._navRank)];
      return { value: { arrays, step: 1, fit }, step: 1 };
    }, false);
  }

  /**
   * How the saved result `result` fits the scan (its metadata is read once per
   * file); a RemotemError saying the shapes when it does not.
   */
  private async _fitResult(
    result: INavResult,
    signal?: AbortSignal
  ): Promise<IResultFit> {
    const key = resultLocationText(result);
    let info = this._resultInfo?.key === key ? this._resultInfo : null;
    if (!info) {
      const meta = await this.api.getMeta(
        result.repository,
        result.path,
        result.dataset,
        signal
      );
      if (!meta.dataset) {
        throw new RemotemError(
          `${key} holds no array that can be shown.`,
          0,
          'no_dataset',
          null
        );
      }
      info = { key, shape: meta.dataset.shape, format: meta.dataset.format };
      this._resultInfo = info;
    }
    const answer = fitResult(
      info.shape,
      info.format,
      this._dataset?.nav_shape ?? [],
      result.channel
    );
    if ('problem' in answer) {
      throw new RemotemError(
        `${key} cannot be the navigation image. ${answer.problem}`,
        0,
        'shape_mismatch',
        'Choose a result computed over this scan, such as a virtual detector, the sum or the centre of mass saved from this viewer.'
      );
    }
    return answer.fit;
  }

  /**
   * Part of an array as it is stored (`GET data`).
   */
  private async _readArray(
    location: ISource,
    slice: string,
    signal: AbortSignal
  ): Promise<INDArray> {
    return parseNpy(
      await this.api.getData(
        location.repository,
        location.path,
        slice,
        location.dataset,
        signal
      )
    );
  }

  /**
   * Ask for the frame again (at the cursor, or the statistic of the scan region).
   */
  refreshFrame(): void {
    const source = this._source;
    const state = this._state;
    const dataset = this._dataset;
    if (!source || !state || !dataset) {
      return;
    }
    this._lastFrameKey = this._frameKey();
    const plan = frameRequest(source, state, this._navRank);
    const slice = frameSlice(state, dataset.nav_shape.length);
    void this._frameQuery.start(async (_coarse, signal) => {
      const array = plan
        ? parseNpy(
            (await this.api.reduceNpy(plan.request, plan.field, signal)).buffer
          )
        : await this._readArray(source, slice, signal);
      const channel = usablePlane(plan?.channel ?? 0, planeCount(array));
      return { value: toImage(array, channel), step: 1 };
    }, false);
  }

  /**
   * The job body that writes what is shown to `output`, with the view state in its
   * provenance.
   */
  jobRequest(output: IJobOutput, what: SaveWhat): IReductionJobRequest | null {
    const source = this._source;
    const state = this._state;
    const geometry = this._geometry;
    if (!source || !state || !geometry) {
      return null;
    }
    const view = state as unknown as Record<string, unknown>;
    if (what === 'frame') {
      const plan = frameRequest(source, state, this._navRank) ?? {
        request: {
          ...source,
          operation: 'pick',
          params: pickParams(state.cursor, this._navRank),
          roi: null
        },
        field: 'frame'
      };
      return { ...plan.request, output: withArray(output, plan.field), view };
    }
    const plan = this._navigationPlan();
    if (!plan) {
      return null;
    }
    const field =
      state.mode === 'com' && state.comField !== 'field'
        ? state.comField
        : state.mode === 'com'
          ? 'magnitude'
          : plan.fields[0];
    return { ...plan.request, output: withArray(output, field), view };
  }

  /**
   * What the job writing what is shown would cost, and whether it fits the quota.
   */
  async quote(
    output: IJobOutput,
    what: SaveWhat,
    signal?: AbortSignal,
    picture?: IPictureOptions
  ): Promise<ISaveDryRun> {
    // Async, so that a refusal of what cannot be saved rejects rather than throws.
    return this.api.quoteSave(this._saveRequest(output, what, picture), signal);
  }

  /**
   * Submit a job writing what is shown; the viewer follows it.
   */
  async submit(
    output: IJobOutput,
    what: SaveWhat,
    picture?: IPictureOptions
  ): Promise<IJob> {
    // Saved at once when small (a picked frame, an FFT), else queued as a job.
    const job = await this.api.saveView(
      this._saveRequest(output, what, picture)
    );
    this._follow(job);
    return job;
  }

  private _saveRequest(
    output: IJobOutput,
    what: SaveWhat,
    picture?: IPictureOptions
  ): IReductionJobRequest {
    const shown = this._state?.navResult;
    if (what === 'nav' && this._state?.mode === 'result' && shown) {
      throw new RemotemError(
        `The navigation image is the saved result ${resultLocationText(shown)} already.`,
        0,
        'invalid',
        'Save the frame, or choose another navigation image first.'
      );
    }
    const request = this.jobRequest(output, what);
    if (!request) {
      throw new RemotemError('Nothing to save yet.', 0, 'invalid', null);
    }
    return output.format === 'png' && picture
      ? { ...request, view: { ...request.view, picture } }
      : request;
  }

  /**
   * Submit a job (a chain of transformations written as a new dataset, say); the
   * viewer follows it, and the Jobs section lists it.
   */
  async runJob(request: JobRequest): Promise<IJob> {
    const job = await this.api.submitJob(request);
    this._follow(job);
    return job;
  }

  /**
   * Copy the dataset's file into `target` (the notebook folder) as a job the viewer
   * follows.
   */
  /** Copy the dataset into a repository (by name: the advice's "copy here"). */
  async copyTo(target: IRepository | string): Promise<IJob> {
    const name = typeof target === 'string' ? target : target.name;
    const source = this._source;
    if (!source) {
      throw new RemotemError('Nothing to copy yet.', 0, 'invalid', null);
    }
    const job = await this.api.submitJob({
      operation: 'copy',
      source: { repository: source.repository, path: source.path },
      target: {
        repository: name,
        path: source.path.split('/').pop() || source.path
      },
      priority: 0
    });
    this._follow(job);
    return job;
  }

  /**
   * Cancel the job this viewer follows.
   */
  async cancelJob(): Promise<void> {
    if (!this._watch) {
      return;
    }
    try {
      await this._watch.cancel();
    } catch (reason) {
      this._jobError = RemotemError.from(reason);
      this._touch();
    }
  }

  /** Stop showing a finished job. */
  dismissJob(): void {
    if (this._watch && isFinal(this._watch.job.phase)) {
      this._watch.dispose();
      this._watch = null;
      this._jobError = null;
      this._touch();
    }
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._navQuery.cancel();
    this._frameQuery.cancel();
    this._watch?.dispose();
    Signal.clearData(this);
  }

  /** Record a change of what is shown, and tell the listeners. */
  private _touch(): void {
    this._version++;
    this._changed.emit();
  }

  private _follow(job: IJob): void {
    this._watch?.dispose();
    this._jobError = null;
    this._watch = new JobWatch(this.api, job, (current, error) => {
      this._jobError = error;
      this._touch();
      this._jobChanged.emit(current);
    });
    this._touch();
    this._jobChanged.emit(job);
  }

  private async _loadContext(): Promise<void> {
    const source = this._source;
    if (!source) {
      return;
    }
    const [repositories, operations] = await Promise.all([
      this.api.listRepositories().catch(() => null),
      this.api
        .listOperations({
          repository: source.repository,
          path: source.path,
          dataset: source.dataset
        })
        .catch(() => null)
    ]);
    if (this._disposed) {
      return;
    }
    this._repositories = repositories;
    this._operations = operations;
    // Whether an answer already shown holds its own colours, and whether it comes with
    // coordinates (a profile's radii), is declared there.
    if (this._navKey() !== this._lastNavKey) {
      this.refreshNavigation();
    } else {
      this._showNavigation();
    }
    this._touch();
  }

  /**
   * What the dataset is shown as: a scan of frames (the 4-D viewer), one image, or a
   * stack of images (the image viewer); see `imagemode.ts`.
   */
  get dataKind(): DataKind {
    return this._dataset
      ? dataKind(this._dataset, this._state?.stack ?? null)
      : 'scan';
  }

  /**
   * The state as the dataset's kind allows: an image or a stack of images has no
   * scan region (its frames are not diffraction patterns of a scan).
   */
  private _shownAs(state: IViewState): IViewState {
    const kind = this._dataset ? dataKind(this._dataset, state.stack) : 'scan';
    return kind === 'scan' ? state : { ...state, roi: null };
  }

  /**
   * The state a dataset seen for the first time starts with: an image (or a stack of
   * them) is drawn like a navigation image (gray, linear), not like a diffraction
   * frame (log scale).
   */
  private _firstState(dataset: IDatasetInfo, geometry: IGeometry): IViewState {
    const state = defaultViewState(geometry);
    return dataKind(dataset) === 'scan'
      ? state
      : { ...state, frame: { ...state.nav } };
  }

  /** The number of scan axes (0 before the metadata is read). */
  private get _navRank(): number {
    return this._dataset?.nav_shape.length ?? 0;
  }

  /**
   * The reduction behind the navigation view, or null when there is none (no
   * detector, or a scan whose navigation cannot be shown).
   */
  private _navigationPlan(): ReturnType<typeof navigationRequest> {
    if (!this._source || !this._state || !this._geometry) {
      return null;
    }
    if (navViews(this._navRank).navigation || this.dataKind !== 'scan') {
      return null;
    }
    const plan = navigationRequest(this._source, this._state, this._geometry);
    // A profile per position comes with its coordinates (the radius of each ring), in
    // the same answer; an FFT of the scan has no curve to plot.
    const coordinates = this._shownProfile()?.coordinates;
    return plan && coordinates && !this._state.navFft
      ? { ...plan, fields: [...plan.fields, coordinates] }
      : plan;
  }

  /**
   * The profile axis of the array the navigation shows, when it is a profile per scan
   * position (a radial profile), with the output holding its coordinates.
   */
  private _shownProfile(): {
    axis: IOperationDim;
    coordinates: string | null;
  } | null {
    const choice =
      this._state?.mode === 'operation' ? this._state.operation : null;
    const operation = choice
      ? this._operations?.find(op => op.name === choice.name)
      : null;
    const output =
      operation && choice ? outputOf(operation, choice.field) : null;
    const axis = output ? profileAxis(output) : null;
    return axis && operation && choice
      ? { axis, coordinates: profileCoordinates(operation, choice.field) }
      : null;
  }

  private _navKey(): string {
    if (!this._source || !this._state || !this._geometry) {
      return '';
    }
    if (this._state.mode === 'result') {
      return JSON.stringify(['result', this._state.navResult]);
    }
    const plan = this._navigationPlan();
    return plan ? JSON.stringify([plan.request, plan.fields]) : '';
  }

  private _frameKey(): string {
    if (!this._source || !this._state || !this._dataset) {
      return '';
    }
    const plan = frameRequest(this._source, this._state, this._navRank);
    return JSON.stringify(
      plan ?? frameSlice(this._state, this._dataset.nav_shape.length)
    );
  }

  private _onNavAnswer(value: INavArrays, exact: boolean): void {
    const latency = this._navFirstPending
      ? performance.now() - this._navStarted
      : this._nav.latencyMs;
    this._navFirstPending = false;
    this._navArrays = value;
    this._navResultFit = value.fit ?? null;
    this._nav = {
      ...this._nav,
      exact,
      step: value.step,
      latencyMs: latency,
      error: null
    };
    this._showNavigation();
    this._touch();
  }

  /**
   * Turn the cached answer into the image shown (the selected detector's plane, or
   * the CoM field as a colour wheel), spread over the whole scan.
   */
  private _showNavigation(): void {
    const cached = this._navArrays;
    const state = this._state;
    const geometry = this._geometry;
    if (!cached || !state || !geometry) {
      return;
    }
    const plan = this._navigationPlan();
    const channel = plan?.channel ?? 0;
    const [height, width] = state.navFft
      ? [cached.arrays[0].shape[0] ?? 1, cached.arrays[0].shape[1] ?? 1]
      : geometry.nav;
    const step = state.navFft ? 1 : cached.step;
    const spread = (array: INDArray, plane: number) =>
      expandCoarse(toImage(array, plane), step, width, height);
    try {
      const profile = this._shownProfile();
      if (profile) {
        this._showProfile(cached, profile.axis, channel, spread);
        return;
      }
      if (cached.arrays[0].shape.length > 3 && !this._operations) {
        // A profile per position, told so once the declarations arrive.
        return;
      }
      const planes = planeCount(cached.arrays[0]);
      if (this._showsColour()) {
        const [array] = cached.arrays;
        const rgb = [0, 1, 2].map(c => (c < planes ? spread(array, c) : null));
        const shown = rgb.filter((p): p is IImage => p !== null);
        this._nav = {
          ...this._nav,
          image: colourBrightness(shown),
          field: colourPixels(rgb, fullColour(array.dtype)),
          colour: true,
          channels: shown.map((image, c) => ({ label: 'RGB'[c], image })),
          profile: null,
          planes
        };
        return;
      }
      const images = cached.arrays.map(array =>
        spread(array, usablePlane(channel, planeCount(array)))
      );
      const field =
        images.length === 2 ? colourWheel(images[0], images[1]) : null;
      const image =
        images.length === 2 ? magnitudeOf(images[0], images[1]) : images[0];
      const channels =
        images.length === 2
          ? [
              { label: 'x', image: images[0] },
              { label: 'y', image: images[1] }
            ]
          : [];
      this._nav = {
        ...this._nav,
        image,
        field,
        colour: false,
        channels,
        profile: null,
        planes
      };
    } catch (reason) {
      this._nav = { ...this._nav, error: RemotemError.from(reason) };
    }
  }

  /**
   * A profile per scan position: ring `bin` over the scan (the mean over sectors) and
   * the curve at the cursor over the coordinates of its axis (ring indexes without).
   */
  private _showProfile(
    cached: INavArrays,
    axis: IOperationDim,
    bin: number,
    spread: (array: INDArray, plane: number) => IImage
  ): void {
    const [array, coordinates] = cached.arrays;
    const bins = profileBins(array);
    const ring = usablePlane(bin, bins);
    const flat = { ...array, shape: array.shape.slice(0, 2) };
    const image = spread(
      { ...flat, data: profileImage(array, ring).data, dtype: '<f8' },
      0
    );
    const [x, y] = this._state!.cursor;
    const step = this._state!.navFft ? 1 : cached.step;
    const [height, width] = array.shape;
    const at = [
      Math.min(width - 1, Math.floor(x / step)),
      Math.min(height - 1, Math.floor(y / step))
    ];
    const values =
      array.shape.length >= 3 && !this._state!.navFft
        ? profileAt(array, at[0], at[1])
        : null;
    const distance =
      coordinates && coordinates.data.length === bins
        ? Float64Array.from(coordinates.data as ArrayLike<number>, Number)
        : Float64Array.from({ length: bins }, (_, i) => i);
    this._nav = {
      ...this._nav,
      image,
      field: null,
      colour: false,
      channels: [],
      planes: bins,
      profile: values
        ? {
            distance,
            values,
            units: coordinates ? (axis.unit ?? '') : '',
            axis: axis.name
          }
        : null
    };
  }

  /**
   * Whether the navigation image is a colour output drawn in its own colours (as its
   * operation declares it; an FFT of one is a magnitude like any other).
   */
  private _showsColour(): boolean {
    const state = this._state;
    return (
      !!state &&
      state.mode === 'operation' &&
      !state.navFft &&
      showsColour(this._operations, state.operation)
    );
  }

  private _navQuery = new LiveQuery<INavArrays>({
    onAnswer: answer => {
      this._navAnsweredRun = answer.run;
      this._onNavAnswer(answer.value, answer.exact);
    },
    onError: (error, run) => {
      // A coarse image of this run stays shown when only its exact pass is too
      // large; otherwise what is shown belongs to other parameters and goes.
      const keep = error.status === 413 && this._navAnsweredRun === run;
      this._nav = {
        ...this._nav,
        image: keep ? this._nav.image : null,
        field: keep ? this._nav.field : null,
        colour: keep && this._nav.colour,
        channels: keep ? this._nav.channels : [],
        profile: keep ? this._nav.profile : null,
        error: keep ? null : error,
        // A job can compute a reduction too large to answer, not read a saved array.
        tooLarge: error.status === 413 && this._state?.mode !== 'result'
      };
      if (!keep) {
        this._navArrays = null;
      }
      this._touch();
    },
    onBusy: busy => {
      this._nav = { ...this._nav, busy };
      this._touch();
    }
  });

  private _frameQuery = new LiveQuery<IImage>({
    onAnswer: answer => {
      this._frame = { ...this._frame, image: answer.value, error: null };
      this._touch();
    },
    onError: error => {
      this._frame = { ...this._frame, error };
      this._touch();
    },
    onBusy: busy => {
      this._frame = { ...this._frame, busy };
      this._touch();
    }
  });

  private _restored: unknown;
  private _source: ISource | null = null;
  private _dataset: IDatasetInfo | null = null;
  private _geometry: IGeometry | null = null;
  private _loadError: RemotemError | null = null;
  private _state: IViewState | null = null;
  private _repositories: IRepository[] | null = null;
  private _operations: IOperationInfo[] | null = null;
  private _navArrays: INavArrays | null = null;
  private _nav: INavigation = {
    image: null,
    field: null,
    colour: false,
    channels: [],
    profile: null,
    planes: 1,
    exact: false,
    step: 1,
    latencyMs: null,
    error: null,
    tooLarge: false,
    busy: false
  };
  private _navResultError: RemotemError | null = null;
  private _navResultFit: IResultFit | null = null;
  private _resultInfo: IResultInfo | null = null;
  private _choiceRun = 0;
  private _navStarted = 0;
  private _navFirstPending = false;
  private _navAnsweredRun = -1;
  private _isResult = false;
  private _frame: IFrame = { image: null, error: null, busy: false };
  private _lastNavKey = '';
  private _lastFrameKey = '';
  /** The display of each image's other space (real or FFT), once it was shown. */
  private _asideDisplays: { nav: IDisplay | null; frame: IDisplay | null } = {
    nav: null,
    frame: null
  };
  private _watch: JobWatch | null = null;
  private _jobError: RemotemError | null = null;
  private _disposed = false;
  private _version = 0;
  private _changed = new Signal<this, void>(this);
  private _stateChanged = new Signal<this, void>(this);
  private _jobChanged = new Signal<this, IJob>(this);
}

/**
 * The arrays `fields` of one reduction, in that order: one `.npy` for a single
 * field; one `.npz` holding them all for several, so that the server computes the
 * reduction once rather than once per field.
 */
async function reduceFields(
  api: RemotemAPI,
  request: IReductionRequest,
  fields: string[],
  signal: AbortSignal
): Promise<{ arrays: INDArray[]; step: number | null }> {
  if (fields.length === 1) {
    const answer = await api.reduceNpy(request, fields[0], signal);
    return { arrays: [parseNpy(answer.buffer)], step: answer.step };
  }
  const answer = await api.reduceNpz(request, signal);
  const arrays = fields.map(field => {
    const array = answer.arrays.get(field);
    if (!array) {
      throw new RemotemError(
        `The ${request.operation} result has no field '${field}'.`,
        0,
        'bad_response',
        `Fields: ${Array.from(answer.arrays.keys()).join(', ')}.`
      );
    }
    return array;
  });
  return { arrays, step: answer.step };
}

/**
 * The output with the result array on screen, for every format that holds one
 * array (all but HDF5, which holds them all).
 */
function withArray(output: IJobOutput, field: string): IJobOutput {
  return output.format === 'hdf5' ? output : { ...output, array: field };
}

/**
 * The length of a vector field, pixel by pixel.
 */
function magnitudeOf(y: IImage, x: IImage): IImage {
  const data = new Float64Array(y.data.length);
  for (let i = 0; i < data.length; i++) {
    data[i] = Math.hypot(y.data[i], x.data[i]);
  }
  return { width: y.width, height: y.height, data };
}
