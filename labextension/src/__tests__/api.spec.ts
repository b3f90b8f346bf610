import { ServerConnection } from '@jupyterlab/services';

import { isDataset, isFolder, IEntry, RemotemAPI, RemotemError } from '../api';

const settings = ServerConnection.makeSettings({
  baseUrl: 'http://localhost:8888/user/test%40x/'
});

function entry(partial: Partial<IEntry>): IEntry {
  return {
    name: 'x',
    path: 'x',
    type: 'file',
    size: null,
    mtime: null,
    modified: null,
    format: null,
    ...partial
  };
}

describe('RemotemAPI.url', () => {
  const api = new RemotemAPI(settings);

  it('stays under a non-root base URL', () => {
    expect(api.url(['repositories'])).toBe(
      'http://localhost:8888/user/test%40x/remotem/api/repositories'
    );
  });

  it('keeps the trailing slash of an empty tree path', () => {
    expect(api.url(['repositories', 'demo', 'tree', ''])).toBe(
      'http://localhost:8888/user/test%40x/remotem/api/repositories/demo/tree/'
    );
  });

  it('adds only the query parameters that are set', () => {
    const url = api.url(['repositories', 'demo', 'preview', 'a%20b/scan.h5'], {
      kind: 'bf',
      dataset: '/entry/data',
      size: undefined
    });
    expect(url).toBe(
      'http://localhost:8888/user/test%40x/remotem/api/repositories/demo/preview/a%20b/scan.h5' +
        '?kind=bf&dataset=%2Fentry%2Fdata'
    );
  });
});

describe('dataset or folder', () => {
  it('treats zarr and zspy directories as datasets', () => {
    const zarr = entry({ type: 'directory', format: 'zarr' });
    expect(isDataset(zarr)).toBe(true);
    expect(isFolder(zarr)).toBe(false);
  });

  it('treats other directories as folders', () => {
    const folder = entry({ type: 'directory', format: null });
    expect(isFolder(folder)).toBe(true);
    expect(isDataset(folder)).toBe(false);
  });

  it('does not open files of non-dataset formats', () => {
    expect(isDataset(entry({ format: 'hdf5' }))).toBe(true);
    expect(isDataset(entry({ format: 'json' }))).toBe(false);
    expect(isDataset(entry({ format: null }))).toBe(false);
  });
});

describe('RemotemError.fromResponse', () => {
  it('reads the message and hint of the error body', async () => {
    const body = JSON.stringify({
      error: { code: 'too_large', message: 'Too big.', hint: 'Submit a job.' }
    });
    const error = await RemotemError.fromResponse(
      new Response(body, { status: 422, statusText: 'Unprocessable Entity' })
    );
    expect(error.status).toBe(422);
    expect(error.code).toBe('too_large');
    expect(error.message).toBe('Too big.');
    expect(error.hint).toBe('Submit a job.');
  });

  it('falls back to the status line for a body that is not JSON', async () => {
    const error = await RemotemError.fromResponse(
      new Response('<html>', { status: 502, statusText: 'Bad Gateway' })
    );
    expect(error.message).toBe('502 Bad Gateway');
    expect(error.hint).toBeNull();
  });
});
