/**
 * The state of the Personal API Tokens dialog and the words it shows (no JupyterLab
 * runtime imports, so it is unit-testable).
 *
 * A new token's secret lives only in this state, from the answer that made it until
 * the user dismisses it or the dialog closes: the server keeps a digest only, so it
 * can never be shown again.
 */
import type { TranslationBundle } from '@jupyterlab/translation';

import type {
  IApiToken,
  INewApiToken,
  ITokenPlace,
  ITokenScope,
  RemotemError
} from './api';
import { formatDate } from './format';

/** The lifetimes offered for a new token, in days; 'never' for no expiry. */
export const EXPIRY_CHOICES = ['7', '30', '90', '365', 'never'] as const;
export type ExpiryChoice = (typeof EXPIRY_CHOICES)[number];
export const DEFAULT_EXPIRY: ExpiryChoice = '30';

const DAY_MS = 86_400_000;

/**
 * `expires_in_days` of `POST tokens` for a choice.
 */
export function expiresInDays(choice: ExpiryChoice): number | null {
  return choice === 'never' ? null : Number(choice);
}

/**
 * When a token expires, relative to now: "never", "expired", "in 3 hours", "in 29 days".
 */
export function expiryText(
  expires: string | null,
  now: number,
  trans: TranslationBundle
): string {
  if (!expires) {
    return trans.__('never');
  }
  const left = Date.parse(expires) - now;
  if (isNaN(left)) {
    return '';
  }
  if (left <= 0) {
    return trans.__('expired');
  }
  if (left < DAY_MS) {
    const hours = Math.max(1, Math.round(left / 3_600_000));
    return trans._n('in %1 hour', 'in %1 hours', hours);
  }
  const days = Math.round(left / DAY_MS);
  return trans._n('in %1 day', 'in %1 days', days);
}

/**
 * Whether a token can no longer be used.
 */
export function isExpired(token: IApiToken, now: number): boolean {
  return token.expires !== null && Date.parse(token.expires) <= now;
}

/**
 * The places typed for a new token's reach, one per line: `repository:path` (or just
 * `repository`), or `dataset <id>`. Blank lines are skipped; null when nothing is typed
 * (no restriction). A line that is neither is reported by its number.
 */
export function parseReach(text: string): {
  places: ITokenPlace[] | null;
  bad: number | null;
} {
  const places: ITokenPlace[] = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index].trim();
    if (!line) {
      continue;
    }
    const dataset = /^dataset\s+(\S+)$/.exec(line);
    if (dataset) {
      places.push({ dataset: dataset[1] });
      continue;
    }
    const colon = line.indexOf(':');
    const repository = (colon < 0 ? line : line.slice(0, colon)).trim();
    const path = colon < 0 ? '' : line.slice(colon + 1).trim();
    if (!repository || /\s/.test(repository)) {
      return { places: null, bad: index + 1 };
    }
    places.push({ repository, path: path.replace(/^\/+|\/+$/g, '') });
  }
  return { places: places.length ? places : null, bad: null };
}

/**
 * A token's reach in words: "everywhere you may", or its places.
 */
export function reachText(
  reach: ITokenPlace[] | null | undefined,
  trans: TranslationBundle
): string {
  if (!reach) {
    return trans.__('everywhere you may');
  }
  return reach
    .map(place =>
      'dataset' in place
        ? trans.__('dataset %1', place.dataset)
        : `${place.repository}:${place.path || '/'}`
    )
    .join(', ');
}

/**
 * One row of the token list, in words.
 */
export interface ITokenRow {
  id: string;
  name: string;
  created: string;
  expires: string;
  /** The exact expiry, for a tooltip. */
  expiresAt: string;
  lastUsed: string;
  expired: boolean;
  /** What it may do, e.g. "read, jobs" (every scope for tokens older than scopes). */
  scopes: string;
  /** Where it may go. */
  reach: string;
}

export function tokenRow(
  token: IApiToken,
  now: number,
  trans: TranslationBundle
): ITokenRow {
  return {
    id: token.id,
    name: token.name,
    created: formatDate(token.created),
    expires: expiryText(token.expires, now, trans),
    expiresAt: formatDate(token.expires),
    lastUsed: token.last_used ? formatDate(token.last_used) : trans.__('never'),
    expired: isExpired(token, now),
    scopes: token.scopes ? token.scopes.join(', ') : trans.__('all'),
    reach: reachText(token.reach, trans)
  };
}

