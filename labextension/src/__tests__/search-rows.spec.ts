import { nullTranslator } from '@jupyterlab/translation';

import {
  draftProblem,
  sortedAnnotations,
  visibilityText
} from '../search/annotationrows';
import { hitKey, hitRow, totalText } from '../search/rows';
import { IAnnotation, ISearchHit } from '../search/types';

const trans = nullTranslator.load('jupyter_remotem');

function hit(partial: Partial<ISearchHit>): ISearchHit {
  return {
    repository: 'demo',
    path: 'scan.npy',
    dataset: null,
    kind: 'file',
    name: 'scan.npy',
    format: 'npy',
    size: 12_582_912,
    mtime: 1_700_000_000,
    shape: [32, 48, 64, 64],
    dtype: 'uint16',
    status: 'ok',
    reason: null,
    ...partial
  };
}

function annotation(partial: Partial<IAnnotation>): IAnnotation {
  return {
    id: 1,
    repository: 'demo',
    path: 'scan.h5',
    dataset: null,
    kind: 'tag',
    value: 'good',
    author: 'tester',
    visibility: 'private',
    group: null,
    created: '2026-01-01T00:00:00+00:00',
    modified: '2026-01-01T00:00:00+00:00',
    mine: true,
    ...partial
  };
}

describe('hitRow', () => {
  it('shows the name, where it is, its shape and its format', () => {
    const row = hitRow(hit({}), trans);
    expect(row).toMatchObject({
      name: 'scan.npy',
      repository: 'demo',
      path: 'scan.npy',
      shape: '32 × 48 × 64 × 64',
      format: 'npy',
      size: '12.0 MiB',
      unreadable: null
    });
    expect(row.title).toBe(
      'demo:scan.npy\n32 × 48 × 64 × 64, uint16, npy, 12.0 MiB'
    );
  });

  it('names the array inside a container file', () => {
    const row = hitRow(
      hit({ path: 'scan.h5', name: 'scan.h5', dataset: '/entry/data/frames' }),
      trans
    );
    expect(row.name).toBe('scan.h5 /entry/data/frames');
    expect(row.key).not.toBe(
      hitRow(hit({ path: 'scan.h5', name: 'scan.h5' }), trans).key
    );
  });

  it('gives the reason of an unreadable entry, and nothing it does not know', () => {
    const row = hitRow(
      hit({
        status: 'unreadable',
        reason: 'Not an HDF5 file',
        shape: null,
        dtype: null,
        format: null,
        size: null
      }),
      trans
    );
    expect(row.unreadable).toBe('Not an HDF5 file');
    expect(row.shape).toBe('');
    expect(row.format).toBe('');
    expect(row.title).toBe('demo:scan.npy\nNot an HDF5 file');
    expect(hitRow(hit({ status: 'unreadable' }), trans).unreadable).toBe(
      'The file could not be read.'
    );
  });

  it('keys hits by repository, path and array', () => {
    expect(hitKey(hit({}))).toBe(hitKey(hit({ size: 1 })));
    expect(hitKey(hit({}))).not.toBe(hitKey(hit({ repository: 'other' })));
  });
});

describe('totalText', () => {
  it('says how many of how many are shown', () => {
    expect(totalText(2, 2, trans)).toBe('2 entries');
    expect(totalText(1, 1, trans)).toBe('1 entry');
    expect(totalText(0, 0, trans)).toBe('0 entries');
    expect(totalText(50, 120, trans)).toBe('50 of 120 entries');
  });
});

describe('annotations', () => {
  it('says who sees them', () => {
    expect(visibilityText(annotation({}), trans)).toBe('private');
    expect(
      visibilityText(
        annotation({ visibility: 'group', group: 'stem-lab' }),
        trans
      )
    ).toBe('group stem-lab');
    expect(visibilityText(annotation({ visibility: 'readers' }), trans)).toBe(
      'all readers'
    );
  });

  it('lists tags by value, then notes oldest first', () => {
    const sorted = sortedAnnotations([
      annotation({ id: 5, kind: 'note', value: 'later' }),
      annotation({ id: 2, value: 'zeta' }),
      annotation({ id: 4, kind: 'note', value: 'earlier' }),
      annotation({ id: 3, value: 'alpha' })
    ]);
    expect(sorted.map(a => a.id)).toEqual([3, 2, 4, 5]);
  });

  it('refuses an empty value, or a group nobody named', () => {
    expect(draftProblem('  ', 'private', '', trans)).toMatch(/first/);
    expect(draftProblem('good', 'group', ' ', trans)).toMatch(/group/);
    expect(draftProblem('good', 'group', 'stem-lab', trans)).toBeNull();
    expect(draftProblem('good', 'readers', '', trans)).toBeNull();
  });
});
