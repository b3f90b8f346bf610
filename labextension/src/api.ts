/**
 * Typed access to the jupyter_remotem REST API under `{baseUrl}remotem/api/`.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { encodePath } from './format';
import { IEmailSetting, withNotify } from './notifychoice';
import { INDArray } from './viewer/npy';
import { parseNpz } from './viewer/npz';

export type SpeedClass = 'green' | 'yellow' | 'red' | 'unknown';

export interface ISpeed {
  class: SpeedClass;
  latency_ms: number | null;
  throughput_mb_s: number | null;
  measured_at: string | null;
}

export interface IRepository {
  name: string;
  description: string;
  writable: boolean;
  protocol: string;
  speed: ISpeed;
  /** The local repository next to the user's notebooks (target of "copy here"). */
  home?: boolean;
  /** A storage the user added themselves (`remotem/api/storage`), which they may remove. */
  own?: boolean;
}

/**
 * A time the server predicts, at the speed it measured (`basis`: "measured" for
 * recent passes, "history" for finished jobs, else "probe" or "default"; a user's
 * function is "function": timed on the first frame).
 */
export interface ITimed {
  seconds: number | null;
  throughput_bytes_s: number | null;
  basis: 'measured' | 'history' | 'probe' | 'default' | 'function';
}

/**
 * `GET repositories/{repo}/advice/{path}`: work where the data is, or copy it next
 * to the notebooks (`home`)? Thresholds and speeds are the server's.
 */
export interface IAdvice {
  applies: boolean;
  bytes: number;
  home: string | null;
  offer_copy: boolean;
  slower: boolean;
  /** One pass of the viewer's reduction where the data is. */
  remote: ITimed | null;
  /** The same pass once the data is in `home`. */
  local: ITimed | null;
  /** Copying the data into `home`. */
  copy: ITimed | null;
}

export interface IEntry {
  name: string;
  path: string;
  type: 'file' | 'directory';
  size: number | null;
  mtime: number | null;
  modified: string | null;
  /** The format's key in the server's `GET formats` ('hdf5', 'tiff', 'image'…), or null. */
  format: string | null;
  /** Whether it opens in the viewer (the server's formats decide), rather than as a folder or a document. */
  dataset: boolean;
  /** Set when the file is the result of one of the caller's jobs. */
  result?: IResultBadge | null;
  /** Set when the file or folder is a dataset the caller may see. */
  registered?: IDatasetMark | null;
}

/** What the tree says about an entry that is a dataset. */
export interface IDatasetMark {
  id: string;
  name: string;
  state: 'open' | 'closed';
  type: string;
}

/**
 * What a tree entry says about the job that wrote it.
 */
export interface IResultBadge {
  job_id: string;
  operation: string;
  format: string;
}

export interface ITreeResponse {
  repository: string;
  path: string;
  entries: IEntry[];
}

export interface IArrayInfo {
  path: string;
  /** Null for an array whose data is outside the repository: listed, never read. */
  shape: number[] | null;
  dtype: string | null;
  chunks: number[] | null;
  compression: string | null;
  /** The repository file an external link leads to, when it is not this one. */
  file?: string;
  outside_repository?: boolean;
  /** Why an array is not read (it points outside the repository). */
  reason?: string;
}

export interface IAxis {
  name: string | null;
  size: number;
  scale: number | null;
  offset: number | null;
  units: string | null;
  navigate: boolean | null;
}

export interface IDatasetInfo {
  format: string;
  dataset: string | null;
  shape: number[];
  dtype: string;
  dtype_name?: string;
  nav_shape: number[];
  sig_shape: number[];
  chunks: number[] | null;
  nbytes: number;
  axes: IAxis[];
  metadata: Record<string, unknown>;
  /** What the format says a frame is ('image': a picture, e.g. a TIFF page), or null. */
  frame_kind?: 'image' | string | null;
}

export interface IMetaResponse {
  repository: string;
  path: string;
  entry: IEntry;
  arrays: IArrayInfo[] | null;
  dataset: IDatasetInfo | null;
  /** Present for results of jobs: how they were made, and the view they were saved from. */
  provenance?: IProvenance | null;
  /** The previews that apply to the array (the default first), as the server declares them. */
  previews?: IPreviewChoice[];
}

/** A preview the server offers for an array: its kind, button label and tooltip. */
export interface IPreviewChoice {
  kind: PreviewKind;
  label: string;
  title: string;
}

/**
 * The provenance of a result file.
 */
export interface IProvenance {
  request?: Partial<IReductionRequest> | null;
  view?: Record<string, unknown> | null;
  created?: string | null;
  [key: string]: unknown;
}

