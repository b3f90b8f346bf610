import { Signal } from '@lumino/signaling';

import type { IJob } from '../api';
import {
  clearable,
  filterJobs,
  historySteps,
  kindsOf,
  requestLines,
  withoutCleared
} from '../jobfilter';
import { signalVersion } from '../signalversion';
import { job } from './jobfixtures';

const jobs = [
  job({ id: 'running', phase: 'EXECUTING', kind: 'reduction' }),
  job({ id: 'done', phase: 'COMPLETED', kind: 'reduction' }),
  job({ id: 'failed', phase: 'ERROR', kind: 'copy' }),
  job({ id: 'cancelled', phase: 'ABORTED', kind: 'copy' }),
  job({ id: 'sending', phase: 'HELD', kind: 'upload' }),
  job({ id: 'uploaded', phase: 'COMPLETED', kind: 'upload' })
];

const ids = (list: IJob[]) => list.map(j => j.id);

describe('the jobs filter', () => {
  it('groups phases as a user names them', () => {
    expect(ids(filterJobs(jobs, { phase: 'active', kind: 'all' }))).toEqual([
      'running',
      'sending'
    ]);
    expect(ids(filterJobs(jobs, { phase: 'completed', kind: 'all' }))).toEqual([
      'done',
      'uploaded'
    ]);
    expect(ids(filterJobs(jobs, { phase: 'failed', kind: 'all' }))).toEqual([
      'failed'
    ]);
    expect(ids(filterJobs(jobs, { phase: 'cancelled', kind: 'all' }))).toEqual([
      'cancelled'
    ]);
    expect(filterJobs(jobs, { phase: 'all', kind: 'all' })).toHaveLength(6);
  });

  it('narrows by kind, with the phase', () => {
    expect(ids(filterJobs(jobs, { phase: 'all', kind: 'upload' }))).toEqual([
      'sending',
      'uploaded'
    ]);
    expect(
      ids(filterJobs(jobs, { phase: 'completed', kind: 'reduction' }))
    ).toEqual(['done']);
    expect(kindsOf(jobs)).toEqual(['copy', 'reduction', 'upload']);
  });
});

describe('Clear finished', () => {
  it('takes finished jobs only: an upload still sending stays', () => {
    expect(ids(clearable(jobs))).toEqual([
      'done',
      'failed',
      'cancelled',
      'uploaded'
    ]);
    expect(ids(clearable(jobs, 'upload'))).toEqual(['uploaded']);
  });

  it('drops exactly the ids the server cleared', () => {
    expect(ids(withoutCleared(jobs, ['done', 'failed']))).toEqual([
      'running',
      'cancelled',
      'sending',
      'uploaded'
    ]);
  });
});

describe('a job’s details', () => {
  it('gives each phase the time until the next', () => {
    const steps = historySteps([
      { at: '2026-12-03T10:00:00+00:00', phase: 'QUEUED', message: '' },
      { at: '2026-12-03T10:00:02.500+00:00', phase: 'EXECUTING', message: '' },
      { at: '2026-12-03T10:01:02.500+00:00', phase: 'COMPLETED', message: '' }
    ]);
    expect(steps.map(s => s.seconds)).toEqual([2.5, 60, null]);
  });

  it('lists the request: operation, dataset, parameters, view, output', () => {
    const lines = requestLines(
      job({
        kind: 'reduction',
        request: {
          operation: 'virtual_detector',
          repository: 'demo',
          path: 'scan.h5',
          params: { detectors: [{ shape: 'disk', r: 8 }] },
          view: { colormap: 'magma' },
          output: { repository: 'out', path: 'bf.h5', format: 'hdf5' }
        }
      })
    );
    const byName: Record<string, string> = {};
    lines.forEach(([name, value]) => (byName[name] = value));
    expect(byName).toEqual({
      operation: 'virtual_detector',
      dataset: 'demo:scan.h5',
      params: '{"detectors":[{"shape":"disk","r":8}]}',
      view: '{"colormap":"magma"}',
      output: 'out:bf.h5 (hdf5)'
    });
  });
});

describe('signalVersion', () => {
  it('counts emissions from the first look, so a change before subscribing is seen', () => {
    const signal = new Signal<object, void>({});
    const first = signalVersion(signal);
    signal.emit(); // between render and subscription
    expect(signalVersion(signal)).toBe(first + 1);
  });
});
