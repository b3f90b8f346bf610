/**
 * Typed access to the datasets part of the REST API (`remotem/api/datasets…`): register,
 * describe, share, close and verify datasets, and their lineage.
 */
import { IDatasetMark, IJob, JSON_HEADERS, RemotemAPI } from './api';

export interface IDatasetGrant {
  user?: string;
  group?: string;
  role: 'read' | 'write';
}

export interface IVerification {
  intact: boolean;
  changed: string[];
  missing: string[];
  added: string[];
}

export interface IDataset extends IDatasetMark {
  description: string;
  owner: string;
  repository: string;
  path: string;
  created: string;
  modified: string;
  closed: string | null;
  parents: string[];
  children: string[];
  derived: boolean;
  job_id: string | null;
  verified: string | null;
  verification: IVerification | null;
  /** Shown to the owner and writers only (null for readers). */
  grants: IDatasetGrant[] | null;
  /** What the caller may do: 'owner', 'write' or 'read'. */
  role: 'owner' | 'write' | 'read';
}

export interface IDatasetType {
  name: string;
  label: string;
  preview: string;
  description: string;
}

export interface ILineageNode {
  id: string;
  name: string;
  type: string;
  state: 'open' | 'closed';
  owner: string;
  repository: string;
  path: string;
}

export interface ILineage {
  root: string;
  nodes: ILineageNode[];
  edges: { parent: string; child: string }[];
}

export interface IRegistration {
  repository: string;
  path: string;
  name: string;
  description?: string;
  type?: string;
}

export class DatasetsAPI {
  constructor(readonly api: RemotemAPI) {}

  async types(signal?: AbortSignal): Promise<IDatasetType[]> {
    const answer = await this.api.requestJson<{ types: IDatasetType[] }>(
      this._url(['types']),
      signal
    );
    return answer.types;
  }

  /**
   * The type a file or folder would be given if it were registered now (the server guesses it
   * from the format and the first array's shape), so unregistered files open in their view.
   */
  async guess(
    repository: string,
    path: string,
    signal?: AbortSignal
  ): Promise<string> {
    const answer = await this.api.requestJson<{ guess: string }>(
      this.api.url(['datasets', 'types'], { repository, path }),
      signal
    );
    return answer.guess;
  }

  /** The dataset at exactly this place, or null when it is none (or one the caller may not see). */
  async at(
    repository: string,
    path: string,
    signal?: AbortSignal
  ): Promise<IDataset | null> {
    const answer = await this.api.requestJson<{ datasets: IDataset[] }>(
      this.api.url(['datasets'], { repository, path }),
      signal
    );
    return answer.datasets.find(dataset => dataset.path === path) ?? null;
  }

  get(id: string, signal?: AbortSignal): Promise<IDataset> {
    return this.api.requestJson<IDataset>(this._url([id]), signal);
  }

  register(body: IRegistration, signal?: AbortSignal): Promise<IDataset> {
    return this.api.requestJson<IDataset>(this._url([]), signal, {
      method: 'POST',
      headers: JSON_HEADERS,
      body: JSON.stringify(body)
    });
  }

  share(
    id: string,
    grants: IDatasetGrant[],
    signal?: AbortSignal
  ): Promise<IDataset> {
    return this.api.requestJson<IDataset>(this._url([id, 'grants']), signal, {
      method: 'PUT',
      headers: JSON_HEADERS,
      body: JSON.stringify({ grants })
    });
  }

  /** Close or verify: a job (its answer also holds the dataset as it was asked). */
  async run(
    id: string,
    action: 'close' | 'verify',
    signal?: AbortSignal
  ): Promise<IJob> {
    const answer = await this.api.requestJson<{ job: IJob }>(
      this._url([id, action]),
      signal,
      { method: 'POST' }
    );
    return answer.job;
  }

  lineage(id: string, signal?: AbortSignal): Promise<ILineage> {
    return this.api.requestJson<ILineage>(this._url([id, 'lineage']), signal);
  }

  private _url(segments: string[]): string {
    return this.api.url([
      'datasets',
      ...segments.map(segment => encodeURIComponent(segment))
    ]);
  }
}
