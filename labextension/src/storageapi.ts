/**
 * Typed access to the caller's own storages (`remotem/api/storage…`): what may be added,
 * a connection test, adding and removing one.
 */
import { JSON_HEADERS, RemotemAPI } from './api';
import type {
  IOwnStorage,
  IStorageProtocol,
  IStorageRequest,
  IStorageTest
} from './storageform';

export class StorageAPI {
  constructor(readonly api: RemotemAPI) {}

  /** The protocols a user may add here, with their fields (404 when adding is off). */
  async protocols(signal?: AbortSignal): Promise<IStorageProtocol[]> {
    const answer = await this.api.requestJson<{
      protocols: IStorageProtocol[];
    }>(this.api.url(['storage', 'protocols']), signal);
    return answer.protocols;
  }

  async list(signal?: AbortSignal): Promise<IOwnStorage[]> {
    const answer = await this.api.requestJson<{ storages: IOwnStorage[] }>(
      this.api.url(['storage']),
      signal
    );
    return answer.storages;
  }

  /** List the storage's root with these credentials; nothing is saved. */
  test(request: IStorageRequest, signal?: AbortSignal): Promise<IStorageTest> {
    return this.api.requestJson<IStorageTest>(
      this.api.url(['storage'], { dry_run: 1 }),
      signal,
      { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(request) }
    );
  }

  /** Test, then save (the server tests again before it keeps anything). */
  add(request: IStorageRequest, signal?: AbortSignal): Promise<IOwnStorage> {
    return this.api.requestJson<IOwnStorage>(
      this.api.url(['storage']),
      signal,
      {
        method: 'POST',
        headers: JSON_HEADERS,
        body: JSON.stringify(request)
      }
    );
  }

  /** Forget the storage (its files stay where they are). */
  async remove(name: string, signal?: AbortSignal): Promise<void> {
    await this.api.request(
      this.api.url(['storage', encodeURIComponent(name)]),
      signal,
      { method: 'DELETE' }
    );
  }
}
