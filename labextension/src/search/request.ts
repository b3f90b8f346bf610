/**
 * The requests of the search box, built from what the user typed (no JupyterLab
 * imports, so unit-testable).
 */
import {
  AnnotationKind,
  AnnotationVisibility,
  FacetName,
  IAnnotationDraft,
  IEntryTarget,
  ISavedSearchDraft,
  ISearchRequest,
  SavedVisibility
} from './types';

/** Hits asked for per page. */
export const PAGE_SIZE = 50;

/** The fields counted beside the hits, in the order their chips show. */
export const SEARCH_FACETS: FacetName[] = ['format', 'repository', 'tag'];

/**
 * The body of `POST search` for the text of the box: blank text lists every entry;
 * `cursor` asks for the page after the one that answered it.
 */
export function searchRequest(
  text: string,
  cursor: string | null = null,
  limit: number = PAGE_SIZE
): ISearchRequest {
  const query = text.trim();
  return {
    query: query === '' ? null : query,
    sort: 'path',
    cursor,
    limit,
    facets: SEARCH_FACETS
  };
}

/** The query string of `GET search/annotations` for an entry. */
export function entryQuery(target: IEntryTarget): Record<string, string> {
  const query: Record<string, string> = {
    repository: target.repository,
    path: target.path
  };
  if (target.dataset) {
    query.dataset = target.dataset;
  }
  return query;
}

/**
 * A tag or a note as `POST search/annotations` takes it: the value trimmed, a group
 * only when shared with one.
 */
export function annotationRequest(
  target: IEntryTarget,
  kind: AnnotationKind,
  value: string,
  visibility: AnnotationVisibility,
  group: string
): IAnnotationDraft {
  const draft: IAnnotationDraft = {
    repository: target.repository,
    path: target.path,
    kind,
    value: value.trim(),
    visibility
  };
  if (target.dataset) {
    draft.dataset = target.dataset;
  }
  if (visibility === 'group') {
    draft.group = group.trim();
  }
  return draft;
}

/** A search to save as `POST search/saved` takes it. */
export function savedSearchRequest(
  name: string,
  query: string,
  visibility: SavedVisibility,
  group: string
): ISavedSearchDraft {
  const draft: ISavedSearchDraft = {
    name: name.trim(),
    query: query.trim(),
    visibility
  };
  if (visibility === 'group') {
    draft.group = group.trim();
  }
  return draft;
}
