/**
 * A job's details, opened from its row in the Jobs section: what was asked (request),
 * what was estimated (quote), each phase with its time (history), what the worker
 * logged, what it wrote (outputs: shown in the tree or downloaded) and, when it failed,
 * the error with its hint. Fetched from `GET jobs/{id}` when opened and again whenever
 * the job changes while open. A pipeline job also shows its store and, per step, how
 * many of its calls are done, skipped (up to date), failed and pending.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import React, { useEffect, useState } from 'react';

import { IJob, IJobResult, RemotemAPI, RemotemError } from './api';
import { formatBytes, formatDate, formatMoney } from './format';
import { useTranslation } from './i18n';
import { historySteps, requestLines } from './jobfilter';
import { formatDuration, formatLocation } from './jobstate';
import { ErrorMessage } from './widgets';

function requestLabel(trans: TranslationBundle, name: string): string {
  const labels: Record<string, string> = {
    operation: trans.__('Operation'),
    dataset: trans.__('Dataset'),
    'dataset name': trans.__('Array'),
    source: trans.__('Source'),
    target: trans.__('Target'),
    params: trans.__('Parameters'),
    view: trans.__('View'),
    roi: trans.__('Region'),
    output: trans.__('Output'),
    size: trans.__('Size')
  };
  return labels[name] ?? name;
}

/** Where the job runs, when it names one of its owner's clusters. */
export function clusterLines(
  trans: TranslationBundle,
  job: IJob
): [string, string][] {
  return job.cluster
    ? [[trans.__('Runs on'), trans.__('cluster %1', job.cluster)]]
    : [];
}

function quoteLines(trans: TranslationBundle, job: IJob): [string, string][] {
  const quote = job.quote;
  if (!quote) {
    return [];
  }
  const lines: [string, string][] = [];
  if (quote.seconds) {
    lines.push([trans.__('Time'), formatDuration(quote.seconds)]);
  }
  if (quote.bytes_read) {
    lines.push([trans.__('Reads'), formatBytes(quote.bytes_read)]);
  }
  if (quote.bytes_written) {
    lines.push([trans.__('Writes'), formatBytes(quote.bytes_written)]);
  }
  if (quote.cost) {
    lines.push([
      trans.__('Cost'),
      formatMoney(quote.cost.amount, quote.cost.currency)
    ]);
  }
  return lines;
}

/** One step of a pipeline job, as its worker reports it in the job's progress. */
export interface IPipelineStep {
  step: string;
  kind: 'target' | 'in memory' | string;
  total: number;
  done: number;
  skipped: number;
  failed: number;
  pending: number;
}

const COUNTS = ['done', 'skipped', 'failed', 'pending'] as const;

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0
    ? value
    : 0;
}

/**
 * The steps of a pipeline job with their counts, and its store; null for other
 * jobs and for a pipeline whose worker has not reported yet.
 */
export function pipelineSteps(
  job: IJob
): { store: string | null; steps: IPipelineStep[] } | null {
  const progress = job.progress as unknown as Record<string, unknown> | null;
  if (job.kind !== 'pipeline' || !progress || !Array.isArray(progress.steps)) {
    return null;
  }
  const steps = (progress.steps as Record<string, unknown>[])
    .filter(s => s && typeof s.step === 'string')
    .map(s => ({
      step: s.step as string,
      kind: typeof s.kind === 'string' ? s.kind : 'target',
      total: count(s.total),
      done: count(s.done),
      skipped: count(s.skipped),
      failed: count(s.failed),
      pending: count(s.pending)
    }));
  const store = typeof progress.store === 'string' ? progress.store : null;
  return { store, steps };
}

