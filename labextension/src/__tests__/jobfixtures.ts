/**
 * A job as the server lists it, with only what a test cares about given.
 */
import type { IJob } from '../api';

export function job(partial: Partial<IJob>): IJob {
  return {
    id: 'j1',
    phase: 'QUEUED',
    kind: 'copy',
    request: {},
    created: '2026-11-22T10:00:00+00:00',
    ...partial
  };
}
