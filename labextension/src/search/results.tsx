/**
 * The hits of a search: the facet chips that narrow it, the list (a click shows the
 * entry in the tree, a double-click or Enter opens it as the tree would), "Show more"
 * through the cursor, and what to do when nothing is found.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { closeIcon } from '@jupyterlab/ui-components';
import React, { useRef } from 'react';

import { useRovingTabIndex } from '../hooks';
import { useTranslation } from '../i18n';
import { IconButton, Spinner } from '../widgets';
import { ISearchPages } from './pages';
import { SEARCH_FACETS } from './request';
import { hitRow, totalText } from './rows';
import { FacetName, ISearchHit } from './types';

const HIT_SELECTOR = '.jp-remotem-search-hit';

function facetLabel(facet: FacetName, trans: TranslationBundle): string {
  switch (facet) {
    case 'format':
      return trans.__('Format');
    case 'repository':
      return trans.__('Repository');
    case 'tag':
      return trans.__('Tag');
  }
}

export function FacetChips(props: {
  pages: ISearchPages;
  onFacet: (facet: FacetName, value: string) => void;
}): JSX.Element | null {
  const trans = useTranslation();
  const groups = SEARCH_FACETS.map(
    facet => [facet, props.pages.facets[facet] ?? []] as const
  ).filter(([, values]) => values.length > 0);
  if (!groups.length) {
    return null;
  }
  return (
    <div className="jp-remotem-search-facets">
      {groups.map(([facet, values]) => (
        <div
          key={facet}
          className="jp-remotem-search-facet"
          data-facet={facet}
          role="group"
          aria-label={facetLabel(facet, trans)}
        >
          <span className="jp-remotem-search-facet-name">
            {facetLabel(facet, trans)}
          </span>
          {values.map(({ value, count }) => (
            <button
              key={value}
              className="jp-remotem-search-chip"
              data-value={value}
              title={trans.__('Only entries with %1 %2', facet, value)}
              onClick={() => props.onFacet(facet, value)}
            >
              <span className="jp-remotem-search-chip-value">{value}</span>
              <span className="jp-remotem-search-chip-count">{count}</span>
            </button>
          ))}
        </div>
      ))}
    </div>
  );
}

function HitItem(props: {
  hit: ISearchHit;
  onShow: (hit: ISearchHit) => void;
  onOpen: (hit: ISearchHit) => void;
}): JSX.Element {
  const { hit, onShow, onOpen } = props;
  const trans = useTranslation();
  const row = hitRow(hit, trans);
  const open = () => {
    if (!row.unreadable) {
      onOpen(hit);
    }
  };
  return (
    <li
      className={
        'jp-remotem-search-hit' +
        (row.unreadable ? ' jp-remotem-search-hit-unreadable' : '')
      }
      tabIndex={-1}
      title={row.title}
      data-repository={hit.repository}
      data-path={hit.path}
      data-dataset={hit.dataset ?? ''}
      data-status={hit.status}
      aria-disabled={row.unreadable ? true : undefined}
      onClick={() => onShow(hit)}
      onDoubleClick={open}
      onKeyDown={event => {
        if (event.key === 'Enter') {
          event.preventDefault();
          open();
        } else if (event.key === ' ') {
          event.preventDefault();
          onShow(hit);
        } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
          event.preventDefault();
          const next =
            event.key === 'ArrowDown'
              ? event.currentTarget.nextElementSibling
              : event.currentTarget.previousElementSibling;
          (next as HTMLElement | null)?.focus();
        }
      }}
    >
      <div className="jp-remotem-search-hit-line">
        <span className="jp-remotem-search-hit-name">{row.name}</span>
        {row.format && (
          <span className="jp-remotem-badge jp-remotem-format jp-remotem-search-hit-format">
            {row.format}
          </span>
        )}
      </div>
      <div className="jp-remotem-search-hit-line jp-remotem-search-hit-where">
        <span className="jp-remotem-search-hit-repository">
          {row.repository}
        </span>
        <span className="jp-remotem-search-hit-path">{row.path}</span>
        {row.shape && (
          <span className="jp-remotem-search-hit-shape">{row.shape}</span>
        )}
      </div>
      {row.unreadable && (
        <div className="jp-remotem-search-hit-reason">{row.unreadable}</div>
      )}
    </li>
  );
}

export function SearchResults(props: {
  pages: ISearchPages;
  loadingMore: boolean;
  onFacet: (facet: FacetName, value: string) => void;
  onShow: (hit: ISearchHit) => void;
  onOpen: (hit: ISearchHit) => void;
  onMore: () => void;
  onClose: () => void;
  onIndex: () => void;
}): JSX.Element {
  const { pages } = props;
  const trans = useTranslation();
  const list = useRef<HTMLUListElement>(null);
  useRovingTabIndex(list, HIT_SELECTOR);
  return (
    <section
      className="jp-remotem-search-results"
      aria-label={trans.__('Search results')}
      data-query={pages.text}
    >
      <div className="jp-remotem-search-summary">
        <span className="jp-remotem-search-total" data-total={pages.total}>
          {totalText(pages.hits.length, pages.total, trans)}
        </span>
        <IconButton
          icon={closeIcon}
          className="jp-remotem-search-close"
          label={trans.__('Close the results')}
          title={trans.__('Close the results')}
          onClick={props.onClose}
        />
      </div>
      <FacetChips pages={pages} onFacet={props.onFacet} />
      {pages.total === 0 && (
        <div className="jp-remotem-note jp-remotem-search-empty">
          <p>
            {trans.__(
              'Nothing found. Entries are found once their repository is indexed: index the selected repository, or all of them.'
            )}
          </p>
          <button
            className="jp-Button jp-mod-styled jp-mod-reject jp-remotem-search-empty-index"
            onClick={props.onIndex}
          >
            {trans.__('Index…')}
          </button>
        </div>
      )}
      <ul
        ref={list}
        className="jp-remotem-search-hits"
        aria-label={trans.__('Entries found')}
      >
        {pages.hits.map(hit => (
          <HitItem
            key={hitRow(hit, trans).key}
            hit={hit}
            onShow={props.onShow}
            onOpen={props.onOpen}
          />
        ))}
      </ul>
      {pages.cursor !== null &&
        (props.loadingMore ? (
          <Spinner label={trans.__('Loading more…')} />
        ) : (
          <button
            className="jp-Button jp-mod-minimal jp-remotem-search-more"
            onClick={props.onMore}
          >
            {trans.__('Show more')}
          </button>
        ))}
    </section>
  );
}
