/**
 * The cutouts endpoints as the panel calls them, through the API's own requests; refusals
 * come as `CutoutError`s, whose `details` (a 413's quote and batch call) are typed.
 */
import {
  AbortedError,
  IJob,
  JSON_HEADERS,
  RemotemAPI,
  RemotemError
} from '../api';
import {
  CutoutError,
  IBatchBody,
  ICutoutSchema,
  IManifestRow,
  ISurvey,
  manifestRows
} from './model';

export class CutoutsClient {
  constructor(readonly api: RemotemAPI) {}

  /** The surveys the user may use. */
  async surveys(signal?: AbortSignal): Promise<ISurvey[]> {
    const body = await this._json<{ surveys: ISurvey[] }>(
      this.api.url(['cutouts', 'surveys']),
      signal
    );
    return body.surveys ?? [];
  }

  /** The declared parameters. */
  parameters(signal?: AbortSignal): Promise<ICutoutSchema> {
    return this._json<ICutoutSchema>(
      this.api.url(['cutouts', 'parameters']),
      signal
    );
  }

  /** The URL of one cutout (`GET cutouts/sync`). */
  syncUrl(parameters: Record<string, string>, xsrf?: string | null): string {
    return this.api.url(['cutouts', 'sync'], { ...parameters, _xsrf: xsrf });
  }

  /** One cutout's bytes (a picture for the preview). */
  async cutout(
    parameters: Record<string, string>,
    signal?: AbortSignal
  ): Promise<Blob> {
    const response = await this._fetch(this.syncUrl(parameters), signal);
    try {
      return await response.blob();
    } catch (reason) {
      throw signal?.aborted ? new AbortedError() : reason;
    }
  }

  /** Submit a batch; answers its job. */
  submit(body: IBatchBody, signal?: AbortSignal): Promise<IJob> {
    return this._json<IJob>(this.api.url(['cutouts', 'jobs']), signal, {
      method: 'POST',
      headers: JSON_HEADERS,
      body: JSON.stringify(body)
    });
  }

  /** The batch's job as it is now. */
  job(id: string, signal?: AbortSignal): Promise<IJob> {
    return this._json<IJob>(
      this.api.url(['cutouts', 'jobs', encodeURIComponent(id)]),
      signal
    );
  }

  /** The rows of a completed batch's manifest. */
  async manifest(id: string, signal?: AbortSignal): Promise<IManifestRow[]> {
    return manifestRows(
      await this._json<unknown>(
        this.api.url(['cutouts', 'jobs', encodeURIComponent(id), 'manifest'], {
          format: 'json'
        }),
        signal
      )
    );
  }

  /** The URL of every file of the batch and both manifests, as one zip. */
  zipUrl(id: string, xsrf?: string | null): string {
    return this.api.url(['cutouts', 'jobs', encodeURIComponent(id), 'zip'], {
      _xsrf: xsrf
    });
  }

  // Not 'no-store': JupyterLab then appends a cache-busting bare key to the query, which
  // `cutouts/sync` rightly refuses as an unknown parameter.
  private async _json<T>(
    url: string,
    signal?: AbortSignal,
    init?: RequestInit
  ): Promise<T> {
    try {
      return await this.api.requestJson<T>(url, signal, {
        cache: 'no-cache',
        ...init
      });
    } catch (reason) {
      throw typed(reason);
    }
  }

  private async _fetch(url: string, signal?: AbortSignal): Promise<Response> {
    try {
      return await this.api.request(url, signal, { cache: 'no-cache' });
    } catch (reason) {
      throw typed(reason);
    }
  }
}

/** The API's refusal with its cutout details typed; anything else (an abort) as it was. */
function typed(reason: unknown): unknown {
  return reason instanceof RemotemError ? CutoutError.of(reason) : reason;
}

/** The `_xsrf` cookie's value, for links the browser follows with the login cookie. */
export function xsrfCookie(): string | null {
  try {
    const found = document.cookie.match('\\b_xsrf=([^;]*)\\b')?.[1];
    return found ? decodeURIComponent(found) : null;
  } catch {
    return null; // a sandboxed page has no cookies
  }
}
