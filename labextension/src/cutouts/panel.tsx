/**
 * The Sky cutouts panel: a form built from the server's declared parameters, a preview
 * that follows what is typed (and waits, asking the survey listing, while a survey's first
 * footprint index is built), a FITS download, and batches (from a 413's proposed call or
 * a CSV of positions) followed to their manifest.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import React, { useEffect, useRef, useState } from 'react';

import { IJob, isAbort } from '../api';
import { TranslationContext, useTranslation } from '../i18n';
import { isFinal } from '../jobstate';
import { Spinner } from '../widgets';
import { CutoutsClient, xsrfCookie } from './client';
import { cutoutsIcon } from './icon';
import {
  choicesOf,
  cutoutParameters,
  CutoutError,
  errorLines,
  formProblem,
  IBatchBody,
  ICutoutForm,
  ICutoutSchema,
  IManifestRow,
  indexFraction,
  indexingText,
  initialForm,
  isIndexPending,
  isPicture,
  isResample,
  ISurvey,
  manifestSummary,
  nextIndexStep,
  pixscalePlaceholder,
  planesOf,
  previewParameters,
  retryAfterMs,
  tableBatch
} from './model';

/** Quiet time after the last keystroke before the preview is asked for, in ms. */
export const PREVIEW_DEBOUNCE_MS = 400;
/** How often a running batch is asked about, in ms. */
export const JOB_POLL_MS = 1000;

function asCutoutError(reason: unknown): CutoutError {
  if (reason instanceof CutoutError) {
    return reason;
  }
  return new CutoutError(
    reason instanceof Error ? reason.message : String(reason),
    0,
    'client_error',
    null
  );
}

function Refusal(props: {
  error: CutoutError;
  onBatch?: () => void;
  busy?: boolean;
}): JSX.Element {
  const trans = useTranslation();
  const lines = errorLines(props.error);
  return (
    <div
      className="jp-remotem-error jp-remotem-cutouts-error"
      role="alert"
      data-status={props.error.status}
      data-code={props.error.code}
    >
      <div className="jp-remotem-error-message">{lines.message}</div>
      {lines.hint && <div className="jp-remotem-error-hint">{lines.hint}</div>}
      {lines.quote && (
        <div className="jp-remotem-cutouts-quote">{lines.quote}</div>
      )}
      {props.onBatch && (
        <button
          className="jp-Button jp-mod-styled jp-mod-accept jp-remotem-cutouts-submit-batch"
          onClick={props.onBatch}
          disabled={props.busy}
        >
          {trans.__('Submit as batch')}
        </button>
      )}
    </div>
  );
}

/**
 * The preview waiting for a survey's first index: the 503 that said so, since when, and
 * when the listing is asked again (its Retry-After).
 */
interface IIndexWait {
  refusal: CutoutError;
  since: number;
  afterMs: number;
}

function TextField(props: {
  label: string;
  name: string;
  value: string;
  placeholder?: string;
  onChange: (value: string) => void;
}): JSX.Element {
  return (
    <label className="jp-remotem-cutouts-field">
      <span>{props.label}</span>
      <input
        className="jp-mod-styled"
        name={props.name}
        inputMode="decimal"
        value={props.value}
        placeholder={props.placeholder}
        onChange={event => props.onChange(event.target.value)}
      />
    </label>
  );
}

function Select(props: {
  label: string;
  name: string;
  value: string;
  options: string[];
  onChange: (value: string) => void;
  disabled?: boolean;
}): JSX.Element {
  return (
    <label className="jp-remotem-cutouts-field">
      <span>{props.label}</span>
      <select
        className="jp-mod-styled"
        name={props.name}
        value={props.value}
        disabled={props.disabled}
        onChange={event => props.onChange(event.target.value)}
      >
        {props.options.map(option => (
          <option key={option} value={option}>
            {option}
          </option>
        ))}
      </select>
    </label>
  );
}

