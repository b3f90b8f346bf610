/**
 * The state of the "Add storage…" dialog and the request it sends (no JupyterLab runtime
 * imports, so it is unit-testable).
 *
 * Which fields a protocol takes is the server's declaration (`GET storage/protocols`):
 * nothing here names a protocol or one of its fields, so a field the server declares
 * tomorrow (SFTP's `host_key`) shows in the form without a change here. Secrets live only
 * in this state, until the dialog closes; they are sent, never shown back.
 */
import type { TranslationBundle } from '@jupyterlab/translation';

import type { RemotemError } from './api';

/** The JSON type of a declared option. */
export type OptionKind = 'string' | 'boolean';

/** One protocol of `GET storage/protocols`. */
export interface IStorageProtocol {
  name: string;
  label: string;
  /** How its URLs start (`s3://`). */
  url: string[];
  options: Record<string, OptionKind>;
  required_options: string[];
  secrets: string[];
  /** Allowed by the administrator without a declaration: any options and secrets. */
  open_ended: boolean;
  example: {
    name?: string;
    url?: string;
    options?: Record<string, unknown>;
    secrets?: Record<string, unknown>;
  };
}

/** The body of `POST storage`. */
export interface IStorageRequest {
  name: string;
  protocol: string;
  url: string;
  options: Record<string, string | number | boolean>;
  secrets: Record<string, string>;
  description: string;
  writable: boolean;
}

/** A storage as `GET storage` and `POST storage` answer it (never its secrets). */
export interface IOwnStorage {
  name: string;
  protocol: string;
  url: string;
  options: Record<string, unknown>;
  secrets_set: string[];
  description: string;
  writable: boolean;
  created: string;
  readable: boolean;
}

/** The answer of a connection test (`POST storage?dry_run=1`). */
export interface IStorageTest {
  name: string;
  tested: boolean;
  saved: boolean;
  test: { entries: number };
}

/** What is typed in the form. */
export interface IStorageValues {
  protocol: string;
  name: string;
  url: string;
  /** Declared options as typed (a checkbox's boolean). */
  options: Record<string, string | boolean>;
  secrets: Record<string, string>;
  /** An open-ended protocol's options and secrets: one `name=value` per line. */
  extraOptions: string;
  extraSecrets: string;
  description: string;
  writable: boolean;
}

/** How a field is shown. */
export type FieldInput = 'text' | 'checkbox' | 'password' | 'multiline';

/** One field of a declared protocol, in the order the server declared them. */
export interface IStorageField {
  group: 'options' | 'secrets';
  name: string;
  label: string;
  input: FieldInput;
  required: boolean;
  placeholder: string;
}

/**
 * Secrets typed as several lines (a PEM or OpenSSH private key): by the shape of the
 * field's name, since the server declares every secret as a string.
 */
const MULTILINE_SECRET = /(^|_)(private_key|pem|certificate)$/;

/**
 * A field's name as a label: `endpoint_url` → "Endpoint URL".
 */
export function fieldLabel(name: string): string {
  const words = name
    .replace(/_/g, ' ')
    .trim()
    .replace(/\burl\b/g, 'URL');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * The fields of a declared protocol: its options (text or a checkbox, with the example's
 * value as placeholder) then its secrets (masked; a private key as several lines).
 */
export function fieldsOf(protocol: IStorageProtocol): IStorageField[] {
  const example = protocol.example ?? {};
  const options = Object.entries(protocol.options).map(
    ([name, kind]): IStorageField => ({
      group: 'options',
      name,
      label: fieldLabel(name),
      input: kind === 'boolean' ? 'checkbox' : 'text',
      required: protocol.required_options.includes(name),
      placeholder: placeholderOf(example.options?.[name])
    })
  );
  const secrets = protocol.secrets.map((name): IStorageField => ({
    group: 'secrets',
    name,
    label: fieldLabel(name),
    input: MULTILINE_SECRET.test(name) ? 'multiline' : 'password',
    required: false,
    // An example's secret is a stand-in ("..."): no placeholder.
    placeholder: ''
  }));
  return [...options, ...secrets];
}

function placeholderOf(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number'
    ? String(value)
    : '';
}

/** Empty values for a protocol (its first when none is named). */
export function emptyValues(protocol: IStorageProtocol | null): IStorageValues {
  return {
    protocol: protocol?.name ?? '',
    name: '',
    url: '',
    options: {},
    secrets: {},
    extraOptions: '',
    extraSecrets: '',
    description: '',
    writable: false
  };
}

/**
 * The values after choosing another protocol: what belongs to the protocol (its options,
 * secrets and a URL of its scheme) goes; the name, description and writability stay.
 */
export function switchProtocol(
  values: IStorageValues,
  protocol: IStorageProtocol
): IStorageValues {
  const keepUrl = protocol.url.some(prefix => values.url.startsWith(prefix));
  return {
    ...emptyValues(protocol),
    name: values.name,
    url: keepUrl ? values.url : '',
    description: values.description,
    writable: values.writable
  };
}

/**
 * `name=value` lines of an open-ended protocol: blank lines skipped; `bad` is the number
 * of the first line that is not `name=value` (null when all are).
 */
export function parsePairs(
  text: string,
  typed: boolean
): { pairs: Record<string, string | number | boolean>; bad: number | null } {
  const pairs: Record<string, string | number | boolean> = {};
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index].trim();
    if (!line) {
      continue;
    }
    const at = line.indexOf('=');
    const name = at > 0 ? line.slice(0, at).trim() : '';
    if (!name) {
      return { pairs, bad: index + 1 };
    }
    const raw = line.slice(at + 1).trim();
    pairs[name] = typed ? typedValue(raw) : raw;
  }
  return { pairs, bad: null };
}