/**
 * One step of a lazy pipeline applied to a dataset before a reduction.
 */
export interface IPipelineStep {
  /** A transformation the server chains (`GET operations`, kind "transformation"). */
  operation: string;
  params: Record<string, unknown>;
}

/**
 * The body of `POST reductions` (and the reduction part of a job).
 */
export interface IReductionRequest {
  repository: string;
  path: string;
  dataset?: string | null;
  operation: 'virtual_detector' | 'com' | 'frame_stats' | 'pick' | string;
  params: Record<string, unknown>;
  roi?: Record<string, unknown> | null;
  pipeline?: IPipelineStep[];
  /** Read every `step`-th scan position along each scan axis. */
  step?: number;
  /** Let the server choose a step that reads a few thousand frames. */
  coarse?: boolean;
  /** Answer the centred |FFT| of every result array over its first two axes. */
  fft?: boolean;
}

/**
 * An array answered as `.npy` bytes, with the scan step the server used.
 */
export interface INpyAnswer {
  buffer: ArrayBuffer;
  /** The step of a subsampled answer; 1 when every scan position was read. */
  step: number | null;
  elapsedS: number | null;
}

/**
 * Every result array of one reduction, answered as one `.npz`.
 */
export interface INpzAnswer {
  /** The arrays by field name ('shift_y', 'intensity'…), in the server's order. */
  arrays: Map<string, INDArray>;
  /** The field the operation calls its main result. */
  primary: string | null;
  /** The step of a subsampled answer; 1 when every scan position was read. */
  step: number | null;
  elapsedS: number | null;
}

/**
 * An operation and whether it can run remotely on a given dataset.
 */
export interface IOperationInfo {
  name: string;
  kind: 'reduction' | 'transformation' | string;
  description: string;
  available: boolean;
  reason: string | null;
  /** Whom to ask to make it available remotely (unavailable operations, when configured). */
  contact?: string | null;
  /** It runs a function sent from a notebook (`map`, `apply`): no form can make one. */
  takes_code?: boolean;
  /** Its parameters as a JSON Schema (defaults, ranges, `x-unit`s), as the server declares them. */
  parameters?: {
    type?: string;
    properties?: Record<string, IParameterSchema>;
    required?: string[];
  };
  /** The arrays of its result. */
  outputs?: IOperationOutput[];
  /** The array it calls its main result. */
  primary?: string | null;
}

/** The JSON Schema of one parameter of an operation. */
export interface IParameterSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  'x-unit'?: string;
}

/** One array of an operation's result: over the scan, the frame or neither, and further axes. */
export interface IOperationOutput {
  name: string;
  place: 'scan' | 'frame' | 'single' | string;
  description: string;
  dims?: IOperationDim[];
  dtype?: string;
  unit?: string | null;
  /** Its last axis holds red, green and blue (0..1; 0..255 for integers): drawn as they are. */
  colour?: boolean;
}

/** A further axis of an output: an index of separate results (a component), or a coordinate. */
export interface IOperationDim {
  name: string;
  unit: string | null;
  description?: string;
  /** Separate results, one per entry (detectors, components): shown one at a time. */
  index?: boolean;
  /** The single output holding this axis's coordinates (the radius of each ring). */
  coordinate?: string | null;
}

export type PreviewKind =
  | 'bf'
  | 'adf'
  | 'haadf'
  | 'com'
  | 'sum'
  | 'frame'
  | 'image'
  | 'first'
  | 'middle';

/**
 * Whether an entry opens as a dataset (details + preview) rather than a folder.
 */
export function isDataset(entry: Pick<IEntry, 'dataset'>): boolean {
  return entry.dataset === true;
}

/**
 * Whether an entry is a folder that expands.
 */
export function isFolder(entry: Pick<IEntry, 'type' | 'dataset'>): boolean {
  return entry.type === 'directory' && !isDataset(entry);
}

/**
 * An error answered by the server (or the network), with the server's hint.
 */
