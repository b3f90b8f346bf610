import {
  allowedActions,
  defaultCopyPath,
  etaOf,
  formatDuration,
  formatThroughput,
  isActionAllowed,
  isFinal,
  isNewer,
  jobEndpoints,
  mergeJobs,
  operationLabel,
  operationOf,
  percent,
  progressFraction,
  shownActions,
  throughputOf
} from '../jobstate';
import { job } from './jobfixtures';

describe('formatDuration', () => {
  it('says less than a second', () => {
    expect(formatDuration(0)).toBe('< 1 s');
    expect(formatDuration(0.4)).toBe('< 1 s');
  });

  it('uses seconds, then minutes, hours and days', () => {
    expect(formatDuration(42)).toBe('42 s');
    expect(formatDuration(59.6)).toBe('1 min 00 s');
    expect(formatDuration(185)).toBe('3 min 05 s');
    expect(formatDuration(2 * 3600 + 7 * 60 + 20)).toBe('2 h 07 min');
    expect(formatDuration(3 * 86400 + 4 * 3600 + 59)).toBe('3 d 4 h');
  });

  it('is empty for unknown or invalid values', () => {
    expect(formatDuration(null)).toBe('');
    expect(formatDuration(undefined)).toBe('');
    expect(formatDuration(-1)).toBe('');
    expect(formatDuration(Infinity)).toBe('');
    expect(formatDuration(NaN)).toBe('');
  });
});

describe('formatThroughput', () => {
  it('uses decimal prefixes with three significant digits', () => {
    expect(formatThroughput(512)).toBe('512 B/s');
    expect(formatThroughput(1500)).toBe('1.50 kB/s');
    expect(formatThroughput(12_345_678)).toBe('12.3 MB/s');
    expect(formatThroughput(250e6)).toBe('250 MB/s');
    expect(formatThroughput(1.2e9)).toBe('1.20 GB/s');
    expect(formatThroughput(33e9)).toBe('33.0 GB/s');
  });

  it('never shows 1000 of a unit', () => {
    expect(formatThroughput(999_999)).toBe('1.00 MB/s');
    expect(formatThroughput(999.7)).toBe('1.00 kB/s');
  });

  it('is empty for unknown values', () => {
    expect(formatThroughput(null)).toBe('');
    expect(formatThroughput(undefined)).toBe('');
    expect(formatThroughput(-5)).toBe('');
  });
});

describe('phase → actions', () => {
  it('lets active jobs be paused or cancelled', () => {
    for (const phase of ['PENDING', 'QUEUED', 'EXECUTING']) {
      expect([...allowedActions(phase)].sort()).toEqual(['cancel', 'pause']);
      expect(shownActions(phase)).toEqual(['pause', 'cancel']);
    }
  });

  it('lets paused or held jobs be resumed or cancelled', () => {
    for (const phase of ['SUSPENDED', 'HELD']) {
      expect([...allowedActions(phase)].sort()).toEqual(['cancel', 'resume']);
      expect(shownActions(phase)).toEqual(['resume', 'cancel']);
    }
  });

  it('lets only finished jobs be deleted', () => {
    for (const phase of ['COMPLETED', 'ERROR', 'ABORTED', 'ARCHIVED']) {
      expect([...allowedActions(phase)]).toEqual(['delete']);
      expect(shownActions(phase)).toEqual(['delete']);
      expect(isFinal(phase)).toBe(true);
    }
    expect(isFinal('EXECUTING')).toBe(false);
    expect(allowedActions('NONSENSE').size).toBe(0);
  });

  it('disables everything but delete while a cancel is pending', () => {
    const cancelling = job({ phase: 'EXECUTING', action: 'cancel' });
    expect(isActionAllowed(cancelling, 'cancel')).toBe(false);
    expect(isActionAllowed(cancelling, 'pause')).toBe(false);
    const pausing = job({ phase: 'EXECUTING', action: 'pause' });
    expect(isActionAllowed(pausing, 'pause')).toBe(false);
    expect(isActionAllowed(pausing, 'cancel')).toBe(true);
    expect(isActionAllowed(job({ phase: 'EXECUTING' }), 'resume')).toBe(false);
  });
});

