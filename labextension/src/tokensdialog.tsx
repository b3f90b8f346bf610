/**
 * "Personal API Tokens…": list, make and revoke the tokens that let a script elsewhere
 * reach this API in the user's name. A new token's secret is shown once, to be copied.
 */
import { Clipboard, Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import React, {
  useCallback,
  useEffect,
  useReducer,
  useRef,
  useState
} from 'react';

import { INewApiToken, RemotemAPI, RemotemError } from './api';
import { FormDialogBody } from './formbody';
import { TranslationContext, useTranslation } from './i18n';
import {
  EXPIRY_CHOICES,
  ExpiryChoice,
  expiresInDays,
  INITIAL_TOKENS_STATE,
  newTokenProblem,
  parseReach,
  tokenRow,
  tokensReducer
} from './tokens';
import { ChoiceField, ErrorMessage, Spinner } from './widgets';

/**
 * Put text on the system clipboard: the asynchronous Clipboard API where the page may
 * use it, else the selection copy that works without a permission.
 */
async function copyText(
  text: string,
  field: HTMLInputElement | null
): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    field?.select();
    try {
      Clipboard.copyToSystem(text);
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * The secret of a token just made, with what it opens and how to send it.
 */
function NewSecret(props: {
  token: INewApiToken;
  serverUrl: string;
  onDismiss: () => void;
}): JSX.Element {
  const trans = useTranslation();
  const field = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<boolean | null>(null);
  const copy = useCallback(async () => {
    setCopied(await copyText(props.token.token, field.current));
  }, [props.token]);
  return (
    <div
      className="jp-remotem-token-new"
      role="region"
      aria-label={trans.__('New token')}
    >
      <div className="jp-remotem-note jp-remotem-token-once">
        {trans.__(
          'Copy the token “%1” now: it will not be shown again.',
          props.token.name
        )}
      </div>
      <div className="jp-remotem-token-secret-row">
        <input
          ref={field}
          className="jp-mod-styled jp-remotem-token-secret"
          type="text"
          readOnly
          spellCheck={false}
          aria-label={trans.__('Token secret')}
          value={props.token.token}
          onFocus={event => event.target.select()}
        />
        <button
          className="jp-Button jp-mod-styled jp-mod-accept jp-remotem-token-copy"
          onClick={() => void copy()}
        >
          {trans.__('Copy')}
        </button>
      </div>
      <div className="jp-remotem-token-copied" aria-live="polite">
        {copied === true && trans.__('Copied to the clipboard.')}
        {copied === false &&
          trans.__('Select the token and copy it with Ctrl+C (⌘C).')}
      </div>
      <div className="jp-remotem-token-usage">
        {trans.__(
          'It opens the remote data API of this server only (browse, read, reduce, jobs) in your name — not kernels, terminals or files. Send it as a header, or give it to the notebook client:'
        )}
        <pre>
          {`Authorization: token rmt_…\nremotem.connect("${props.serverUrl}", "rmt_…")`}
        </pre>
      </div>
      <button
        className="jp-Button jp-mod-minimal jp-remotem-token-dismiss"
        onClick={props.onDismiss}
      >
        {trans.__('I have copied it')}
      </button>
    </div>
  );
}

function TokensManager(props: { api: RemotemAPI }): JSX.Element {
  const { api } = props;
  const trans = useTranslation();
  const [state, dispatch] = useReducer(tokensReducer, INITIAL_TOKENS_STATE);

  const run = useCallback(
    async (work: () => Promise<void>) => {
      dispatch({ type: 'request' });
      try {
        await work();
      } catch (reason) {
        dispatch({ type: 'failed', error: RemotemError.from(reason) });
      }
    },
    [dispatch]
  );

  useEffect(() => {
    void run(async () => {
      const [tokens, offered] = await Promise.all([
        api.listTokens(),
        api.tokenScopes()
      ]);
      dispatch({ type: 'scopes', offered });
      dispatch({ type: 'loaded', tokens });
    });
  }, [api, run]);

  const problem = newTokenProblem(state, trans);
  const create = () => {
    if (problem || state.busy) {
      return;
    }
    void run(async () =>
      dispatch({
        type: 'created',
        token: await api.createToken(
          state.name.trim(),
          expiresInDays(state.expiry),
          {
            scopes: state.scopes,
            reach: parseReach(state.reach).places
          }
        )
      })
    );
  };
  const revoke = (id: string) =>
    void run(async () => {
      await api.revokeToken(id);
      dispatch({ type: 'revoked', id });
    });

  const now = Date.now();
  const serverUrl = new URL(api.serverSettings.baseUrl, window.location.href)
    .href;
  const expiryLabels: Record<ExpiryChoice, string> = {
    '7': trans.__('7 days'),
    '30': trans.__('30 days'),
    '90': trans.__('90 days'),
    '365': trans.__('1 year'),
    never: trans.__('never')
  };

  return (
    <div className="jp-remotem-tokens" data-busy={state.busy}>
      {state.created && (
        <NewSecret
          token={state.created}
          serverUrl={serverUrl}
          onDismiss={() => dispatch({ type: 'dismiss-secret' })}
        />
      )}
      {state.error && <ErrorMessage error={state.error} />}
      {state.tokens === null && !state.error && (
        <Spinner label={trans.__('Loading tokens…')} />
      )}
      {state.tokens !== null && state.tokens.length === 0 && (
        <div className="jp-remotem-note jp-remotem-tokens-empty">
          {trans.__('You have no personal API tokens.')}
        </div>
      )}
      {state.tokens !== null && state.tokens.length > 0 && (
        <table className="jp-remotem-tokens-list">
          <thead>
            <tr>
              <th>{trans.__('Name')}</th>
              <th>{trans.__('Created')}</th>
              <th>{trans.__('Expires')}</th>
              <th>{trans.__('Last used')}</th>
              <th>{trans.__('May')}</th>
              <th>{trans.__('Only in')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {state.tokens.map(token => {
              const row = tokenRow(token, now, trans);
              const confirming = state.confirming === token.id;
              return (
                <tr
                  key={row.id}
                  className="jp-remotem-token"
                  data-token-id={row.id}
                  data-expired={row.expired}
                >
                  <td className="jp-remotem-token-name">{row.name}</td>
                  <td>{row.created}</td>
                  <td title={row.expiresAt}>{row.expires}</td>
                  <td>{row.lastUsed}</td>
                  <td className="jp-remotem-token-scopes">{row.scopes}</td>
                  <td className="jp-remotem-token-reach">{row.reach}</td>
                  <td className="jp-remotem-token-actions">
                    {confirming ? (
                      <>
                        <span>{trans.__('Revoke “%1”?', row.name)}</span>
                        <button
                          className="jp-Button jp-mod-minimal jp-remotem-token-keep"
                          onClick={() =>
                            dispatch({ type: 'confirm', id: null })
                          }
                        >
                          {trans.__('Keep')}
                        </button>
                        <button
                          className="jp-Button jp-mod-styled jp-mod-warn jp-remotem-token-revoke-confirm"
                          disabled={state.busy}
                          onClick={() => revoke(token.id)}
                        >
                          {trans.__('Revoke')}
                        </button>
                      </>
                    ) : (
                      <button
                        className="jp-Button jp-mod-minimal jp-mod-warn jp-remotem-token-revoke"
                        title={trans.__(
                          'Stop this token from opening the API, at once'
                        )}
                        disabled={state.busy}
                        onClick={() =>
                          dispatch({ type: 'confirm', id: token.id })
                        }
                      >
                        {trans.__('Revoke')}
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <form
        className="jp-remotem-token-form"
        onSubmit={event => {
          event.preventDefault();
          create();
        }}
      >
        <label className="jp-remotem-field">
          <span>{trans.__('New token for')}</span>
          <input
            className="jp-mod-styled jp-remotem-token-name-input"
            type="text"
            placeholder={trans.__('e.g. laptop analysis')}
            value={state.name}
            onChange={event =>
              dispatch({ type: 'edit', name: event.target.value })
            }
          />
        </label>
        <ChoiceField<ExpiryChoice>
          label={trans.__('Expires after')}
          className="jp-remotem-token-expiry"
          value={state.expiry}
          options={EXPIRY_CHOICES.map(choice => ({
            value: choice,
            label: expiryLabels[choice]
          }))}
          onChange={expiry => dispatch({ type: 'edit', expiry })}
        />
        {state.offered && (
          <fieldset className="jp-remotem-token-scope-choice">
            <legend>{trans.__('It may')}</legend>
            {state.offered.map(scope => (
              <label key={scope.name} title={scope.description}>
                <input
                  type="checkbox"
                  data-scope={scope.name}
                  checked={state.scopes.includes(scope.name)}
                  onChange={() =>
                    dispatch({ type: 'toggle-scope', scope: scope.name })
                  }
                />
                {scope.name}
              </label>
            ))}
          </fieldset>
        )}
        <label className="jp-remotem-field jp-remotem-token-reach-field">
          <span>{trans.__('Only in')}</span>
          <textarea
            className="jp-mod-styled jp-remotem-token-reach-input"
            rows={2}
            placeholder={trans.__(
              'everywhere you may; or one place per line: repository:folder, dataset <id>'
            )}
            value={state.reach}
            onChange={event =>
              dispatch({ type: 'edit', reach: event.target.value })
            }
          />
        </label>
        <button
          type="submit"
          className="jp-Button jp-mod-styled jp-mod-accept jp-remotem-token-create"
          disabled={problem !== null || state.busy}
          title={problem ?? trans.__('Make the token and show it once')}
        >
          {trans.__('New token')}
        </button>
      </form>
    </div>
  );
}

/**
 * The dialog's body. Closing the dialog disposes it, and with it the React state that
 * held a new token's secret.
 */
class TokensBody extends FormDialogBody {
  constructor(
    private _api: RemotemAPI,
    private _trans: TranslationBundle
  ) {
    super();
    this.addClass('jp-remotem-tokens-dialog');
  }

  render(): JSX.Element {
    return (
      <TranslationContext.Provider value={this._trans}>
        <TokensManager api={this._api} />
      </TranslationContext.Provider>
    );
  }
}

/**
 * Show the Personal API Tokens dialog until the user closes it.
 */
export async function manageTokens(
  api: RemotemAPI,
  trans: TranslationBundle
): Promise<void> {
  const body = new TokensBody(api, trans);
  await showDialog({
    title: trans.__('Personal API Tokens'),
    body,
    buttons: [Dialog.okButton({ label: trans.__('Close') })],
    focusNodeSelector: '.jp-remotem-token-name-input'
  });
  body.dispose();
}
