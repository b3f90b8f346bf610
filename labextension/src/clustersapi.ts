/**
 * Typed access to the caller's Dask clusters (`remotem/api/clusters…`): the declared
 * options, the list, starting, scaling or adapting, and stopping one.
 */
import { JSON_HEADERS, RemotemAPI } from './api';
import type { ICluster, IClusterOptions } from './clustersmodel';

export class ClustersAPI {
  constructor(readonly api: RemotemAPI) {}

  /** The options a cluster takes, with this server's limits (404 when clusters are off). */
  options(signal?: AbortSignal): Promise<IClusterOptions> {
    return this.api.requestJson<IClusterOptions>(
      this.api.url(['clusters', 'options']),
      signal
    );
  }

  async list(signal?: AbortSignal): Promise<ICluster[]> {
    const answer = await this.api.requestJson<{ clusters: ICluster[] }>(
      this.api.url(['clusters']),
      signal
    );
    return answer.clusters;
  }

  /** Start one (413 `cluster_limit` over a ceiling). */
  start(body: Record<string, number>, signal?: AbortSignal): Promise<ICluster> {
    return this.api.requestJson<ICluster>(this.api.url(['clusters']), signal, {
      method: 'POST',
      headers: JSON_HEADERS,
      body: JSON.stringify(body)
    });
  }

  /** Scale (`{workers}`) or adapt (`{adapt_minimum, adapt_maximum}`). */
  change(
    id: string,
    body: Record<string, number>,
    signal?: AbortSignal
  ): Promise<ICluster> {
    return this.api.requestJson<ICluster>(
      this.api.url(['clusters', encodeURIComponent(id)]),
      signal,
      { method: 'PATCH', headers: JSON_HEADERS, body: JSON.stringify(body) }
    );
  }

  async stop(id: string, signal?: AbortSignal): Promise<void> {
    await this.api.request(
      this.api.url(['clusters', encodeURIComponent(id)]),
      signal,
      { method: 'DELETE' }
    );
  }
}
