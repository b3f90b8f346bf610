import { TranslationBundle } from '@jupyterlab/translation';

import { arrayLabel } from '../details';

const trans = { __: (text: string) => text } as unknown as TranslationBundle;

describe('arrayLabel', () => {
  it('says that an array points outside the repository instead of a shape', () => {
    const label = arrayLabel(
      {
        path: '/bad',
        shape: null,
        dtype: null,
        chunks: null,
        compression: null,
        outside_repository: true,
        reason: "The external link '/bad' points outside the repository."
      },
      trans
    );
    expect(label).toContain('/bad');
    expect(label).toContain('points outside the repository');
    expect(label).not.toContain('null');
  });

  it('names the file a linked array lives in', () => {
    const label = arrayLabel(
      {
        path: '/data',
        shape: [4, 5, 6, 7],
        dtype: '<f4',
        chunks: null,
        compression: null,
        file: 'target.h5'
      },
      trans
    );
    expect(label).toContain('target.h5');
    expect(label).toContain('<f4');
  });
});