describe('progress', () => {
  it('prefers the fraction, else done / total, clamped', () => {
    expect(progressFraction('EXECUTING', { fraction: 0.25 })).toBe(0.25);
    expect(progressFraction('EXECUTING', { done: 3, total: 4 })).toBe(0.75);
    expect(progressFraction('EXECUTING', { fraction: 1.2 })).toBe(1);
    expect(progressFraction('EXECUTING', { done: 0, total: 0 })).toBeNull();
    expect(progressFraction('EXECUTING', null)).toBeNull();
  });

  it('is full when completed and empty when queued', () => {
    expect(progressFraction('COMPLETED', null)).toBe(1);
    expect(progressFraction('COMPLETED', { fraction: 0.5 })).toBe(1);
    expect(progressFraction('QUEUED', null)).toBe(0);
  });

  it('shows 100 % only when done', () => {
    expect(percent(0.999)).toBe(99);
    expect(percent(1)).toBe(100);
    expect(percent(0)).toBe(0);
    expect(percent(null)).toBeNull();
  });

  it('reads either spelling of throughput and ETA', () => {
    expect(throughputOf({ throughput_bytes_s: 5e6 })).toBe(5e6);
    expect(throughputOf({ throughput: 7 })).toBe(7);
    expect(throughputOf(null)).toBeNull();
    expect(etaOf({ eta_s: 12 })).toBe(12);
    expect(etaOf({ eta: 3 })).toBe(3);
    expect(etaOf({})).toBeNull();
  });
});

describe('job descriptions', () => {
  it('names the operation from any field that carries it', () => {
    expect(operationOf(job({ operation: 'frame_stats' }))).toBe('frame_stats');
    expect(operationOf(job({ request: { operation: 'com' } }))).toBe('com');
    expect(operationOf(job({ kind: 'copy', request: {} }))).toBe('copy');
    expect(operationLabel('virtual_detector')).toBe('Virtual detector');
    expect(operationLabel('some_new_thing')).toBe('Some new thing');
  });

  it('finds the source and target of copies and reductions', () => {
    const copy = job({
      request: {
        operation: 'copy',
        source: { repository: 'demo', path: 'scan.h5' },
        target: { repository: 'scratch', path: 'x/scan.h5' }
      }
    });
    expect(jobEndpoints(copy)).toEqual({
      source: { repository: 'demo', path: 'scan.h5' },
      target: { repository: 'scratch', path: 'x/scan.h5' }
    });
    const reduction = job({
      kind: 'reduction',
      request: {
        repository: 'demo',
        path: 'scan.h5',
        output: { repository: 'demo', path: 'bf.h5', format: 'hdf5' }
      }
    });
    expect(jobEndpoints(reduction)).toEqual({
      source: { repository: 'demo', path: 'scan.h5' },
      target: { repository: 'demo', path: 'bf.h5', format: 'hdf5' }
    });
  });
});

describe('mergeJobs', () => {
  const at = (updated: string) => ({ fraction: 0.5, updated });

  it('keeps the newer of a polled and a streamed state', () => {
    const streamed = job({
      phase: 'EXECUTING',
      progress: at('2026-11-22T10:00:05Z')
    });
    const polled = job({
      phase: 'EXECUTING',
      progress: at('2026-11-22T10:00:03Z')
    });
    expect(mergeJobs([streamed], [polled])[0]).toBe(streamed);
    expect(mergeJobs([polled], [streamed])[0]).toBe(streamed);
  });

  it('never goes back from a final phase, and follows the list for membership', () => {
    const done = job({ phase: 'COMPLETED' });
    const stale = job({ phase: 'EXECUTING' });
    expect(isNewer(done, stale)).toBe(true);
    expect(mergeJobs([done], [stale])[0]).toBe(done);
    const other = job({ id: 'j2' });
    expect(mergeJobs([done, other], [other]).map(j => j.id)).toEqual(['j2']);
  });
});

describe('defaultCopyPath', () => {
  it('keeps the relative path in another repository', () => {
    expect(defaultCopyPath('day1/scan.h5', 'demo', 'scratch')).toBe(
      'day1/scan.h5'
    );
  });

  it('names a copy in the same repository', () => {
    expect(defaultCopyPath('day1/scan.h5', 'demo', 'demo')).toBe(
      'day1/scan (copy).h5'
    );
    expect(defaultCopyPath('scan.zarr', 'demo', 'demo')).toBe(
      'scan (copy).zarr'
    );
    expect(defaultCopyPath('raw', 'demo', 'demo')).toBe('raw (copy)');
    expect(defaultCopyPath('.hidden', 'demo', 'demo')).toBe('.hidden (copy)');
  });
});

describe('uploads', () => {
  const upload = job({
    kind: 'upload',
    phase: 'HELD',
    request: { repository: 'scratch', path: 'in/scan.mib' }
  });

  it('are cancelled here but paused and resumed by the client sending them', () => {
    expect(isActionAllowed(upload, 'cancel')).toBe(true);
    expect(isActionAllowed(upload, 'resume')).toBe(false);
    expect(isActionAllowed(upload, 'pause')).toBe(false);
    expect(isActionAllowed(job({ phase: 'HELD' }), 'resume')).toBe(true);
  });

  it('have a target and no source in this server', () => {
    expect(jobEndpoints(upload)).toEqual({
      source: null,
      target: { repository: 'scratch', path: 'in/scan.mib' }
    });
    expect(operationLabel(operationOf(upload))).toBe('Upload');
  });
});
