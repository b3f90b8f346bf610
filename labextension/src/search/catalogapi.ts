/**
 * Typed access to the catalog's part of the REST API (`remotem/api/search…`): searches,
 * key completion, indexing jobs, annotations and saved searches.
 */
import { ServerConnection } from '@jupyterlab/services';

import { AbortedError, IJob, isAbort, RemotemAPI, RemotemError } from '../api';
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

const JSON_HEADERS = { 'Content-Type': 'application/json' };

export class CatalogAPI {
  constructor(readonly api: RemotemAPI) {}

  /** One page of hits of a query in the text syntax. */
  search(
    request: ISearchRequest,
    signal?: AbortSignal
  ): Promise<ISearchAnswer> {
    return this._json<ISearchAnswer>(this._url(['']), signal, {
      method: 'POST',
      headers: JSON_HEADERS,
      body: JSON.stringify(request)
    });
  }

  /** Check text without searching: rejects with the server's caret message when it does not read. */
  async parse(text: string, signal?: AbortSignal): Promise<string> {
    const answer = await this._json<{ text: string }>(
      this._url(['parse'], { q: text }),
      signal
    );
    return answer.text;
  }

  /** Key paths of the caller's entries that start with `prefix` (`desc.beam`…). */
  async keys(prefix: string, signal?: AbortSignal): Promise<string[]> {
    const answer = await this._json<{ keys: string[] }>(
      this._url(['keys'], { prefix }),
      signal
    );
    return answer.keys ?? [];
  }

  /** Index a repository (or a folder or file of it, `path`) as a job. */
  index(repository: string, path = '', signal?: AbortSignal): Promise<IJob> {
    return this._json<IJob>(this._url(['index']), signal, {
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
    const answer = await this._json<{ annotations: IAnnotation[] }>(
      this._url(['annotations'], entryQuery(target)),
      signal
    );
    return answer.annotations ?? [];
  }

  async annotate(
    draft: IAnnotationDraft,
    signal?: AbortSignal
  ): Promise<IAnnotation> {
    return this._json<IAnnotation>(this._url(['annotations']), signal, {
      method: 'POST',
      headers: JSON_HEADERS,
      body: JSON.stringify(draft)
    });
  }

  async deleteAnnotation(id: number, signal?: AbortSignal): Promise<void> {
    await this._fetch(this._url(['annotations', String(id)]), signal, {
      method: 'DELETE'
    });
  }

  /** The caller's saved searches and those their groups share, by name. */
  async savedSearches(signal?: AbortSignal): Promise<ISavedSearch[]> {
    const answer = await this._json<{ saved: ISavedSearch[] }>(
      this._url(['saved']),
      signal
    );
    return answer.saved ?? [];
  }

  async saveSearch(
    draft: ISavedSearchDraft,
    signal?: AbortSignal
  ): Promise<ISavedSearch> {
    return this._json<ISavedSearch>(this._url(['saved']), signal, {
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
    return this._json<ISearchAnswer>(
      this._url(['saved', String(id)], { facets: facets.join(',') }),
      signal
    );
  }

  async deleteSaved(id: number, signal?: AbortSignal): Promise<void> {
    await this._fetch(this._url(['saved', String(id)]), signal, {
      method: 'DELETE'
    });
  }

  private _url(segments: string[], query?: Record<string, string>): string {
    return this.api.url(['search', ...segments], query);
  }

  private async _json<T>(
    url: string,
    signal?: AbortSignal,
    init?: RequestInit
  ): Promise<T> {
    const response = await this._fetch(url, signal, init);
    try {
      return (await response.json()) as T;
    } catch {
      if (signal?.aborted) {
        throw new AbortedError();
      }
      throw new RemotemError(
        'The server answered with something that is not JSON.',
        response.status,
        'bad_response',
        null
      );
    }
  }

  private async _fetch(
    url: string,
    signal?: AbortSignal,
    init: RequestInit = {}
  ): Promise<Response> {
    let response: Response;
    try {
      response = await ServerConnection.makeRequest(
        url,
        { method: 'GET', ...init, signal },
        this.api.serverSettings
      );
    } catch (reason) {
      if (signal?.aborted || isAbort(reason)) {
        throw new AbortedError();
      }
      throw RemotemError.from(reason);
    }
    if (!response.ok) {
      throw await RemotemError.fromResponse(response);
    }
    return response;
  }
}
