/**
 * Live requests: while a detector is dragged, every move asks the server again. A
 * newer question makes older answers worthless, so each new run aborts the one in
 * flight (the server stops working when the client disconnects) and answers that
 * still arrive late are dropped. Each run asks a coarse pass first (a subsampled scan,
 * back in a fraction of a second) and then the exact one; within a run the exact
 * answer replaces the coarse one, never the reverse. A pass that gets no answer at all
 * within PASS_TIMEOUT_MS (a connection the browser or a proxy left hanging) is asked
 * once more on a fresh request, then reported as an error: a view never waits forever.
 */
import { isAbort, RemotemError } from '../api';

/** How long one pass may go unanswered before it is asked again (once). */
export const PASS_TIMEOUT_MS = 25_000;

/**
 * What one pass of a run answers: a value and the scan step the server used
 * (1 or null: every position was read).
 */
export interface IPassResult<T> {
  value: T;
  step: number | null;
}

/**
 * An answer handed to the listener.
 */
export interface ILiveAnswer<T> {
  value: T;
  /** Whether every scan position was read (no coarser answer will follow). */
  exact: boolean;
  step: number;
  /** The run this answer belongs to. */
  run: number;
}

/**
 * One pass of a run: `coarse` asks for a subsampled scan.
 */
export type PassRunner<T> = (
  coarse: boolean,
  signal: AbortSignal
) => Promise<IPassResult<T>>;

export interface ILiveQueryListener<T> {
  onAnswer: (answer: ILiveAnswer<T>) => void;
  onError: (error: RemotemError, run: number) => void;
  onBusy?: (busy: boolean) => void;
}

/**
 * Runs queries one at a time, the newest winning.
 */
export class LiveQuery<T> {
  constructor(
    private _listener: ILiveQueryListener<T>,
    private _passTimeoutMs = PASS_TIMEOUT_MS
  ) {}

  /** Whether a run is in flight. */
  get busy(): boolean {
    return this._controller !== null;
  }

  /** The number of the latest run (0 before the first). */
  get run(): number {
    return this._run;
  }

  /**
   * Start a run, aborting the one in flight. With `coarse`, a subsampled pass goes
   * first and the exact pass follows only if the coarse one was subsampled.
   * Resolves when this run has finished or was superseded.
   */
  async start(runner: PassRunner<T>, coarse: boolean): Promise<void> {
    this.cancel();
    const run = ++this._run;
    const controller = new AbortController();
    this._controller = controller;
    this._setBusy(true);
    try {
      if (coarse) {
        const first = await this._pass(runner, true, controller.signal);
        if (!this._deliver(run, first)) {
          return;
        }
        if (stepOf(first) === 1) {
          return;
        }
      }
      const exact = await this._pass(runner, false, controller.signal);
      this._deliver(run, { value: exact.value, step: 1 });
    } catch (reason) {
      if (run === this._run && !isAbort(reason) && !controller.signal.aborted) {
        this._listener.onError(RemotemError.from(reason), run);
      }
    } finally {
      if (run === this._run) {
        this._controller = null;
        this._setBusy(false);
      }
    }
  }

  /**
   * Abort the run in flight; its answers are dropped.
   */
  cancel(): void {
    if (this._controller) {
      this._controller.abort();
      this._controller = null;
      // Answers of the aborted run must not count as the latest.
      this._run++;
      this._setBusy(false);
    }
  }

  /**
   * One pass, asked again on a fresh request if the first gets no answer in time.
   */
  private async _pass(
    runner: PassRunner<T>,
    coarse: boolean,
    run: AbortSignal
  ): Promise<IPassResult<T>> {
    for (let attempt = 1; ; attempt++) {
      const request = new AbortController();
      const abort = () => request.abort();
      run.addEventListener('abort', abort);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = new Promise<'timeout'>(resolve => {
        timer = setTimeout(() => resolve('timeout'), this._passTimeoutMs);
      });
      try {
        const answer = await Promise.race([
          runner(coarse, request.signal),
          timedOut
        ]);
        if (answer !== 'timeout') {
          return answer;
        }
        request.abort();
        if (attempt >= 2 || run.aborted) {
          throw new RemotemError(
            'The server did not answer this view in time.',
            0,
            'timeout',
            'Try again; if it keeps happening, the server or its storage may be overloaded.'
          );
        }
      } finally {
        clearTimeout(timer);
        run.removeEventListener('abort', abort);
      }
    }
  }

  /**
   * Hand an answer over unless its run was superseded. The passes of a run are
   * asked one after the other, so its exact answer always comes last. Answers
   * whether the run is still current.
   */
  private _deliver(run: number, result: IPassResult<T>): boolean {
    if (run !== this._run) {
      return false;
    }
    const step = stepOf(result);
    this._listener.onAnswer({
      value: result.value,
      exact: step === 1,
      step,
      run
    });
    return true;
  }

  private _setBusy(busy: boolean): void {
    if (busy !== this._busy) {
      this._busy = busy;
      this._listener.onBusy?.(busy);
    }
  }

  private _run = 0;
  private _busy = false;
  private _controller: AbortController | null = null;
}

function stepOf<T>(result: IPassResult<T>): number {
  return result.step && result.step > 1 ? result.step : 1;
}
