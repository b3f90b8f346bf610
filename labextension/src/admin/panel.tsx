/**
 * The Admin panel: every user's jobs with filters and actions, the queue in the order
 * workers take it, workers and their heartbeats, quota use per user and group, and jobs
 * ended per hour or day. Shown only to administrators (see register.ts).
 */
import { Dialog, InputDialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget, refreshIcon } from '@jupyterlab/ui-components';
import React, { useCallback, useEffect, useState } from 'react';

import { JobPhase, RemotemError } from '../api';
import { formatBytes } from '../format';
import { TranslationContext, useTranslation } from '../i18n';
import { ErrorMessage, Spinner } from '../widgets';
import {
  actionsFor,
  AdminAction,
  AdminClient,
  chartBars,
  IAdminFilter,
  IAdminInfo,
  IAdminJob,
  IAdminJobs,
  IAdminQueue,
  IAdminQuotas,
  IAdminWorker,
  INITIAL_FILTER,
  IThroughput
} from './model';

function when(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleString() : '';
}

function shortId(id: string): string {
  return id.slice(0, 8);
}

/** Ask before acting on someone's job; answers the new priority for 'priority'. */
async function confirmAction(
  job: IAdminJob,
  action: AdminAction,
  trans: TranslationBundle
): Promise<{ go: boolean; priority?: number }> {
  if (action === 'priority') {
    const answer = await InputDialog.getNumber({
      title: trans.__(
        'Priority of %1’s job %2',
        job.owner ?? '',
        shortId(job.id)
      ),
      value: job.priority ?? 0
    });
    return {
      go: answer.button.accept && answer.value !== null,
      priority: answer.value ?? 0
    };
  }
  const words: Record<string, string> = {
    cancel: trans.__('Cancel'),
    pause: trans.__('Pause'),
    resume: trans.__('Resume'),
    requeue: trans.__('Requeue')
  };
  const answer = await showDialog({
    title: trans.__('%1 %2’s job?', words[action], job.owner ?? ''),
    body: trans.__(
      '%1 of %2, %3 (job %4). The owner sees in the job’s record that you did this.',
      job.kind,
      `${job.request?.repository ?? job.request?.source?.repository ?? ''}:${job.request?.path ?? job.request?.source?.path ?? ''}`,
      job.phase,
      shortId(job.id)
    ),
    buttons: [
      Dialog.cancelButton({ label: trans.__('Keep it') }),
      Dialog.warnButton({ label: words[action] })
    ]
  });
  return { go: answer.button.accept };
}

function JobRow(props: {
  job: IAdminJob;
  onAction: (job: IAdminJob, action: AdminAction) => void;
  position?: number;
}): JSX.Element {
  const { job } = props;
  const trans = useTranslation();
  const labels: Record<AdminAction, string> = {
    cancel: trans.__('Cancel'),
    pause: trans.__('Pause'),
    resume: trans.__('Resume'),
    requeue: trans.__('Requeue'),
    priority: trans.__('Priority…')
  };
  return (
    <tr
      className="jp-remotem-admin-job"
      data-job-id={job.id}
      data-owner={job.owner}
    >
      {props.position !== undefined && <td>{props.position}</td>}
      <td>{job.owner}</td>
      <td>{job.kind}</td>
      <td title={job.id}>{String(job.request?.operation ?? '')}</td>
      <td className={`jp-remotem-admin-phase jp-remotem-phase-${job.phase}`}>
        {job.phase}
        {job.paused_by ? ` (${trans.__('held by %1', job.paused_by)})` : ''}
      </td>
      <td>{job.priority ?? 0}</td>
      <td>{when(job.created)}</td>
      <td>{job.worker_id ?? ''}</td>
      <td className="jp-remotem-admin-actions">
        {actionsFor(job).map(action => (
          <button
            key={action}
            className={`jp-Button jp-mod-styled jp-mod-minimal jp-remotem-admin-${action}`}
            onClick={() => props.onAction(job, action)}
          >
            {labels[action]}
          </button>
        ))}
      </td>
    </tr>
  );
}

