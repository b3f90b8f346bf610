/**
 * The user's jobs, kept fresh by polling the list and by one server-sent events stream
 * per running job.
 *
 * Browsers allow only six HTTP/1.1 connections per origin (and a Jupyter server speaks
 * HTTP/1.1), so at most MAX_STREAMS streams are open at a time; other active jobs and
 * jobs whose stream failed are followed by polling the list every FAST_POLL_INTERVAL.
 */
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { IJob, JobAction, RemotemAPI, RemotemError } from './api';
import { IJobFilter, NO_FILTER, withoutCleared } from './jobfilter';
import { isFinal, mergeJobs } from './jobstate';
import { QuotaModel } from './quotaview';

/** How often the job list is polled while shown, in ms. */
export const POLL_INTERVAL = 5_000;

/** How often it is polled while an active job has no open events stream, in ms. */
export const FAST_POLL_INTERVAL = 2_000;
/** How often it is polled while the jobs are not on screen, in ms. */
export const BACKGROUND_POLL_INTERVAL = 15_000;

/** Most events streams open at once. */
export const MAX_STREAMS = 2;

/** Failed streams after which a job is only polled. */
const MAX_STREAM_FAILURES = 3;

export class JobsModel {
  /**
   * @param api the REST client
   * @param isVisible whether the jobs are on screen (polling slows down otherwise)
   */
  constructor(
    readonly api: RemotemAPI,
    isVisible: () => boolean
  ) {
    this._isVisible = isVisible;
    this.quota = new QuotaModel(api);
    this._poll = new Poll({
      factory: async () => {
        this._polling = true;
        try {
          await this.refresh();
        } finally {
          this._polling = false;
        }
      },
      frequency: {
        interval: POLL_INTERVAL,
        backoff: true,
        max: 12 * POLL_INTERVAL
      },
      // Also while hidden (slower, see _sync): a job submitted elsewhere and ending
      // is noticed, and told (jobnotify.ts), in every open lab session.
      standby: 'when-hidden',
      name: 'jupyter-remotem:jobs'
    });
  }

  /** The user's quota, fetched with every poll and whenever a job ends or goes. */
  readonly quota: QuotaModel;

  /** The jobs, newest first; null until first loaded. */
  get jobs(): IJob[] | null {
    return this._jobs;
  }

  /** What the list shows (kept while the sidebar lives). */
  get filter(): IJobFilter {
    return this._filter;
  }

  set filter(filter: IJobFilter) {
    if (
      filter.phase === this._filter.phase &&
      filter.kind === this._filter.kind
    ) {
      return;
    }
    this._filter = filter;
    this._changed.emit();
  }

  /** The job whose details are open, if any. */
  get expanded(): string | null {
    return this._expanded;
  }

  set expanded(id: string | null) {
    if (id !== this._expanded) {
      this._expanded = id;
      this._changed.emit();
    }
  }

  /**
   * "Clear finished": the finished jobs (of `kind`, unless 'all') leave the list, on
   * the server too (`POST jobs/clear`); their files stay. Answers how many left.
   */
  async clearFinished(kind = 'all'): Promise<number> {
    const cleared = await this.api.clearFinishedJobs(
      kind === 'all' ? undefined : [kind]
    );
    if (this._jobs) {
      this._jobs = withoutCleared(this._jobs, cleared);
      if (this._expanded && cleared.includes(this._expanded)) {
        this._expanded = null;
      }
      this._changed.emit();
    }
    return cleared.length;
  }