/** A batch's job followed to its end, then its manifest. */
function BatchJob(props: { client: CutoutsClient; job: IJob }): JSX.Element {
  const trans = useTranslation();
  const { client } = props;
  const [job, setJob] = useState<IJob>(props.job);
  const [rows, setRows] = useState<IManifestRow[] | null>(null);
  const [error, setError] = useState<CutoutError | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    let timer = 0;
    const follow = async (): Promise<void> => {
      try {
        const now = await client.job(props.job.id, controller.signal);
        setJob(now);
        if (!isFinal(now.phase)) {
          timer = window.setTimeout(follow, JOB_POLL_MS);
        } else if (now.phase === 'COMPLETED') {
          setRows(await client.manifest(now.id, controller.signal));
        }
      } catch (reason) {
        if (!controller.signal.aborted && !isAbort(reason)) {
          setError(asCutoutError(reason));
        }
      }
    };
    void follow();
    return () => {
      controller.abort();
      window.clearTimeout(timer);
    };
  }, [props.job.id]);

  const progress = job.progress;
  const fraction =
    progress?.fraction ??
    (progress?.total ? (progress.done ?? 0) / progress.total : null);
  return (
    <div
      className="jp-remotem-cutouts-job"
      data-job-id={job.id}
      data-phase={job.phase}
    >
      <div className="jp-remotem-cutouts-job-head">
        <span>{trans.__('Batch %1', job.id.slice(0, 8))}</span>
        <span className="jp-remotem-cutouts-phase">{job.phase}</span>
        {fraction !== null && !isFinal(job.phase) && (
          <progress max={1} value={fraction} />
        )}
      </div>
      {job.error && (
        <div className="jp-remotem-error-message">{job.error.message}</div>
      )}
      {error && <Refusal error={error} />}
      {rows && (
        <>
          <div className="jp-remotem-cutouts-manifest-head">
            <span>{manifestSummary(rows)}</span>
            <a
              className="jp-remotem-cutouts-zip"
              href={client.zipUrl(job.id, xsrfCookie())}
              download
            >
              {trans.__('Download zip')}
            </a>
          </div>
          <table className="jp-remotem-cutouts-manifest">
            <thead>
              <tr>
                <th>{trans.__('id')}</th>
                <th>{trans.__('status')}</th>
                <th>{trans.__('file')}</th>
                <th>{trans.__('error')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row, k) => (
                <tr key={k} data-status={row.status}>
                  <td>{row.id}</td>
                  <td>{row.status}</td>
                  <td title={row.file}>{row.file}</td>
                  <td title={row.error}>{row.error}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}

function CutoutsForm(props: {
  client: CutoutsClient;
  surveys: ISurvey[];
  schema: ICutoutSchema;
}): JSX.Element {
  const trans = useTranslation();
  const { client, schema } = props;
  // The listing, asked again while a survey's index is built (its state and progress).
  const [surveys, setSurveys] = useState<ISurvey[]>(props.surveys);
  const [form, setForm] = useState<ICutoutForm>(() =>
    initialForm(schema, props.surveys[0])
  );
  const [image, setImage] = useState<string | null>(null);
  const [previewError, setPreviewError] = useState<CutoutError | null>(null);
  const [loading, setLoading] = useState(false);
  const [table, setTable] = useState('');
  const [batchError, setBatchError] = useState<CutoutError | null>(null);
  const [jobs, setJobs] = useState<IJob[]>([]);
  const [submitting, setSubmitting] = useState(false);
  const [indexWait, setIndexWait] = useState<IIndexWait | null>(null);
  /** Bumped to ask for the same preview again (its survey's index is ready now). */
  const [attempt, setAttempt] = useState(0);
  const imageRef = useRef<string | null>(null);

  const survey = surveys.find(s => s.name === form.survey) ?? surveys[0];
  const update = (change: Partial<ICutoutForm>) =>
    setForm(old => ({ ...old, ...change }));
  const problem = formProblem(form);

  const showImage = (url: string | null) => {
    if (imageRef.current) {
      URL.revokeObjectURL(imageRef.current);
    }
    imageRef.current = url;
    setImage(url);
  };
  useEffect(() => () => showImage(null), []);

  // The preview follows the form: asked for after a pause in typing, the previous
  // request cancelled when a newer one supersedes it.
  let previewKey = '';
  let previewQuery: Record<string, string> | null = null;
  if (!problem) {
    previewQuery = previewParameters(schema, form);
    previewKey = JSON.stringify(previewQuery);
  }
  useEffect(() => setIndexWait(null), [previewKey]); // another cutout: another wait
  useEffect(() => {
    if (!previewQuery) {
      setLoading(false);
      return;
    }
    const query = previewQuery;
    const controller = new AbortController();
    const timer = window.setTimeout(async () => {
      setLoading(true);
      try {
        const blob = await client.cutout(query, controller.signal);
        if (!controller.signal.aborted) {
          showImage(URL.createObjectURL(blob));
          setPreviewError(null);
          setIndexWait(null);
        }
      } catch (reason) {
        if (!controller.signal.aborted && !isAbort(reason)) {
          const error = asCutoutError(reason);
          showImage(null);
          if (isIndexPending(error)) {
            // Not a failed preview: the survey is being indexed; wait for it (below).
            setPreviewError(null);
            setIndexWait(old => ({
              refusal: error,
              since: old?.since ?? Date.now(),
              afterMs: retryAfterMs(error)
            }));
          } else {
            setIndexWait(null);
            setPreviewError(error);
          }
        }
      } finally {
        if (!controller.signal.aborted) {
          setLoading(false);
        }
      }
    }, PREVIEW_DEBOUNCE_MS);
    return () => {
      window.clearTimeout(timer);
      controller.abort();
    };
  }, [previewKey, attempt]);

  // While the survey's first index is built: the listing asked again after each Retry-After;
  // the preview asked again once the index exists, the 503 shown when it does not come.
  useEffect(() => {
    if (!indexWait) {
      return;
    }
    const wait = indexWait;
    const controller = new AbortController();
    const timer = window.setTimeout(async () => {
      try {
        const listed = await client.surveys(controller.signal);
        if (controller.signal.aborted) {
          return;
        }
        if (listed.length) {
          setSurveys(listed);
        }
        const index = listed.find(s => s.name === form.survey)?.index;
        const step = nextIndexStep(
          wait.refusal,
          index,
          Date.now() - wait.since
        );
        if (step.action === 'retry') {
          setAttempt(n => n + 1);
        } else if (step.action === 'poll') {
          setIndexWait({ ...wait, afterMs: step.afterMs });
        } else {
          setIndexWait(null);
          setPreviewError(wait.refusal);
        }
      } catch (reason) {
        if (!controller.signal.aborted && !isAbort(reason)) {
          setIndexWait(null);
          setPreviewError(asCutoutError(reason));
        }
      }
    }, wait.afterMs);
    return () => {
      window.clearTimeout(timer);
      controller.abort();
    };
  }, [indexWait]);

  const submit = async (body: IBatchBody) => {
    setBatchError(null);
    setSubmitting(true);
    try {
      const job = await client.submit(body);
      setJobs(old => [job, ...old]);
    } catch (reason) {
      setBatchError(asCutoutError(reason));
    } finally {
      setSubmitting(false);
    }
  };
  const batchCall =
    previewError?.status === 413 ? previewError.details.batch : null;

  // Planes are offered for FITS only: with a picture chosen, the download has none.
  const planes = planesOf(schema, survey, form.format);
  let fitsUrl: string | null = null;
  if (!problem) {
    fitsUrl = client.syncUrl(
      cutoutParameters(schema, {
        ...form,
        format: 'fits',
        planes: form.planes.filter(plane => planes.includes(plane))
      }),
      xsrfCookie()
    );
  }
  const picture = isPicture(form.format);
  const resample = isResample(form);
  const indexing = indexWait !== null && !previewError;
  const indexProgress = indexing ? indexFraction(survey?.index) : null;

  return (
    <div className="jp-remotem-cutouts-body">
      <div className="jp-remotem-cutouts-form">
        <Select
          label={trans.__('Survey')}
          name="survey"
          value={form.survey}
          options={surveys.map(s => s.name)}
          onChange={name => {
            const next = surveys.find(s => s.name === name);
            if (next) {
              setForm(old => ({
                ...initialForm(schema, next),
                size: old.size,
                unit: old.unit,
                algorithm: old.algorithm,
                format: old.format,
                stretch: old.stretch,
                cmap: old.cmap,
                pixscale: old.pixscale,
                rotation: old.rotation,
                interpolation: old.interpolation,
                planes: old.planes.filter(plane =>
                  (next.planes ?? []).includes(plane)
                )
              }));
            }
          }}
        />
        {survey?.description && (
          <div className="jp-remotem-cutouts-note">{survey.description}</div>
        )}
        <div className="jp-remotem-cutouts-row">
          <label className="jp-remotem-cutouts-field">
            <span>{trans.__('RA')}</span>
            <input
              className="jp-mod-styled"
              name="ra"
              value={form.ra}
              placeholder={trans.__('150.0 or 10:00:00')}
              onChange={event => update({ ra: event.target.value })}
            />
          </label>
          <label className="jp-remotem-cutouts-field">
            <span>{trans.__('Dec')}</span>
            <input
              className="jp-mod-styled"
              name="dec"
              value={form.dec}
              placeholder={trans.__('2.0 or +02:00:00')}
              onChange={event => update({ dec: event.target.value })}
            />
          </label>
        </div>
        <div className="jp-remotem-cutouts-row">
          <label className="jp-remotem-cutouts-field">
            <span>{trans.__('Size')}</span>
            <input
              className="jp-mod-styled"
              name="size"
              type="number"
              min={0}
              value={form.size}
              onChange={event => update({ size: event.target.value })}
            />
          </label>
          <Select
            label={trans.__('Unit')}
            name="unit"
            value={form.unit}
            options={schema.units}
            onChange={unit => update({ unit })}
          />
        </div>
        <fieldset className="jp-remotem-cutouts-bands">
          <legend>{trans.__('Bands')}</legend>
          {(survey?.bands ?? []).map(band => (
            <label key={band}>
              <input
                type="checkbox"
                name={`band-${band}`}
                checked={form.bands.includes(band)}
                onChange={event =>
                  update({
                    bands: event.target.checked
                      ? (survey?.bands ?? []).filter(
                          b => b === band || form.bands.includes(b)
                        )
                      : form.bands.filter(b => b !== band)
                  })
                }
              />
              {band}
            </label>
          ))}
        </fieldset>
        <div className="jp-remotem-cutouts-row">
          <Select
            label={trans.__('Algorithm')}
            name="algorithm"
            value={form.algorithm}
            options={choicesOf(schema, 'algorithm')}
            onChange={algorithm => update({ algorithm })}
          />
          <Select
            label={trans.__('Format')}
            name="format"
            value={form.format}
            options={choicesOf(schema, 'format')}
            onChange={format => update({ format })}
          />
        </div>
        {resample && (
          <div className="jp-remotem-cutouts-row jp-remotem-cutouts-resample">
            <TextField
              label={trans.__('Pixel scale (″/px)')}
              name="pixscale"
              value={form.pixscale}
              placeholder={pixscalePlaceholder(survey)}
              onChange={pixscale => update({ pixscale })}
            />
            <TextField
              label={trans.__('Rotation (°)')}
              name="rotation"
              value={form.rotation}
              placeholder="0"
              onChange={rotation => update({ rotation })}
            />
            <Select
              label={trans.__('Interpolation')}
              name="interpolation"
              value={form.interpolation}
              options={choicesOf(schema, 'interpolation')}
              onChange={interpolation => update({ interpolation })}
            />
          </div>
        )}
        {planes.length > 0 && (
          <fieldset className="jp-remotem-cutouts-bands jp-remotem-cutouts-planes">
            <legend>{trans.__('Planes')}</legend>
            {planes.map(plane => (
              <label key={plane}>
                <input
                  type="checkbox"
                  name={`plane-${plane}`}
                  checked={form.planes.includes(plane)}
                  onChange={event =>
                    update({
                      planes: event.target.checked
                        ? planes.filter(
                            p => p === plane || form.planes.includes(p)
                          )
                        : form.planes.filter(p => p !== plane)
                    })
                  }
                />
                {plane}
              </label>
            ))}
          </fieldset>
        )}
        <div className="jp-remotem-cutouts-row">
          <Select
            label={trans.__('Stretch')}
            name="stretch"
            value={form.stretch}
            options={choicesOf(schema, 'stretch')}
            onChange={stretch => update({ stretch })}
          />
          <Select
            label={trans.__('Colormap')}
            name="cmap"
            value={form.cmap}
            options={choicesOf(schema, 'cmap')}
            disabled={form.bands.length > 1}
            onChange={cmap => update({ cmap })}
          />
        </div>
        {!picture && (
          <div className="jp-remotem-cutouts-note">
            {trans.__(
              'The preview is a PNG with this stretch and colormap; the download is %1.',
              form.format.toUpperCase()
            )}
          </div>
        )}
      </div>
      <div className="jp-remotem-cutouts-preview" aria-busy={loading}>
        {problem && <div className="jp-remotem-cutouts-note">{problem}</div>}
        {loading && !indexing && <Spinner label={trans.__('Cutting…')} />}
        {indexing && (
          <div
            className="jp-remotem-cutouts-indexing"
            data-job={survey?.index?.job ?? ''}
          >
            <Spinner label={indexingText(survey?.index)} />
            {indexProgress !== null && (
              <progress max={1} value={indexProgress} />
            )}
          </div>
        )}
        {image && !previewError && !indexing && (
          <img
            className="jp-remotem-cutouts-image"
            src={image}
            alt={trans.__('Preview of the cutout')}
          />
        )}
        {previewError && (
          <Refusal
            error={previewError}
            busy={submitting}
            onBatch={batchCall ? () => void submit(batchCall.body) : undefined}
          />
        )}
        {fitsUrl && (
          <a
            className="jp-remotem-cutouts-fits"
            href={fitsUrl}
            download
            aria-disabled={!!previewError || indexing}
          >
            {trans.__('Download FITS')}
          </a>
        )}
      </div>
      <div className="jp-remotem-cutouts-batch">
        <h3>{trans.__('Batch from a CSV')}</h3>
        <div className="jp-remotem-cutouts-note">
          {trans.__(
            'A table with id, ra, dec columns; any other column overrides the form for its row.'
          )}
        </div>
        <div className="jp-remotem-cutouts-row">
          <input
            className="jp-mod-styled"
            name="table"
            value={table}
            placeholder={trans.__('notebooks:positions.csv')}
            onChange={event => setTable(event.target.value)}
          />
          <button
            className="jp-Button jp-mod-styled jp-mod-accept jp-remotem-cutouts-submit-table"
            disabled={submitting}
            onClick={() => {
              try {
                void submit(tableBatch(schema, form, table));
              } catch (reason) {
                setBatchError(asCutoutError(reason));
              }
            }}
          >
            {trans.__('Submit')}
          </button>
        </div>
        {batchError && <Refusal error={batchError} />}
        {jobs.map(job => (
          <BatchJob key={job.id} client={client} job={job} />
        ))}
      </div>
    </div>
  );
}

function CutoutsView(props: { client: CutoutsClient }): JSX.Element {
  const trans = useTranslation();
  const [loaded, setLoaded] = useState<{
    surveys: ISurvey[];
    schema: ICutoutSchema;
  } | null>(null);
  const [error, setError] = useState<CutoutError | null>(null);
  useEffect(() => {
    const controller = new AbortController();
    Promise.all([
      props.client.surveys(controller.signal),
      props.client.parameters(controller.signal)
    ])
      .then(([surveys, schema]) => setLoaded({ surveys, schema }))
      .catch(reason => {
        if (!controller.signal.aborted && !isAbort(reason)) {
          setError(asCutoutError(reason));
        }
      });
    return () => controller.abort();
  }, []);
  return (
    <div className="jp-remotem-cutouts">
      <h2 className="jp-remotem-heading">{trans.__('Sky cutouts')}</h2>
      {error && <Refusal error={error} />}
      {!loaded && !error && <Spinner />}
      {loaded && loaded.surveys.length === 0 && (
        <div className="jp-remotem-cutouts-note">
          {trans.__('There is no survey you may use.')}
        </div>
      )}
      {loaded && loaded.surveys.length > 0 && (
        <CutoutsForm
          client={props.client}
          surveys={loaded.surveys}
          schema={loaded.schema}
        />
      )}
    </div>
  );
}

/** The left-sidebar widget. */
export class CutoutsPanel extends ReactWidget {
  constructor(
    private _client: CutoutsClient,
    private _trans: TranslationBundle
  ) {
    super();
    this.id = 'jupyter-remotem:cutouts';
    this.addClass('jp-remotem-cutouts-panel');
    this.title.icon = cutoutsIcon;
    this.title.caption = _trans.__('Sky cutouts');
  }

  render(): JSX.Element {
    return (
      <TranslationContext.Provider value={this._trans}>
        <CutoutsView client={this._client} />
      </TranslationContext.Provider>
    );
  }
}
