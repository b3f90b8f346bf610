/**
 * Following the one job a viewer started (a save, or work too large to answer
 * interactively) until it ends, so that the viewer can show its progress and offer
 * to cancel it. The sidebar's job list follows all jobs; this is the viewer's own,
 * short-lived view of one.
 */
import { IJob, RemotemAPI, RemotemError } from '../api';
import { isFinal } from '../jobstate';

/** How often the job is asked for while it runs, in ms. */
export const JOB_POLL_INTERVAL = 500;

export class JobWatch {
  /**
   * @param onChange called with every new state of the job, and with an error when
   *   asking failed (the watch keeps trying until disposed).
   */
  constructor(
    private _api: RemotemAPI,
    job: IJob,
    private _onChange: (job: IJob, error: RemotemError | null) => void
  ) {
    this._job = job;
    if (!isFinal(job.phase)) {
      this._schedule();
    }
  }

  get job(): IJob {
    return this._job;
  }

  /**
   * Ask the server to cancel the job; the next answer shows it ABORTED.
   */
  async cancel(): Promise<void> {
    const job = await this._api.jobAction(this._job.id, 'cancel');
    if (job) {
      this._update(job, null);
    }
  }

  dispose(): void {
    this._disposed = true;
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
    this._controller.abort();
  }

  private _schedule(): void {
    this._timer = setTimeout(() => void this._tick(), JOB_POLL_INTERVAL);
  }

  private async _tick(): Promise<void> {
    this._timer = null;
    if (this._disposed) {
      return;
    }
    try {
      this._update(
        await this._api.getJob(this._job.id, this._controller.signal),
        null
      );
    } catch (reason) {
      if (this._disposed) {
        return;
      }
      this._onChange(this._job, RemotemError.from(reason));
    }
    if (!this._disposed && !isFinal(this._job.phase)) {
      this._schedule();
    }
  }

  private _update(job: IJob, error: RemotemError | null): void {
    if (this._disposed) {
      return;
    }
    this._job = job;
    this._onChange(job, error);
  }

  private _job: IJob;
  private _disposed = false;
  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _controller = new AbortController();
}
