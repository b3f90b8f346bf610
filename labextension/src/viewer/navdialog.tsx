/**
 * "Saved result…": which result saved earlier the navigation image shows. Offers the
 * array files of the user's finished jobs on the viewed dataset, or any file typed
 * as repository:path; says the chosen file's shape against the scan's, and for a
 * stack of images which plane to show. The viewer checks the choice again before it
 * takes it (a file can change), and says there why one does not fit.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import React, { useCallback, useEffect, useId, useState } from 'react';

import { isAbort, RemotemAPI, RemotemError } from '../api';
import { askForm, QUOTE_DELAY } from '../dialogs';
import { formatDate, formatShape } from '../format';
import { useTranslation } from '../i18n';
import { ChoiceField, ErrorMessage, ListState, PathField } from '../widgets';
import {
  fitResult,
  INavCandidate,
  navCandidates,
  parseResultLocation,
  resultLocationText
} from './navresult';
import { INavResult, ISource } from './state';

/** What the form holds: the location as typed (or picked) and the plane. */
interface INavChoice {
  text: string;
  channel: number;
}

/** What the metadata said about the location typed, or why it could not be read. */
type Inspected =
  | { key: string; shape: number[]; format: string }
  | { key: string; error: RemotemError };

interface IFormProps {
  api: RemotemAPI;
  source: ISource;
  navShape: number[];
  initial: INavChoice;
  error: RemotemError | null;
  onChange: (value: INavChoice) => void;
}

/**
 * The finished jobs' results on the viewed dataset (null while they are read).
 */
function useCandidates(
  api: RemotemAPI,
  source: ISource
): {
  candidates: INavCandidate[] | null;
  error: RemotemError | null;
  reload: () => void;
} {
  const [candidates, setCandidates] = useState<INavCandidate[] | null>(null);
  const [error, setError] = useState<RemotemError | null>(null);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    const controller = new AbortController();
    setError(null);
    api
      .listJobs(['COMPLETED'], controller.signal)
      .then(jobs => setCandidates(navCandidates(jobs, source)))
      .catch(reason => {
        if (!isAbort(reason)) {
          setError(RemotemError.from(reason));
        }
      });
    return () => controller.abort();
  }, [api, source, attempt]);
  const reload = useCallback(() => setAttempt(n => n + 1), []);
  return { candidates, error, reload };
}

/**
 * The shape of the array at the typed location, read a moment after the typing stops.
 */
