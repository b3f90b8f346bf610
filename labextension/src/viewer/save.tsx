/**
 * "Save result…": where (any writable repository, the notebook folder first), under
 * which name and in which format the shown result is written. The write itself is
 * a job, so that even a whole-dataset result never blocks the page.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import React, { useEffect, useState } from 'react';

import {
  IJobDryRun,
  IJobOutput,
  IRepository,
  OutputFormat,
  RemotemError
} from '../api';
import {
  explainNoWritableRepository,
  FormBody,
  Refusals,
  useQuotaVerdict
} from '../dialogs';
import { useTranslation } from '../i18n';
import { ChoiceField, PathField } from '../widgets';
import type { SaveWhat } from './model';
import { ISaveValue, saveTargets, withEnding } from './outputs';

function SaveForm(props: {
  repositories: IRepository[];
  initial: ISaveValue;
  frameAvailable: boolean;
  note: string | null;
  error: RemotemError | null;
  quote: SaveQuote | null;
  onChange: (value: ISaveValue) => void;
}): JSX.Element {
  const trans = useTranslation();
  const [value, setValue] = useState<ISaveValue>(props.initial);
  useEffect(() => props.onChange(value), [value]);
  const { quote } = props;
  const path = value.path.trim();
  const { refusal, form } = useQuotaVerdict(
    quote && path && value.repository
      ? signal => quote(outputOf(value), value.what, signal)
      : null,
    JSON.stringify(value)
  );
  return (
    <div className="jp-remotem-save-form" ref={form}>
      {props.note && <div className="jp-remotem-note">{props.note}</div>}
      {props.frameAvailable && (
        <ChoiceField<SaveWhat>
          label={trans.__('Result')}
          className="jp-remotem-save-what"
          value={value.what}
          options={[
            { value: 'nav', label: trans.__('Navigation image') },
            { value: 'frame', label: trans.__('Frame') }
          ]}
          onChange={what => setValue(current => ({ ...current, what }))}
        />
      )}
      <ChoiceField
        label={trans.__('Repository')}
        className="jp-remotem-save-repository"
        value={value.repository}
        options={props.repositories.map(repository => ({
          value: repository.name,
          label: repository.home
            ? trans.__('%1 (your notebook folder)', repository.name)
            : repository.name
        }))}
        onChange={repository =>
          setValue(current => ({ ...current, repository }))
        }
      />
      <PathField
        label={trans.__('Path')}
        className="jp-remotem-save-path"
        value={value.path}
        onChange={path => setValue(current => ({ ...current, path }))}
      />
      <ChoiceField<OutputFormat>
        label={trans.__('Format')}
        className="jp-remotem-save-format"
        value={value.format}
        options={[
          { value: 'hdf5', label: trans.__('HDF5 with provenance (.h5)') },
          { value: 'hspy', label: trans.__('HyperSpy (.hspy)') },
          { value: 'npy', label: trans.__('NumPy array (.npy)') },
          { value: 'tiff', label: trans.__('Float TIFF (.tif)') },
          { value: 'png', label: trans.__('Picture (.png)') }
        ]}
        onChange={format =>
          setValue(current => ({
            ...current,
            format,
            path: withEnding(current.path, format)
          }))
        }
      />
      <Refusals
        refusal={refusal}
        error={props.error}
        edited={value !== props.initial}
      />
    </div>
  );
}

/**
 * Asks the server whether the job writing `output` fits the quota (a dry run).
 */
export type SaveQuote = (
  output: IJobOutput,
  what: SaveWhat,
  signal: AbortSignal
) => Promise<IJobDryRun>;

function outputOf(value: ISaveValue): IJobOutput {
  return {
    repository: value.repository,
    path: value.path.trim(),
    format: value.format
  };
}

/**
 * Ask where to save; `submit` runs the job. Server refusals reopen the dialog with
 * their message. Resolves with what `submit` answered, or null when cancelled.
 */
export async function askToSave<T>(options: {
  trans: TranslationBundle;
  title: string;
  repositories: IRepository[];
  initial: ISaveValue;
  frameAvailable: boolean;
  note?: string | null;
  /** Tells before submitting that a job would not fit the quota. */
  quote?: SaveQuote;
  submit: (output: IJobOutput, what: SaveWhat) => Promise<T>;
}): Promise<T | null> {
  const { trans } = options;
  const targets = saveTargets(options.repositories);
  if (!targets.length) {
    await explainNoWritableRepository(trans);
    return null;
  }
  let value: ISaveValue = targets.some(
    t => t.name === options.initial.repository
  )
    ? options.initial
    : { ...options.initial, repository: targets[0].name };
  let error: RemotemError | null = null;
  for (;;) {
    const props = {
      repositories: targets,
      initial: value,
      frameAvailable: options.frameAvailable,
      note: options.note ?? null,
      quote: options.quote ?? null,
      error
    };
    const body = new FormBody<ISaveValue>(
      trans,
      value,
      onChange => <SaveForm {...props} onChange={onChange} />,
      'jp-remotem-save-dialog'
    );
    const result = await showDialog<ISaveValue>({
      title: options.title,
      body,
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.okButton({ label: trans.__('Save') })
      ],
      focusNodeSelector: 'input'
    });
    if (!result.button.accept || !result.value) {
      return null;
    }
    value = result.value;
    const path = value.path.trim();
    if (!path) {
      error = new RemotemError(trans.__('Choose a path.'), 0, 'invalid', null);
      continue;
    }
    try {
      return await options.submit(outputOf(value), value.what);
    } catch (reason) {
      error = RemotemError.from(reason);
    }
  }
}
