/**
 * The state of the Personal API Tokens dialog and the words it shows (no JupyterLab
 * runtime imports, so it is unit-testable).
 *
 * A new token's secret lives only in this state, from the answer that made it until
 * the user dismisses it or the dialog closes: the server keeps a digest only, so it
 * can never be shown again.
 */
import type { TranslationBundle } from '@jupyterlab/translation';

import type { IApiToken, INewApiToken, RemotemError } from './api';
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
    expired: isExpired(token, now)
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
}

export type TokensAction =
  | { type: 'request' }
  | { type: 'loaded'; tokens: IApiToken[] }
  | { type: 'failed'; error: RemotemError }
  | { type: 'created'; token: INewApiToken }
  | { type: 'revoked'; id: string }
  | { type: 'confirm'; id: string | null }
  | { type: 'edit'; name?: string; expiry?: ExpiryChoice }
  | { type: 'dismiss-secret' };

export const INITIAL_TOKENS_STATE: ITokensState = {
  tokens: null,
  error: null,
  busy: false,
  confirming: null,
  created: null,
  name: '',
  expiry: DEFAULT_EXPIRY
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
    case 'failed':
      return { ...state, busy: false, error: action.error };
    case 'created': {
      // The list holds no secrets: only the `created` slot does.
      const { id, name, owner, groups, created, expires, last_used } =
        action.token;
      const listed = { id, name, owner, groups, created, expires, last_used };
      return {
        ...state,
        busy: false,
        created: action.token,
        tokens: [listed, ...(state.tokens ?? [])],
        name: ''
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
        expiry: action.expiry ?? state.expiry
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
  return null;
}
