/**
 * "Save result…": where (any writable repository; the last save's repository and
 * folder first), under which name and in which format the shown result is written.
 * The server saves it at once when it is small (a picked frame, an FFT, an image)
 * and as a job otherwise, so that even a whole-dataset result never blocks the page.
 * A name already taken is said before submitting, with "Replace" and a free name.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import React, { useEffect, useState } from 'react';

import {
  IJobOutput,
  IPictureOptions,
  IRepository,
  ISaveDryRun,
  OutputFormat,
  RemotemError
} from '../api';
import {
  explainNoWritableRepository,
  askForm,
  Refusals,
  useQuotaVerdict
} from '../dialogs';
import { useTranslation } from '../i18n';
import { ChoiceField, PathField, targetChoices } from '../widgets';
import type { SaveWhat } from './model';
import {
  ISaveValue,
  lastSavePlace,
  nameOf,
  placedInitial,
  rememberSavePlace,
  renamed,
  saveTargets,
  withEnding
} from './outputs';

/** The picture size offered first, when the server does not say. */
const DEFAULT_PICTURE_SIZE = 512;

function SaveForm(props: {
  repositories: IRepository[];
  initial: ISaveValue;
  frameAvailable: boolean;
  note: string | null;
  error: RemotemError | null;
  quote: SaveQuote | null;
  nameFor: ((what: SaveWhat) => string) | null;
  onChange: (value: ISaveValue) => void;
}): JSX.Element {
  const trans = useTranslation();
  const [value, setValue] = useState<ISaveValue>(props.initial);
  useEffect(() => props.onChange(value), [value]);
  const { quote, nameFor } = props;
  const path = value.path.trim();
  const { dryRun, refusal, form } = useQuotaVerdict(
    quote && path && value.repository
      ? signal => quote(outputOf(value), value.what, signal, value.picture)
      : null,
    JSON.stringify(value)
  );
  const target = (dryRun as ISaveDryRun | null)?.target ?? null;
  const taken = !!target?.exists && !value.replace;
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
          onChange={what =>
            setValue(current => ({
              ...current,
              what,
              replace: false,
              path: nameFor
                ? renamed(current.path, nameFor(what), current.format)
                : current.path
            }))
          }
        />
      )}
      <ChoiceField
        label={trans.__('Repository')}
        className="jp-remotem-save-repository"
        value={value.repository}
        options={targetChoices(trans, props.repositories)}
        onChange={repository =>
          setValue(current => ({ ...current, repository, replace: false }))
        }
      />
      <PathField
        label={trans.__('Path')}
        className="jp-remotem-save-path"
        value={value.path}
        onChange={path =>
          setValue(current => ({ ...current, path, replace: false }))
        }
      />
      {taken && (
        <div className="jp-remotem-save-exists" role="alert">
          <span>{trans.__('“%1” already exists.', nameOf(path))}</span>
          <button
            type="button"
            className="jp-Button jp-mod-styled jp-mod-warn jp-remotem-save-replace"
            onClick={() => setValue(current => ({ ...current, replace: true }))}
          >
            {trans.__('Replace')}
          </button>
          {target?.free_path && (
            <button
              type="button"
              className="jp-Button jp-mod-styled jp-remotem-save-free"
              onClick={() =>
                setValue(current => ({
                  ...current,
                  path: target.free_path ?? current.path,
                  replace: false
                }))
              }
            >
              {trans.__('Save as %1', nameOf(target.free_path))}
            </button>
          )}
        </div>
      )}
      {value.replace && (
        <div className="jp-remotem-note jp-remotem-save-replacing">
          {trans.__('The existing “%1” will be replaced.', nameOf(path))}
        </div>
      )}
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
      {value.format === 'png' && (
        <PictureFields
          picture={value.picture ?? {}}
          onChange={picture => setValue(current => ({ ...current, picture }))}
        />
      )}
      <Refusals
        refusal={refusal}
        error={props.error}
        edited={value !== props.initial}
      />
    </div>
  );
}

