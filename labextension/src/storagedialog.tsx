/**
 * "Add storage…": a form for a storage of the user's own (an S3 bucket, a WebDAV folder,
 * an SFTP server…) whose fields are those the server declares for each protocol; its
 * connection is tested before it may be saved. "Remove storage…" forgets one.
 *
 * The secrets typed live in the dialog's React state only: closing the dialog disposes
 * its body, and them with it.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import React, { useCallback, useEffect, useReducer } from 'react';

import { RemotemError } from './api';
import { FormDialogBody } from './formbody';
import { TranslationContext, useTranslation } from './i18n';
import { StorageAPI } from './storageapi';
import {
  canSave,
  chosenProtocol,
  fieldsOf,
  formProblem,
  hostKeyOffer,
  INITIAL_STORAGE_STATE,
  IOwnStorage,
  IStorageField,
  IStorageValues,
  requestBody,
  requestKey,
  storageReducer,
  trustHostKey
} from './storageform';
import { ErrorMessage, Spinner } from './widgets';

/** One declared field: a text, a checkbox, a password or a multi-line secret. */
function DeclaredField(props: {
  field: IStorageField;
  value: string | boolean | undefined;
  onChange: (value: string | boolean) => void;
}): JSX.Element {
  const { field, value } = props;
  const name = `${field.group}.${field.name}`;
  if (field.input === 'checkbox') {
    return (
      <label className="jp-remotem-storage-check">
        <input
          type="checkbox"
          name={name}
          checked={value === true}
          onChange={event => props.onChange(event.target.checked)}
        />
        {field.label}
      </label>
    );
  }
  const text = typeof value === 'string' ? value : '';
  return (
    <label className="jp-remotem-field" data-group={field.group}>
      <span>
        {field.label}
        {field.required ? ' *' : ''}
      </span>
      {field.input === 'multiline' ? (
        <textarea
          className="jp-mod-styled jp-remotem-storage-multiline"
          name={name}
          rows={4}
          spellCheck={false}
          autoComplete="off"
          value={text}
          onChange={event => props.onChange(event.target.value)}
        />
      ) : (
        <input
          className="jp-mod-styled"
          type={field.input === 'password' ? 'password' : 'text'}
          name={name}
          required={field.required}
          spellCheck={false}
          autoComplete={field.input === 'password' ? 'new-password' : 'off'}
          placeholder={field.placeholder}
          value={text}
          onChange={event => props.onChange(event.target.value)}
        />
      )}
    </label>
  );
}