/** An option typed as text: `true`/`false` and numbers as such, anything else as text. */
function typedValue(raw: string): string | number | boolean {
  if (raw === 'true' || raw === 'false') {
    return raw === 'true';
  }
  if (/^-?\d+(\.\d+)?$/.test(raw)) {
    return Number(raw);
  }
  return raw;
}

/**
 * The body of `POST storage` for what is typed: empty fields and unticked boxes are left
 * out (the server's defaults), so is whitespace around the name and the URL.
 */
export function requestBody(
  values: IStorageValues,
  protocol: IStorageProtocol
): IStorageRequest {
  const options: Record<string, string | number | boolean> = {};
  const secrets: Record<string, string> = {};
  if (protocol.open_ended) {
    Object.assign(options, parsePairs(values.extraOptions, true).pairs);
    for (const [name, value] of Object.entries(
      parsePairs(values.extraSecrets, false).pairs
    )) {
      secrets[name] = String(value);
    }
  }
  for (const [name, kind] of Object.entries(protocol.options)) {
    const value = values.options[name];
    if (kind === 'boolean') {
      if (value === true) {
        options[name] = true;
      }
    } else if (typeof value === 'string' && value.trim() !== '') {
      options[name] = value.trim();
    }
  }
  for (const name of protocol.secrets) {
    const value = values.secrets[name];
    // Secrets are sent as typed (a password may begin or end with a space).
    if (typeof value === 'string' && value !== '') {
      secrets[name] = value;
    }
  }
  return {
    name: values.name.trim(),
    protocol: protocol.name,
    url: values.url.trim(),
    options,
    secrets,
    description: values.description.trim(),
    writable: values.writable
  };
}

/**
 * What keeps the form from being sent (null when nothing): an empty name or URL, a
 * required option left empty, a line of an open-ended protocol that is not `name=value`.
 * The rest (the name's characters, the URL's form) is the server's to check and say.
 */
export function formProblem(
  values: IStorageValues,
  protocol: IStorageProtocol | null,
  trans: TranslationBundle
): string | null {
  if (!protocol) {
    return trans.__('Choose a kind of storage.');
  }
  if (!values.name.trim()) {
    return trans.__('Give the storage a name.');
  }
  if (!values.url.trim()) {
    return trans.__('Give its URL (%1…).', protocol.url.join(' or '));
  }
  for (const name of protocol.required_options) {
    const value = values.options[name];
    if (typeof value !== 'string' || !value.trim()) {
      return trans.__('Fill in “%1”.', fieldLabel(name));
    }
  }
  if (protocol.open_ended) {
    const options = parsePairs(values.extraOptions, true).bad;
    if (options !== null) {
      return trans.__('Options, line %1: write name=value.', options);
    }
    const secrets = parsePairs(values.extraSecrets, false).bad;
    if (secrets !== null) {
      return trans.__('Secrets, line %1: write name=value.', secrets);
    }
  }
  return null;
}

/**
 * A server's host key to confirm: what a connection test refused with `host_key_unknown`
 * carries (the key's line and its fingerprint), when the protocol takes a `host_key` to
 * send it back in.
 */
export interface IHostKeyOffer {
  line: string;
  fingerprint: string;
}

/** The option a confirmed host key is sent back in. */
export const HOST_KEY_OPTION = 'host_key';