export class RemotemError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly hint: string | null,
    /** What the server added to say more (a 413's quote and the batch call to make instead). */
    readonly details: Record<string, unknown> = {}
  ) {
    super(message);
    this.name = 'RemotemError';
  }

  /**
   * Build an error from a failed response, reading `{"error": {code, message, hint, details}}`.
   */
  static async fromResponse(response: Response): Promise<RemotemError> {
    let text = '';
    try {
      text = await response.text();
    } catch {
      // ignore: fall back to the status line
    }
    return RemotemError.fromText(response.status, response.statusText, text);
  }

  /** The error of a failed answer's status and body text. */
  static fromText(
    status: number,
    statusText: string,
    text: string
  ): RemotemError {
    let code = `http_${status}`;
    let message = `${status} ${statusText}`.trim();
    let hint: string | null = null;
    let details: Record<string, unknown> = {};
    if (text) {
      try {
        const body = JSON.parse(text);
        const error = body?.error;
        if (error && typeof error === 'object') {
          code = error.code ?? code;
          message = error.message ?? message;
          hint = error.hint ?? null;
          if (error.details && typeof error.details === 'object') {
            details = error.details;
          }
        } else if (typeof body?.message === 'string') {
          // jupyter_server's own error format
          message = body.message;
        }
      } catch {
        if (status === 404) {
          hint =
            'Is the jupyter_remotem server extension installed and enabled?';
        }
      }
    }
    if (status === 404 && !hint && code.startsWith('http_')) {
      hint = 'Is the jupyter_remotem server extension installed and enabled?';
    }
    return new RemotemError(message, status, code, hint, details);
  }

  /**
   * Coerce anything thrown into a RemotemError.
   */
  static from(reason: unknown): RemotemError {
    if (reason instanceof RemotemError) {
      return reason;
    }
    const message = reason instanceof Error ? reason.message : String(reason);
    return new RemotemError(
      message,
      0,
      'network_error',
      'Could not reach the Jupyter server; check your connection.'
    );
  }
}

/**
 * Phases of a job (IVOA UWS).
 */
export type JobPhase =
  | 'PENDING'
  | 'QUEUED'
  | 'EXECUTING'
  | 'COMPLETED'
  | 'ERROR'
  | 'ABORTED'
  | 'HELD'
  | 'SUSPENDED'
  | 'ARCHIVED';

export type JobAction = 'cancel' | 'pause' | 'resume' | 'delete';

export interface IJobProgress {
  done?: number | null;
  total?: number | null;
  fraction?: number | null;
  bytes?: number | null;
  throughput_bytes_s?: number | null;
  eta_s?: number | null;
  updated?: string | null;
  /** Older spellings of throughput_bytes_s and eta_s. */
  throughput?: number | null;
  eta?: number | null;
}

/**
 * What a job is expected to cost, when the administrator set prices: the amount and
 * its parts (reading, computing, storing), each a quantity at a unit price.
 */
export interface IJobCost {
  amount: number;
  currency: string;
  parts?: {
    what: string;
    quantity: number;
    unit: string;
    unit_price: number;
    amount: number;
  }[];
}

export interface IJobQuote {
  seconds?: number | null;
  bytes_read?: number | null;
  bytes_written?: number | null;
  cost?: IJobCost | null;
  [key: string]: unknown;
}

export interface IJobResult {
  repository: string;
  path: string;
  size?: number | null;
  format?: string | null;
}

/**
 * What a job put into repositories (its ledger): what deleting it removes.
 */
export interface IJobWritten {
  files: number;
  bytes: number;
  /** Folders the job made; removed with it when left empty. */
  folders: number;
  /** A few of the files, to name them. */
  sample: ILocation[];
}

export interface IJobError {
  kind: 'transient' | 'fatal' | string;
  code?: string;
  message: string;
  hint?: string | null;
}

export interface ILocation {
  repository: string;
  path: string;
}

export interface IJob {
  id: string;
  owner?: string;
  phase: JobPhase;
  kind: 'reduction' | 'transformation' | 'copy' | string;
  operation?: string;
  request: {
    operation?: string;
    repository?: string;
    path?: string;
    dataset?: string | null;
    source?: ILocation;
    target?: ILocation;
    output?: ILocation & { format?: string };
    [key: string]: unknown;
  };
  priority?: number;
  created: string | null;
  started?: string | null;
  ended?: string | null;
  progress?: IJobProgress | null;
  quote?: IJobQuote | null;
  destruction?: string | null;
  results?: IJobResult[];
  /** Every file the job wrote (absent from servers before the ledger). */
  written?: IJobWritten | null;
  error?: IJobError | null;
  /** A cancel or pause the worker has not acted on yet. */
  action?: string | null;
  /** Cancelled with `?keep_files=1`: what it wrote stayed (listed in `written`, counted). */
  keep_files?: boolean;
  /** Cleared from the list ("Clear finished"); the job and its files stay. */
  dismissed?: boolean;
  /** Each phase it entered, oldest first (`GET jobs/{id}` only). */
  history?: IJobHistoryLine[];
  /** What its worker logged while running it, bounded (`GET jobs/{id}` only). */
  log?: IJobLogLine[];
  /** Lines were dropped from `log` (it reached its bound). */
  log_truncated?: boolean;
  /** The id of the user's cluster the job runs on, when it names one. */
  cluster?: string | null;
}

