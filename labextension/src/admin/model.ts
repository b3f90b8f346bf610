/**
 * The Admin panel's data: what `remotem/api/admin/...` answers, the queries that ask it,
 * which actions apply to a job in which phase, and the geometry of the throughput chart.
 * No JupyterLab imports, so unit-testable.
 */
import { IJob, JobPhase, RemotemAPI, RemotemError, JSON_HEADERS } from '../api';

/** An administrator's view of a job: the owner's, plus where it runs. */
export interface IAdminJob extends IJob {
  worker_id?: string | null;
  heartbeat?: string | null;
  groups?: string[];
  paused_by?: string | null;
  position?: number;
}

export interface IAdminJobs {
  jobs: IAdminJob[];
  total: number;
  offset: number;
  limit: number;
  users: string[];
}

export interface IAdminQueue {
  queue: IAdminJob[];
  queued: number;
  running: IAdminJob[];
  held: IAdminJob[];
}

export interface IAdminWorker {
  worker_id: string;
  started: string;
  seen: string;
  silence_s: number;
  alive: boolean;
  max_read_rate: number | null;
  jobs: { id: string; heartbeat: string | null }[];
}

export interface IThroughputBucket {
  start: string;
  completed: number;
  failed: number;
  aborted: number;
  seconds: number;
  kinds: Record<string, number>;
}

export interface IThroughput {
  bucket: 'hour' | 'day';
  since: string;
  buckets: IThroughputBucket[];
}

export interface IQuotaUse {
  limits: {
    storage_bytes: number | null;
    compute_hours: number | null;
    period_days: number;
  } | null;
  usage: {
    storage_bytes: number;
    compute_hours: number;
    reserved_bytes: number;
    reserved_hours: number;
  };
}

export interface IAdminQuotas {
  users: (IQuotaUse & { user: string; groups: string[] })[];
  groups: (IQuotaUse & { group: string; pool: boolean })[];
}

/** What the jobs table is narrowed to. */
export interface IAdminFilter {
  user: string;
  phase: JobPhase | '';
  kind: string;
  offset: number;
  limit: number;
}

export const INITIAL_FILTER: IAdminFilter = {
  user: '',
  phase: '',
  kind: '',
  offset: 0,
  limit: 50
};

export type AdminAction =
  'cancel' | 'pause' | 'resume' | 'requeue' | 'priority';

const WAITING: ReadonlyArray<string> = [
  'PENDING',
  'QUEUED',
  'HELD',
  'SUSPENDED'
];
const UNFINISHED: ReadonlyArray<string> = [...WAITING, 'EXECUTING'];

/**
 * The actions that apply to a job now, as the server decides them (admin/actions.py):
 * anything unfinished may be cancelled and re-prioritised, a waiting or running one
 * paused, a paused one resumed, a failed one requeued. Uploads are steered by their client.
 */
export function actionsFor(job: IAdminJob): AdminAction[] {
  const actions: AdminAction[] = [];
  if (UNFINISHED.includes(job.phase)) {
    actions.push('cancel', 'priority');
    if (job.kind !== 'upload') {
      if (
        job.phase === 'SUSPENDED' ||
        (job.phase === 'EXECUTING' && job.paused_by)
      ) {
        actions.push('resume');
      }
      if (job.phase !== 'SUSPENDED' && job.phase !== 'HELD' && !job.paused_by) {
        actions.push('pause');
      }
    }
  }
  if (job.phase === 'ERROR') {
    actions.push('requeue');
  }
  return actions;
}

/** The query of `GET admin/jobs` for a filter (empty choices left out). */
export function jobsQuery(
  filter: IAdminFilter
): Record<string, string | number> {
  const query: Record<string, string | number> = {
    offset: filter.offset,
    limit: filter.limit
  };
  if (filter.user) {
    query.user = filter.user;
  }
  if (filter.phase) {
    query.phase = filter.phase;
  }
  if (filter.kind) {
    query.kind = filter.kind;
  }
  return query;
}

/** One bar of the throughput chart: a bucket's completed (below) and failed (above) jobs. */
export interface IBar {
  x: number;
  width: number;
  completedY: number;
  completedHeight: number;
  failedY: number;
  failedHeight: number;
  label: string;
  completed: number;
  failed: number;
}

/**
 * Stacked bars for `buckets` in a `width` × `height` box: every bucket has its slot, the
 * tallest stack reaches the top, and an empty series draws nothing taller than zero.
 */
export function chartBars(
  buckets: ReadonlyArray<IThroughputBucket>,
  width: number,
  height: number
): { bars: IBar[]; max: number } {
  const max = Math.max(0, ...buckets.map(b => b.completed + b.failed));
  const slot = buckets.length ? width / buckets.length : 0;
  const scale = max > 0 ? height / max : 0;
  const bars = buckets.map((bucket, index) => {
    const completedHeight = bucket.completed * scale;
    const failedHeight = bucket.failed * scale;
    return {
      x: index * slot + slot * 0.1,
      width: slot * 0.8,
      completedY: height - completedHeight,
      completedHeight,
      failedY: height - completedHeight - failedHeight,
      failedHeight,
      label: bucket.start,
      completed: bucket.completed,
      failed: bucket.failed
    };
  });
  return { bars, max };
}

/** What `GET admin` says: who administers, and the kinds and phases jobs have. */
export interface IAdminInfo {
  admin: string;
  admin_groups: string[];
  actions: AdminAction[];
  kinds: string[];
  phases: JobPhase[];
}

/** The calls of the administration API. */
export class AdminClient {
  constructor(readonly api: RemotemAPI) {}

  /**
   * What the administration API says of itself, or null when the user does not
   * administer: `GET admin` is a 404 for everyone else (then there is no panel).
   */
  async probe(signal?: AbortSignal): Promise<IAdminInfo | null> {
    try {
      return await this.api.requestJson<IAdminInfo>(
        this.api.url(['admin']),
        signal
      );
    } catch (reason) {
      const error = RemotemError.from(reason);
      if (error.status === 404 || error.status === 403) {
        return null;
      }
      throw error;
    }
  }

  jobs(filter: IAdminFilter, signal?: AbortSignal): Promise<IAdminJobs> {
    return this.api.requestJson<IAdminJobs>(
      this.api.url(['admin', 'jobs'], jobsQuery(filter)),
      signal
    );
  }

  queue(signal?: AbortSignal): Promise<IAdminQueue> {
    return this.api.requestJson<IAdminQueue>(
      this.api.url(['admin', 'queue']),
      signal
    );
  }

  workers(signal?: AbortSignal): Promise<{ workers: IAdminWorker[] }> {
    return this.api.requestJson(this.api.url(['admin', 'workers']), signal);
  }

  throughput(
    bucket: 'hour' | 'day',
    signal?: AbortSignal
  ): Promise<IThroughput> {
    return this.api.requestJson<IThroughput>(
      this.api.url(['admin', 'throughput'], { bucket }),
      signal
    );
  }

  quotas(signal?: AbortSignal): Promise<IAdminQuotas> {
    return this.api.requestJson<IAdminQuotas>(
      this.api.url(['admin', 'quotas']),
      signal
    );
  }

  act(id: string, action: AdminAction, priority?: number): Promise<IAdminJob> {
    return this.api.requestJson<IAdminJob>(
      this.api.url(['admin', 'jobs', encodeURIComponent(id), action]),
      undefined,
      {
        method: 'POST',
        headers: JSON_HEADERS,
        body: JSON.stringify(action === 'priority' ? { priority } : {})
      }
    );
  }
}
