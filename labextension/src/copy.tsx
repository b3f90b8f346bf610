/**
 * "Copy to…": a dialog that picks a writable repository and a path, shows the server's
 * quote, and submits a copy job.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import React, { useEffect, useState } from 'react';

import {
  ICopyRequest,
  IJob,
  IJobQuote,
  IRepository,
  RemotemAPI,
  RemotemError
} from './api';
import { formatBytes, formatMoney } from './format';
import { useTranslation } from './i18n';
import {
  explainNoWritableRepository,
  askForm,
  Refusals,
  useQuotaVerdict
} from './dialogs';
import { defaultCopyPath, formatDuration } from './jobstate';
import { ChoiceField, ErrorMessage, PathField } from './widgets';

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
  if (quote.cost) {
    parts.push(formatMoney(quote.cost.amount, quote.cost.currency));
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

  useEffect(() => props.onChange(value), [value]);

  const {
    dryRun,
    error: quoteError,
    refusal,
    form
  } = useQuotaVerdict(
    value.repository && value.path.trim()
      ? signal => api.quoteJob(copyRequest(source, value), signal)
      : null,
    JSON.stringify(copyRequest(source, value))
  );
  const quote = dryRun?.quote ?? null;

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
    <div className="jp-remotem-copy-form" ref={form}>
      <div className="jp-remotem-copy-source">
        <span>
          {source.isFolder
            ? trans.__('Copy the folder')
            : trans.__('Copy the file')}
        </span>{' '}
        <code>{`${source.repository}:${source.path}`}</code>
      </div>
      <ChoiceField
        label={trans.__('Target repository')}
        className="jp-remotem-copy-repository"
        value={value.repository}
        options={[
          // Until the user has chosen: no repository is picked for them.
          ...(value.repository
            ? []
            : [{ value: '', label: trans.__('Choose a repository…') }]),
          ...repositories.map(repository => ({
            value: repository.name,
            label: repository.description
              ? `${repository.name} — ${repository.description}`
              : repository.name
          }))
        ]}
        onChange={setRepository}
      />
      <PathField
        label={trans.__('Target path')}
        className="jp-remotem-copy-path"
        value={value.path}
        onChange={path => setValue(current => ({ ...current, path }))}
      />
      <div className="jp-remotem-copy-quote" aria-live="polite">
        {quote && describeQuote(trans, quote)}
        {quoteError && <ErrorMessage error={quoteError} />}
      </div>
      <Refusals
        refusal={refusal}
        error={props.error}
        edited={value !== props.initial}
      />
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
    await explainNoWritableRepository(trans);
    return null;
  }
  // The source's own repository (under a new name) when it is writable; otherwise the
  // user picks one: a copy never lands in a repository nobody chose.
  const same = writable.find(
    repository => repository.name === source.repository
  );
  let value: ICopyValue = same
    ? {
        repository: same.name,
        path: defaultCopyPath(source.path, source.repository, same.name)
      }
    : { repository: '', path: source.path };
  let error: RemotemError | null = null;
  for (;;) {
    const props = {
      api,
      source,
      repositories: writable,
      initial: value,
      error
    };
    const answer = await askForm<ICopyValue>({
      trans,
      title: trans.__('Copy to…'),
      accept: trans.__('Copy'),
      value,
      form: onChange => <CopyForm {...props} onChange={onChange} />,
      className: 'jp-remotem-copy-dialog'
    });
    if (!answer) {
      return null;
    }
    value = answer;
    if (!value.repository) {
      error = new RemotemError(
        trans.__('Choose a target repository.'),
        0,
        'invalid',
        null
      );
      continue;
    }
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
