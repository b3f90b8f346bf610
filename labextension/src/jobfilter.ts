/**
 * Which jobs the Jobs section shows (a filter by phase group and kind), which of them
 * "Clear finished" takes away, and the lines of a job's details. Pure: unit-testable.
 */
import type { IJob, IJobHistoryLine } from './api';
import { isFinal } from './jobstate';

/** The phase groups the filter offers. */
export type PhaseFilter =
  'all' | 'active' | 'completed' | 'failed' | 'cancelled';

export const PHASE_FILTERS: ReadonlyArray<PhaseFilter> = [
  'all',
  'active',
  'completed',
  'failed',
  'cancelled'
];

export interface IJobFilter {
  phase: PhaseFilter;
  /** A job kind (reduction, transformation, copy, upload), or 'all'. */
  kind: string;
}

export const NO_FILTER: IJobFilter = { phase: 'all', kind: 'all' };

/** Whether `job` is in the phase group. */
export function inPhaseGroup(job: IJob, group: PhaseFilter): boolean {
  switch (group) {
    case 'all':
      return true;
    case 'active':
      return !isFinal(job.phase);
    case 'completed':
      return job.phase === 'COMPLETED' || job.phase === 'ARCHIVED';
    case 'failed':
      return job.phase === 'ERROR';
    case 'cancelled':
      return job.phase === 'ABORTED';
  }
}

/** The jobs the filter lets through, in their order. */
export function filterJobs(
  jobs: ReadonlyArray<IJob>,
  filter: IJobFilter
): IJob[] {
  return jobs.filter(
    job =>
      inPhaseGroup(job, filter.phase) &&
      (filter.kind === 'all' || job.kind === filter.kind)
  );
}

/** The kinds present in `jobs`, sorted: what the kind filter offers. */
export function kindsOf(jobs: ReadonlyArray<IJob>): string[] {
  return Array.from(new Set(jobs.map(job => job.kind))).sort();
}

/**
 * The jobs "Clear finished" takes from the list: finished ones (completed, failed,
 * cancelled, archived) of the kind shown. Running, queued, paused and held jobs
 * (uploads in progress) stay.
 */
export function clearable(jobs: ReadonlyArray<IJob>, kind = 'all'): IJob[] {
  return jobs.filter(
    job => isFinal(job.phase) && (kind === 'all' || job.kind === kind)
  );
}

/** The list without the jobs whose ids were cleared. */
export function withoutCleared(
  jobs: ReadonlyArray<IJob>,
  cleared: ReadonlyArray<string>
): IJob[] {
  const gone = new Set(cleared);
  return jobs.filter(job => !gone.has(job.id));
}

/** One phase of a job's history, with how long the job stayed in it. */
export interface IHistoryStep extends IJobHistoryLine {
  /** Seconds until the next phase; null for the last one. */
  seconds: number | null;
}

/** The history with the time spent in each phase. */
export function historySteps(
  history: ReadonlyArray<IJobHistoryLine>
): IHistoryStep[] {
  return history.map((line, index) => {
    const next = history[index + 1];
    const seconds = next
      ? Math.max((Date.parse(next.at) - Date.parse(line.at)) / 1000, 0)
      : null;
    return {
      ...line,
      seconds: seconds === null || isNaN(seconds) ? null : seconds
    };
  });
}

/** The request's parameters worth showing, as "name: value" pairs (JSON for objects). */
export function requestLines(job: IJob): [string, string][] {
  const request = job.request ?? {};
  const shown: [string, string][] = [];
  const add = (name: string, value: unknown) => {
    if (value === undefined || value === null || value === '') {
      return;
    }
    shown.push([
      name,
      typeof value === 'object' ? JSON.stringify(value) : String(value)
    ]);
  };
  add('operation', request.operation ?? job.kind);
  if (request.repository || request.path) {
    add('dataset', `${request.repository ?? ''}:${request.path ?? ''}`);
  }
  add('dataset name', request.dataset);
  if (request.source) {
    add('source', `${request.source.repository}:${request.source.path}`);
  }
  if (request.target) {
    add('target', `${request.target.repository}:${request.target.path}`);
  }
  add('params', request.params);
  add('view', request.view);
  add('roi', request.roi);
  if (request.output) {
    const { repository, path, format } = request.output;
    add('output', `${repository}:${path}${format ? ` (${format})` : ''}`);
  }
  if (job.kind === 'upload') {
    add('size', request.length);
  }
  return shown;
}
