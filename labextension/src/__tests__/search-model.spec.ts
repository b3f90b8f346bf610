import { RemotemError } from '../api';
import { CatalogAPI } from '../search/catalogapi';
import { SearchModel } from '../search/searchmodel';
import { ISearchAnswer, ISearchRequest } from '../search/types';

function page(
  paths: string[],
  cursor: string | null,
  text: string
): ISearchAnswer {
  return {
    hits: paths.map(path => ({
      repository: 'demo',
      path,
      dataset: null,
      kind: 'file',
      name: path,
      format: 'npy',
      size: 1,
      mtime: null,
      shape: null,
      dtype: null,
      status: 'ok',
      reason: null
    })),
    cursor,
    total: 3,
    facets: {},
    query: null,
    text
  };
}

const CARET =
  'Cannot read the query at character 7 (the end):\nname:(\n      ^';

/** A catalog whose searches answer from `pages` by cursor, recording the requests. */
function fakeCatalog() {
  const requests: ISearchRequest[] = [];
  const catalog = {
    search: async (request: ISearchRequest) => {
      requests.push(request);
      if (request.query === 'name:(') {
        throw new RemotemError(CARET, 400, 'bad_parameter', 'Write key:value');
      }
      return request.cursor === null
        ? page(['a', 'b'], 'c1', request.query ?? '')
        : page(['c'], null, request.query ?? '');
    },
    parse: async (text: string) => {
      if (text === 'name:(') {
        throw new RemotemError(CARET, 400, 'bad_parameter', 'Write key:value');
      }
      return text;
    },
    runSaved: async () => page(['a'], null, 'tag:good'),
    savedSearches: async () => []
  };
  return { catalog: catalog as unknown as CatalogAPI, requests };
}

describe('SearchModel', () => {
  it('pages through the cursor with the query of the first page', async () => {
    const { catalog, requests } = fakeCatalog();
    const model = new SearchModel(catalog);
    model.setText('format:npy');
    await model.run();
    expect(model.pages?.hits.map(h => h.path)).toEqual(['a', 'b']);
    expect(model.hasMore).toBe(true);
    model.setText('something typed since');
    await model.more();
    expect(requests[1]).toMatchObject({ query: 'format:npy', cursor: 'c1' });
    expect(model.pages?.hits.map(h => h.path)).toEqual(['a', 'b', 'c']);
    expect(model.hasMore).toBe(false);
    await model.more();
    expect(requests).toHaveLength(2);
  });

  it('keeps the server message of a syntax error, and drops it once the text reads', async () => {
    const { catalog } = fakeCatalog();
    const model = new SearchModel(catalog);
    model.setText('format:npy');
    await model.run();
    expect(model.pages).not.toBeNull();
    model.setText('name:(');
    await model.run();
    expect(model.error?.message).toBe(CARET);
    expect(model.pages).toBeNull();
    model.setText('name:(a)');
    await model.check('name:(a)');
    expect(model.error).toBeNull();
  });

  it('shows a syntax error as the text is typed, not for text typed over since', async () => {
    const { catalog } = fakeCatalog();
    const model = new SearchModel(catalog);
    model.setText('name:(');
    await model.check('name:(');
    expect(model.error?.hint).toBe('Write key:value');
    model.setText('name:x');
    await model.check('name:(');
    expect(model.error?.hint).toBe('Write key:value');
    await model.check('name:x');
    expect(model.error).toBeNull();
  });

  it('narrows to a facet value and searches again', async () => {
    const { catalog, requests } = fakeCatalog();
    const model = new SearchModel(catalog);
    model.setText('format:npy OR format:mib');
    await model.addFacet('repository', 'demo');
    expect(model.text).toBe('(format:npy OR format:mib) AND repository:demo');
    expect(requests[0].query).toBe(model.text);
  });

  it('puts the text of a saved search into the box', async () => {
    const { catalog } = fakeCatalog();
    const model = new SearchModel(catalog);
    await model.runSaved({
      id: 1,
      owner: 'tester',
      name: 'good',
      query: {},
      visibility: 'private',
      group: null,
      created: '',
      modified: '',
      mine: true
    });
    expect(model.text).toBe('tag:good');
    expect(model.pages?.hits).toHaveLength(1);
  });

  it('searches again when an index job finishes, only if hits are shown', async () => {
    const { catalog, requests } = fakeCatalog();
    const model = new SearchModel(catalog);
    const job = { id: 'j', kind: 'index', phase: 'COMPLETED' } as any;
    model.jobFinished(job);
    expect(requests).toHaveLength(0);
    model.setText('format:npy');
    await model.run();
    model.jobFinished({ ...job, kind: 'copy' });
    expect(requests).toHaveLength(1);
    model.jobFinished(job);
    expect(requests).toHaveLength(2);
    model.clear();
    expect(model.pages).toBeNull();
  });
});
