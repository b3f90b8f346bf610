/**
 * Small presentational pieces shared by the tree and the details panel.
 */
import React from 'react';

import { RemotemError } from './api';
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