/** A pipeline job's store and per-step counts (see {@link pipelineSteps}). */
export function PipelineSteps(props: { job: IJob }): JSX.Element | null {
  const trans = useTranslation();
  const found = pipelineSteps(props.job);
  if (!found) {
    return null;
  }
  const labels: Record<(typeof COUNTS)[number], string> = {
    done: trans.__('Done'),
    skipped: trans.__('Skipped'),
    failed: trans.__('Failed'),
    pending: trans.__('Pending')
  };
  return (
    <section className="jp-remotem-job-section" data-section="pipeline">
      <h4>{trans.__('Pipeline')}</h4>
      {found.store && (
        <div className="jp-remotem-job-pipeline-store" title={found.store}>
          {trans.__('Store: %1', found.store)}
        </div>
      )}
      <table
        className="jp-remotem-job-pipeline-steps"
        aria-label={trans.__('Pipeline steps')}
      >
        <thead>
          <tr>
            <th scope="col">{trans.__('Step')}</th>
            {COUNTS.map(name => (
              <th scope="col" key={name}>
                {labels[name]}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {found.steps.map(step => (
            <tr
              key={step.step}
              data-step={step.step}
              data-kind={step.kind}
              data-failed={step.failed > 0 ? 'true' : 'false'}
            >
              <th
                scope="row"
                title={
                  step.kind === 'in memory'
                    ? trans.__('Kept in memory for the steps that use it')
                    : trans.__('%1 targets', step.total)
                }
              >
                {step.step}
              </th>
              {COUNTS.map(name => (
                <td key={name} data-count={name}>
                  {step[name]}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function xsrfCookie(): string | null {
  return document.cookie.match('\\b_xsrf=([^;]*)\\b')?.[1] ?? null;
}

function Pairs(props: { lines: [string, string][]; label: string }) {
  return (
    <dl className="jp-remotem-job-pairs" aria-label={props.label}>
      {props.lines.map(([name, value]) => (
        <React.Fragment key={name}>
          <dt>{name}</dt>
          <dd title={value}>{value}</dd>
        </React.Fragment>
      ))}
    </dl>
  );
}

/**
 * The details of `job` (the list's copy, refreshed from the server while open).
 */
export function JobDetails(props: {
  api: RemotemAPI;
  job: IJob;
  onReveal: (result: IJobResult) => void;
}): JSX.Element {
  const { api, job } = props;
  const trans = useTranslation();
  const [details, setDetails] = useState<IJob | null>(null);
  const [error, setError] = useState<RemotemError | null>(null);
  // Fetched again when the job moves on (phase, progress, action).
  const stamp = `${job.phase}|${job.progress?.done ?? ''}|${job.action ?? ''}|${job.ended ?? ''}`;
  // A pipeline's counts come with the list's copy too: the newer of the two is shown.
  const newer =
    details && (job.progress?.done ?? 0) > (details.progress?.done ?? 0)
      ? job
      : (details ?? job);
  useEffect(() => {
    const controller = new AbortController();
    api
      .getJob(job.id, controller.signal)
      .then(fresh => {
        setDetails(fresh);
        setError(null);
      })
      .catch(reason => {
        if (!controller.signal.aborted) {
          setError(RemotemError.from(reason));
        }
      });
    return () => controller.abort();
  }, [api, job.id, stamp]);

  const shown = details ?? job;
  const history = historySteps(shown.history ?? []);
  const log = shown.log ?? [];
  const results = shown.results ?? [];
  const quote = quoteLines(trans, shown);
  return (
    <div
      className="jp-remotem-job-details"
      id={`jupyter-remotem-job-details-${job.id}`}
      aria-label={trans.__('Job details')}
      data-loaded={details ? 'true' : 'false'}
    >
      {error && <ErrorMessage error={error} />}
      <section className="jp-remotem-job-section" data-section="request">
        <h4>{trans.__('Request')}</h4>
        <Pairs
          label={trans.__('Request')}
          lines={[
            ...requestLines(shown).map(([name, value]): [string, string] => [
              requestLabel(trans, name),
              value
            ]),
            ...clusterLines(trans, shown)
          ]}
        />
      </section>
      <PipelineSteps job={newer} />
      {quote.length > 0 && (
        <section className="jp-remotem-job-section" data-section="quote">
          <h4>{trans.__('Estimate')}</h4>
          <Pairs label={trans.__('Estimate')} lines={quote} />
        </section>
      )}
      <section className="jp-remotem-job-section" data-section="history">
        <h4>{trans.__('History')}</h4>
        {history.length ? (
          <ol className="jp-remotem-job-history">
            {history.map((step, index) => (
              <li key={index} data-phase={step.phase}>
                <time dateTime={step.at} title={step.at}>
                  {formatDate(step.at)}
                </time>{' '}
                <span className="jp-remotem-job-history-phase">
                  {step.phase}
                </span>
                {step.seconds !== null && (
                  <span className="jp-remotem-job-history-took">
                    {' '}
                    {trans.__('for %1', formatDuration(step.seconds))}
                  </span>
                )}
                {step.message && (
                  <span className="jp-remotem-job-history-message">
                    {' — '}
                    {step.message}
                  </span>
                )}
              </li>
            ))}
          </ol>
        ) : (
          <div className="jp-remotem-note">
            {details ? trans.__('No history recorded.') : trans.__('Loading…')}
          </div>
        )}
      </section>
      <section className="jp-remotem-job-section" data-section="log">
        <h4>{trans.__('Log')}</h4>
        {log.length ? (
          <pre className="jp-remotem-job-log" tabIndex={0}>
            {log
              .map(
                line =>
                  `${line.at.slice(11, 19)} ${line.level.padEnd(7)} ${line.message}`
              )
              .join('\n')}
            {shown.log_truncated
              ? `\n${trans.__('… later lines not kept')}`
              : ''}
          </pre>
        ) : (
          <div className="jp-remotem-note">
            {details ? trans.__('Nothing logged.') : trans.__('Loading…')}
          </div>
        )}
      </section>
      {results.length > 0 && (
        <section className="jp-remotem-job-section" data-section="outputs">
          <h4>{trans.__('Outputs')}</h4>
          <ul className="jp-remotem-job-outputs">
            {results.map(result => (
              <li
                key={`${result.repository}:${result.path}`}
                data-repo={result.repository}
                data-path={result.path}
              >
                <button
                  className="jp-Button jp-mod-minimal jp-remotem-job-output-reveal"
                  title={trans.__(
                    'Show %1 in the tree',
                    formatLocation(result)
                  )}
                  onClick={() => props.onReveal(result)}
                >
                  {formatLocation(result)}
                </button>
                {result.size !== null && result.size !== undefined && (
                  <span className="jp-remotem-size">
                    {formatBytes(result.size)}
                  </span>
                )}
                <a
                  className="jp-remotem-job-output-download"
                  href={api.downloadUrl(
                    result.repository,
                    result.path,
                    xsrfCookie()
                  )}
                  download
                  title={trans.__('Download %1', formatLocation(result))}
                >
                  {trans.__('Download')}
                </a>
              </li>
            ))}
          </ul>
        </section>
      )}
      {shown.error && (
        <section
          className="jp-remotem-job-section jp-remotem-error"
          data-section="error"
          data-code={shown.error.code ?? ''}
        >
          <h4>{trans.__('Error')}</h4>
          <div className="jp-remotem-error-message">{shown.error.message}</div>
          {shown.error.hint && (
            <div className="jp-remotem-error-hint">{shown.error.hint}</div>
          )}
          {shown.error.code && (
            <div className="jp-remotem-note">
              {trans.__('Code: %1', shown.error.code)}
            </div>
          )}
        </section>
      )}
    </div>
  );
}
