import { nullTranslator } from '@jupyterlab/translation';

import { IApiToken, INewApiToken, RemotemError } from '../api';
import {
  DEFAULT_EXPIRY,
  expiresInDays,
  expiryText,
  INITIAL_TOKENS_STATE,
  newTokenProblem,
  parseReach,
  tokenRow,
  tokensReducer
} from '../tokens';

const trans = nullTranslator.load('jupyter_remotem');
const NOW = Date.parse('2025-03-01T12:00:00Z');
const HOUR = 3_600_000;

function token(partial: Partial<IApiToken>): IApiToken {
  return {
    id: 't1',
    name: 'laptop',
    owner: 'tester',
    groups: [],
    created: '2025-02-01T12:00:00+00:00',
    expires: null,
    last_used: null,
    ...partial
  };
}

describe('expiry', () => {
  it('maps the choices to expires_in_days, 30 by default', () => {
    expect(DEFAULT_EXPIRY).toBe('30');
    expect(expiresInDays('30')).toBe(30);
    expect(expiresInDays('365')).toBe(365);
    expect(expiresInDays('never')).toBeNull();
  });

  it('says when a token expires, relative to now', () => {
    const at = (ms: number) => new Date(NOW + ms).toISOString();
    expect(expiryText(null, NOW, trans)).toBe('never');
    expect(expiryText(at(-1), NOW, trans)).toBe('expired');
    expect(expiryText(at(0), NOW, trans)).toBe('expired');
    expect(expiryText(at(10 * 60_000), NOW, trans)).toBe('in 1 hour');
    expect(expiryText(at(5 * HOUR), NOW, trans)).toBe('in 5 hours');
    expect(expiryText(at(30 * 24 * HOUR), NOW, trans)).toBe('in 30 days');
    expect(expiryText('not a date', NOW, trans)).toBe('');
  });
});

describe('tokenRow', () => {
  it('words a listed token, never used and never expiring', () => {
    const row = tokenRow(token({}), NOW, trans);
    expect(row).toMatchObject({
      id: 't1',
      name: 'laptop',
      expires: 'never',
      expiresAt: '',
      lastUsed: 'never',
      expired: false
    });
    expect(row.created).toMatch(/^2025-02-0[12] \d\d:\d\d$/);
  });

  it('marks an expired token and shows when it was last used', () => {
    const row = tokenRow(
      token({
        expires: new Date(NOW - HOUR).toISOString(),
        last_used: '2025-02-20T08:30:00+00:00'
      }),
      NOW,
      trans
    );
    expect(row.expired).toBe(true);
    expect(row.expires).toBe('expired');
    expect(row.lastUsed).toMatch(/^2025-02-20 \d\d:\d\d$/);
  });
});

describe('tokensReducer', () => {
  const made: INewApiToken = { ...token({ id: 'new' }), token: 'rmt_secret' };

  it('loads, then puts a new token first, its secret only in `created`', () => {
    let state = tokensReducer(INITIAL_TOKENS_STATE, { type: 'request' });
    expect(state.busy).toBe(true);
    state = tokensReducer(state, { type: 'loaded', tokens: [token({})] });
    state = tokensReducer(state, { type: 'edit', name: 'ci', expiry: 'never' });
    expect(state).toMatchObject({ name: 'ci', expiry: 'never', busy: false });
    state = tokensReducer(state, { type: 'created', token: made });
    expect(state.created?.token).toBe('rmt_secret');
    expect(state.tokens?.map(t => t.id)).toEqual(['new', 't1']);
    expect(JSON.stringify(state.tokens)).not.toContain('rmt_secret');
    expect(state.name).toBe('');
    state = tokensReducer(state, { type: 'dismiss-secret' });
    expect(state.created).toBeNull();
  });

  it('asks before revoking, and drops the revoked token and its secret', () => {
    let state = tokensReducer(INITIAL_TOKENS_STATE, {
      type: 'loaded',
      tokens: [token({})]
    });
    state = tokensReducer(state, { type: 'created', token: made });
    state = tokensReducer(state, { type: 'confirm', id: 'new' });
    expect(state.confirming).toBe('new');
    state = tokensReducer(state, { type: 'confirm', id: null });
    expect(state.confirming).toBeNull();
    state = tokensReducer(state, { type: 'confirm', id: 'new' });
    state = tokensReducer(state, { type: 'revoked', id: 'new' });
    expect(state.tokens?.map(t => t.id)).toEqual(['t1']);
    expect(state.created).toBeNull();
    expect(state.confirming).toBeNull();
  });

  it('keeps a failure with its hint until the next request', () => {
    const error = new RemotemError('No.', 403, 'forbidden', 'Log in.');
    let state = tokensReducer(
      { ...INITIAL_TOKENS_STATE, busy: true },
      { type: 'failed', error }
    );
    expect(state).toMatchObject({ busy: false, error });
    state = tokensReducer(state, { type: 'request' });
    expect(state.error).toBeNull();
  });
});

