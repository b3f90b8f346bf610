/**
 * The Jobs section of the Remote data sidebar: the user's jobs with their phase,
 * progress, throughput and ETA, results, errors, and Cancel / Pause / Resume / Delete.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import {
  caretDownIcon,
  caretRightIcon,
  refreshIcon
} from '@jupyterlab/ui-components';
import React, { useCallback, useState } from 'react';

import { IJob, IJobResult, JobAction, RemotemError } from './api';
import { formatBytes, formatDate } from './format';
import { useSignalVersion } from './signalversion';
import { useTranslation } from './i18n';
import { JobDetails } from './jobdetails';
import {
  clearable,
  filterJobs,
  kindsOf,
  PHASE_FILTERS,
  PhaseFilter
} from './jobfilter';
import { JobsModel } from './jobsmodel';
import { QuotaLine } from './quotaview';
import {
  cancelMessage,
  cancelRemovesFiles,
  deletedByJob,
  deleteMessage,
  etaOf,
  formatDuration,
  formatLocation,
  formatThroughput,
  isActionAllowed,
  isFinal,
  jobEndpoints,
  operationLabel,
  operationOf,
  percent,
  progressFraction,
  shownActions,
  throughputOf
} from './jobstate';
import { ErrorMessage, IconButton, ListState } from './widgets';

function phaseLabel(trans: TranslationBundle, phase: string): string {
  const labels: Record<string, string> = {
    PENDING: trans.__('Pending'),
    QUEUED: trans.__('Queued'),
    EXECUTING: trans.__('Running'),
    COMPLETED: trans.__('Completed'),
    ERROR: trans.__('Error'),
    ABORTED: trans.__('Cancelled'),
    HELD: trans.__('Held'),
    SUSPENDED: trans.__('Paused'),
    ARCHIVED: trans.__('Archived')
  };
  return labels[phase] ?? phase;
}

function phaseFilterLabel(
  trans: TranslationBundle,
  filter: PhaseFilter
): string {
  const labels: Record<PhaseFilter, string> = {
    all: trans.__('All phases'),
    active: trans.__('Active'),
    completed: trans.__('Completed'),
    failed: trans.__('Failed'),
    cancelled: trans.__('Cancelled')
  };
  return labels[filter];
}

function kindLabel(trans: TranslationBundle, kind: string): string {
  const labels: Record<string, string> = {
    all: trans.__('All kinds'),
    reduction: trans.__('Reductions'),
    transformation: trans.__('Transformations'),
    copy: trans.__('Copies'),
    upload: trans.__('Uploads'),
    index: trans.__('Indexing'),
    dataset: trans.__('Dataset checks'),
    pipeline: trans.__('Pipelines'),
    cutouts: trans.__('Cutout batches')
  };
  return labels[kind] ?? kind;
}

function actionLabels(
  trans: TranslationBundle
): { action: JobAction; label: string; title: string }[] {
  return [
    {
      action: 'pause',
      label: trans.__('Pause'),
      title: trans.__('Pause after the current part; resume later')
    },
    {
      action: 'resume',
      label: trans.__('Resume'),
      title: trans.__('Continue where the job stopped')
    },
    {
      action: 'cancel',
      label: trans.__('Cancel'),
      title: trans.__(
        'Stop the job; what it wrote is removed unless you keep it'
      )
    },
    {
      action: 'delete',
      label: trans.__('Delete'),
      title: trans.__('Remove this finished job from the list')
    }
  ];
}

/**
 * Deleting a job also removes the files it wrote, which cannot be undone: ask first, naming
 * them, and offer to keep them (they then go on counting against the storage quota).
 */
async function confirmDelete(
  job: IJob,
  trans: TranslationBundle
): Promise<{ accept: boolean; keepFiles: boolean }> {
  const hasFiles = deletedByJob(job).files > 0;
  const answer = await showDialog({
    title: trans.__('Delete this job?'),
    body: deleteMessage(job, trans),
    checkbox: hasFiles
      ? {
          label: trans.__('Keep its files'),
          caption: trans.__(
            'Only the job leaves the list; its files stay and go on counting against your storage quota'
          ),
          className: 'jp-remotem-keep-files',
          checked: false
        }
      : null,
    buttons: [
      Dialog.cancelButton({ label: trans.__('Keep') }),
      Dialog.warnButton({ label: trans.__('Delete') })
    ]
  });
  return { accept: answer.button.accept, keepFiles: !!answer.isChecked };
}

