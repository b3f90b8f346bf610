import { TranslationBundle } from '@jupyterlab/translation';

import {
  grantsLabel,
  grantsOf,
  shareForm,
  verificationLabel
} from '../datasetgrants';
import { IDataset } from '../datasetsapi';

const trans = {
  __: (text: string, ...args: unknown[]) =>
    args.reduce<string>(
      (out, arg, i) => out.replace(`%${i + 1}`, String(arg)),
      text
    )
} as unknown as TranslationBundle;

describe('the share form', () => {
  it('reads names separated by commas or spaces, once each role', () => {
    expect(
      grantsOf({
        readers: ' bob, carol  dave,',
        writers: 'erin',
        groups: 'stem-lab,tomo',
        groupRole: 'write'
      })
    ).toEqual([
      { user: 'bob', role: 'read' },
      { user: 'carol', role: 'read' },
      { user: 'dave', role: 'read' },
      { user: 'erin', role: 'write' },
      { group: 'stem-lab', role: 'write' },
      { group: 'tomo', role: 'write' }
    ]);
    expect(
      grantsOf({ readers: '', writers: ' ', groups: '', groupRole: 'read' })
    ).toEqual([]);
  });

  it('starts from the grants a dataset has, and gives them back unchanged', () => {
    const grants = [
      { group: 'stem-lab', role: 'read' as const },
      { user: 'bob', role: 'read' as const },
      { user: 'erin', role: 'write' as const }
    ];
    const form = shareForm(grants);
    expect(form).toEqual({
      readers: 'bob',
      writers: 'erin',
      groups: 'stem-lab',
      groupRole: 'read'
    });
    expect(new Set(grantsOf(form).map(g => JSON.stringify(g)))).toEqual(
      new Set(grants.map(g => JSON.stringify(g)))
    );
  });

  it('says who may see it', () => {
    expect(grantsLabel([], trans)).toBe('only the owner');
    expect(
      grantsLabel(
        [
          { group: 'lab', role: 'write' },
          { user: 'bob', role: 'read' }
        ],
        trans
      )
    ).toBe('group lab (write), bob (read)');
  });
});

describe('the verification', () => {
  const dataset = (verification: IDataset['verification']) =>
    ({
      verified: '2026-12-06T10:00:00+00:00',
      verification
    }) as IDataset;

  it('says intact, or counts what differs', () => {
    expect(
      verificationLabel(
        dataset({ intact: true, changed: [], missing: [], added: [] }),
        trans
      )
    ).toMatch(/^intact \(/);
    expect(
      verificationLabel(
        dataset({
          intact: false,
          changed: ['a', 'b'],
          missing: [],
          added: ['c']
        }),
        trans
      )
    ).toMatch(/^2 changed, 1 added \(/);
  });

  it('is empty before any verification', () => {
    expect(
      verificationLabel(
        { verified: null, verification: null } as IDataset,
        trans
      )
    ).toBe('');
  });
});