/**
 * Everything the dialog shows.
 */
export interface ITokensState {
  /** Null until loaded. */
  tokens: IApiToken[] | null;
  error: RemotemError | null;
  /** A request is under way: buttons wait. */
  busy: boolean;
  /** The token whose "Revoke" asks for confirmation. */
  confirming: string | null;
  /** The token just made, with its secret. */
  created: INewApiToken | null;
  name: string;
  expiry: ExpiryChoice;
  /** The scopes the server offers (null until loaded) and those chosen for a new token. */
  offered: ITokenScope[] | null;
  scopes: string[];
  /** The new token's places, as typed (see `parseReach`). */
  reach: string;
}

export type TokensAction =
  | { type: 'request' }
  | { type: 'loaded'; tokens: IApiToken[] }
  | { type: 'scopes'; offered: ITokenScope[] }
  | { type: 'toggle-scope'; scope: string }
  | { type: 'failed'; error: RemotemError }
  | { type: 'created'; token: INewApiToken }
  | { type: 'revoked'; id: string }
  | { type: 'confirm'; id: string | null }
  | { type: 'edit'; name?: string; expiry?: ExpiryChoice; reach?: string }
  | { type: 'dismiss-secret' };

export const INITIAL_TOKENS_STATE: ITokensState = {
  tokens: null,
  error: null,
  busy: false,
  confirming: null,
  created: null,
  name: '',
  expiry: DEFAULT_EXPIRY,
  offered: null,
  scopes: [],
  reach: ''
};

/**
 * The dialog's state after an action.
 */
export function tokensReducer(
  state: ITokensState,
  action: TokensAction
): ITokensState {
  switch (action.type) {
    case 'request':
      return { ...state, busy: true, error: null };
    case 'loaded':
      return { ...state, busy: false, tokens: action.tokens };
    case 'scopes':
      // Every scope is ticked at first: a new token does what tokens always did.
      return {
        ...state,
        offered: action.offered,
        scopes: action.offered.map(scope => scope.name)
      };
    case 'toggle-scope': {
      const order = (state.offered ?? []).map(scope => scope.name);
      const chosen = state.scopes.includes(action.scope)
        ? state.scopes.filter(name => name !== action.scope)
        : [...state.scopes, action.scope];
      return {
        ...state,
        scopes: order.filter(name => chosen.includes(name))
      };
    }
    case 'failed':
      return { ...state, busy: false, error: action.error };
    case 'created': {
      // The list holds no secrets: only the `created` slot does.
      const made = action.token;
      const listed: IApiToken = {
        id: made.id,
        name: made.name,
        owner: made.owner,
        groups: made.groups,
        created: made.created,
        expires: made.expires,
        last_used: made.last_used,
        scopes: made.scopes,
        reach: made.reach
      };
      return {
        ...state,
        busy: false,
        created: action.token,
        tokens: [listed, ...(state.tokens ?? [])],
        name: '',
        reach: ''
      };
    }
    case 'revoked':
      return {
        ...state,
        busy: false,
        confirming: null,
        tokens: (state.tokens ?? []).filter(token => token.id !== action.id),
        created: state.created?.id === action.id ? null : state.created
      };
    case 'confirm':
      return { ...state, confirming: action.id, error: null };
    case 'edit':
      return {
        ...state,
        name: action.name ?? state.name,
        expiry: action.expiry ?? state.expiry,
        reach: action.reach ?? state.reach
      };
    case 'dismiss-secret':
      return { ...state, created: null };
  }
}

/**
 * Why a new token cannot be made yet, or null when it can.
 */
export function newTokenProblem(
  state: ITokensState,
  trans: TranslationBundle
): string | null {
  if (!state.name.trim()) {
    return trans.__('Name the token after what will use it.');
  }
  if (state.name.trim().length > 200) {
    return trans.__('The name may have at most 200 characters.');
  }
  if (state.offered !== null && state.scopes.length === 0) {
    return trans.__('Tick at least one thing the token may do.');
  }
  const { bad } = parseReach(state.reach);
  if (bad !== null) {
    return trans.__(
      'Line %1 of “Only in” is not repository:path or dataset <id>.',
      bad
    );
  }
  return null;
}
