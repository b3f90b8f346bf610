/**
 * What the lab says when a job ends, and before its results are collected by retention
 * (no JupyterLab runtime imports, so it is unit-testable; the sidebar shows these through
 * JupyterLab's notification API).
 *
 * Every open lab session follows its owner's jobs, so each of them says it: a job submitted
 * from a notebook on another machine ends, and the open lab tells its owner.
 */
import type { TranslationBundle } from '@jupyterlab/translation';

import type { IJob, IJobResult } from './api';
import {
  formatLocation,
  jobEndpoints,
  operationLabel,
  operationOf
} from './jobstate';

/** How long before its results are removed a job's owner is told, in ms (a day). */
export const RETENTION_WARNING_MS = 24 * 3_600_000;

/** One notification: its kind, its words, and the result its action reveals (if any). */
export interface IJobNotice {
  type: 'success' | 'error' | 'warning' | 'info';
  message: string;
  /** The first result file, for a "Show result" action. */
  result: IJobResult | null;
  /** The notification stays until dismissed (failures, and warnings about removal). */
  sticky: boolean;
}

function titleOf(job: IJob): string {
  const { target } = jobEndpoints(job);
  const where = formatLocation(target);
  const what = operationLabel(operationOf(job));
  return where ? `${what} → ${where}` : what;
}

/**
 * The notice for a job seen in a final phase; null for uploads (their panel already says)
 * and for jobs that were not seen running in this session (nothing new to say).
 */
export function noticeForEnd(
  job: IJob,
  trans: TranslationBundle
): IJobNotice | null {
  if (job.kind === 'upload') {
    return null;
  }
  const title = titleOf(job);
  const result = (job.results ?? []).find(r => r.repository && r.path) ?? null;
  switch (job.phase) {
    case 'COMPLETED':
      return {
        type: 'success',
        message: trans.__('Job finished: %1', title),
        result,
        sticky: false
      };
    case 'ERROR': {
      const reason = job.error?.message ?? trans.__('no reason given');
      return {
        type: 'error',
        message: trans.__('Job failed: %1 — %2', title, reason),
        result: null,
        sticky: true
      };
    }
    case 'ABORTED':
      return {
        type: 'info',
        message: trans.__('Job cancelled: %1', title),
        result: null,
        sticky: false
      };
    default:
      return null;
  }
}

/**
 * Notices for finished jobs whose results the retention collector removes within
 * `RETENTION_WARNING_MS`, each job once (`warned` remembers them across polls).
 */
export function noticesBeforeRemoval(
  jobs: IJob[],
  now: number,
  warned: Set<string>,
  trans: TranslationBundle
): IJobNotice[] {
  const notices: IJobNotice[] = [];
  for (const job of jobs) {
    if (job.phase !== 'COMPLETED' || !job.destruction || warned.has(job.id)) {
      continue;
    }
    const left = Date.parse(job.destruction) - now;
    if (
      isNaN(left) ||
      left <= 0 ||
      left > RETENTION_WARNING_MS ||
      !job.results?.length
    ) {
      continue;
    }
    warned.add(job.id);
    const hours = Math.max(1, Math.round(left / 3_600_000));
    notices.push({
      type: 'warning',
      message: trans._n(
        'The results of “%2” are removed in about %1 hour: copy what you keep.',
        'The results of “%2” are removed in about %1 hours: copy what you keep.',
        hours,
        titleOf(job)
      ),
      result: job.results.find(r => r.repository && r.path) ?? null,
      sticky: true
    });
  }
  return notices;
}