function JobsTable(props: {
  jobs: IAdminJob[];
  onAction: (job: IAdminJob, action: AdminAction) => void;
  withPosition?: boolean;
  empty: string;
}): JSX.Element {
  const trans = useTranslation();
  if (!props.jobs.length) {
    return <p className="jp-remotem-admin-empty">{props.empty}</p>;
  }
  return (
    <table className="jp-remotem-admin-table">
      <thead>
        <tr>
          {props.withPosition && <th>#</th>}
          <th>{trans.__('User')}</th>
          <th>{trans.__('Kind')}</th>
          <th>{trans.__('Operation')}</th>
          <th>{trans.__('Phase')}</th>
          <th>{trans.__('Priority')}</th>
          <th>{trans.__('Submitted')}</th>
          <th>{trans.__('Worker')}</th>
          <th>{trans.__('Actions')}</th>
        </tr>
      </thead>
      <tbody>
        {props.jobs.map(job => (
          <JobRow
            key={job.id}
            job={job}
            onAction={props.onAction}
            position={props.withPosition ? job.position : undefined}
          />
        ))}
      </tbody>
    </table>
  );
}

/** Jobs ended per bucket: completed below, failed above, as plain SVG. */
export function ThroughputChart(props: { series: IThroughput }): JSX.Element {
  const trans = useTranslation();
  const width = 600;
  const height = 120;
  const { bars, max } = chartBars(props.series.buckets, width, height);
  const completed = bars.reduce((sum, bar) => sum + bar.completed, 0);
  const failed = bars.reduce((sum, bar) => sum + bar.failed, 0);
  return (
    <figure className="jp-remotem-admin-chart">
      <svg
        viewBox={`0 0 ${width} ${height}`}
        width="100%"
        height={height}
        role="img"
        aria-label={trans.__(
          '%1 completed and %2 failed jobs',
          completed,
          failed
        )}
        preserveAspectRatio="none"
      >
        {bars.map(bar => (
          <g key={bar.label}>
            <title>
              {trans.__(
                '%1: %2 completed, %3 failed',
                when(bar.label),
                bar.completed,
                bar.failed
              )}
            </title>
            <rect
              className="jp-remotem-admin-bar-ok"
              x={bar.x}
              y={bar.completedY}
              width={bar.width}
              height={bar.completedHeight}
            />
            <rect
              className="jp-remotem-admin-bar-failed"
              x={bar.x}
              y={bar.failedY}
              width={bar.width}
              height={bar.failedHeight}
            />
          </g>
        ))}
      </svg>
      <figcaption>
        {trans.__(
          'Jobs ended per %1 since %2: %3 completed, %4 failed (most in one %1: %5).',
          props.series.bucket,
          when(props.series.since),
          completed,
          failed,
          max
        )}
      </figcaption>
    </figure>
  );
}

function Workers(props: { workers: IAdminWorker[] }): JSX.Element {
  const trans = useTranslation();
  if (!props.workers.length) {
    return (
      <p className="jp-remotem-admin-empty">
        {trans.__('No worker has announced itself.')}
      </p>
    );
  }
  return (
    <table className="jp-remotem-admin-table jp-remotem-admin-workers">
      <thead>
        <tr>
          <th>{trans.__('Worker')}</th>
          <th>{trans.__('Heard of')}</th>
          <th>{trans.__('Read limit')}</th>
          <th>{trans.__('Running')}</th>
        </tr>
      </thead>
      <tbody>
        {props.workers.map(worker => (
          <tr
            key={worker.worker_id}
            className={worker.alive ? '' : 'jp-remotem-admin-silent'}
          >
            <td>{worker.worker_id}</td>
            <td>{trans.__('%1 s ago', Math.round(worker.silence_s))}</td>
            <td>
              {worker.max_read_rate
                ? `${formatBytes(worker.max_read_rate)}/s`
                : trans.__('none')}
            </td>
            <td>{worker.jobs.map(job => shortId(job.id)).join(', ')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Quotas(props: { quotas: IAdminQuotas }): JSX.Element {
  const trans = useTranslation();
  const rows = [
    ...props.quotas.users.map(u => ({
      key: `u:${u.user}`,
      who: u.user,
      what: trans.__('user'),
      use: u
    })),
    ...props.quotas.groups.map(g => ({
      key: `g:${g.group}`,
      who: g.group,
      what: g.pool ? trans.__('group pool') : trans.__('group'),
      use: g
    }))
  ];
  const limit = (
    value: number | null | undefined,
    text: (v: number) => string
  ) =>
    value === null || value === undefined ? trans.__('no limit') : text(value);
  return (
    <table className="jp-remotem-admin-table jp-remotem-admin-quotas">
      <thead>
        <tr>
          <th>{trans.__('Who')}</th>
          <th />
          <th>{trans.__('Storage')}</th>
          <th>{trans.__('Compute')}</th>
          <th>{trans.__('Reserved')}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(row => (
          <tr key={row.key}>
            <td>{row.who}</td>
            <td>{row.what}</td>
            <td>
              {formatBytes(row.use.usage.storage_bytes)} /{' '}
              {limit(row.use.limits?.storage_bytes, formatBytes)}
            </td>
            <td>
              {trans.__('%1 h', row.use.usage.compute_hours.toFixed(2))} /{' '}
              {limit(row.use.limits?.compute_hours, v => trans.__('%1 h', v))}
            </td>
            <td>
              {formatBytes(row.use.usage.reserved_bytes)},{' '}
              {trans.__('%1 h', row.use.usage.reserved_hours.toFixed(2))}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

interface IState {
  jobs: IAdminJobs | null;
  queue: IAdminQueue | null;
  workers: IAdminWorker[] | null;
  quotas: IAdminQuotas | null;
  throughput: IThroughput | null;
}

const EMPTY: IState = {
  jobs: null,
  queue: null,
  workers: null,
  quotas: null,
  throughput: null
};

export function AdminView(props: {
  client: AdminClient;
  info: IAdminInfo;
}): JSX.Element {
  const trans = useTranslation();
  const { client, info } = props;
  const [filter, setFilter] = useState<IAdminFilter>(INITIAL_FILTER);
  const [bucket, setBucket] = useState<'hour' | 'day'>('hour');
  const [state, setState] = useState<IState>(EMPTY);
  const [error, setError] = useState<RemotemError | null>(null);
  const [serial, setSerial] = useState(0);
  const refresh = useCallback(() => setSerial(value => value + 1), []);

  useEffect(() => {
    const controller = new AbortController();
    const signal = controller.signal;
    Promise.all([
      client.jobs(filter, signal),
      client.queue(signal),
      client.workers(signal),
      client.quotas(signal),
      client.throughput(bucket, signal)
    ])
      .then(([jobs, queue, workers, quotas, throughput]) => {
        setState({ jobs, queue, workers: workers.workers, quotas, throughput });
        setError(null);
      })
      .catch(reason => {
        if (!signal.aborted) {
          setError(RemotemError.from(reason));
        }
      });
    return () => controller.abort();
  }, [client, filter, bucket, serial]);

  const onAction = useCallback(
    async (job: IAdminJob, action: AdminAction) => {
      const answer = await confirmAction(job, action, trans);
      if (!answer.go) {
        return;
      }
      try {
        await client.act(job.id, action, answer.priority);
        setError(null);
      } catch (reason) {
        setError(RemotemError.from(reason));
      }
      refresh();
    },
    [client, trans, refresh]
  );

  const set = (change: Partial<IAdminFilter>) =>
    setFilter({ ...filter, offset: 0, ...change });
  const { jobs, queue, workers, quotas, throughput } = state;
  return (
    <div className="jp-remotem-admin">
      <div className="jp-remotem-admin-header">
        <h2>{trans.__('Remote data administration')}</h2>
        <button
          className="jp-Button jp-mod-styled jp-mod-minimal jp-remotem-admin-refresh"
          title={trans.__('Refresh')}
          onClick={refresh}
        >
          <refreshIcon.react tag="span" />
        </button>
      </div>
      {error && <ErrorMessage error={error} onRetry={refresh} />}
      {!jobs && !error && <Spinner />}
      {throughput && (
        <section>
          <h3>
            {trans.__('Throughput and failures')}{' '}
            <select
              className="jp-remotem-admin-bucket"
              value={bucket}
              onChange={event =>
                setBucket(event.target.value as 'hour' | 'day')
              }
            >
              <option value="hour">{trans.__('per hour')}</option>
              <option value="day">{trans.__('per day')}</option>
            </select>
          </h3>
          <ThroughputChart series={throughput} />
        </section>
      )}
      {jobs && (
        <section className="jp-remotem-admin-jobs">
          <h3>{trans.__('Jobs of every user (%1)', jobs.total)}</h3>
          <div className="jp-remotem-admin-filters">
            <label>
              {trans.__('User')}{' '}
              <select
                className="jp-remotem-admin-user"
                value={filter.user}
                onChange={e => set({ user: e.target.value })}
              >
                <option value="">{trans.__('everyone')}</option>
                {jobs.users.map(user => (
                  <option key={user} value={user}>
                    {user}
                  </option>
                ))}
              </select>
            </label>
            <label>
              {trans.__('Phase')}{' '}
              <select
                className="jp-remotem-admin-phase-filter"
                value={filter.phase}
                onChange={e => set({ phase: e.target.value as JobPhase })}
              >
                <option value="">{trans.__('any')}</option>
                {info.phases.map(phase => (
                  <option key={phase} value={phase}>
                    {phase}
                  </option>
                ))}
              </select>
            </label>
            <label>
              {trans.__('Kind')}{' '}
              <select
                className="jp-remotem-admin-kind"
                value={filter.kind}
                onChange={e => set({ kind: e.target.value })}
              >
                <option value="">{trans.__('any')}</option>
                {info.kinds.map(kind => (
                  <option key={kind} value={kind}>
                    {kind}
                  </option>
                ))}
              </select>
            </label>
            <span className="jp-remotem-admin-pages">
              <button
                className="jp-Button jp-mod-styled jp-mod-minimal"
                disabled={filter.offset === 0}
                onClick={() =>
                  setFilter({
                    ...filter,
                    offset: Math.max(0, filter.offset - filter.limit)
                  })
                }
              >
                {trans.__('Newer')}
              </button>
              {trans.__(
                '%1–%2 of %3',
                jobs.total ? filter.offset + 1 : 0,
                filter.offset + jobs.jobs.length,
                jobs.total
              )}
              <button
                className="jp-Button jp-mod-styled jp-mod-minimal"
                disabled={filter.offset + jobs.jobs.length >= jobs.total}
                onClick={() =>
                  setFilter({ ...filter, offset: filter.offset + filter.limit })
                }
              >
                {trans.__('Older')}
              </button>
            </span>
          </div>
          <JobsTable
            jobs={jobs.jobs}
            onAction={onAction}
            empty={trans.__('No job matches.')}
          />
        </section>
      )}
      {queue && (
        <section className="jp-remotem-admin-queue">
          <h3>
            {trans.__(
              'Queue (%1 waiting, in the order workers take them)',
              queue.queued
            )}
          </h3>
          <JobsTable
            jobs={queue.queue}
            onAction={onAction}
            withPosition
            empty={trans.__('Nothing is waiting.')}
          />
          {queue.held.length > 0 && (
            <>
              <h4>{trans.__('Held back')}</h4>
              <JobsTable jobs={queue.held} onAction={onAction} empty="" />
            </>
          )}
        </section>
      )}
      {workers && (
        <section>
          <h3>{trans.__('Workers')}</h3>
          <Workers workers={workers} />
        </section>
      )}
      {quotas && (
        <section>
          <h3>{trans.__('Quota use')}</h3>
          <Quotas quotas={quotas} />
        </section>
      )}
    </div>
  );
}

/** The panel in the main area. */
export class AdminPanel extends ReactWidget {
  constructor(
    private readonly _client: AdminClient,
    private readonly _info: IAdminInfo,
    private readonly _trans: TranslationBundle
  ) {
    super();
    this.id = 'jupyter-remotem:admin';
    this.title.label = _trans.__('Remote Data Admin');
    this.title.closable = true;
    this.addClass('jp-remotem-admin-panel');
  }

  render(): JSX.Element {
    return (
      <TranslationContext.Provider value={this._trans}>
        <AdminView client={this._client} info={this._info} />
      </TranslationContext.Provider>
    );
  }
}
