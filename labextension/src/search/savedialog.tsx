/**
 * "Save search…": a name, and whether the search is for you alone or shared with one of
 * your groups. Refusals reopen the dialog with the server's message; a name you have
 * already used offers to replace that search.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import React from 'react';

import { RemotemError } from '../api';
import { askForm, useFormValue } from '../dialogs';
import { useTranslation } from '../i18n';
import { ChoiceField, ErrorMessage } from '../widgets';
import { savedSearchRequest } from './request';
import { SavedSearchesModel } from './savedmodel';
import { ISavedSearch, SavedVisibility } from './types';

interface ISaveValue {
  name: string;
  visibility: SavedVisibility;
  group: string;
  overwrite: boolean;
}

function SaveForm(props: {
  initial: ISaveValue;
  query: string;
  groups: string[];
  error: RemotemError | null;
  onChange: (value: ISaveValue) => void;
}): JSX.Element {
  const trans = useTranslation();
  const [value, change] = useFormValue(props.initial, props.onChange);
  const taken = props.error?.status === 409;
  return (
    <div className="jp-remotem-search-form">
      <code className="jp-remotem-save-search-query">{props.query}</code>
      <label className="jp-remotem-field">
        <span>{trans.__('Name')}</span>
        <input
          className="jp-mod-styled jp-remotem-save-search-name"
          type="text"
          value={value.name}
          onChange={event => change({ name: event.target.value })}
        />
      </label>
      <ChoiceField<SavedVisibility>
        label={trans.__('Who sees it')}
        className="jp-remotem-save-search-visibility"
        value={value.visibility}
        options={[
          { value: 'private', label: trans.__('Only me') },
          { value: 'group', label: trans.__('A group of mine') }
        ]}
        onChange={visibility => change({ visibility })}
      />
      {value.visibility === 'group' && (
        <label className="jp-remotem-field">
          <span>{trans.__('Group')}</span>
          <input
            className="jp-mod-styled jp-remotem-save-search-group"
            type="text"
            list="jp-remotem-save-search-groups"
            value={value.group}
            onChange={event => change({ group: event.target.value })}
          />
          <datalist id="jp-remotem-save-search-groups">
            {props.groups.map(group => (
              <option key={group} value={group} />
            ))}
          </datalist>
        </label>
      )}
      {taken && (
        <label className="jp-remotem-field jp-remotem-save-search-overwrite">
          <input
            type="checkbox"
            checked={value.overwrite}
            onChange={event => change({ overwrite: event.target.checked })}
          />
          <span>{trans.__('Replace my saved search of that name')}</span>
        </label>
      )}
      {props.error && <ErrorMessage error={props.error} />}
    </div>
  );
}

/** The groups the caller shares quota pools with: the likely ones to share with. */
async function knownGroups(model: SavedSearchesModel): Promise<string[]> {
  try {
    const quota = await model.catalog.api.getQuota();
    return (quota.pools ?? []).map(pool => pool.group);
  } catch {
    return [];
  }
}

/**
 * Ask for a name and save `query`; resolves with the saved search, or null when the
 * user cancelled.
 */
export async function saveSearch(
  model: SavedSearchesModel,
  query: string,
  trans: TranslationBundle
): Promise<ISavedSearch | null> {
  const groups = await knownGroups(model);
  let value: ISaveValue = {
    name: '',
    visibility: 'private',
    group: groups[0] ?? '',
    overwrite: false
  };
  let error: RemotemError | null = null;
  for (;;) {
    const initial = value;
    const shown = error;
    const answer = await askForm<ISaveValue>({
      trans,
      title: trans.__('Save search…'),
      accept: trans.__('Save'),
      value,
      form: onChange => (
        <SaveForm
          initial={initial}
          query={query}
          groups={groups}
          error={shown}
          onChange={onChange}
        />
      ),
      className: 'jp-remotem-save-search-dialog'
    });
    if (!answer) {
      return null;
    }
    value = answer;
    try {
      return await model.save({
        ...savedSearchRequest(value.name, query, value.visibility, value.group),
        overwrite: value.overwrite
      });
    } catch (reason) {
      error = RemotemError.from(reason);
    }
  }
}
