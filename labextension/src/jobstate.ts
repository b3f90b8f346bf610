/**
 * Pure helpers for jobs: which actions a phase allows, progress, and the human-readable
 * text of durations, throughputs and job descriptions. No JupyterLab runtime imports,
 * so they are unit-testable.
 */
import type { TranslationBundle } from '@jupyterlab/translation';

import type { IJob, IJobProgress, ILocation, JobAction, JobPhase } from './api';
import { formatBytes } from './format';

/** Phases after which a job never runs again (the events stream closes). */
export const FINAL_PHASES: ReadonlyArray<JobPhase> = [
  'COMPLETED',
  'ERROR',
  'ABORTED',
  'ARCHIVED'
];

/** Phases in which a job is waiting or running: it may still change by itself. */
export const ACTIVE_PHASES: ReadonlyArray<JobPhase> = [
  'PENDING',
  'QUEUED',
  'EXECUTING',
  'HELD',
  'SUSPENDED'
];

export function isFinal(phase: string): boolean {
  return (FINAL_PHASES as ReadonlyArray<string>).includes(phase);
}

/**
 * The actions a job in `phase` accepts (the server answers 409 to the others).
 */
export function allowedActions(phase: string): Set<JobAction> {
  switch (phase) {
    case 'PENDING':
    case 'QUEUED':
    case 'EXECUTING':
      return new Set<JobAction>(['cancel', 'pause']);
    case 'HELD':
    case 'SUSPENDED':
      return new Set<JobAction>(['cancel', 'resume']);
    case 'COMPLETED':
    case 'ERROR':
    case 'ABORTED':
    case 'ARCHIVED':
      return new Set<JobAction>(['delete']);
    default:
      return new Set<JobAction>();
  }
}

/**
 * The buttons a job row shows (some possibly disabled): Pause or Resume and Cancel
 * while a job is active, Delete once it is finished.
 */
export function shownActions(phase: string): JobAction[] {
  if (isFinal(phase)) {
    return ['delete'];
  }
  if (phase === 'SUSPENDED' || phase === 'HELD') {
    return ['resume', 'cancel'];
  }
  return ['pause', 'cancel'];
}

/**
 * Whether `action` is allowed now: the phase permits it and the job is not already
 * on its way to a pending cancel (a cancelled job still shows EXECUTING until the
 * worker acts on it between partitions).
 */
export function isActionAllowed(job: IJob, action: JobAction): boolean {
  if (!allowedActions(job.phase).has(action)) {
    return false;
  }
  // An upload is paused and resumed by the client sending it, not by the server.
  if (job.kind === 'upload' && (action === 'pause' || action === 'resume')) {
    return false;
  }
  if (job.action === 'cancel' && action !== 'delete') {
    return false;
  }
  if (job.action === 'pause' && action === 'pause') {
    return false;
  }
  return true;
}

function finite(value: number | null | undefined): value is number {
  return typeof value === 'number' && isFinite(value);
}

/**
 * The completed fraction in [0, 1], or null when unknown (an indeterminate bar).
 * A completed job is always full.
 */
export function progressFraction(
  phase: string,
  progress: IJobProgress | null | undefined
): number | null {
  if (phase === 'COMPLETED') {
    return 1;
  }
  if (!progress) {
    return phase === 'PENDING' || phase === 'QUEUED' ? 0 : null;
  }
  let fraction: number | null = null;
  if (finite(progress.fraction)) {
    fraction = progress.fraction;
  } else if (finite(progress.done) && finite(progress.total)) {
    fraction = progress.total > 0 ? progress.done / progress.total : null;
  }
  if (fraction === null) {
    return null;
  }
  return Math.min(1, Math.max(0, fraction));
}

/**
 * A percentage that reaches 100 only when the job is complete: 0.999 → 99.
 */
export function percent(fraction: number | null): number | null {
  if (fraction === null) {
    return null;
  }
  return fraction >= 1 ? 100 : Math.floor(fraction * 100);
}

/** Bytes per second, whichever spelling the server used. */
export function throughputOf(
  progress: IJobProgress | null | undefined
): number | null {
  const value = progress?.throughput_bytes_s ?? progress?.throughput;
  return finite(value) ? value : null;
}