/** A phase a job entered: when, and why when there is a why. */
export interface IJobHistoryLine {
  at: string;
  phase: JobPhase;
  message: string;
}

/** A record the job's worker logged while running it (secrets removed by the server). */
export interface IJobLogLine {
  at: string;
  level: string;
  message: string;
}

/**
 * The body of `POST jobs` for a copy.
 */
export interface ICopyRequest {
  operation: 'copy';
  source: ILocation;
  target: ILocation;
  priority?: number;
}

/**
 * The body of `POST jobs` for a reduction.
 */
export interface IReductionJobRequest extends IReductionRequest {
  output: IJobOutput;
  /** Display state stored in the result's provenance, to reopen it as it was seen. */
  view?: Record<string, unknown>;
  priority?: number;
}

export type OutputFormat = 'hdf5' | 'hspy' | 'npy' | 'tiff' | 'png';

/**
 * Where and how a job writes its result.
 */
export interface IJobOutput extends ILocation {
  format: OutputFormat;
  /** For npy, tiff and png: which result array to write. */
  array?: string;
  overwrite?: boolean;
}

export type JobRequest = ICopyRequest | IReductionJobRequest;

/**
 * The body of `POST saves`: a reduction job's, whose operation may also be `pick`
 * and whose result may be the FFT (`fft`) of what is shown.
 */
export type SaveRequest = IReductionJobRequest;

/**
 * `POST saves?dry_run=1`: the quote and quota verdict, whether the save is done at
 * once (`direct`, else by a job) and whether the output's name is taken.
 */
export interface ISaveDryRun extends IJobDryRun {
  direct: boolean;
  target: { exists: boolean; free_path: string | null };
}

/**
 * `view.picture` (declared in `view_contract.py`): a saved PNG's size (longest side)
 * and whether it has a scale bar and a colour bar.
 */
export interface IPictureOptions {
  size?: number;
  scaleBar?: boolean;
  colourBar?: boolean;
}

/**
 * `GET views`: the view contract declared once by the server
 * (`jupyter_remotem/view_contract.py`).
 */
export interface IViewContract {
  version: number;
  /** JSON Schema of the `view` a job keeps with its result. */
  schema: Record<string, unknown>;
  colormaps: Array<{
    name: string;
    label: string;
    diverging: boolean;
    cyclic?: boolean;
    /** 256 RGB colours as hex, lowest first. */
    lut: string;
  }>;
  scales: string[];
  /** Sizes a saved picture may have ([smallest, largest]) and the one offered first. */
  picture?: { sizes: [number, number]; default_size: number };
}

/**
 * Storage and compute limits (null: no limit).
 */
export interface IQuotaLimits {
  storage_bytes: number | null;
  compute_hours: number | null;
  period_days: number;
}

/**
 * Limits, usage and what is left of one quota: the caller's own, or a group's pool.
 */
export interface IQuotaAccount {
  limits: IQuotaLimits;
  usage: {
    storage_bytes: number;
    results: number;
    compute_hours: number;
    reserved_bytes: number;
    reserved_hours: number;
  };
  remaining: { storage_bytes: number | null; compute_hours: number | null };
  /** Spending in the period, when the administrator set prices (and a budget, maybe). */
  costs?: IQuotaCosts;
}

/** `GET quota`'s costs: what was spent and is reserved in the period, and the budget. */
export interface IQuotaCosts {
  currency: string;
  spent: number;
  reserved: number;
  budget: number | null;
  remaining: number | null;
  period_days: number;
}

/**
 * `GET quota`: the caller's limits, what their jobs use and reserve, and what is left;
 * likewise for each shared pool of the caller's groups.
 */
export interface IQuota extends IQuotaAccount {
  pools?: (IQuotaAccount & { group: string })[];
}

/**
 * The answer of `POST jobs?dry_run=1`: the quote, and whether the job fits the quota.
 */
export interface IJobDryRun {
  quote: IJobQuote;
  kind?: string;
  quota?:
    | (IQuota & {
        fits: boolean;
        reason: string | null;
        /** Why it would be refused: `quota_exceeded` or `budget_exceeded`. */
        code?: string;
        hint?: string | null;
      })
    | null;
  /** Whether the output's name is taken, and the first free `name-N.ext`. */
  target?: { exists: boolean; free_path: string | null };
}

/**
 * A personal API token, as listed (never with its secret).
 */
