import { nullTranslator } from '@jupyterlab/translation';

import { RemotemError } from '../api';
import {
  canSave,
  emptyValues,
  fieldsOf,
  formProblem,
  hostKeyOffer,
  INITIAL_STORAGE_STATE,
  IStorageDialogState,
  IStorageProtocol,
  IStorageValues,
  parsePairs,
  requestBody,
  requestKey,
  storageReducer,
  switchProtocol,
  trustHostKey
} from '../storageform';
import {
  servedProtocol,
  servedProtocols,
  serverVerdicts
} from './servedstorage';

const trans = nullTranslator.load('jupyter_remotem');

/** Every declared field of `protocol` filled in (texts with `<name>-value`, boxes ticked). */
function filled(protocol: IStorageProtocol): IStorageValues {
  const values = emptyValues(protocol);
  values.name = `mine-${protocol.name}`;
  values.url = `${protocol.url[0]}somewhere/below`;
  for (const [name, kind] of Object.entries(protocol.options)) {
    values.options[name] = kind === 'boolean' ? true : `${name}-value`;
  }
  for (const name of protocol.secrets) {
    values.secrets[name] = ` ${name} secret `;
  }
  return values;
}

/** A state with the served protocols loaded. */
function loaded(): IStorageDialogState {
  return storageReducer(INITIAL_STORAGE_STATE, {
    type: 'protocols',
    protocols: servedProtocols()
  });
}

describe('the fields of a protocol', () => {
  it('are what the server declares, options then secrets, in its order', () => {
    for (const protocol of servedProtocols()) {
      const fields = fieldsOf(protocol);
      expect(fields.map(field => `${field.group}.${field.name}`)).toEqual([
        ...Object.keys(protocol.options).map(name => `options.${name}`),
        ...protocol.secrets.map(name => `secrets.${name}`)
      ]);
      for (const field of fields) {
        if (field.group === 'options') {
          expect(field.input).toBe(
            protocol.options[field.name] === 'boolean' ? 'checkbox' : 'text'
          );
          expect(field.required).toBe(
            protocol.required_options.includes(field.name)
          );
        } else {
          expect(['password', 'multiline']).toContain(field.input);
          expect(field.placeholder).toBe('');
        }
      }
    }
  });

  it('mask secrets, give a private key several lines, and label by name', () => {
    const sftp = fieldsOf(servedProtocol('sftp'));
    const input = (name: string) =>
      sftp.find(field => field.name === name)?.input;
    expect(input('password')).toBe('password');
    expect(input('passphrase')).toBe('password');
    expect(input('private_key')).toBe('multiline');
    expect(input('host_key')).toBe('text');
    const s3 = fieldsOf(servedProtocol('s3'));
    expect(s3.find(field => field.name === 'key')?.input).toBe('password');
    expect(s3.find(field => field.name === 'anon')?.input).toBe('checkbox');
    expect(s3.find(field => field.name === 'endpoint_url')?.label).toBe(
      'Endpoint URL'
    );
  });

  it("take the example's options as placeholders", () => {
    const webdav = servedProtocol('webdav');
    const baseUrl = fieldsOf(webdav).find(field => field.name === 'base_url');
    expect(baseUrl?.placeholder).toBe(webdav.example.options?.['base_url']);
    expect(baseUrl?.required).toBe(true);
  });
});

describe('the request', () => {
  it('carries every filled field and the server takes it, for every protocol', () => {
    const protocols = servedProtocols();
    const bodies = protocols.map(protocol =>
      requestBody(filled(protocol), protocol)
    );
    expect(serverVerdicts(bodies)).toEqual(protocols.map(() => null));
    const s3 = bodies[protocols.findIndex(p => p.name === 's3')];
    expect(s3.options['anon']).toBe(true);
    // Secrets go as typed; names and URLs without the spaces around them.
    expect(s3.secrets['secret']).toBe(' secret secret ');
    expect(s3.name).toBe('mine-s3');
  });

  it('leaves out empty fields and unticked boxes', () => {
    const s3 = servedProtocol('s3');
    const values = {
      ...emptyValues(s3),
      name: ' bucket ',
      url: 's3://bucket',
      options: { endpoint_url: '  ', region_name: 'eu', anon: false },
      secrets: { key: '', secret: 'x' }
    };
    const body = requestBody(values, s3);
    expect(body).toEqual({
      name: 'bucket',
      protocol: 's3',
      url: 's3://bucket',
      options: { region_name: 'eu' },
      secrets: { secret: 'x' },
      description: '',
      writable: false
    });
    expect(serverVerdicts([body])).toEqual([null]);
  });

  it('of an open-ended protocol takes name=value lines, typed options and text secrets', () => {
    const gcs: IStorageProtocol = {
      name: 'gcs',
      label: 'gcs (fsspec)',
      url: ['gcs://'],
      options: {},
      required_options: [],
      secrets: [],
      open_ended: true,
      example: {}
    };
    const values = {
      ...emptyValues(gcs),
      name: 'g',
      url: 'gcs://b',
      extraOptions: 'project = lab\n\nretries=3\nanon=true',
      extraSecrets: 'token=1234'
    };
    const body = requestBody(values, gcs);
    expect(body.options).toEqual({ project: 'lab', retries: 3, anon: true });
    expect(body.secrets).toEqual({ token: '1234' });
    expect(parsePairs('a=1\nnot a pair', true).bad).toBe(2);
    expect(formProblem({ ...values, extraSecrets: '=x' }, gcs, trans)).toMatch(
      /Secrets, line 1/
    );
  });
});