function useInspected(
  api: RemotemAPI,
  location: ReturnType<typeof parseResultLocation>
): Inspected | null {
  const key = location ? resultLocationText(location) : '';
  const [inspected, setInspected] = useState<Inspected | null>(null);
  useEffect(() => {
    if (!location) {
      return;
    }
    const controller = new AbortController();
    const timer = setTimeout(() => {
      api
        .getMeta(
          location.repository,
          location.path,
          location.dataset,
          controller.signal
        )
        .then(meta =>
          setInspected(
            meta.dataset
              ? {
                  key,
                  shape: meta.dataset.shape,
                  format: meta.dataset.format
                }
              : {
                  key,
                  error: new RemotemError(
                    'This file holds no array that can be shown.',
                    0,
                    'no_dataset',
                    null
                  )
                }
          )
        )
        .catch(reason => {
          if (!isAbort(reason)) {
            setInspected({ key, error: RemotemError.from(reason) });
          }
        });
    }, QUOTE_DELAY);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [api, key]);
  return inspected?.key === key ? inspected : null;
}

function NavResultForm(props: IFormProps): JSX.Element {
  const trans = useTranslation();
  const name = useId();
  const [value, setValue] = useState<INavChoice>(props.initial);
  useEffect(() => props.onChange(value), [value]);
  const { candidates, error, reload } = useCandidates(props.api, props.source);
  const location = parseResultLocation(value.text);
  const inspected = useInspected(props.api, location);
  const verdict =
    inspected && 'shape' in inspected
      ? fitResult(inspected.shape, inspected.format, props.navShape, 0)
      : null;
  const channels = verdict && 'fit' in verdict ? verdict.fit.channels : 1;
  return (
    <div className="jp-remotem-navresult-form">
      <fieldset className="jp-remotem-navresult-jobs">
        <legend>
          {trans.__('Results of your finished jobs on this dataset')}
        </legend>
        <ListState
          items={candidates}
          error={error}
          onRetry={reload}
          loading={trans.__('Reading your jobs…')}
          empty={
            <div className="jp-remotem-note">
              {trans.__(
                'None yet: save a result of this dataset (Save result…) as .npy, .h5 or .hspy.'
              )}
            </div>
          }
        >
          {items => (
            <ul className="jp-remotem-navresult-list">
              {items.map(candidate => {
                const text = resultLocationText(candidate);
                return (
                  <li key={`${candidate.jobId}:${text}`}>
                    <label
                      className="jp-remotem-navresult-candidate"
                      data-path={candidate.path}
                      data-repository={candidate.repository}
                    >
                      <input
                        type="radio"
                        name={name}
                        checked={value.text === text}
                        onChange={() => setValue({ text, channel: 0 })}
                      />
                      <span className="jp-remotem-navresult-operation">
                        {candidate.operation}
                      </span>
                      <span className="jp-remotem-navresult-path" title={text}>
                        {candidate.path}
                      </span>
                      <span className="jp-remotem-navresult-date">
                        {formatDate(candidate.date)}
                      </span>
                    </label>
                  </li>
                );
              })}
            </ul>
          )}
        </ListState>
      </fieldset>
      <PathField
        label={trans.__(
          'Result as repository:path (any array of the scan’s shape)'
        )}
        className="jp-remotem-navresult-location"
        value={value.text}
        onChange={text =>
          // Another file: its planes are not those of the last one.
          setValue(current => ({
            text,
            channel: text === current.text ? current.channel : 0
          }))
        }
      />
      <div className="jp-remotem-navresult-shape" aria-live="polite">
        {inspected && 'error' in inspected
          ? inspected.error.message
          : verdict && 'problem' in verdict
            ? verdict.problem
            : inspected && 'shape' in inspected
              ? trans.__(
                  'Shape %1: fits the scan (%2).',
                  formatShape(inspected.shape),
                  formatShape(props.navShape)
                )
              : '\u00a0'}
      </div>
      {channels > 1 && (
        <ChoiceField
          label={trans.__('Channel (plane of the stack)')}
          className="jp-remotem-navresult-channel"
          value={String(Math.min(value.channel, channels - 1))}
          options={Array.from({ length: channels }, (_, i) => ({
            value: String(i),
            label: String(i)
          }))}
          onChange={channel =>
            setValue(current => ({ ...current, channel: Number(channel) }))
          }
        />
      )}
      {props.error && <ErrorMessage error={props.error} />}
    </div>
  );
}

/**
 * Ask which saved result to show as the navigation image of `source` (a scan of
 * `navShape`). Resolves with the choice, or null when cancelled.
 */
export async function askForNavResult(options: {
  trans: TranslationBundle;
  api: RemotemAPI;
  source: ISource;
  navShape: number[];
  current: INavResult | null;
}): Promise<INavResult | null> {
  const { trans, current } = options;
  let value: INavChoice = {
    text: current ? resultLocationText(current) : '',
    channel: current?.channel ?? 0
  };
  let error: RemotemError | null = null;
  for (;;) {
    const props = {
      api: options.api,
      source: options.source,
      navShape: options.navShape,
      initial: value,
      error
    };
    const answer = await askForm<INavChoice>({
      trans,
      title: trans.__('Saved result as navigation image'),
      accept: trans.__('Show'),
      value,
      form: onChange => <NavResultForm {...props} onChange={onChange} />,
      className: 'jp-remotem-navresult-dialog'
    });
    if (!answer) {
      return null;
    }
    value = answer;
    const location = parseResultLocation(value.text);
    if (location) {
      return { ...location, channel: value.channel };
    }
    error = new RemotemError(
      trans.__(
        'Pick a result, or write its repository, a colon, and its path: demo:results/adf.npy'
      ),
      0,
      'invalid',
      null
    );
  }
}