export interface IApiToken {
  id: string;
  name: string;
  owner: string;
  groups: string[];
  created: string | null;
  expires: string | null;
  last_used: string | null;
  /** What it may do (`GET tokens/scopes`); older servers leave it out: everything. */
  scopes?: string[];
  /** Where it may go; null or absent: wherever its owner may. */
  reach?: ITokenPlace[] | null;
}

/**
 * A place a token is restricted to: a repository (or a folder or file in it), or a dataset.
 */
export type ITokenPlace =
  { repository: string; path: string } | { dataset: string };

/**
 * A scope a token may be given, as the server declares it.
 */
export interface ITokenScope {
  name: string;
  description: string;
}

/**
 * A token just made: the only answer that holds its secret.
 */
export interface INewApiToken extends IApiToken {
  token: string;
}

export const JSON_HEADERS = { 'Content-Type': 'application/json' };

type Query = Record<string, string | number | undefined | null>;

/**
 * A client for the REST API, bound to one set of server settings.
 */
export class RemotemAPI {
  constructor(readonly serverSettings: ServerConnection.ISettings) {}

  /**
   * The URL of an API endpoint. `segments` are joined with '/', each already encoded.
   */
  url(segments: string[], query?: Query): string {
    let url = URLExt.join(
      this.serverSettings.baseUrl,
      'remotem/api',
      ...segments
    );
    if (
      segments.length &&
      segments[segments.length - 1] === '' &&
      !url.endsWith('/')
    ) {
      url += '/';
    }
    if (query) {
      const clean: Record<string, string> = {};
      for (const [key, value] of Object.entries(query)) {
        if (value !== undefined && value !== null && value !== '') {
          clean[key] = String(value);
        }
      }
      const qs = URLExt.objectToQueryString(clean);
      if (qs.length > 1) {
        url += qs;
      }
    }
    return url;
  }

  async listRepositories(signal?: AbortSignal): Promise<IRepository[]> {
    const body = await this.requestJson<{ repositories: IRepository[] }>(
      this.url(['repositories']),
      signal
    );
    return body.repositories;
  }

  listTree(
    repo: string,
    path: string,
    signal?: AbortSignal
  ): Promise<ITreeResponse> {
    return this.requestJson<ITreeResponse>(
      this.url([
        'repositories',
        encodeURIComponent(repo),
        'tree',
        encodePath(path)
      ]),
      signal
    );
  }

  getMeta(
    repo: string,
    path: string,
    dataset?: string | null,
    signal?: AbortSignal
  ): Promise<IMetaResponse> {
    return this.requestJson<IMetaResponse>(
      this.url(
        ['repositories', encodeURIComponent(repo), 'meta', encodePath(path)],
        {
          dataset
        }
      ),
      signal
    );
  }

  getAdvice(
    repo: string,
    path: string,
    dataset?: string | null,
    signal?: AbortSignal
  ): Promise<IAdvice> {
    return this.requestJson<IAdvice>(
      this.url(
        ['repositories', encodeURIComponent(repo), 'advice', encodePath(path)],
        { dataset }
      ),
      signal
    );
  }

  async getPreview(
    repo: string,
    path: string,
    kind: PreviewKind,
    options: { dataset?: string | null; size?: number } = {},
    signal?: AbortSignal
  ): Promise<Blob> {
    const url = this.url(
      ['repositories', encodeURIComponent(repo), 'preview', encodePath(path)],
      { kind, dataset: options.dataset, size: options.size }
    );
    const response = await this.request(url, signal);
    const blob = await response.blob();
    // An <img> needs an image type on its object URL's blob.
    return blob.type.startsWith('image/')
      ? blob
      : new Blob([blob], { type: 'image/png' });
  }

  /**
   * Run an interactive reduction and answer one result array (`field`, else the
   * primary one) as `.npy` bytes: parsing typed arrays keeps big answers off the
   * JSON parser.
   */
  async reduceNpy(
    request: IReductionRequest,
    field?: string | null,
    signal?: AbortSignal
  ): Promise<INpyAnswer> {
    const response = await this._reduce(
      request,
      { format: 'npy', field },
      signal
    );
    return {
      buffer: await response.arrayBuffer(),
      step: headerNumber(response, 'X-Remotem-Step'),
      elapsedS: headerNumber(response, 'X-Remotem-Elapsed')
    };
  }

