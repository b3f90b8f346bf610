/**
 * "Copy to…": a dialog that picks a writable repository and a path, shows the server's
 * quote, and submits a copy job.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import React, { useEffect, useState } from 'react';

import {
  ICopyRequest,
  IJob,
  IJobQuote,
  IRepository,
  isAbort,
  RemotemAPI,
  RemotemError
} from './api';
import { formatBytes } from './format';
import { TranslationContext, useTranslation } from './i18n';
import { defaultCopyPath, formatDuration } from './jobstate';
import { ErrorMessage } from './widgets';

/** Delay before asking for a quote after the last keystroke, in ms. */
const QUOTE_DELAY = 400;

interface ICopyValue {
  repository: string;
  path: string;
}

function describeQuote(trans: TranslationBundle, quote: IJobQuote): string {
  const parts: string[] = [];
  const bytes = quote.bytes_written ?? quote.bytes_read;
  if (typeof bytes === 'number') {
    parts.push(trans.__('%1 to copy', formatBytes(bytes)));
  }
  if (typeof quote.seconds === 'number') {
    parts.push(trans.__('about %1', formatDuration(quote.seconds)));
  }
  return parts.join(', ');
}

function CopyForm(props: {
  api: RemotemAPI;
  source: { repository: string; path: string; isFolder: boolean };
  repositories: IRepository[];
  initial: ICopyValue;
  error: RemotemError | null;
  onChange: (value: ICopyValue) => void;
}): JSX.Element {
  const { api, source, repositories } = props;
  const trans = useTranslation();
  const [value, setValue] = useState<ICopyValue>(props.initial);
  const [quote, setQuote] = useState<IJobQuote | null>(null);
  const [quoteError, setQuoteError] = useState<RemotemError | null>(null);

  useEffect(() => props.onChange(value), [value]);

  useEffect(() => {
    setQuote(null);
    setQuoteError(null);
    if (!value.repository || !value.path.trim()) {
      return;
    }
    const controller = new AbortController();
    const timer = setTimeout(() => {
      api
        .quoteJob(copyRequest(source, value), controller.signal)
        .then(setQuote)
        .catch(reason => {
          if (!isAbort(reason)) {
            setQuoteError(RemotemError.from(reason));
          }
        });
    }, QUOTE_DELAY);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [api, source, value.repository, value.path]);

  const setRepository = (repository: string) =>
    setValue(current => ({
      repository,
      // Follow the repository while the path is still the suggested one.
      path:
        current.path ===
        defaultCopyPath(source.path, source.repository, current.repository)
          ? defaultCopyPath(source.path, source.repository, repository)
          : current.path
    }));

  return (
    <div className="jp-remotem-copy-form">
      <div className="jp-remotem-copy-source">
        <span>
          {source.isFolder
            ? trans.__('Copy the folder')
            : trans.__('Copy the file')}
        </span>{' '}
        <code>{`${source.repository}:${source.path}`}</code>
      </div>
      <label className="jp-remotem-field">
        <span>{trans.__('Target repository')}</span>
        <select
          className="jp-remotem-select jp-remotem-copy-repository"
          value={value.repository}
          onChange={event => setRepository(event.target.value)}
        >
          {repositories.map(repository => (
            <option key={repository.name} value={repository.name}>
              {repository.description
                ? `${repository.name} — ${repository.description}`
                : repository.name}
            </option>
          ))}
        </select>
      </label>
      <label className="jp-remotem-field">
        <span>{trans.__('Target path')}</span>
        <input
          className="jp-mod-styled jp-remotem-copy-path"
          type="text"
          spellCheck={false}
          value={value.path}
          onChange={event => {
            const path = event.target.value;
            setValue(current => ({ ...current, path }));
          }}
        />
      </label>
      <div className="jp-remotem-copy-quote" aria-live="polite">
        {quote && describeQuote(trans, quote)}
        {quoteError && <ErrorMessage error={quoteError} />}
      </div>
      {props.error && <ErrorMessage error={props.error} />}
    </div>
  );
}

function copyRequest(
  source: { repository: string; path: string },
  target: ICopyValue
): ICopyRequest {
  return {
    operation: 'copy',
    source: { repository: source.repository, path: source.path },
    target: { repository: target.repository, path: target.path.trim() },
    priority: 0
  };
}

class CopyBody extends ReactWidget implements Dialog.IBodyWidget<ICopyValue> {
  constructor(
    private _trans: TranslationBundle,
    private _props: Omit<React.ComponentProps<typeof CopyForm>, 'onChange'>
  ) {
    super();
    this.addClass('jp-remotem-copy-dialog');
    this._value = _props.initial;
  }

  getValue(): ICopyValue {
    return this._value;
  }

  protected onAfterAttach(msg: any): void {
    super.onAfterAttach(msg);
    // Focus the path once React has rendered it.
    requestAnimationFrame(() => {
      const input = this.node.querySelector<HTMLInputElement>('input');
      input?.focus();
      input?.select();
    });
  }

  render(): JSX.Element {
    return (
      <TranslationContext.Provider value={this._trans}>
        <CopyForm
          {...this._props}
          onChange={value => {
            this._value = value;
          }}
        />
      </TranslationContext.Provider>
    );
  }

  private _value: ICopyValue;
}

/**
 * Ask where to copy `source` and submit the copy job. Resolves with the job, or
 * null when the user cancelled. Server refusals reopen the dialog with the message.
 */
export async function copyTo(
  api: RemotemAPI,
  trans: TranslationBundle,
  source: { repository: string; path: string; isFolder: boolean }
): Promise<IJob | null> {
  const all = await api.listRepositories();
  const writable = all.filter(repository => repository.writable);
  if (!writable.length) {
    await showDialog({
      title: trans.__('No writable repository'),
      body: trans.__(
        'None of the configured repositories is writable. Mark one with "writable": true in c.RemotemApp.repositories.'
      ),
      buttons: [Dialog.okButton({ label: trans.__('OK') })]
    });
    return null;
  }
  // Another repository by default; the same one (under a new name) if it is the only one.
  const preferred =
    writable.find(repository => repository.name !== source.repository) ??
    writable[0];
  let value: ICopyValue = {
    repository: preferred.name,
    path: defaultCopyPath(source.path, source.repository, preferred.name)
  };
  let error: RemotemError | null = null;
  for (;;) {
    const body = new CopyBody(trans, {
      api,
      source,
      repositories: writable,
      initial: value,
      error
    });
    const result = await showDialog<ICopyValue>({
      title: trans.__('Copy to…'),
      body,
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.okButton({ label: trans.__('Copy') })
      ],
      focusNodeSelector: 'input'
    });
    if (!result.button.accept || !result.value) {
      return null;
    }
    value = result.value;
    if (!value.path.trim()) {
      error = new RemotemError(
        trans.__('Choose a target path.'),
        0,
        'invalid',
        null
      );
      continue;
    }
    try {
      return await api.submitJob(copyRequest(source, value));
    } catch (reason) {
      error = RemotemError.from(reason);
    }
  }
}
