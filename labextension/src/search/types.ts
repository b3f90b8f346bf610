/**
 * The catalog's REST contract as the sidebar reads it: hits, facets, annotations and
 * saved searches (`remotem/api/search…`).
 */

/** One entry of the catalog: a file, or an array inside a container file. */
export interface ISearchHit {
  repository: string;
  path: string;
  /** The array inside a container file, or null for the file itself. */
  dataset: string | null;
  kind: 'file' | 'array' | string;
  name: string;
  format: string | null;
  size: number | null;
  mtime: number | null;
  shape: number[] | null;
  dtype: string | null;
  /** "ok", or "unreadable" with the `reason`. */
  status: 'ok' | 'unreadable' | string;
  reason: string | null;
}

/** How many of the hits have one value of a faceted field. */
export interface IFacetValue {
  value: string;
  count: number;
}

/** The fields the sidebar counts hits by. */
export type FacetName = 'format' | 'repository' | 'tag';

/** The body of `POST search`. */
export interface ISearchRequest {
  /** The text syntax, or null for every entry. */
  query: string | null;
  sort: string;
  cursor: string | null;
  limit: number;
  facets: FacetName[];
}

/** One page of hits, as `POST search` and `GET search/saved/{id}` answer it. */
export interface ISearchAnswer {
  hits: ISearchHit[];
  /** The cursor of the next page, or null on the last one. */
  cursor: string | null;
  total: number;
  facets: Partial<Record<FacetName, IFacetValue[]>>;
  query: unknown;
  /** The query written back in the text syntax ('' for every entry). */
  text: string;
}

/** Who sees an annotation: its author, one of their groups, or every reader of the repository. */
export type AnnotationVisibility = 'private' | 'group' | 'readers';

export type AnnotationKind = 'tag' | 'note';

/** What an annotation is on: a file, or an array inside it. */
export interface IEntryTarget {
  repository: string;
  path: string;
  dataset?: string | null;
}

/** A tag or a note to add. */
export interface IAnnotationDraft extends IEntryTarget {
  kind: AnnotationKind;
  value: string;
  visibility: AnnotationVisibility;
  group?: string | null;
}

/** A tag or a note on an entry, as `GET search/annotations` lists it. */
export interface IAnnotation {
  id: number;
  repository: string;
  path: string;
  dataset: string | null;
  kind: AnnotationKind;
  value: string;
  author: string;
  visibility: AnnotationVisibility;
  group: string | null;
  created: string;
  modified: string;
  /** Whether the caller wrote it (so may change or delete it), as the server says. */
  mine: boolean;
}

/** Who sees a saved search: its owner, or one of their groups. */
export type SavedVisibility = 'private' | 'group';

/** A named query of its owner's. */
export interface ISavedSearch {
  id: number;
  owner: string;
  name: string;
  query: unknown;
  visibility: SavedVisibility;
  group: string | null;
  created: string;
  modified: string;
  /** Whether the caller owns it (so may replace or delete it), as the server says. */
  mine: boolean;
}

/** What "Save search…" sends. */
export interface ISavedSearchDraft {
  name: string;
  query: string;
  visibility: SavedVisibility;
  group?: string | null;
  overwrite?: boolean;
}