  /**
   * Run an interactive reduction and answer all its result arrays from one `.npz`:
   * for views that need several fields of one result (both CoM shifts), which
   * separate `reduceNpy` calls would have the server compute once each.
   */
  async reduceNpz(
    request: IReductionRequest,
    signal?: AbortSignal
  ): Promise<INpzAnswer> {
    const response = await this._reduce(request, { format: 'npz' }, signal);
    const buffer = await response.arrayBuffer();
    let arrays: Map<string, INDArray>;
    try {
      arrays = parseNpz(buffer);
    } catch (reason) {
      throw new RemotemError(
        (reason as Error).message,
        response.status,
        'bad_response',
        null
      );
    }
    return {
      arrays,
      primary: response.headers.get('X-Remotem-Primary'),
      step: headerNumber(response, 'X-Remotem-Step'),
      elapsedS: headerNumber(response, 'X-Remotem-Elapsed')
    };
  }

  /**
   * Part of a dataset as `.npy` bytes (`slice` in numpy syntax, e.g. "3,7").
   */
  async getData(
    repo: string,
    path: string,
    slice: string,
    dataset?: string | null,
    signal?: AbortSignal
  ): Promise<ArrayBuffer> {
    const response = await this.request(
      this.url(
        ['repositories', encodeURIComponent(repo), 'data', encodePath(path)],
        { slice, dataset }
      ),
      signal
    );
    return response.arrayBuffer();
  }

  /**
   * The view contract (`GET views`): the schema of the `view` saved with a result,
   * the colour maps with their tables, the scales. Asked once per API object.
   */
  getViewContract(signal?: AbortSignal): Promise<IViewContract> {
    if (!this._viewContract) {
      this._viewContract = this.requestJson<IViewContract>(
        this.url(['views']),
        signal
      ).catch(reason => {
        this._viewContract = null;
        throw reason;
      });
    }
    return this._viewContract;
  }

  /**
   * The operations the server knows; with a dataset, whether each can run on it.
   */
  async listOperations(
    where: { repository?: string; path?: string; dataset?: string | null },
    signal?: AbortSignal
  ): Promise<IOperationInfo[]> {
    const body = await this.requestJson<{ operations: IOperationInfo[] }>(
      this.url(['operations'], {
        repository: where.repository,
        path: where.path,
        dataset: where.dataset
      }),
      signal
    );
    return body.operations ?? [];
  }

  /**
   * The user's jobs, newest first; only those in `phases` when given.
   */
  async listJobs(
    phases?: ReadonlyArray<JobPhase>,
    signal?: AbortSignal
  ): Promise<IJob[]> {
    let url = this.url(['jobs']);
    if (phases && phases.length) {
      url +=
        '?' +
        phases.map(phase => `PHASE=${encodeURIComponent(phase)}`).join('&');
    }
    const body = await this.requestJson<{ jobs: IJob[] }>(url, signal);
    return body.jobs ?? [];
  }

  /**
   * "Clear finished": the user's finished jobs (only of `kinds`, when given) leave the
   * list. Nothing is deleted: not the jobs, not their result or uploaded files. Answers
   * the ids cleared.
   */
  async clearFinishedJobs(
    kinds?: ReadonlyArray<string>,
    signal?: AbortSignal
  ): Promise<string[]> {
    let url = this.url(['jobs', 'clear']);
    if (kinds && kinds.length) {
      url +=
        '?' + kinds.map(kind => `kind=${encodeURIComponent(kind)}`).join('&');
    }
    const body = await this.requestJson<{ cleared: string[] }>(url, signal, {
      method: 'POST',
      headers: JSON_HEADERS,
      body: '{}'
    });
    return body.cleared ?? [];
  }

  /** The job with its history and log. */
  getJob(id: string, signal?: AbortSignal): Promise<IJob> {
    return this.requestJson<IJob>(
      this.url(['jobs', encodeURIComponent(id)]),
      signal
    );
  }

  /**
   * Submit a job; answers the created job.
   */
  submitJob(request: JobRequest, signal?: AbortSignal): Promise<IJob> {
    return this.requestJson<IJob>(this.url(['jobs']), signal, {
      method: 'POST',
      headers: JSON_HEADERS,
      body: JSON.stringify(withNotify(request)) // "E-mail me when it ends" (notifychoice.tsx)
    });
  }

  /**
   * Ask for the quote of a job, and whether it fits the quota, without submitting
   * it (`dry_run=1`).
   */
  async quoteJob(
    request: JobRequest,
    signal?: AbortSignal
  ): Promise<IJobDryRun> {
    const body = await this.requestJson<IJobDryRun>(
      this.url(['jobs'], { dry_run: 1 }),
      signal,
      { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(request) }
    );
    return { ...body, quote: body.quote ?? {} };
  }