export function hostKeyOffer(
  error: RemotemError | null,
  protocol: IStorageProtocol | null
): IHostKeyOffer | null {
  if (!error || error.code !== 'host_key_unknown' || !protocol) {
    return null;
  }
  if (!protocol.open_ended && !(HOST_KEY_OPTION in protocol.options)) {
    return null;
  }
  // The refusal's details carry the key as `host_key` takes it, and its fingerprint.
  const details = error.details ?? {};
  const line = details[HOST_KEY_OPTION];
  if (typeof line !== 'string' || !line) {
    return null;
  }
  const fingerprint =
    typeof details['fingerprint'] === 'string' ? details['fingerprint'] : '';
  return { line, fingerprint };
}

/** The values with a confirmed host key in the protocol's `host_key` option. */
export function trustHostKey(
  values: IStorageValues,
  protocol: IStorageProtocol,
  offer: IHostKeyOffer
): IStorageValues {
  if (protocol.open_ended && !(HOST_KEY_OPTION in protocol.options)) {
    const kept = values.extraOptions
      .split('\n')
      .filter(line => !line.trim().startsWith(`${HOST_KEY_OPTION}=`));
    return {
      ...values,
      extraOptions: [
        ...kept.filter(Boolean),
        `${HOST_KEY_OPTION}=${offer.line}`
      ].join('\n')
    };
  }
  return {
    ...values,
    options: { ...values.options, [HOST_KEY_OPTION]: offer.line }
  };
}

/** The state of the dialog. */
export interface IStorageDialogState {
  protocols: IStorageProtocol[] | null;
  values: IStorageValues;
  /** What is being asked of the server. */
  busy: 'loading' | 'testing' | 'saving' | null;
  error: RemotemError | null;
  /** The request whose connection test passed (Save sends exactly that), and its answer. */
  tested: { key: string; entries: number } | null;
  saved: IOwnStorage | null;
}

export const INITIAL_STORAGE_STATE: IStorageDialogState = {
  protocols: null,
  values: emptyValues(null),
  busy: 'loading',
  error: null,
  tested: null,
  saved: null
};

export type StorageAction =
  | { type: 'protocols'; protocols: IStorageProtocol[] }
  | { type: 'protocol'; name: string }
  | { type: 'edit'; changes: Partial<Omit<IStorageValues, 'protocol'>> }
  | { type: 'option'; name: string; value: string | boolean }
  | { type: 'secret'; name: string; value: string }
  | { type: 'values'; values: IStorageValues }
  | { type: 'testing' }
  | { type: 'tested'; key: string; entries: number }
  | { type: 'saving' }
  | { type: 'saved'; storage: IOwnStorage }
  | { type: 'failed'; error: RemotemError };

/** The chosen protocol's declaration (null while none is loaded). */
export function chosenProtocol(
  state: IStorageDialogState
): IStorageProtocol | null {
  return (
    state.protocols?.find(
      protocol => protocol.name === state.values.protocol
    ) ?? null
  );
}

/** The key of a request: a test passed for it lets exactly it be saved. */
export function requestKey(request: IStorageRequest): string {
  return JSON.stringify(request);
}

/**
 * Whether Save may be pressed: the connection test passed for what is typed now, and
 * nothing is under way.
 */
export function canSave(state: IStorageDialogState): boolean {
  const protocol = chosenProtocol(state);
  if (!protocol || state.busy !== null || state.tested === null) {
    return false;
  }
  return state.tested.key === requestKey(requestBody(state.values, protocol));
}

export function storageReducer(
  state: IStorageDialogState,
  action: StorageAction
): IStorageDialogState {
  switch (action.type) {
    case 'protocols': {
      const first = action.protocols[0] ?? null;
      return {
        ...state,
        protocols: action.protocols,
        values: state.values.protocol ? state.values : emptyValues(first),
        busy: null,
        error: null
      };
    }
    case 'protocol': {
      const protocol = state.protocols?.find(p => p.name === action.name);
      if (!protocol || protocol.name === state.values.protocol) {
        return state;
      }
      return {
        ...state,
        values: switchProtocol(state.values, protocol),
        error: null,
        tested: null
      };
    }
    case 'edit':
      return { ...state, values: { ...state.values, ...action.changes } };
    case 'option':
      return {
        ...state,
        values: {
          ...state.values,
          options: { ...state.values.options, [action.name]: action.value }
        }
      };
    case 'secret':
      return {
        ...state,
        values: {
          ...state.values,
          secrets: { ...state.values.secrets, [action.name]: action.value }
        }
      };
    case 'values':
      return { ...state, values: action.values };
    case 'testing':
      return { ...state, busy: 'testing', error: null, tested: null };
    case 'tested':
      return {
        ...state,
        busy: null,
        error: null,
        tested: { key: action.key, entries: action.entries }
      };
    case 'saving':
      return { ...state, busy: 'saving', error: null };
    case 'saved':
      return { ...state, busy: null, error: null, saved: action.storage };
    case 'failed':
      return { ...state, busy: null, error: action.error };
  }
}
