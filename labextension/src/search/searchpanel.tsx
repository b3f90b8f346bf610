/**
 * The catalog at the top of the Remote data sidebar: one line with the search box and
 * the Search, "Index…" and "Save search…" buttons (so the tree keeps its height), the
 * server's message when the query does not read, the hits, and the saved searches.
 */
import { showErrorMessage } from '@jupyterlab/apputils';
import { listIcon, saveIcon, searchIcon } from '@jupyterlab/ui-components';
import React, { useCallback } from 'react';

import { IJob, RemotemError } from '../api';
import { useRerenderOn } from '../hooks';
import { useTranslation } from '../i18n';
import type { SidebarModel } from '../sidebar';
import { indexRepositories } from './indexdialog';
import { SearchResults } from './results';
import { saveSearch } from './savedialog';
import { SavedSearches } from './savedsearches';
import { SearchBox } from './searchbox';
import { SearchModel } from './searchmodel';
import { ISearchHit } from './types';

/**
 * A refused query: the server's message as it is (monospace, so the caret stands under
 * the character it points at) and its hint.
 */
export function QueryError(props: { error: RemotemError }): JSX.Element {
  const { error } = props;
  return (
    <div
      className="jp-remotem-error jp-remotem-search-error"
      role="alert"
      data-code={error.code}
    >
      <pre className="jp-remotem-search-error-message">{error.message}</pre>
      {error.hint && <div className="jp-remotem-error-hint">{error.hint}</div>}
    </div>
  );
}

export function SearchPanel(props: {
  search: SearchModel;
  sidebar: SidebarModel;
  onJobs: (jobs: IJob[]) => void;
}): JSX.Element {
  const { search, sidebar, onJobs } = props;
  const trans = useTranslation();
  useRerenderOn(search.changed);

  const index = useCallback(async () => {
    const names = (sidebar.repositories ?? []).map(repo => repo.name);
    try {
      const jobs = await indexRepositories(
        search.catalog,
        names,
        sidebar.selection?.repository ?? null,
        trans
      );
      if (jobs.length) {
        onJobs(jobs);
      }
    } catch (reason) {
      const error = RemotemError.from(reason);
      await showErrorMessage(
        trans.__('Cannot index'),
        error.hint ? `${error.message}\n${error.hint}` : error.message
      );
    }
  }, [search, sidebar, onJobs, trans]);

  const save = useCallback(() => {
    void saveSearch(search.saved, search.text, trans);
  }, [search, trans]);

  const show = useCallback(
    (hit: ISearchHit) => sidebar.reveal(hit.repository, hit.path),
    [sidebar]
  );

  const open = useCallback(
    async (hit: ISearchHit) => {
      try {
        const meta = await sidebar.api.getMeta(hit.repository, hit.path);
        sidebar.openEntry(hit.repository, meta.entry);
      } catch (reason) {
        const error = RemotemError.from(reason);
        await showErrorMessage(
          trans.__('Cannot open %1', hit.path),
          error.hint ? `${error.message}\n${error.hint}` : error.message
        );
      }
    },
    [sidebar, trans]
  );

  const close = useCallback(() => {
    search.clear();
    // Back in the tree, the entry shown from the results is in sight.
    const selection = sidebar.selection;
    if (selection) {
      sidebar.reveal(selection.repository, selection.entry.path);
    }
  }, [search, sidebar]);

  const pages = search.pages;
  return (
    <div
      className={'jp-remotem-search' + (pages ? ' jp-mod-results' : '')}
      role="search"
      aria-busy={search.busy !== null}
    >
      <div className="jp-remotem-search-row">
        <SearchBox model={search} />
        <button
          className="jp-Button jp-mod-minimal jp-remotem-search-run"
          title={trans.__('Search (Enter)')}
          aria-label={trans.__('Search')}
          onClick={() => void search.run()}
        >
          <searchIcon.react tag="span" />
        </button>
        <button
          className="jp-Button jp-mod-minimal jp-remotem-search-index"
          title={trans.__(
            'Index the selected repository, or all of them, for search (a job)'
          )}
          aria-label={trans.__('Index…')}
          onClick={() => void index()}
        >
          <listIcon.react tag="span" />
        </button>
        <button
          className="jp-Button jp-mod-minimal jp-remotem-search-save"
          title={trans.__('Save this search under a name')}
          aria-label={trans.__('Save search…')}
          disabled={search.text.trim() === ''}
          onClick={save}
        >
          <saveIcon.react tag="span" />
        </button>
      </div>
      {search.error && <QueryError error={search.error} />}
      {search.busy === 'search' && (
        <div className="jp-remotem-search-busy">
          <span className="jp-remotem-spinner" aria-hidden="true" />
          {trans.__('Searching…')}
        </div>
      )}
      {pages && (
        <SearchResults
          pages={pages}
          loadingMore={search.busy === 'more'}
          onFacet={(facet, value) => void search.addFacet(facet, value)}
          onShow={show}
          onOpen={hit => void open(hit)}
          onMore={() => void search.more()}
          onClose={close}
          onIndex={() => void index()}
        />
      )}
      <SavedSearches
        model={search.saved}
        onRun={saved => void search.runSaved(saved)}
      />
    </div>
  );
}