  /**
   * Save what is shown (`POST saves`): written at once when small (the answer is the
   * finished job, `direct: true`), else queued as a job.
   */
  saveView(
    request: SaveRequest,
    signal?: AbortSignal
  ): Promise<IJob & { direct?: boolean }> {
    return this.requestJson<IJob & { direct?: boolean }>(
      this.url(['saves']),
      signal,
      {
        method: 'POST',
        headers: JSON_HEADERS,
        body: JSON.stringify(withNotify(request))
      }
    );
  }

  /**
   * What saving would cost, whether it fits the quota and whether the name is taken
   * (`POST saves?dry_run=1`).
   */
  async quoteSave(
    request: SaveRequest,
    signal?: AbortSignal
  ): Promise<ISaveDryRun> {
    const body = await this.requestJson<ISaveDryRun>(
      this.url(['saves'], { dry_run: 1 }),
      signal,
      { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(request) }
    );
    return { ...body, quote: body.quote ?? {} };
  }

  /**
   * The caller's storage and compute quota.
   */
  /** Whether the server sends job e-mail, and to which address (`GET me/email`). */
  getEmailSetting(signal?: AbortSignal): Promise<IEmailSetting> {
    return this.requestJson<IEmailSetting>(this.url(['me', 'email']), signal);
  }

  getQuota(signal?: AbortSignal): Promise<IQuota> {
    return this.requestJson<IQuota>(this.url(['quota']), signal);
  }

  /**
   * The caller's personal API tokens, newest first.
   */
  async listTokens(signal?: AbortSignal): Promise<IApiToken[]> {
    const body = await this.requestJson<{ tokens: IApiToken[] }>(
      this.url(['tokens']),
      signal
    );
    return body.tokens ?? [];
  }

  /**
   * Make a personal token; the answer holds its secret, this once.
   */
  createToken(
    name: string,
    expiresInDays: number | null,
    limits: { scopes?: string[]; reach?: ITokenPlace[] | null } = {},
    signal?: AbortSignal
  ): Promise<INewApiToken> {
    return this.requestJson<INewApiToken>(this.url(['tokens']), signal, {
      method: 'POST',
      headers: JSON_HEADERS,
      body: JSON.stringify({
        name,
        expires_in_days: expiresInDays,
        ...(limits.scopes ? { scopes: limits.scopes } : {}),
        ...(limits.reach ? { reach: limits.reach } : {})
      })
    });
  }

  /**
   * The scopes a token may be given, and what each allows.
   */
  async tokenScopes(signal?: AbortSignal): Promise<ITokenScope[]> {
    const body = await this.requestJson<{ scopes: ITokenScope[] }>(
      this.url(['tokens', 'scopes']),
      signal
    );
    return body.scopes ?? [];
  }

  async revokeToken(id: string, signal?: AbortSignal): Promise<void> {
    await this.request(this.url(['tokens', encodeURIComponent(id)]), signal, {
      method: 'DELETE'
    });
  }

  /**
   * Cancel, pause or resume a job (answers the job), or delete a finished one (null) with
   * the files it wrote — or without them, when `options.keepFiles` (they then go on
   * counting against the storage quota). A cancel removes what the job wrote likewise,
   * unless `options.keepFiles`.
   */
  async jobAction(
    id: string,
    action: JobAction,
    signal?: AbortSignal,
    options: { keepFiles?: boolean } = {}
  ): Promise<IJob | null> {
    if (action === 'delete') {
      const query = options.keepFiles ? { keep_files: '1' } : undefined;
      await this.request(
        this.url(['jobs', encodeURIComponent(id)], query),
        signal,
        { method: 'DELETE' }
      );
      return null;
    }
    const query =
      action === 'cancel' && options.keepFiles
        ? { keep_files: '1' }
        : undefined;
    return this.requestJson<IJob>(
      this.url(['jobs', encodeURIComponent(id), action], query),
      signal,
      { method: 'POST', headers: JSON_HEADERS, body: '{}' }
    );
  }

  /**
   * Make a folder (`PUT tree/{path}` `{"type": "directory"}`); its parents must exist.
   */
  async makeFolder(
    repo: string,
    path: string,
    signal?: AbortSignal
  ): Promise<void> {
    await this.request(this._treeUrl(repo, path), signal, {
      method: 'PUT',
      headers: JSON_HEADERS,
      body: JSON.stringify({ type: 'directory' })
    });
  }