/**
 * A PNG's size (longest side, pixels), scale bar and colour bar.
 */
function PictureFields(props: {
  picture: IPictureOptions;
  onChange: (picture: IPictureOptions) => void;
}): JSX.Element {
  const trans = useTranslation();
  const { picture } = props;
  return (
    <fieldset className="jp-remotem-save-picture">
      <label className="jp-remotem-field">
        <span>{trans.__('Size (longest side, px)')}</span>
        <input
          className="jp-mod-styled jp-remotem-save-size"
          type="number"
          min={16}
          max={8192}
          step={1}
          value={picture.size ?? ''}
          onChange={event => {
            const size = Math.round(Number(event.target.value));
            props.onChange({
              ...picture,
              size: Number.isFinite(size) && size > 0 ? size : undefined
            });
          }}
        />
      </label>
      <label className="jp-remotem-check">
        <input
          type="checkbox"
          className="jp-remotem-save-scalebar"
          checked={!!picture.scaleBar}
          onChange={event =>
            props.onChange({ ...picture, scaleBar: event.target.checked })
          }
        />
        {trans.__('Scale bar')}
      </label>
      <label className="jp-remotem-check">
        <input
          type="checkbox"
          className="jp-remotem-save-colourbar"
          checked={!!picture.colourBar}
          onChange={event =>
            props.onChange({ ...picture, colourBar: event.target.checked })
          }
        />
        {trans.__('Colour bar')}
      </label>
    </fieldset>
  );
}

/**
 * Asks the server whether saving `output` fits the quota and whether its name is
 * taken (a dry run).
 */
export type SaveQuote = (
  output: IJobOutput,
  what: SaveWhat,
  signal: AbortSignal,
  picture?: IPictureOptions
) => Promise<ISaveDryRun>;

function outputOf(value: ISaveValue): IJobOutput {
  return {
    repository: value.repository,
    path: value.path.trim(),
    format: value.format,
    ...(value.replace ? { overwrite: true } : {})
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
  /** Tells before submitting that a job would not fit the quota, or the name is taken. */
  quote?: SaveQuote;
  /** The suggested name (a path) of each result, followed when the Result changes. */
  nameFor?: (what: SaveWhat) => string;
  /** The picture size offered first for a PNG. */
  pictureSize?: number;
  submit: (
    output: IJobOutput,
    what: SaveWhat,
    picture?: IPictureOptions
  ) => Promise<T>;
}): Promise<T | null> {
  const { trans } = options;
  const targets = saveTargets(options.repositories);
  if (!targets.length) {
    await explainNoWritableRepository(trans);
    return null;
  }
  let value: ISaveValue = placedInitial(
    {
      ...options.initial,
      picture: options.initial.picture ?? {
        size: options.pictureSize ?? DEFAULT_PICTURE_SIZE,
        scaleBar: true,
        colourBar: false
      }
    },
    targets,
    lastSavePlace()
  );
  let error: RemotemError | null = null;
  for (;;) {
    const props = {
      repositories: targets,
      initial: value,
      frameAvailable: options.frameAvailable,
      note: options.note ?? null,
      quote: options.quote ?? null,
      nameFor: options.nameFor ?? null,
      error
    };
    const answer = await askForm<ISaveValue>({
      trans,
      title: options.title,
      accept: trans.__('Save'),
      value,
      form: onChange => <SaveForm {...props} onChange={onChange} />,
      className: 'jp-remotem-save-dialog'
    });
    if (!answer) {
      return null;
    }
    value = answer;
    const path = value.path.trim();
    if (!path) {
      error = new RemotemError(trans.__('Choose a path.'), 0, 'invalid', null);
      continue;
    }
    try {
      const answer = await options.submit(
        outputOf(value),
        value.what,
        value.format === 'png' ? value.picture : undefined
      );
      rememberSavePlace(value.repository, path);
      return answer;
    } catch (reason) {
      error = RemotemError.from(reason);
    }
  }
}