describe('what keeps the form from being sent', () => {
  it('is an empty name, URL or required option, as the server would refuse', () => {
    const webdav = servedProtocol('webdav');
    const complete = filled(webdav);
    expect(formProblem(complete, webdav, trans)).toBeNull();
    expect(formProblem({ ...complete, name: ' ' }, webdav, trans)).toMatch(
      /name/
    );
    expect(formProblem({ ...complete, url: '' }, webdav, trans)).toMatch(
      /webdav:\/\//
    );
    const noBase = { ...complete, options: { username: 'ada' } };
    expect(formProblem(noBase, webdav, trans)).toMatch(/Base URL/);
    const [verdict] = serverVerdicts([requestBody(noBase, webdav)]);
    expect(verdict).toMatch(/base_url/);
    expect(formProblem(complete, null, trans)).toMatch(/kind/);
  });
});

describe('the dialog state', () => {
  it('starts with the first protocol the server offers', () => {
    const state = loaded();
    expect(state.busy).toBeNull();
    expect(state.values.protocol).toBe(servedProtocols()[0].name);
  });

  it('lets Save send only what passed its connection test', () => {
    let state = loaded();
    const protocol = servedProtocol(state.values.protocol);
    state = storageReducer(state, { type: 'values', values: filled(protocol) });
    expect(canSave(state)).toBe(false);
    state = storageReducer(state, { type: 'testing' });
    expect(state.busy).toBe('testing');
    expect(canSave(state)).toBe(false);
    const key = requestKey(requestBody(state.values, protocol));
    state = storageReducer(state, { type: 'tested', key, entries: 3 });
    expect(canSave(state)).toBe(true);
    // Any change after the test asks for another.
    const secret = protocol.secrets[0];
    const changed = storageReducer(state, {
      type: 'secret',
      name: secret,
      value: 'another'
    });
    expect(canSave(changed)).toBe(false);
    // Changed back: what was tested again.
    const back = storageReducer(changed, {
      type: 'secret',
      name: secret,
      value: state.values.secrets[secret]
    });
    expect(canSave(back)).toBe(true);
    const saving = storageReducer(back, { type: 'saving' });
    expect(canSave(saving)).toBe(false);
  });

  it("keeps a failure's message and hint until the next test", () => {
    let state = loaded();
    const error = new RemotemError(
      "Storage 'x' could not be listed: 401",
      422,
      'connection_failed',
      'Check the URL, the endpoint and the credentials, then try again.'
    );
    state = storageReducer(state, { type: 'failed', error });
    expect(state.error).toBe(error);
    expect(state.busy).toBeNull();
    state = storageReducer(state, { type: 'testing' });
    expect(state.error).toBeNull();
  });

  it('switching protocol drops its fields and a URL of another scheme', () => {
    const s3 = servedProtocol('s3');
    const webdav = servedProtocol('webdav');
    const values = { ...filled(s3), description: 'raw scans', writable: true };
    const switched = switchProtocol(values, webdav);
    expect(switched).toMatchObject({
      protocol: 'webdav',
      name: values.name,
      url: '',
      options: {},
      secrets: {},
      description: 'raw scans',
      writable: true
    });
    let state = storageReducer(loaded(), { type: 'values', values });
    state = storageReducer(state, { type: 'protocol', name: 'webdav' });
    expect(state.values).toEqual(switched);
    expect(storageReducer(state, { type: 'protocol', name: 'nope' })).toBe(
      state
    );
  });
});

describe('an unknown SFTP host key', () => {
  const refusal = (details: Record<string, unknown>) =>
    new RemotemError(
      'The server 127.0.0.1:2222 is not known yet',
      422,
      'host_key_unknown',
      'Compare the fingerprint…',
      details
    );
  const line = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKbX0dIDx4R1y4Jd6Zs0Bk';

  it('is offered to trust, with its fingerprint, where the protocol takes host_key', () => {
    const sftp = servedProtocol('sftp');
    const error = refusal({ host_key: line, fingerprint: 'SHA256:abc' });
    expect(hostKeyOffer(error, sftp)).toEqual({
      line,
      fingerprint: 'SHA256:abc'
    });
    expect(hostKeyOffer(error, servedProtocol('webdav'))).toBeNull();
    expect(hostKeyOffer(refusal({}), sftp)).toBeNull();
    const other = new RemotemError('no', 422, 'connection_failed', null, {
      host_key: line
    });
    expect(hostKeyOffer(other, sftp)).toBeNull();
  });

  it('once trusted, is sent back as options.host_key, which the server takes', () => {
    const sftp = servedProtocol('sftp');
    const values = {
      ...emptyValues(sftp),
      name: 'lab-server',
      url: 'sftp://127.0.0.1:2222/data',
      options: { username: 'ada' },
      secrets: { password: 'pw' }
    };
    const trusted = trustHostKey(values, sftp, { line, fingerprint: '' });
    const body = requestBody(trusted, sftp);
    expect(body.options).toEqual({ username: 'ada', host_key: line });
    expect(body.secrets).toEqual({ password: 'pw' });
    expect(serverVerdicts([body])).toEqual([null]);
  });
});
