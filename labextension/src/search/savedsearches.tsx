/**
 * The saved searches under the search box: a click runs one, × deletes one of yours.
 */
import { closeIcon } from '@jupyterlab/ui-components';
import React, { useEffect } from 'react';

import { useRerenderOn } from '../hooks';
import { useTranslation } from '../i18n';
import { ErrorMessage, IconButton } from '../widgets';
import { SavedSearchesModel } from './savedmodel';
import { ISavedSearch } from './types';

export function SavedSearches(props: {
  model: SavedSearchesModel;
  onRun: (saved: ISavedSearch) => void;
}): JSX.Element | null {
  const { model, onRun } = props;
  const trans = useTranslation();
  useRerenderOn(model.changed);
  useEffect(() => {
    void model.refresh();
  }, [model]);
  const items = model.items ?? [];
  if (!items.length && !model.error) {
    return null;
  }
  return (
    <details className="jp-remotem-saved-searches" open>
      <summary>{trans.__('Saved searches (%1)', items.length)}</summary>
      {model.error && (
        <ErrorMessage error={model.error} onRetry={() => model.refresh()} />
      )}
      <ul className="jp-remotem-saved-list">
        {items.map(saved => (
          <li
            key={saved.id}
            className="jp-remotem-saved"
            data-saved-id={saved.id}
            data-name={saved.name}
          >
            <button
              className="jp-remotem-saved-run"
              title={trans.__('Run the saved search %1', saved.name)}
              onClick={() => onRun(saved)}
            >
              {saved.name}
            </button>
            <span className="jp-remotem-saved-who">
              {saved.visibility === 'group'
                ? trans.__(
                    'shared with %1 by %2',
                    saved.group ?? '',
                    saved.owner
                  )
                : trans.__('private')}
            </span>
            {model.owns(saved) && (
              <IconButton
                icon={closeIcon}
                className="jp-remotem-saved-delete"
                label={trans.__('Delete the saved search %1', saved.name)}
                title={trans.__('Delete the saved search %1', saved.name)}
                onClick={() => void model.remove(saved)}
              />
            )}
          </li>
        ))}
      </ul>
    </details>
  );
}
