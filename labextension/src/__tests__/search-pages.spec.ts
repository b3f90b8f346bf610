import { firstPage, hasMore, nextPage } from '../search/pages';
import { ISearchAnswer, ISearchHit } from '../search/types';

function hit(path: string): ISearchHit {
  return {
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
  };
}

function answer(
  paths: string[],
  cursor: string | null,
  total: number
): ISearchAnswer {
  return {
    hits: paths.map(hit),
    cursor,
    total,
    facets: { format: [{ value: 'npy', count: total }] },
    query: { op: 'format', value: 'npy' },
    text: 'format:npy'
  };
}

describe('cursor paging', () => {
  it('starts from the first page, its cursor and its facets', () => {
    const pages = firstPage(answer(['a', 'b'], 'c1', 5));
    expect(pages.hits.map(h => h.path)).toEqual(['a', 'b']);
    expect(pages.cursor).toBe('c1');
    expect(pages.text).toBe('format:npy');
    expect(pages.facets.format).toEqual([{ value: 'npy', count: 5 }]);
    expect(hasMore(pages)).toBe(true);
  });

  it('appends the next pages until the last has no cursor', () => {
    let pages = firstPage(answer(['a', 'b'], 'c1', 5));
    pages = nextPage(pages, answer(['c', 'd'], 'c2', 5));
    expect(pages.cursor).toBe('c2');
    pages = nextPage(pages, answer(['e'], null, 5));
    expect(pages.hits.map(h => h.path)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(hasMore(pages)).toBe(false);
  });

  it('keeps the facets of the first page and takes the newest total', () => {
    const first = firstPage(answer(['a'], 'c1', 3));
    const next = nextPage(first, { ...answer(['b'], 'c2', 4), facets: {} });
    expect(next.facets).toBe(first.facets);
    expect(next.total).toBe(4);
  });

  it('leaves out hits already shown', () => {
    const pages = nextPage(
      firstPage(answer(['a', 'b'], 'c1', 3)),
      answer(['b', 'c'], null, 3)
    );
    expect(pages.hits.map(h => h.path)).toEqual(['a', 'b', 'c']);
  });

  it('has nothing more before a search', () => {
    expect(hasMore(null)).toBe(false);
  });
});