describe('newTokenProblem', () => {
  it('wants a name of at most 200 characters', () => {
    const named = (name: string) =>
      newTokenProblem({ ...INITIAL_TOKENS_STATE, name }, trans);
    expect(named('  ')).toMatch(/Name the token/);
    expect(named('x'.repeat(201))).toMatch(/200/);
    expect(named('laptop')).toBeNull();
  });
});

describe('scopes and reach of a new token', () => {
  const offered = [
    { name: 'read', description: 'look' },
    { name: 'write', description: 'change' },
    { name: 'jobs', description: 'run' }
  ];

  it('ticks every offered scope at first, toggles them in the declared order', () => {
    let state = tokensReducer(
      { ...INITIAL_TOKENS_STATE, name: 'ingest' },
      { type: 'scopes', offered }
    );
    expect(state.scopes).toEqual(['read', 'write', 'jobs']);
    state = tokensReducer(state, { type: 'toggle-scope', scope: 'read' });
    expect(state.scopes).toEqual(['write', 'jobs']);
    state = tokensReducer(state, { type: 'toggle-scope', scope: 'read' });
    expect(state.scopes).toEqual(['read', 'write', 'jobs']);
    for (const scope of ['read', 'write', 'jobs']) {
      state = tokensReducer(state, { type: 'toggle-scope', scope });
    }
    expect(newTokenProblem(state, trans)).toMatch(/at least one/);
  });

  it('reads places one per line, datasets by id, and names a bad line', () => {
    expect(parseReach('')).toEqual({ places: null, bad: null });
    expect(parseReach(' \n\n')).toEqual({ places: null, bad: null });
    expect(
      parseReach('raw:beamline-7/\n\nscratch\ndataset 1f2e\nraw: /a/b ')
    ).toEqual({
      places: [
        { repository: 'raw', path: 'beamline-7' },
        { repository: 'scratch', path: '' },
        { dataset: '1f2e' },
        { repository: 'raw', path: 'a/b' }
      ],
      bad: null
    });
    expect(parseReach('raw:x\nnot a place:y')).toEqual({
      places: null,
      bad: 2
    });
    const state = tokensReducer(
      { ...INITIAL_TOKENS_STATE, name: 'ingest' },
      { type: 'edit', reach: 'ok:x\n:nothing' }
    );
    expect(newTokenProblem(state, trans)).toMatch(/Line 2/);
  });

  it('words what a listed token may do and where', () => {
    expect(tokenRow(token({}), NOW, trans)).toMatchObject({
      scopes: 'all',
      reach: 'everywhere you may'
    });
    const row = tokenRow(
      token({
        scopes: ['read', 'jobs'],
        reach: [{ repository: 'raw', path: '' }, { dataset: 'd1' }]
      }),
      NOW,
      trans
    );
    expect(row).toMatchObject({
      scopes: 'read, jobs',
      reach: 'raw:/, dataset d1'
    });
  });

  it('keeps the new token’s scopes and reach in the list, not its secret', () => {
    const made: INewApiToken = {
      ...token({ id: 'n1', scopes: ['read'], reach: [{ dataset: 'd1' }] }),
      token: 'rmt_secret'
    };
    const state = tokensReducer(
      { ...INITIAL_TOKENS_STATE, tokens: [], reach: 'dataset d1' },
      { type: 'created', token: made }
    );
    expect(state.tokens?.[0]).toEqual({
      ...token({ id: 'n1', scopes: ['read'], reach: [{ dataset: 'd1' }] })
    });
    expect(JSON.stringify(state.tokens)).not.toContain('rmt_secret');
    expect(state.reach).toBe('');
  });
});