/** Seconds left, whichever spelling the server used. */
export function etaOf(
  progress: IJobProgress | null | undefined
): number | null {
  const value = progress?.eta_s ?? progress?.eta;
  return finite(value) ? value : null;
}

const RATE_UNITS = ['B/s', 'kB/s', 'MB/s', 'GB/s', 'TB/s'];

/**
 * A throughput with decimal prefixes, as storage and networks quote them:
 * 512 B/s, 12.3 MB/s, 1.20 GB/s.
 */
export function formatThroughput(
  bytesPerSecond: number | null | undefined
): string {
  if (!finite(bytesPerSecond) || bytesPerSecond < 0) {
    return '';
  }
  let value = bytesPerSecond;
  let unit = 0;
  while (value >= 1000 && unit < RATE_UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  // Three significant digits (whole bytes), without rounding up into "1000".
  const round = (v: number, u: number) =>
    u === 0 ? String(Math.round(v)) : v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0);
  let text = round(value, unit);
  if (Number(text) >= 1000 && unit < RATE_UNITS.length - 1) {
    value /= 1000;
    unit++;
    text = round(value, unit);
  }
  return `${text} ${RATE_UNITS[unit]}`;
}

/**
 * A duration for an ETA: "< 1 s", "42 s", "3 min 05 s", "2 h 07 min", "3 d 4 h".
 */
export function formatDuration(seconds: number | null | undefined): string {
  if (!finite(seconds) || seconds < 0) {
    return '';
  }
  if (seconds < 1) {
    return '< 1 s';
  }
  const total = Math.round(seconds);
  const pad = (n: number) => String(n).padStart(2, '0');
  if (total < 60) {
    return `${total} s`;
  }
  if (total < 3600) {
    const m = Math.floor(total / 60);
    const s = total % 60;
    return `${m} min ${pad(s)} s`;
  }
  if (total < 86400) {
    const h = Math.floor(total / 3600);
    const m = Math.floor((total % 3600) / 60);
    return `${h} h ${pad(m)} min`;
  }
  const d = Math.floor(total / 86400);
  const h = Math.floor((total % 86400) / 3600);
  return `${d} d ${h} h`;
}

/** The operation of a job, whichever field carries it. */
export function operationOf(job: IJob): string {
  return job.operation ?? job.request?.operation ?? job.kind ?? '';
}

const OPERATION_LABELS: Record<string, string> = {
  copy: 'Copy',
  upload: 'Upload',
  virtual_detector: 'Virtual detector',
  com: 'Centre of mass',
  frame_stats: 'Frame statistics'
};

/** "Virtual detector" for "virtual_detector"; unknown names are de-snaked. */
export function operationLabel(operation: string): string {
  if (OPERATION_LABELS[operation]) {
    return OPERATION_LABELS[operation];
  }
  const text = operation.replace(/_/g, ' ').trim();
  return text ? text[0].toUpperCase() + text.slice(1) : '';
}

/** "repo:path/to/file" */
export function formatLocation(location: ILocation | null | undefined): string {
  if (!location || !location.repository) {
    return '';
  }
  return `${location.repository}:${location.path ?? ''}`;
}

/**
 * Where a job reads and where it writes: copies name a source and a target,
 * reductions a dataset and an output.
 */
export function jobEndpoints(job: IJob): {
  source: ILocation | null;
  target: ILocation | null;
} {
  const request = job.request ?? {};
  if (job.kind === 'upload') {
    // From the desktop into a repository: only the target is a place here.
    return {
      source: null,
      target: { repository: request.repository ?? '', path: request.path ?? '' }
    };
  }
  const source =
    request.source ??
    (request.repository
      ? { repository: request.repository, path: request.path ?? '' }
      : null);
  const target = request.target ?? request.output ?? null;
  return { source, target };
}

/**
 * Merge a fresh job list (a poll) with what is known locally (events may be newer):
 * the list decides which jobs exist and their order; for each job the newer copy wins.
 */
export function mergeJobs(
  known: ReadonlyArray<IJob>,
  fresh: ReadonlyArray<IJob>
): IJob[] {
  const byId = new Map(known.map(job => [job.id, job]));
  return fresh.map(job => {
    const local = byId.get(job.id);
    return local && isNewer(local, job) ? local : job;
  });
}

/**
 * Whether `a` is a strictly later state of a job than `b`.
 */