function StorageForm(props: {
  storage: StorageAPI;
  onSaved: (storage: IOwnStorage) => void;
}): JSX.Element {
  const { storage, onSaved } = props;
  const trans = useTranslation();
  const [state, dispatch] = useReducer(storageReducer, INITIAL_STORAGE_STATE);

  useEffect(() => {
    const controller = new AbortController();
    storage.protocols(controller.signal).then(
      protocols => dispatch({ type: 'protocols', protocols }),
      reason => {
        if (!controller.signal.aborted) {
          dispatch({ type: 'failed', error: RemotemError.from(reason) });
        }
      }
    );
    return () => controller.abort();
  }, [storage]);

  const protocol = chosenProtocol(state);
  const problem = formProblem(state.values, protocol, trans);
  const offer = hostKeyOffer(state.error, protocol);

  const test = useCallback(
    async (values: IStorageValues) => {
      if (!protocol || formProblem(values, protocol, trans) !== null) {
        return;
      }
      const request = requestBody(values, protocol);
      dispatch({ type: 'testing' });
      try {
        const answer = await storage.test(request);
        dispatch({
          type: 'tested',
          key: requestKey(request),
          entries: answer.test.entries
        });
      } catch (reason) {
        dispatch({ type: 'failed', error: RemotemError.from(reason) });
      }
    },
    [protocol, storage, trans]
  );

  const save = async () => {
    if (!protocol || !canSave(state)) {
      return;
    }
    dispatch({ type: 'saving' });
    try {
      const saved = await storage.add(requestBody(state.values, protocol));
      dispatch({ type: 'saved', storage: saved });
      onSaved(saved);
    } catch (reason) {
      dispatch({ type: 'failed', error: RemotemError.from(reason) });
    }
  };

  const trust = () => {
    if (!protocol || !offer) {
      return;
    }
    const values = trustHostKey(state.values, protocol, offer);
    dispatch({ type: 'values', values });
    void test(values);
  };

  if (state.protocols === null) {
    return state.error ? (
      <ErrorMessage error={state.error} />
    ) : (
      <Spinner label={trans.__('Loading what may be added…')} />
    );
  }
  if (state.protocols.length === 0) {
    return (
      <div className="jp-remotem-note">
        {trans.__('This server lets no storage of your own be added.')}
      </div>
    );
  }
  const { values } = state;
  const savable = canSave(state);
  return (
    <form
      className="jp-remotem-storage-form"
      data-busy={state.busy ?? ''}
      onSubmit={event => {
        event.preventDefault();
        void (savable ? save() : test(values));
      }}
    >
      <label className="jp-remotem-field">
        <span>{trans.__('Kind')}</span>
        <select
          className="jp-remotem-select"
          name="protocol"
          value={values.protocol}
          onChange={event =>
            dispatch({ type: 'protocol', name: event.target.value })
          }
        >
          {state.protocols.map(choice => (
            <option key={choice.name} value={choice.name}>
              {choice.label}
            </option>
          ))}
        </select>
      </label>
      <label className="jp-remotem-field">
        <span>{trans.__('Name *')}</span>
        <input
          className="jp-mod-styled"
          type="text"
          name="name"
          autoFocus
          spellCheck={false}
          autoComplete="off"
          placeholder={protocol?.example.name ?? ''}
          value={values.name}
          onChange={event =>
            dispatch({ type: 'edit', changes: { name: event.target.value } })
          }
        />
      </label>
      <label className="jp-remotem-field">
        <span>{trans.__('URL *')}</span>
        <input
          className="jp-mod-styled"
          type="text"
          name="url"
          spellCheck={false}
          autoComplete="off"
          placeholder={protocol?.example.url ?? protocol?.url[0] ?? ''}
          value={values.url}
          onChange={event =>
            dispatch({ type: 'edit', changes: { url: event.target.value } })
          }
        />
      </label>
      {protocol &&
        fieldsOf(protocol).map(field => (
          <DeclaredField
            key={`${field.group}.${field.name}`}
            field={field}
            value={
              field.group === 'options'
                ? values.options[field.name]
                : values.secrets[field.name]
            }
            onChange={value =>
              field.group === 'options'
                ? dispatch({ type: 'option', name: field.name, value })
                : dispatch({
                    type: 'secret',
                    name: field.name,
                    value: String(value)
                  })
            }
          />
        ))}
      {protocol?.open_ended && (
        <>
          <label className="jp-remotem-field">
            <span>{trans.__('Options (one name=value per line)')}</span>
            <textarea
              className="jp-mod-styled"
              name="extraOptions"
              rows={3}
              spellCheck={false}
              value={values.extraOptions}
              onChange={event =>
                dispatch({
                  type: 'edit',
                  changes: { extraOptions: event.target.value }
                })
              }
            />
          </label>
          <label className="jp-remotem-field">
            <span>{trans.__('Secrets (one name=value per line)')}</span>
            <textarea
              className="jp-mod-styled jp-remotem-storage-multiline"
              name="extraSecrets"
              rows={3}
              spellCheck={false}
              autoComplete="off"
              value={values.extraSecrets}
              onChange={event =>
                dispatch({
                  type: 'edit',
                  changes: { extraSecrets: event.target.value }
                })
              }
            />
          </label>
        </>
      )}
      <label className="jp-remotem-field">
        <span>{trans.__('Description')}</span>
        <input
          className="jp-mod-styled"
          type="text"
          name="description"
          value={values.description}
          onChange={event =>
            dispatch({
              type: 'edit',
              changes: { description: event.target.value }
            })
          }
        />
      </label>
      <label className="jp-remotem-storage-check">
        <input
          type="checkbox"
          name="writable"
          checked={values.writable}
          onChange={event =>
            dispatch({
              type: 'edit',
              changes: { writable: event.target.checked }
            })
          }
        />
        {trans.__('Writable (uploads, copies and results may go there)')}
      </label>
      <div className="jp-remotem-storage-status" aria-live="polite">
        {state.busy === 'testing' && (
          <Spinner label={trans.__('Testing the connection…')} />
        )}
        {state.busy === 'saving' && <Spinner label={trans.__('Saving…')} />}
        {state.busy === null && savable && state.tested && (
          <div className="jp-remotem-storage-ok">
            {trans._n(
              'The connection works: %1 entry at its root.',
              'The connection works: %1 entries at its root.',
              state.tested.entries
            )}
          </div>
        )}
        {state.error && <ErrorMessage error={state.error} />}
        {offer && (
          <div className="jp-remotem-storage-hostkey">
            <div>
              {trans.__(
                'Trust this server only if its key is the one its administrator gave you:'
              )}
            </div>
            {offer.fingerprint && (
              <code className="jp-remotem-storage-fingerprint">
                {offer.fingerprint}
              </code>
            )}
            <code className="jp-remotem-storage-keyline">{offer.line}</code>
            <button
              type="button"
              className="jp-Button jp-mod-styled jp-mod-warn jp-remotem-storage-trust"
              disabled={state.busy !== null}
              onClick={trust}
            >
              {trans.__('Trust this key')}
            </button>
          </div>
        )}
      </div>
      <div className="jp-remotem-storage-actions">
        <button
          type="button"
          className="jp-Button jp-mod-styled jp-mod-reject jp-remotem-storage-test"
          disabled={problem !== null || state.busy !== null}
          title={
            problem ??
            trans.__('List the storage’s root with these credentials')
          }
          onClick={() => void test(values)}
        >
          {trans.__('Test connection')}
        </button>
        <button
          type="button"
          className="jp-Button jp-mod-styled jp-mod-accept jp-remotem-storage-save"
          disabled={!savable}
          title={
            savable
              ? trans.__('Keep this storage (its secrets encrypted)')
              : trans.__('Test the connection first')
          }
          onClick={() => void save()}
        >
          {trans.__('Save')}
        </button>
      </div>
    </form>
  );
}