  /**
   * Rename or move a file or folder within its repository (`PATCH tree/{path}`);
   * an existing target is never replaced (409).
   */
  async movePath(
    repo: string,
    path: string,
    target: string,
    signal?: AbortSignal
  ): Promise<void> {
    await this.request(this._treeUrl(repo, path), signal, {
      method: 'PATCH',
      headers: JSON_HEADERS,
      body: JSON.stringify({ path: target })
    });
  }

  /**
   * Delete a file or folder (`DELETE tree/{path}`); a folder that is not empty only
   * with `recursive` (else 409).
   */
  async deletePath(
    repo: string,
    path: string,
    recursive: boolean,
    signal?: AbortSignal
  ): Promise<void> {
    const query = recursive ? { recursive: 1 } : undefined;
    await this.request(this._treeUrl(repo, path, query), signal, {
      method: 'DELETE'
    });
  }

  /**
   * The URL that downloads a file (ranges resume it) or a folder as a zip. Like
   * JupyterLab's own file downloads it relies on the login cookie and carries the
   * `_xsrf` cookie's value, never a token: URLs end up in logs and histories.
   */
  downloadUrl(repo: string, path: string, xsrf?: string | null): string {
    return this.url(
      ['repositories', encodeURIComponent(repo), 'download', encodePath(path)],
      { _xsrf: xsrf }
    );
  }

  /** The tus endpoint of uploads. */
  get uploadsUrl(): string {
    return this.url(['uploads']);
  }

  private _treeUrl(repo: string, path: string, query?: Query): string {
    return this.url(
      ['repositories', encodeURIComponent(repo), 'tree', encodePath(path)],
      query
    );
  }

  /**
   * The URL of a job's server-sent events.
   *
   * An EventSource cannot send the `Authorization` header that ServerConnection adds,
   * so the token goes in the query (jupyter_server accepts `?token=` and scrubs it
   * from its logs). Same-origin login cookies are sent as well.
   */
  jobEventsUrl(id: string): string {
    return this.url(['jobs', encodeURIComponent(id), 'events'], {
      token: this.serverSettings.token || undefined
    });
  }

  /**
   * Whether the server is on another origin than the page (EventSource then needs
   * `withCredentials` to send cookies).
   */
  get crossOrigin(): boolean {
    if (typeof window === 'undefined' || !window.location) {
      return false;
    }
    try {
      return (
        new URL(this.serverSettings.baseUrl, window.location.href).origin !==
        window.location.origin
      );
    } catch {
      return false;
    }
  }

  private _reduce(
    request: IReductionRequest,
    query: Query,
    signal?: AbortSignal
  ): Promise<Response> {
    return this.request(this.url(['reductions'], query), signal, {
      method: 'POST',
      headers: JSON_HEADERS,
      body: JSON.stringify(request)
    });
  }

  private _viewContract: Promise<IViewContract> | null = null;

  /** A JSON answer of the API (rejects with the server's error, or AbortedError). */
  async requestJson<T>(
    url: string,
    signal?: AbortSignal,
    init?: RequestInit
  ): Promise<T> {
    const response = await this.request(url, signal, init);
    try {
      return (await response.json()) as T;
    } catch {
      // Aborted while the body was read: not a bad answer, just one no longer wanted.
      if (signal?.aborted) {
        throw new AbortedError();
      }
      throw new RemotemError(
        'The server answered with something that is not JSON.',
        response.status,
        'bad_response',
        null
      );
    }
  }

  /** An answer of the API that is not an error (rejects with the server's error, or AbortedError). */
  async request(
    url: string,
    signal?: AbortSignal,
    init: RequestInit = {}
  ): Promise<Response> {
    let response: Response;
    try {
      response = await ServerConnection.makeRequest(
        url,
        { method: 'GET', ...init, signal },
        this.serverSettings
      );
    } catch (reason) {
      if (signal?.aborted || isAbort(reason)) {
        throw new AbortedError();
      }
      throw RemotemError.from(reason);
    }
    if (!response.ok) {
      throw await RemotemError.fromResponse(response);
    }
    return response;
  }
}

/**
 * A numeric response header, or null when absent or not a number.
 */
function headerNumber(response: Response, name: string): number | null {
  const text = response.headers.get(name);
  if (text === null || text.trim() === '') {
    return null;
  }
  const value = Number(text);
  return isFinite(value) ? value : null;
}

/**
 * Whether a rejection is just an aborted request (to be ignored).
 */
export function isAbort(reason: unknown): boolean {
  return (reason as Error)?.name === 'AbortError';
}

/**
 * Thrown when a request was cancelled because its answer is no longer wanted.
 */
export class AbortedError extends Error {
  constructor() {
    super('The request was aborted.');
    this.name = 'AbortError';
  }
}
