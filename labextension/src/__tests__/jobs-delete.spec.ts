import { nullTranslator } from '@jupyterlab/translation';

import type { IJob } from '../api';
import { deletedByJob, deleteMessage } from '../jobstate';

const trans = nullTranslator.load('jupyterlab');

function job(partial: Partial<IJob>): IJob {
  return {
    id: 'j1',
    phase: 'COMPLETED',
    kind: 'copy',
    request: {},
    created: '2026-11-22T10:00:00+00:00',
    ...partial
  };
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