/**
 * The dialog's body. Enter in a field tests (or, once tested, saves) instead of
 * closing the dialog.
 */
class StorageBody extends FormDialogBody {
  constructor(
    private _storage: StorageAPI,
    private _trans: TranslationBundle,
    private _onSaved: (storage: IOwnStorage) => void
  ) {
    super();
    this.addClass('jp-remotem-storage-dialog');
  }

  render(): JSX.Element {
    return (
      <TranslationContext.Provider value={this._trans}>
        <StorageForm storage={this._storage} onSaved={this._onSaved} />
      </TranslationContext.Provider>
    );
  }
}

/**
 * Show "Add storage…" until a storage is saved (resolves with it) or the dialog is
 * closed (null).
 */
export async function addStorage(
  storage: StorageAPI,
  trans: TranslationBundle
): Promise<IOwnStorage | null> {
  let saved: IOwnStorage | null = null;
  const body = new StorageBody(storage, trans, added => {
    saved = added;
    dialog.resolve(0);
  });
  const dialog = new Dialog({
    title: trans.__('Add Storage'),
    body,
    buttons: [Dialog.cancelButton({ label: trans.__('Close') })]
  });
  await dialog.launch();
  dialog.dispose();
  body.dispose();
  return saved;
}

/**
 * Ask, then forget the user's storage `name` (its files stay). Resolves with whether it
 * was removed.
 */
export async function removeStorage(
  storage: StorageAPI,
  trans: TranslationBundle,
  name: string
): Promise<boolean> {
  const result = await showDialog({
    title: trans.__('Remove Storage'),
    body: trans.__(
      'Remove your storage “%1” from the list? Its files stay where they are; its credentials are forgotten here.',
      name
    ),
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.warnButton({ label: trans.__('Remove') })
    ],
    defaultButton: 0
  });
  if (!result.button.accept) {
    return false;
  }
  await storage.remove(name);
  return true;
}