/**
 * Cancelling a job that has written files removes them: ask first, naming them, and offer
 * to keep them (they then stay listed with the job and count against the storage quota).
 */
async function confirmCancel(
  job: IJob,
  trans: TranslationBundle
): Promise<{ accept: boolean; keepFiles: boolean }> {
  const answer = await showDialog({
    title: trans.__('Cancel this job?'),
    body: cancelMessage(job, trans),
    checkbox: {
      label: trans.__('Keep the files it wrote'),
      caption: trans.__(
        'They stay, listed with the job, and go on counting against your storage quota'
      ),
      className: 'jp-remotem-keep-files',
      checked: false
    },
    buttons: [
      Dialog.cancelButton({ label: trans.__('Go on') }),
      Dialog.warnButton({ label: trans.__('Cancel job') })
    ]
  });
  return { accept: answer.button.accept, keepFiles: !!answer.isChecked };
}

/**
 * A progress bar: determinate when the fraction is known.
 */
export function ProgressBar(props: {
  fraction: number | null;
  label: string;
  active: boolean;
}): JSX.Element {
  const value = percent(props.fraction);
  return (
    <div
      className={
        'jp-remotem-job-progress' +
        (value === null ? ' jp-mod-indeterminate' : '') +
        (props.active ? ' jp-mod-active' : '')
      }
      role="progressbar"
      aria-label={props.label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={value === null ? undefined : value}
      aria-valuetext={value === null ? undefined : `${value}%`}
    >
      <div
        className="jp-remotem-job-progress-bar"
        style={{ width: value === null ? undefined : `${value}%` }}
      />
    </div>
  );
}

function ResultList(props: {
  results: IJobResult[];
  onReveal: (result: IJobResult) => void;
}): JSX.Element {
  const trans = useTranslation();
  return (
    <ul className="jp-remotem-job-results" aria-label={trans.__('Results')}>
      {props.results.map(result => (
        <li key={`${result.repository}:${result.path}`}>
          <button
            className="jp-remotem-job-result jp-Button jp-mod-minimal"
            data-repo={result.repository}
            data-path={result.path}
            title={trans.__('Show %1 in the tree', formatLocation(result))}
            onClick={() => props.onReveal(result)}
          >
            <span className="jp-remotem-name">{formatLocation(result)}</span>
            {result.size !== null && result.size !== undefined && (
              <span className="jp-remotem-size">
                {formatBytes(result.size)}
              </span>
            )}
          </button>
        </li>
      ))}
    </ul>
  );
}

/**
 * One job.
 */
export function JobRow(props: {
  job: IJob;
  model: JobsModel;
  onReveal: (result: IJobResult) => void;
}): JSX.Element {
  const { job, model } = props;
  const trans = useTranslation();
  const [busy, setBusy] = useState<JobAction | null>(null);
  const [actionError, setActionError] = useState<RemotemError | null>(null);

  const act = useCallback(
    async (action: JobAction) => {
      let keepFiles = false;
      if (
        action === 'delete' ||
        (action === 'cancel' && cancelRemovesFiles(job))
      ) {
        const answer =
          action === 'delete'
            ? await confirmDelete(job, trans)
            : await confirmCancel(job, trans);
        if (!answer.accept) {
          return;
        }
        keepFiles = answer.keepFiles;
      }
      setBusy(action);
      setActionError(null);
      model
        .act(job.id, action, { keepFiles })
        .catch(reason => setActionError(RemotemError.from(reason)))
        .finally(() => setBusy(null));
    },
    [model, job, trans]
  );

  const operation = operationOf(job);
  const { source, target } = jobEndpoints(job);
  const fraction = progressFraction(job.phase, job.progress);
  const value = percent(fraction);
  const running = job.phase === 'EXECUTING';
  const throughput = running
    ? formatThroughput(throughputOf(job.progress))
    : '';
  const eta = running ? formatDuration(etaOf(job.progress)) : '';
  const progressBytes = job.progress?.bytes;
  const took =
    isFinal(job.phase) && job.started && job.ended
      ? formatDuration((Date.parse(job.ended) - Date.parse(job.started)) / 1000)
      : '';
  const pending =
    job.action === 'cancel'
      ? trans.__('cancelling…')
      : job.action === 'pause'
        ? trans.__('pausing…')
        : '';
  const error = job.error;
  const errorHint =
    error?.hint ??
    (error?.kind === 'transient'
      ? trans.__('A temporary failure: starting the job again may work.')
      : null);

  const open = model.expanded === job.id;
  return (
    <li
      className={'jp-remotem-job' + (open ? ' jp-mod-expanded' : '')}
      data-job-id={job.id}
      data-phase={job.phase}
      data-kind={job.kind}
      data-operation={operation}
      aria-label={trans.__(
        '%1 job, %2',
        operationLabel(operation),
        phaseLabel(trans, job.phase)
      )}
    >
      <div className="jp-remotem-job-header">
        <button
          className="jp-remotem-job-operation jp-remotem-job-toggle"
          aria-expanded={open}
          aria-controls={`jupyter-remotem-job-details-${job.id}`}
          title={open ? trans.__('Hide details') : trans.__('Show details')}
          onClick={() => {
            model.expanded = open ? null : job.id;
          }}
        >
          {operationLabel(operation)}
        </button>
        <span
          className="jp-remotem-badge jp-remotem-job-phase"
          data-phase={job.phase}
          title={job.phase}
        >
          {phaseLabel(trans, job.phase)}
        </span>
        {pending && <span className="jp-remotem-job-pending">{pending}</span>}
        <span
          className="jp-remotem-job-created"
          title={trans.__('Submitted %1', job.created ?? '')}
        >
          {formatDate(job.created)}
        </span>
      </div>
      <div
        className="jp-remotem-job-route"
        title={`${formatLocation(source)} → ${formatLocation(target)}`}
      >
        <span className="jp-remotem-job-source">{formatLocation(source)}</span>
        {target && (
          <>
            <span className="jp-remotem-job-arrow" aria-hidden="true">
              {' → '}
            </span>
            <span className="jp-remotem-job-target">
              {formatLocation(target)}
            </span>
          </>
        )}
      </div>
      {job.phase !== 'ERROR' && job.phase !== 'ABORTED' && (
        <ProgressBar
          fraction={fraction}
          active={running}
          label={trans.__('Progress of the %1 job', operationLabel(operation))}
        />
      )}
      <div className="jp-remotem-job-stats">
        {value !== null && job.phase !== 'ERROR' && (
          <span className="jp-remotem-job-percent">{`${value}%`}</span>
        )}
        {running && progressBytes !== null && progressBytes !== undefined && (
          <span className="jp-remotem-job-bytes">
            {formatBytes(progressBytes)}
          </span>
        )}
        {throughput && (
          <span className="jp-remotem-job-throughput" title={trans.__('Speed')}>
            {throughput}
          </span>
        )}
        {eta && (
          <span
            className="jp-remotem-job-eta"
            title={trans.__('Estimated time left')}
          >
            {trans.__('%1 left', eta)}
          </span>
        )}
        {took && (
          <span className="jp-remotem-job-took">
            {trans.__('took %1', took)}
          </span>
        )}
      </div>
      {error && (
        <div
          className="jp-remotem-error jp-remotem-job-error"
          data-code={error.code ?? ''}
          data-kind={error.kind}
        >
          <div className="jp-remotem-error-message">{error.message}</div>
          {errorHint && (
            <div className="jp-remotem-error-hint">{errorHint}</div>
          )}
        </div>
      )}
      {job.results && job.results.length > 0 && (
        <ResultList results={job.results} onReveal={props.onReveal} />
      )}
      {actionError && <ErrorMessage error={actionError} />}
      {open && (
        <JobDetails api={model.api} job={job} onReveal={props.onReveal} />
      )}
      <div className="jp-remotem-job-actions">
        {actionLabels(trans)
          .filter(({ action }) => shownActions(job.phase).includes(action))
          .map(({ action, label, title }) => (
            <button
              key={action}
              className={
                'jp-remotem-job-action jp-Button jp-mod-minimal' +
                (action === 'cancel' || action === 'delete'
                  ? ' jp-mod-warn'
                  : '')
              }
              data-action={action}
              title={title}
              disabled={busy !== null || !isActionAllowed(job, action)}
              onClick={() => act(action)}
            >
              {busy === action ? `${label}…` : label}
            </button>
          ))}
      </div>
    </li>
  );
}

/**
 * The Jobs section: a header that folds it, and the list.
 */
export function JobsView(props: {
  model: JobsModel;
  collapsed: boolean;
  onToggle: () => void;
  onReveal: (result: IJobResult) => void;
}): JSX.Element {
  const { model, collapsed } = props;
  const trans = useTranslation();
  useSignalVersion(model.changed);
  const jobs = model.jobs;
  const filter = model.filter;
  const active = jobs ? jobs.filter(job => !isFinal(job.phase)).length : 0;
  const shown = jobs ? filterJobs(jobs, filter) : null;
  const kinds = jobs ? kindsOf(jobs) : [];
  if (filter.kind !== 'all' && !kinds.includes(filter.kind)) {
    kinds.push(filter.kind);
  }
  const finished = jobs ? clearable(jobs, filter.kind).length : 0;
  const [clearing, setClearing] = useState(false);
  const [clearError, setClearError] = useState<RemotemError | null>(null);
  const refresh = useCallback(() => {
    void model.refreshSoon();
  }, [model]);
  const clearFinished = useCallback(() => {
    setClearing(true);
    setClearError(null);
    model
      .clearFinished(model.filter.kind)
      .catch(reason => setClearError(RemotemError.from(reason)))
      .finally(() => setClearing(false));
  }, [model]);
  const Caret = collapsed ? caretRightIcon : caretDownIcon;

  return (
    <div className="jp-remotem-panel jp-remotem-jobs-panel">
      <div className="jp-remotem-toolbar jp-remotem-jobs-toolbar">
        <button
          className="jp-remotem-jobs-toggle"
          aria-expanded={!collapsed}
          aria-controls="jupyter-remotem-jobs-list"
          title={collapsed ? trans.__('Show jobs') : trans.__('Hide jobs')}
          onClick={props.onToggle}
        >
          <Caret.react tag="span" className="jp-remotem-caret" />
          <h2 className="jp-remotem-heading">{trans.__('Jobs')}</h2>
          {active > 0 && (
            <span
              className="jp-remotem-badge jp-remotem-jobs-count"
              title={trans._n('%1 active job', '%1 active jobs', active)}
            >
              {active}
            </span>
          )}
        </button>
        <IconButton
          icon={refreshIcon}
          className="jp-remotem-jobs-refresh"
          title={trans.__('Refresh jobs')}
          label={trans.__('Refresh jobs')}
          onClick={refresh}
        />
      </div>
      {!collapsed && <QuotaLine model={model.quota} />}
      {!collapsed && jobs && jobs.length > 0 && (
        <div
          className="jp-remotem-jobs-filter"
          role="group"
          aria-label={trans.__('Filter jobs')}
        >
          <select
            className="jp-remotem-jobs-phase-filter"
            aria-label={trans.__('Show jobs in phase')}
            value={filter.phase}
            onChange={event => {
              model.filter = {
                ...model.filter,
                phase: event.currentTarget.value as PhaseFilter
              };
            }}
          >
            {PHASE_FILTERS.map(phase => (
              <option key={phase} value={phase}>
                {phaseFilterLabel(trans, phase)}
              </option>
            ))}
          </select>
          <select
            className="jp-remotem-jobs-kind-filter"
            aria-label={trans.__('Show jobs of kind')}
            value={filter.kind}
            onChange={event => {
              model.filter = {
                ...model.filter,
                kind: event.currentTarget.value
              };
            }}
          >
            {['all', ...kinds].map(kind => (
              <option key={kind} value={kind}>
                {kindLabel(trans, kind)}
              </option>
            ))}
          </select>
          <button
            className="jp-Button jp-mod-minimal jp-remotem-jobs-clear"
            disabled={clearing || finished === 0}
            title={trans.__(
              'Take completed, failed and cancelled jobs off the list; their files stay'
            )}
            onClick={clearFinished}
          >
            {clearing ? trans.__('Clearing…') : trans.__('Clear finished')}
          </button>
        </div>
      )}
      {!collapsed && clearError && <ErrorMessage error={clearError} />}
      <div
        className="jp-remotem-jobs-body"
        id="jupyter-remotem-jobs-list"
        hidden={collapsed}
      >
        <ListState
          items={shown}
          error={model.error}
          onRetry={refresh}
          loading={trans.__('Loading jobs…')}
          empty={
            jobs && jobs.length > 0 ? (
              <div className="jp-remotem-note jp-remotem-jobs-none-shown">
                {trans.__('No jobs match the filter.')}
              </div>
            ) : (
              <div className="jp-remotem-note jp-remotem-jobs-empty">
                {trans.__(
                  'No jobs. Right-click a file or folder and choose “Copy to…” to start one.'
                )}
              </div>
            )
          }
        >
          {items => (
            <ul
              className="jp-remotem-jobs"
              aria-label={trans.__('Jobs')}
              aria-live="off"
            >
              {items.map(job => (
                <JobRow
                  key={job.id}
                  job={job}
                  model={model}
                  onReveal={props.onReveal}
                />
              ))}
            </ul>
          )}
        </ListState>
      </div>
    </div>
  );
}
