/**
 * Typed access to the catalog's part of the REST API (`remotem/api/search…`): searches,
 * key completion, indexing jobs, annotations and saved searches.
 */
import { IJob, JSON_HEADERS, RemotemAPI } from '../api';
import { entryQuery } from './request';
import {
  IAnnotation,
  IAnnotationDraft,
  IEntryTarget,
  ISavedSearch,
  ISavedSearchDraft,
  ISearchAnswer,
  ISearchRequest
} from './types';

export class CatalogAPI {
  constructor(readonly api: RemotemAPI) {}

  /** One page of hits of a query in the text syntax. */
  search(
    request: ISearchRequest,
    signal?: AbortSignal
  ): Promise<ISearchAnswer> {
    return this.api.requestJson<ISearchAnswer>(this._url(['']), signal, {
      method: 'POST',
      headers: JSON_HEADERS,
      body: JSON.stringify(request)
    });
  }

  /** Check text without searching: rejects with the server's caret message when it does not read. */
  async parse(text: string, signal?: AbortSignal): Promise<string> {
    const answer = await this.api.requestJson<{ text: string }>(
      this._url(['parse'], { q: text }),
      signal
    );
    return answer.text;
  }

  /** Key paths of the caller's entries that start with `prefix` (`desc.beam`…). */
  async keys(prefix: string, signal?: AbortSignal): Promise<string[]> {
    const answer = await this.api.requestJson<{ keys: string[] }>(
      this._url(['keys'], { prefix }),
      signal
    );
    return answer.keys ?? [];
  }

  /** Index a repository (or a folder or file of it, `path`) as a job. */
  index(repository: string, path = '', signal?: AbortSignal): Promise<IJob> {
    return this.api.requestJson<IJob>(this._url(['index']), signal, {
      method: 'POST',
      headers: JSON_HEADERS,
      body: JSON.stringify({ repository, path })
    });
  }

  /** The tags and notes on an entry the caller may see, oldest first. */
  async annotations(
    target: IEntryTarget,
    signal?: AbortSignal
  ): Promise<IAnnotation[]> {
    const answer = await this.api.requestJson<{ annotations: IAnnotation[] }>(
      this._url(['annotations'], entryQuery(target)),
      signal
    );
    return answer.annotations ?? [];
  }

  async annotate(
    draft: IAnnotationDraft,
    signal?: AbortSignal
  ): Promise<IAnnotation> {
    return this.api.requestJson<IAnnotation>(
      this._url(['annotations']),
      signal,
      {
        method: 'POST',
        headers: JSON_HEADERS,
        body: JSON.stringify(draft)
      }
    );
  }

  async deleteAnnotation(id: number, signal?: AbortSignal): Promise<void> {
    await this.api.request(this._url(['annotations', String(id)]), signal, {
      method: 'DELETE'
    });
  }

  /** The caller's saved searches and those their groups share, by name. */
  async savedSearches(signal?: AbortSignal): Promise<ISavedSearch[]> {
    const answer = await this.api.requestJson<{ saved: ISavedSearch[] }>(
      this._url(['saved']),
      signal
    );
    return answer.saved ?? [];
  }

  async saveSearch(
    draft: ISavedSearchDraft,
    signal?: AbortSignal
  ): Promise<ISavedSearch> {
    return this.api.requestJson<ISavedSearch>(this._url(['saved']), signal, {
      method: 'POST',
      headers: JSON_HEADERS,
      body: JSON.stringify(draft)
    });
  }

  /** Run a saved search: its first page, with the facets asked for. */
  runSaved(
    id: number,
    facets: string[],
    signal?: AbortSignal
  ): Promise<ISearchAnswer> {
    return this.api.requestJson<ISearchAnswer>(
      this._url(['saved', String(id)], { facets: facets.join(',') }),
      signal
    );
  }

  async deleteSaved(id: number, signal?: AbortSignal): Promise<void> {
    await this.api.request(this._url(['saved', String(id)]), signal, {
      method: 'DELETE'
    });
  }

  private _url(segments: string[], query?: Record<string, string>): string {
    return this.api.url(['search', ...segments], query);
  }
}
