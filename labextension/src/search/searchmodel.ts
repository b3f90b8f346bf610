/**
 * The state of the search box: the text typed, the hits of the last search as its pages
 * come in, and why the text does not read (the server's caret message).
 */
import { ISignal, Signal } from '@lumino/signaling';

import { IJob, isAbort, RemotemError } from '../api';
import { CatalogAPI } from './catalogapi';
import { firstPage, hasMore, ISearchPages, nextPage } from './pages';
import { withFacet } from './querytext';
import { SEARCH_FACETS, searchRequest } from './request';
import { SavedSearchesModel } from './savedmodel';
import { FacetName, ISavedSearch, ISearchAnswer } from './types';

export class SearchModel {
  constructor(readonly catalog: CatalogAPI) {
    this.saved = new SavedSearchesModel(catalog);
  }

  /** The saved searches listed under the box. */
  readonly saved: SavedSearchesModel;

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Emitted when the result list opens or closes (the tree makes way for it). */
  get resultsToggled(): ISignal<this, boolean> {
    return this._resultsToggled;
  }

  /** What is in the box. */
  get text(): string {
    return this._text;
  }

  /** The hits of the last search, or null before the first (and after Clear). */
  get pages(): ISearchPages | null {
    return this._pages;
  }

  /** Why the last search or check failed (a syntax error carries its caret line). */
  get error(): RemotemError | null {
    return this._error;
  }

  /** What is being fetched: a first page, the next one, or nothing. */
  get busy(): 'search' | 'more' | null {
    return this._busy;
  }

  get hasMore(): boolean {
    return hasMore(this._pages);
  }

  setText(text: string): void {
    if (text === this._text) {
      return;
    }
    this._text = text;
    this._changed.emit();
  }

  /** Search for what is in the box; blank text lists every entry. */
  run(): Promise<void> {
    const text = this._text;
    return this._first(signal =>
      this.catalog.search(searchRequest(text), signal)
    );
  }

  /** Narrow the search to one value of a facet, and run it. */
  addFacet(facet: FacetName, value: string): Promise<void> {
    this.setText(withFacet(this._text, facet, value));
    return this.run();
  }

  /** Run a saved search: its text goes into the box. */
  runSaved(saved: ISavedSearch): Promise<void> {
    return this._first(
      signal => this.catalog.runSaved(saved.id, SEARCH_FACETS, signal),
      true
    );
  }

  /** Fetch the page after those shown. */
  async more(): Promise<void> {
    const pages = this._pages;
    if (!pages || pages.cursor === null || this._busy) {
      return;
    }
    const serial = ++this._serial;
    this._controller?.abort();
    const controller = (this._controller = new AbortController());
    this._busy = 'more';
    this._changed.emit();
    try {
      const answer = await this.catalog.search(
        searchRequest(pages.text, pages.cursor),
        controller.signal
      );
      if (serial === this._serial) {
        this._setPages(nextPage(pages, answer));
        this._error = null;
      }
    } catch (reason) {
      if (serial === this._serial && !isAbort(reason)) {
        this._error = RemotemError.from(reason);
      }
    } finally {
      if (serial === this._serial) {
        this._busy = null;
        this._changed.emit();
      }
    }
  }

  /**
   * Check the text without searching (as the user types): a syntax error shows, and goes
   * once the text reads. A search started meanwhile has the last word.
   */
  async check(text: string): Promise<void> {
    const serial = this._serial;
    let error: RemotemError | null = null;
    if (text.trim() !== '') {
      try {
        await this.catalog.parse(text);
      } catch (reason) {
        if (isAbort(reason)) {
          return;
        }
        error = RemotemError.from(reason);
      }
    }
    if (serial !== this._serial || text !== this._text) {
      return;
    }
    if (
      error?.status === 400 ||
      (error === null && this._error?.status === 400)
    ) {
      this._error = error;
      this._changed.emit();
    }
  }

  /** Forget the hits (the list closes) and any error. */
  clear(): void {
    this._serial++;
    this._controller?.abort();
    this._setPages(null);
    this._error = null;
    this._busy = null;
    this._changed.emit();
  }

  /** A finished index job changed the catalog: the hits shown are searched again. */
  jobFinished(job: IJob): void {
    if (job.kind === 'index' && this._pages !== null && !this._busy) {
      const text = this._pages.text;
      void this._first(signal =>
        this.catalog.search(searchRequest(text), signal)
      );
    }
  }

  dispose(): void {
    this._controller?.abort();
    Signal.clearData(this);
  }

  /**
   * Fetch a first page; `showText` puts the query the server read into the box (for a
   * saved search, whose text the user did not type).
   */
  private async _first(
    ask: (signal: AbortSignal) => Promise<ISearchAnswer>,
    showText = false
  ): Promise<void> {
    const serial = ++this._serial;
    this._controller?.abort();
    const controller = (this._controller = new AbortController());
    this._busy = 'search';
    this._changed.emit();
    try {
      const answer = await ask(controller.signal);
      if (serial === this._serial) {
        const pages = firstPage(answer);
        this._setPages(pages);
        if (showText) {
          this._text = pages.text;
        }
        this._error = null;
      }
    } catch (reason) {
      if (serial === this._serial && !isAbort(reason)) {
        // The hits of an earlier search would read as this one's.
        this._setPages(null);
        this._error = RemotemError.from(reason);
      }
    } finally {
      if (serial === this._serial) {
        this._busy = null;
        this._changed.emit();
      }
    }
  }

  private _setPages(pages: ISearchPages | null): void {
    const toggled = (pages === null) !== (this._pages === null);
    this._pages = pages;
    if (toggled) {
      this._resultsToggled.emit(pages !== null);
    }
  }

  private _text = '';
  private _pages: ISearchPages | null = null;
  private _error: RemotemError | null = null;
  private _busy: 'search' | 'more' | null = null;
  private _serial = 0;
  private _controller: AbortController | null = null;
  private _changed = new Signal<this, void>(this);
  private _resultsToggled = new Signal<this, boolean>(this);
}