export function isNewer(a: IJob, b: IJob): boolean {
  // A finished job never goes back to running.
  if (isFinal(a.phase) !== isFinal(b.phase)) {
    return isFinal(a.phase);
  }
  const ta = Date.parse(a.progress?.updated ?? '');
  const tb = Date.parse(b.progress?.updated ?? '');
  if (!isNaN(ta) && !isNaN(tb)) {
    return ta > tb;
  }
  return false;
}

/**
 * The same relative path in another repository, for the copy dialog: unchanged when
 * the repository differs, "scan (copy).h5" in the same one.
 */
export function defaultCopyPath(
  path: string,
  sourceRepository: string,
  targetRepository: string
): string {
  if (sourceRepository !== targetRepository) {
    return path;
  }
  const slash = path.lastIndexOf('/');
  const dir = slash >= 0 ? path.slice(0, slash + 1) : '';
  const name = path.slice(slash + 1);
  const dot = name.lastIndexOf('.');
  if (dot > 0) {
    return `${dir}${name.slice(0, dot)} (copy)${name.slice(dot)}`;
  }
  return `${dir}${name} (copy)`;
}

/**
 * What deleting a job removes, for the confirmation: every file it wrote, as its ledger
 * (`written`) says. From a server without the ledger, the results it lists.
 */
export function deletedByJob(job: IJob): {
  files: number;
  bytes: number | null;
  folders: number;
  /** "repo:path" of a few of the files. */
  names: string[];
} {
  const written = job.written;
  if (written) {
    return {
      files: written.files,
      bytes: written.bytes,
      folders: written.folders,
      names: (written.sample ?? []).map(formatLocation)
    };
  }
  const results = job.results ?? [];
  return {
    files: results.length,
    bytes: null,
    folders: 0,
    names: results.map(formatLocation)
  };
}

function shownNames(files: number, names: string[]): string {
  return (
    names.slice(0, 5).join(', ') +
    (files > Math.min(names.length, 5) ? ', …' : '')
  );
}

/**
 * The confirmation of a delete: what goes, in numbers and by name, as the job's ledger says.
 * A job cancelled without keeping its files has none left: they went at the cancel.
 */
export function deleteMessage(job: IJob, trans: TranslationBundle): string {
  const { files, bytes, folders, names } = deletedByJob(job);
  const size = bytes === null ? '' : ` (${formatBytes(bytes)})`;
  const kept = job.phase === 'ABORTED' && job.keep_files;
  let first: string;
  if (files) {
    first = kept
      ? trans._n(
          'This also deletes the file it wrote%2, kept when it was cancelled: %3.',
          'This also deletes the %1 files it wrote%2, kept when it was cancelled: %3.',
          files,
          size,
          shownNames(files, names)
        )
      : trans._n(
          'This also deletes the file it wrote%2: %3.',
          'This also deletes the %1 files it wrote%2: %3.',
          files,
          size,
          shownNames(files, names)
        );
  } else if (job.phase === 'ABORTED') {
    first = trans.__(
      'The job leaves the list; it has no files left (what it wrote was removed when it was cancelled).'
    );
  } else {
    first = trans.__('The job leaves the list; it wrote no files.');
  }
  const parts = [first];
  if (folders) {
    parts.push(
      trans._n(
        'The folder it made goes too, unless something else is in it.',
        'The %1 folders it made go too, unless something else is in them.',
        folders
      )
    );
  }
  return parts.join(' ');
}

/**
 * Whether cancelling `job` would remove files it wrote (so the user is asked first).
 */
export function cancelRemovesFiles(job: IJob): boolean {
  return deletedByJob(job).files > 0;
}

/**
 * The confirmation of a cancel: what the job wrote so far, which goes with it unless kept.
 */
export function cancelMessage(job: IJob, trans: TranslationBundle): string {
  const { files, bytes, names } = deletedByJob(job);
  if (!files) {
    return trans.__('The job stops; its partial output is removed.');
  }
  const size = bytes === null ? '' : ` (${formatBytes(bytes)})`;
  return trans._n(
    'The job stops. It has written a file so far%2: %3. It is removed with the partial output, unless you keep it.',
    'The job stops. It has written %1 files so far%2: %3. They are removed with the partial output, unless you keep them.',
    files,
    size,
    shownNames(files, names)
  );
}
