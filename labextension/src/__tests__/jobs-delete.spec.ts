import { nullTranslator } from '@jupyterlab/translation';

import type { IJob } from '../api';
import {
  cancelMessage,
  cancelRemovesFiles,
  deletedByJob,
  deleteMessage
} from '../jobstate';
import { job as baseJob } from './jobfixtures';

const trans = nullTranslator.load('jupyterlab');

function job(partial: Partial<IJob>): IJob {
  return baseJob({ phase: 'COMPLETED', ...partial });
}

const copyResult = [
  { repository: 'results', path: 'ingest/day1', size: 8000, format: 'copy' }
];

describe('the delete confirmation', () => {
  it('counts every file a copy wrote, not its one result entry', () => {
    const copied = job({
      results: copyResult,
      written: {
        files: 15,
        bytes: 28_672,
        folders: 2,
        sample: [
          { repository: 'results', path: 'ingest/.day1.remotem-manifest.json' },
          { repository: 'results', path: 'ingest/day1/frame00.bin' }
        ]
      }
    });
    expect(deletedByJob(copied)).toEqual({
      files: 15,
      bytes: 28_672,
      folders: 2,
      names: [
        'results:ingest/.day1.remotem-manifest.json',
        'results:ingest/day1/frame00.bin'
      ]
    });
    const message = deleteMessage(copied, trans);
    expect(message).toContain('the 15 files it wrote (28.0 KiB)');
    expect(message).toContain('results:ingest/day1/frame00.bin, …');
    expect(message).toContain('The 2 folders it made go too');
  });

  it('names a single file and its size', () => {
    const one = job({
      kind: 'reduction',
      written: {
        files: 1,
        bytes: 2048,
        folders: 0,
        sample: [{ repository: 'results', path: 'bf.h5' }]
      }
    });
    expect(deleteMessage(one, trans)).toBe(
      'This also deletes the file it wrote (2.00 KiB): results:bf.h5.'
    );
  });

  it('says so when the job wrote nothing, whatever its results say', () => {
    const adopted = job({
      results: copyResult,
      written: { files: 0, bytes: 0, folders: 0, sample: [] }
    });
    expect(deleteMessage(adopted, trans)).toBe(
      'The job leaves the list; it wrote no files.'
    );
  });

  it('falls back to the results of a server without the ledger', () => {
    const old = job({ results: copyResult });
    expect(deletedByJob(old)).toEqual({
      files: 1,
      bytes: null,
      folders: 0,
      names: ['results:ingest/day1']
    });
    expect(deleteMessage(old, trans)).toBe(
      'This also deletes the file it wrote: results:ingest/day1.'
    );
  });
});

describe('after a cancel', () => {
  const nothing = { files: 0, bytes: 0, folders: 0, sample: [] };

  it('says the files went at the cancel, not that the job wrote none', () => {
    const cancelled = job({ phase: 'ABORTED', written: nothing });
    expect(deleteMessage(cancelled, trans)).toBe(
      'The job leaves the list; it has no files left (what it wrote was removed when it was cancelled).'
    );
  });

  it('names the files kept at the cancel, which deleting removes', () => {
    const kept = job({
      phase: 'ABORTED',
      keep_files: true,
      written: {
        files: 14,
        bytes: 2_800_000_000,
        folders: 1,
        sample: [{ repository: 'results', path: 'ingest/day1/frame00.bin' }]
      }
    });
    const message = deleteMessage(kept, trans);
    expect(message).toContain(
      'the 14 files it wrote (2.61 GiB), kept when it was cancelled: results:ingest/day1/frame00.bin, …'
    );
    expect(message).toContain('The folder it made goes too');
  });
});

describe('the cancel confirmation', () => {
  it('names what a running copy wrote so far, which goes unless kept', () => {
    const running = job({
      phase: 'EXECUTING',
      written: {
        files: 13,
        bytes: 2_800_000_000,
        folders: 2,
        sample: [
          { repository: 'results', path: 'ingest/.day1.remotem-manifest.json' }
        ]
      }
    });
    expect(cancelRemovesFiles(running)).toBe(true);
    expect(cancelMessage(running, trans)).toBe(
      'The job stops. It has written 13 files so far (2.61 GiB): results:ingest/.day1.remotem-manifest.json, …. They are removed with the partial output, unless you keep them.'
    );
  });

  it('asks nothing of a job that has written no file yet', () => {
    const fresh = job({
      phase: 'EXECUTING',
      written: { files: 0, bytes: 0, folders: 0, sample: [] }
    });
    expect(cancelRemovesFiles(fresh)).toBe(false);
    expect(cancelMessage(fresh, trans)).toBe(
      'The job stops; its partial output is removed.'
    );
  });
});
