import { nullTranslator } from '@jupyterlab/translation';

import { IJob } from '../api';
import {
  noticeForEnd,
  noticesBeforeRemoval,
  RETENTION_WARNING_MS
} from '../jobnotify';

const trans = nullTranslator.load('jupyter_remotem');
const NOW = Date.parse('2026-12-07T12:00:00Z');

function job(partial: Partial<IJob>): IJob {
  return {
    id: 'j1',
    phase: 'COMPLETED',
    kind: 'reduction',
    request: {
      operation: 'virtual_detector',
      repository: 'demo',
      path: 'scan.h5',
      output: { repository: 'scratch', path: 'bf.h5' }
    },
    created: null,
    results: [
      { repository: 'scratch', path: 'bf.h5', size: 10, format: 'hdf5' }
    ],
    ...partial
  } as IJob;
}

describe('noticeForEnd', () => {
  it('says a job finished, where its result went, and offers it', () => {
    const notice = noticeForEnd(job({}), trans);
    expect(notice).toEqual({
      type: 'success',
      message: 'Job finished: Virtual detector → scratch:bf.h5',
      result: {
        repository: 'scratch',
        path: 'bf.h5',
        size: 10,
        format: 'hdf5'
      },
      sticky: false
    });
  });

  it('keeps a failure on screen with its reason, and says a cancel', () => {
    const failed = noticeForEnd(
      job({
        phase: 'ERROR',
        error: { code: 'x', message: 'disk full' } as never
      }),
      trans
    );
    expect(failed).toMatchObject({ type: 'error', sticky: true, result: null });
    expect(failed?.message).toBe(
      'Job failed: Virtual detector → scratch:bf.h5 — disk full'
    );
    expect(noticeForEnd(job({ phase: 'ABORTED' }), trans)?.message).toBe(
      'Job cancelled: Virtual detector → scratch:bf.h5'
    );
  });

  it('is silent for uploads and for phases that are not final', () => {
    expect(noticeForEnd(job({ kind: 'upload' }), trans)).toBeNull();
    expect(noticeForEnd(job({ phase: 'EXECUTING' }), trans)).toBeNull();
  });
});

describe('noticesBeforeRemoval', () => {
  const at = (ms: number) => new Date(NOW + ms).toISOString();

  it('warns once per job whose results go within a day', () => {
    const warned = new Set<string>();
    const jobs = [
      job({ id: 'soon', destruction: at(3 * 3_600_000) }),
      job({ id: 'later', destruction: at(RETENTION_WARNING_MS + 60_000) }),
      job({ id: 'gone', destruction: at(-1) }),
      job({ id: 'failed', phase: 'ERROR', destruction: at(1_000) }),
      job({ id: 'empty', results: [], destruction: at(1_000) }),
      job({ id: 'forever', destruction: null })
    ];
    const notices = noticesBeforeRemoval(jobs, NOW, warned, trans);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ type: 'warning', sticky: true });
    expect(notices[0].message).toBe(
      'The results of “Virtual detector → scratch:bf.h5” are removed in about 3 hours: copy what you keep.'
    );
    expect(Array.from(warned)).toEqual(['soon']);
    expect(noticesBeforeRemoval(jobs, NOW, warned, trans)).toEqual([]);
  });
});
