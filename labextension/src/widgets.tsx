/**
 * Small presentational pieces shared by the tree, the details panel and the dialogs.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { LabIcon } from '@jupyterlab/ui-components';
import React from 'react';

import { IRepository, RemotemError } from './api';
import { useTranslation } from './i18n';

/**
 * A server (or network) error: its message, the server's hint, and an optional retry.
 */
export function ErrorMessage(props: {
  error: RemotemError;
  onRetry?: () => void;
}): JSX.Element {
  const { error } = props;
  const trans = useTranslation();
  return (
    <div className="jp-remotem-error" role="alert" data-code={error.code}>
      <div className="jp-remotem-error-message">{error.message}</div>
      {error.hint && <div className="jp-remotem-error-hint">{error.hint}</div>}
      {props.onRetry && (
        <button
          className="jp-remotem-retry jp-Button jp-mod-minimal"
          onClick={event => {
            event.stopPropagation();
            props.onRetry!();
          }}
        >
          {trans.__('Retry')}
        </button>
      )}
    </div>
  );
}

/**
 * An inline loading indicator.
 */
export function Spinner(props: { label?: string }): JSX.Element {
  const trans = useTranslation();
  return (
    <span className="jp-remotem-loading" role="status" aria-live="polite">
      <span className="jp-remotem-spinner" aria-hidden="true" />
      {props.label ?? trans.__('Loading…')}
    </span>
  );
}

/**
 * The four states of a polled list: failed, loading, empty, or its items.
 */
export function ListState<T>(props: {
  items: T[] | null;
  error: RemotemError | null;
  onRetry: () => void;
  loading: string;
  empty: JSX.Element;
  children: (items: T[]) => JSX.Element;
}): JSX.Element {
  const { items, error } = props;
  return (
    <>
      {error && <ErrorMessage error={error} onRetry={props.onRetry} />}
      {items === null && !error && <Spinner label={props.loading} />}
      {items !== null && items.length === 0 && props.empty}
      {items !== null && items.length > 0 && props.children(items)}
    </>
  );
}

/**
 * The repositories a result can be written to, as choices: the notebook folder's one
 * says so (where a file lands that the notebook can open by name).
 */
export function targetChoices(
  trans: TranslationBundle,
  repositories: ReadonlyArray<IRepository>
): { value: string; label: string }[] {
  return repositories.map(repository => ({
    value: repository.name,
    label: repository.home
      ? trans.__('%1 (your notebook folder)', repository.name)
      : repository.name
  }));
}

/**
 * A labelled choice (a select) of a dialog form.
 */
export function ChoiceField<T extends string>(props: {
  label: string;
  className: string;
  value: T;
  options: ReadonlyArray<{ value: T; label: string }>;
  onChange: (value: T) => void;
}): JSX.Element {
  return (
    <label className="jp-remotem-field">
      <span>{props.label}</span>
      <select
        className={`jp-remotem-select ${props.className}`}
        value={props.value}
        onChange={event => props.onChange(event.target.value as T)}
      >
        {props.options.map(option => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </label>
  );
}

/**
 * A labelled path field of a dialog form.
 */
export function PathField(props: {
  label: string;
  className: string;
  value: string;
  onChange: (path: string) => void;
}): JSX.Element {
  return (
    <label className="jp-remotem-field">
      <span>{props.label}</span>
      <input
        className={`jp-mod-styled ${props.className}`}
        type="text"
        spellCheck={false}
        value={props.value}
        onChange={event => props.onChange(event.target.value)}
      />
    </label>
  );
}

/**
 * A small toolbar button showing only an icon; `label` names it for screen readers.
 */
export function IconButton(props: {
  icon: LabIcon;
  className: string;
  label: string;
  title: string;
  onClick: () => void;
}): JSX.Element {
  return (
    <button
      className={`${props.className} jp-Button jp-mod-minimal`}
      title={props.title}
      aria-label={props.label}
      onClick={props.onClick}
    >
      <props.icon.react tag="span" />
    </button>
  );
}

/**
 * A two-column table of facts about a file or a dataset: `[key, label, value]` rows,
 * the empty ones left out; each row carries its key as `data-key` for tests and styles.
 */
export function FactsTable(props: {
  rows: [string, string, string][];
}): JSX.Element {
  return (
    <table className="jp-remotem-meta-table">
      <tbody>
        {props.rows
          .filter(([, , value]) => value !== '')
          .map(([key, label, value]) => (
            <tr key={key} data-key={key}>
              <th scope="row">{label}</th>
              <td>{value}</td>
            </tr>
          ))}
      </tbody>
    </table>
  );
}
