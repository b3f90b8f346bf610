import { ServerConnection } from '@jupyterlab/services';

import { isDataset, isFolder, IEntry, RemotemAPI, RemotemError } from '../api';
import { base64Bytes, SERVER_NPZ } from './npzfixtures';

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
    dataset: false,
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
  // The server's formats decide (its listing's `dataset`); the lab keeps no list of its own.
  it('opens a folder the server calls a dataset (Zarr) in the viewer', () => {
    const zarr = entry({ type: 'directory', format: 'zarr', dataset: true });
    expect(isDataset(zarr)).toBe(true);
    expect(isFolder(zarr)).toBe(false);
  });

  it('expands other folders', () => {
    const folder = entry({ type: 'directory', format: null });
    expect(isFolder(folder)).toBe(true);
    expect(isDataset(folder)).toBe(false);
  });

  it('opens files as datasets only when the server says so', () => {
    expect(isDataset(entry({ format: 'hdf5', dataset: true }))).toBe(true);
    expect(isDataset(entry({ format: 'json' }))).toBe(false);
    expect(isDataset(entry({ format: 'tiff', dataset: false }))).toBe(false);
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

/**
 * A client whose every request is answered by `answer`, recording the requests.
 */
function recordingApi(answer: () => Response, token = '') {
  const requests: Request[] = [];
  const api = new RemotemAPI(
    ServerConnection.makeSettings({
      baseUrl: 'http://localhost:8888/user/test%40x/',
      token,
      init: { cache: 'default' },
      fetch: (async (request: Request) => {
        requests.push(request);
        return answer();
      }) as any
    })
  );
  return { api, requests };
}

/**
 * The server's answer to a refused request: `{"error": {code, message, hint}}`.
 */
function errorAnswer(
  status: number,
  code: string,
  message: string,
  hint: string
): Response {
  return new Response(JSON.stringify({ error: { code, message, hint } }), {
    status
  });
}

describe('reductions as .npz', () => {
  const request = {
    repository: 'demo',
    path: 'scan.h5',
    operation: 'com',
    params: { scan_rotation: 90 },
    coarse: true
  };

  it('posts the reduction once and answers all its arrays, the primary one and the step', async () => {
    const { api, requests } = recordingApi(
      () =>
        new Response(base64Bytes(SERVER_NPZ), {
          status: 200,
          headers: {
            'Content-Type': 'application/octet-stream',
            'X-Remotem-Primary': 'magnitude',
            'X-Remotem-Step': '3',
            'X-Remotem-Elapsed': '0.0125'
          }
        })
    );
    const answer = await api.reduceNpz(request);
    expect(requests).toHaveLength(1);
    expect(requests[0].method).toBe('POST');
    expect(requests[0].url).toBe(
      'http://localhost:8888/user/test%40x/remotem/api/reductions?format=npz'
    );
    expect(JSON.parse(await requests[0].text())).toEqual(request);
    expect(Array.from(answer.arrays.keys())).toEqual([
      'magnitude',
      'shift_y',
      'shift_x'
    ]);
    const shiftX = answer.arrays.get('shift_x')!.data as Float32Array;
    expect(Array.from(shiftX)).toEqual([1, 0, -2, NaN, 0, 0.5]);
    expect(answer.primary).toBe('magnitude');
    expect(answer.step).toBe(3);
    expect(answer.elapsedS).toBe(0.0125);
  });

  it('reports an answer that is not an .npz as a bad response, not a network error', async () => {
    const { api } = recordingApi(
      () => new Response('<html>proxy page</html>', { status: 200 })
    );
    await expect(api.reduceNpz(request)).rejects.toMatchObject({
      name: 'RemotemError',
      code: 'bad_response',
      message: 'Not a .npz file: the bytes are not a ZIP archive.'
    });
  });

  it('reports a refusal with the server hint', async () => {
    const { api } = recordingApi(() =>
      errorAnswer(413, 'too_large', 'Too big.', 'Submit a job.')
    );
    await expect(api.reduceNpz(request)).rejects.toMatchObject({
      status: 413,
      code: 'too_large',
      hint: 'Submit a job.'
    });
  });
});

describe('jobs API', () => {
  it('filters the job list by repeated PHASE parameters', async () => {
    const { api, requests } = recordingApi(
      () => new Response(JSON.stringify({ jobs: [] }), { status: 200 })
    );
    expect(await api.listJobs(['EXECUTING', 'QUEUED'])).toEqual([]);
    expect(requests[0].url).toBe(
      'http://localhost:8888/user/test%40x/remotem/api/jobs?PHASE=EXECUTING&PHASE=QUEUED'
    );
  });

  it('posts a copy as JSON and a dry run with dry_run=1', async () => {
    const { api, requests } = recordingApi(
      () =>
        new Response(JSON.stringify({ quote: { seconds: 2 }, id: 'j' }), {
          status: 201
        })
    );
    const copy = {
      operation: 'copy' as const,
      source: { repository: 'demo', path: 'scan.h5' },
      target: { repository: 'demo', path: 'copy.h5' }
    };
    await api.submitJob(copy);
    expect((await api.quoteJob(copy)).quote).toEqual({ seconds: 2 });
    expect(requests[0].method).toBe('POST');
    expect(requests[0].url).toMatch(/\/remotem\/api\/jobs$/);
    expect(requests[0].headers.get('Content-Type')).toBe('application/json');
    expect(JSON.parse(await requests[0].text())).toEqual(copy);
    expect(requests[1].url).toMatch(/\/remotem\/api\/jobs\?dry_run=1$/);
  });

  it('answers the quota verdict of a dry run', async () => {
    const quota = { fits: false, reason: 'Too big.' };
    const { api } = recordingApi(
      () =>
        new Response(JSON.stringify({ quote: { seconds: 1 }, quota }), {
          status: 200
        })
    );
    const copy = {
      operation: 'copy' as const,
      source: { repository: 'demo', path: '' },
      target: { repository: 'demo', path: 'all' }
    };
    expect((await api.quoteJob(copy)).quota).toEqual(quota);
  });

  it('makes, lists and revokes personal tokens', async () => {
    const { api, requests } = recordingApi(
      () =>
        new Response(JSON.stringify({ tokens: [], token: 'rmt_x' }), {
          status: 201
        })
    );
    expect((await api.createToken('ci', null)).token).toBe('rmt_x');
    expect(await api.listTokens()).toEqual([]);
    await api.revokeToken('a/b');
    expect(JSON.parse(await requests[0].text())).toEqual({
      name: 'ci',
      expires_in_days: null
    });
    expect(requests[0].url).toMatch(/\/remotem\/api\/tokens$/);
    expect(requests[2].method).toBe('DELETE');
    expect(requests[2].url).toMatch(/\/remotem\/api\/tokens\/a%2Fb$/);
  });

  it('cancels with POST and deletes with DELETE', async () => {
    const { api, requests } = recordingApi(
      () => new Response(null, { status: 204 })
    );
    expect(await api.jobAction('a b', 'delete')).toBeNull();
    expect(requests[0].method).toBe('DELETE');
    expect(requests[0].url).toMatch(/\/remotem\/api\/jobs\/a%20b$/);
    await api.jobAction('a b', 'delete', undefined, { keepFiles: true });
    expect(requests[1].method).toBe('DELETE');
    expect(requests[1].url).toMatch(
      /\/remotem\/api\/jobs\/a%20b\?keep_files=1$/
    );
  });

  it('reports a refused action with the server hint', async () => {
    const { api } = recordingApi(() =>
      errorAnswer(409, 'conflict', 'Job is running.', 'Cancel it first.')
    );
    await expect(api.jobAction('j', 'delete')).rejects.toMatchObject({
      status: 409,
      code: 'conflict',
      hint: 'Cancel it first.'
    });
  });

  it('puts the token in the events URL, which cannot carry headers', () => {
    const { api } = recordingApi(() => new Response(), 's3cr et');
    expect(api.jobEventsUrl('j1')).toBe(
      'http://localhost:8888/user/test%40x/remotem/api/jobs/j1/events?token=s3cr%20et'
    );
    const { api: cookieOnly } = recordingApi(() => new Response(), '');
    expect(cookieOnly.jobEventsUrl('j1')).toBe(
      'http://localhost:8888/user/test%40x/remotem/api/jobs/j1/events'
    );
  });
});
