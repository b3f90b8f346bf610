/**
 * The hits of one search as pages come in through its cursor (no JupyterLab imports,
 * so unit-testable).
 */
import { hitKey } from './rows';
import { FacetName, IFacetValue, ISearchAnswer, ISearchHit } from './types';

/** What the result list shows of one search. */
export interface ISearchPages {
  /** The query as the server wrote it back ('' for every entry). */
  text: string;
  hits: ISearchHit[];
  total: number;
  /** The cursor of the page after the last one shown, or null when all are shown. */
  cursor: string | null;
  /** The facet counts of the first page (they count every hit, not one page). */
  facets: Partial<Record<FacetName, IFacetValue[]>>;
}

/** The state after the first page of a search. */
export function firstPage(answer: ISearchAnswer): ISearchPages {
  return {
    text: answer.text ?? '',
    hits: answer.hits,
    total: answer.total,
    cursor: answer.cursor ?? null,
    facets: answer.facets ?? {}
  };
}

/**
 * The state after the next page: its hits appended (any already shown, say after
 * an index job changed the catalog between pages, left out), its cursor taken.
 */
export function nextPage(
  pages: ISearchPages,
  answer: ISearchAnswer
): ISearchPages {
  const shown = new Set(pages.hits.map(hitKey));
  const fresh = answer.hits.filter(hit => !shown.has(hitKey(hit)));
  return {
    ...pages,
    hits: [...pages.hits, ...fresh],
    total: answer.total,
    cursor: answer.cursor ?? null
  };
}

/** Whether there is a page after those shown. */
export function hasMore(pages: ISearchPages | null): boolean {
  return pages !== null && pages.cursor !== null;
}