  /** Why the list could not be loaded, if it could not. */
  get error(): RemotemError | null {
    return this._error;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Emitted once when a job ends: one known to be active is seen in a final phase, or a
   * job first listed after the first look is already in one.
   */
  get finished(): ISignal<this, IJob> {
    return this._finished;
  }

  /** Ids of the jobs followed by an events stream right now. */
  get streaming(): string[] {
    return Array.from(this._streams.keys());
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Start or stop following the jobs (when the panel is shown or hidden): streams
   * are closed while hidden.
   */
  setActive(active: boolean): void {
    if (this._isDisposed || active === this._active) {
      return;
    }
    this._active = active;
    if (active) {
      void this._poll.refresh();
    } else {
      this._closeAll();
    }
  }

  /**
   * Fetch the job list. Rejects on failure (so the poll backs off) after recording
   * the error for the view.
   */
  async refresh(): Promise<void> {
    if (this._isDisposed) {
      return;
    }
    let fresh: IJob[];
    void this.quota.refresh();
    try {
      fresh = await this.api.listJobs();
    } catch (reason) {
      if (this._isDisposed) {
        return;
      }
      this._error = RemotemError.from(reason);
      this._changed.emit();
      throw reason;
    }
    if (this._isDisposed) {
      return;
    }
    this._error = null;
    const merged = mergeJobs(this._jobs ?? [], fresh);
    const firstLook = !this._listed;
    for (const job of merged) {
      // A job that is new since the last look yet already over (submitted elsewhere, it ran
      // between two background polls) ended while this session watched: it is told too.
      this._noteFinished(job, !firstLook && !this._seen.has(job.id));
    }
    this._listed = true;
    this._jobs = merged;
    this._sync();
    this._changed.emit();
  }

  /** Refresh now (a user click, or a job submitted elsewhere). */
  refreshSoon(): Promise<void> {
    return this._poll.refresh();
  }

  /**
   * Record a job state (from a submission, an action or an event).
   */
  upsert(job: IJob): void {
    if (this._isDisposed) {
      return;
    }
    const jobs = [...(this._jobs ?? [])];
    const index = jobs.findIndex(j => j.id === job.id);
    if (index >= 0) {
      jobs[index] = job;
    } else {
      jobs.unshift(job);
    }
    this._noteFinished(job);
    this._jobs = jobs;
    this._sync();
    this._changed.emit();
  }

  remove(id: string): void {
    if (!this._jobs) {
      return;
    }
    this._jobs = this._jobs.filter(job => job.id !== id);
    this._sync();
    this._changed.emit();
  }

  /**
   * Cancel, pause, resume or delete a job; rejects with a RemotemError.
   */
  async act(
    id: string,
    action: JobAction,
    options: { keepFiles?: boolean } = {}
  ): Promise<void> {
    let job: IJob | null;
    try {
      job = await this.api.jobAction(id, action, undefined, options);
    } catch (reason) {
      const error = RemotemError.from(reason);
      if (error.status === 404) {
        // Gone already (deleted in another tab): drop it.
        this.remove(id);
      } else if (error.status === 409) {
        // The job moved on meanwhile: show where it is now.
        void this._poll.refresh();
      }
      throw error;
    }
    if (job) {
      this.upsert(job);
    } else {
      this.remove(id);
      // Its files are gone: so is their share of the storage quota.
      void this.quota.refresh();
    }
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._poll.dispose();
    this.quota.dispose();
    this._closeAll();
    Signal.clearData(this);
  }

  /**
   * Say once that a job ended: one seen active before, or (`endedUnseen`) one first seen
   * already over in a later look.
   */
  private _noteFinished(job: IJob, endedUnseen = false): void {
    this._seen.add(job.id);
    if (!isFinal(job.phase)) {
      this._running.add(job.id);
    } else if (this._running.delete(job.id) || endedUnseen) {
      // What it reserved is now kept (or freed).
      void this.quota.refresh();
      this._finished.emit(job);
    }
  }

  /**
   * Open streams for running jobs (up to MAX_STREAMS), close the others, and poll
   * fast while some active job is not streamed.
   */
  private _sync(): void {
    const jobs = this._jobs ?? [];
    const wanted = new Set<string>();
    if (this._active && typeof EventSource !== 'undefined') {
      for (const job of jobs) {
        if (wanted.size >= MAX_STREAMS) {
          break;
        }
        if (
          job.phase === 'EXECUTING' &&
          (this._failures.get(job.id) ?? 0) < MAX_STREAM_FAILURES
        ) {
          wanted.add(job.id);
        }
      }
    }
    for (const id of Array.from(this._streams.keys())) {
      if (!wanted.has(id)) {
        this._close(id);
      }
    }
    for (const id of wanted) {
      if (!this._streams.has(id)) {
        this._open(id);
      }
    }
    const unfollowed = jobs.some(
      job => !isFinal(job.phase) && !this._streams.has(job.id)
    );
    const interval =
      this._active && this._isVisible()
        ? unfollowed
          ? FAST_POLL_INTERVAL
          : POLL_INTERVAL
        : unfollowed
          ? POLL_INTERVAL
          : BACKGROUND_POLL_INTERVAL;
    if (this._poll.frequency.interval !== interval) {
      this._poll.frequency = {
        ...this._poll.frequency,
        interval,
        max: 12 * interval
      };
      // Inside a poll tick the next one already uses the new interval; outside (a
      // submission, an event) bring a distant tick closer.
      if (interval === FAST_POLL_INTERVAL && !this._polling) {
        void this._poll.schedule({ interval, phase: 'refreshed' });
      }
    }
  }

  private _open(id: string): void {
    let source: EventSource;
    try {
      source = new EventSource(this.api.jobEventsUrl(id), {
        withCredentials: this.api.crossOrigin
      });
    } catch {
      this._failures.set(id, MAX_STREAM_FAILURES);
      return;
    }
    const onJob = (event: MessageEvent) => {
      let job: IJob;
      try {
        job = JSON.parse(event.data);
      } catch {
        return;
      }
      if (!job || job.id !== id || this._streams.get(id) !== source) {
        return;
      }
      this._failures.delete(id);
      if (isFinal(job.phase)) {
        // The server closes the stream now; closing first avoids a reconnect.
        this._close(id);
      }
      this.upsert(job);
    };
    source.addEventListener('job', onJob as EventListener);
    source.onmessage = onJob;
    source.onerror = () => {
      if (this._streams.get(id) !== source) {
        return;
      }
      // Refused (not text/event-stream, 401, 404) or dropped: poll instead, and try
      // a stream again after the next poll unless it keeps failing.
      this._failures.set(id, (this._failures.get(id) ?? 0) + 1);
      this._close(id);
      this._sync();
      void this._poll.refresh();
    };
    this._streams.set(id, source);
  }

  private _close(id: string): void {
    const source = this._streams.get(id);
    if (source) {
      source.onerror = null;
      source.onmessage = null;
      source.close();
      this._streams.delete(id);
    }
  }

  private _closeAll(): void {
    for (const id of Array.from(this._streams.keys())) {
      this._close(id);
    }
  }

  private _jobs: IJob[] | null = null;
  private _filter: IJobFilter = NO_FILTER;
  private _expanded: string | null = null;
  private _error: RemotemError | null = null;
  private _active = false;
  private _isDisposed = false;
  private _polling = false;
  private _poll: Poll;
  private _streams = new Map<string, EventSource>();
  private _failures = new Map<string, number>();
  private _running = new Set<string>();
  /** Every job id any look or update has shown. */
  private _seen = new Set<string>();
  /** Whether the list was looked at once (what it held then is not news). */
  private _listed = false;
  private _isVisible: () => boolean;
  private _changed = new Signal<this, void>(this);
  private _finished = new Signal<this, IJob>(this);
}
