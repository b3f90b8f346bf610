import { ServerConnection } from '@jupyterlab/services';

import { RemotemAPI, RemotemError } from '../api';
import { CatalogAPI } from '../search/catalogapi';
import {
  annotationRequest,
  entryQuery,
  PAGE_SIZE,
  savedSearchRequest,
  SEARCH_FACETS,
  searchRequest
} from '../search/request';

const BASE = 'http://localhost:8888/user/test%40x/';

/** A catalog client whose every request is answered by `answer`, recording the requests. */
function recordingCatalog(answer: () => Response) {
  const requests: Request[] = [];
  const api = new RemotemAPI(
    ServerConnection.makeSettings({
      baseUrl: BASE,
      init: { cache: 'default' },
      fetch: (async (request: Request) => {
        requests.push(request);
        return answer();
      }) as any
    })
  );
  return { catalog: new CatalogAPI(api), requests };
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status });
}

describe('searchRequest', () => {
  it('sends the text as it was typed, trimmed, with the facets of the chips', () => {
    expect(searchRequest('  format:npy OR format:mib ')).toEqual({
      query: 'format:npy OR format:mib',
      sort: 'path',
      cursor: null,
      limit: PAGE_SIZE,
      facets: ['format', 'repository', 'tag']
    });
    expect(SEARCH_FACETS).toEqual(['format', 'repository', 'tag']);
  });

  it('asks for every entry when the box is blank', () => {
    expect(searchRequest('   ').query).toBeNull();
  });

  it('asks for the next page with the cursor the last one answered', () => {
    const request = searchRequest('tag:good', 'abc=', 10);
    expect(request.cursor).toBe('abc=');
    expect(request.limit).toBe(10);
  });
});

describe('annotation and saved-search bodies', () => {
  it('names a file, and the array inside it only when there is one', () => {
    expect(entryQuery({ repository: 'demo', path: 'scan.h5' })).toEqual({
      repository: 'demo',
      path: 'scan.h5'
    });
    expect(
      entryQuery({
        repository: 'demo',
        path: 'scan.h5',
        dataset: '/entry/data'
      })
    ).toEqual({ repository: 'demo', path: 'scan.h5', dataset: '/entry/data' });
  });

  it('sends a group only for what a group sees', () => {
    const target = { repository: 'demo', path: 'scan.h5' };
    expect(
      annotationRequest(target, 'tag', ' good ', 'private', 'stem-lab')
    ).toEqual({
      repository: 'demo',
      path: 'scan.h5',
      kind: 'tag',
      value: 'good',
      visibility: 'private'
    });
    expect(
      annotationRequest(target, 'note', 'drift', 'group', ' stem-lab ')
    ).toMatchObject({ kind: 'note', visibility: 'group', group: 'stem-lab' });
    expect(
      savedSearchRequest(' good ones ', ' tag:good ', 'private', 'x')
    ).toEqual({ name: 'good ones', query: 'tag:good', visibility: 'private' });
    expect(
      savedSearchRequest('mine', 'tag:good', 'group', 'stem-lab').group
    ).toBe('stem-lab');
  });
});

describe('CatalogAPI', () => {
  it('posts a search under the base URL and answers the page', async () => {
    const page = {
      hits: [],
      cursor: null,
      total: 0,
      facets: {},
      query: null,
      text: ''
    };
    const { catalog, requests } = recordingCatalog(() => json(page));
    const answer = await catalog.search(searchRequest('format:npy'));
    expect(answer).toEqual(page);
    expect(requests[0].method).toBe('POST');
    expect(requests[0].url).toBe(`${BASE}remotem/api/search/`);
    expect(await requests[0].json()).toMatchObject({ query: 'format:npy' });
  });

  it('rejects a query that does not read with the server message, caret line and all', async () => {
    const message =
      'Cannot read the query at character 7 (the end):\nname:(\n      ^';
    const { catalog, requests } = recordingCatalog(() =>
      json(
        { error: { code: 'bad_parameter', message, hint: 'Write key:value' } },
        400
      )
    );
    const refusal = await catalog.parse('name:(').catch(reason => reason);
    expect(requests[0].url).toBe(`${BASE}remotem/api/search/parse?q=name%3A(`);
    expect(refusal).toBeInstanceOf(RemotemError);
    expect(refusal.message).toBe(message);
    expect(refusal.message.split('\n')[2]).toBe('      ^');
    expect(refusal.hint).toBe('Write key:value');
    expect(refusal.status).toBe(400);
  });

  it('completes keys, indexes, and runs and deletes saved searches by id', async () => {
    const { catalog, requests } = recordingCatalog(() =>
      json({ keys: ['desc.beam_energy'] })
    );
    expect(await catalog.keys('desc.be')).toEqual(['desc.beam_energy']);
    await catalog.index('demo');
    await catalog.runSaved(7, ['format', 'tag']);
    expect(
      requests.map(r => `${r.method} ${r.url.slice(BASE.length)}`)
    ).toEqual([
      'GET remotem/api/search/keys?prefix=desc.be',
      'POST remotem/api/search/index',
      'GET remotem/api/search/saved/7?facets=format%2Ctag'
    ]);
    expect(await requests[1].json()).toEqual({ repository: 'demo', path: '' });
  });

  it('deletes without reading a body', async () => {
    const { catalog, requests } = recordingCatalog(
      () => new Response(null, { status: 204 })
    );
    await catalog.deleteAnnotation(12);
    await catalog.deleteSaved(4);
    expect(
      requests.map(r => `${r.method} ${r.url.slice(BASE.length)}`)
    ).toEqual([
      'DELETE remotem/api/search/annotations/12',
      'DELETE remotem/api/search/saved/4'
    ]);
  });
});
