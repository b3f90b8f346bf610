/**
 * The saved searches listed under the search box: the caller's own and those their
 * groups share.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { isAbort, RemotemError } from '../api';
import { CatalogAPI } from './catalogapi';
import { ISavedSearch, ISavedSearchDraft } from './types';

export class SavedSearchesModel {
  constructor(readonly catalog: CatalogAPI) {}

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** By name; null until first loaded. */
  get items(): ISavedSearch[] | null {
    return this._items;
  }

  get error(): RemotemError | null {
    return this._error;
  }

  /** Whether the caller may delete a saved search: theirs, as the server says. */
  owns(saved: ISavedSearch): boolean {
    return saved.mine;
  }

  async refresh(): Promise<void> {
    try {
      this._items = await this.catalog.savedSearches();
      this._error = null;
    } catch (reason) {
      if (isAbort(reason)) {
        return;
      }
      this._error = RemotemError.from(reason);
    }
    this._changed.emit();
  }

  /** Save a search; rejects with the server's refusal (a taken name is a 409). */
  async save(draft: ISavedSearchDraft): Promise<ISavedSearch> {
    const saved = await this.catalog.saveSearch(draft);
    await this.refresh();
    return saved;
  }

  async remove(saved: ISavedSearch): Promise<void> {
    try {
      await this.catalog.deleteSaved(saved.id);
      this._error = null;
    } catch (reason) {
      this._error = RemotemError.from(reason);
      this._changed.emit();
      return;
    }
    await this.refresh();
  }

  private _items: ISavedSearch[] | null = null;
  private _error: RemotemError | null = null;
  private _changed = new Signal<this, void>(this);
}
