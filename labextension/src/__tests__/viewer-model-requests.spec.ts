import { RemotemError } from '../api';
import { ILiveAnswer, IPassResult, LiveQuery } from '../viewer/requests';

/**
 * A promise resolved or rejected from outside, with the signal it was asked with.
 */
interface IPending<T> {
  coarse: boolean;
  signal: AbortSignal;
  resolve: (value: IPassResult<T>) => void;
  reject: (reason: unknown) => void;
}

function harness<T>() {
  const answers: ILiveAnswer<T>[] = [];
  const errors: RemotemError[] = [];
  const busy: boolean[] = [];
  const pending: IPending<T>[] = [];
  const query = new LiveQuery<T>({
    onAnswer: answer => answers.push(answer),
    onError: error => errors.push(error),
    onBusy: value => busy.push(value)
  });
  const runner = (coarse: boolean, signal: AbortSignal) =>
    new Promise<IPassResult<T>>((resolve, reject) => {
      pending.push({ coarse, signal, resolve, reject });
    });
  return { query, runner, answers, errors, busy, pending };
}

/** Let awaited promise chains move on. */
const settle = () => new Promise(resolve => setTimeout(resolve, 0));

describe('LiveQuery', () => {
  it('asks a coarse pass first, then the exact one, and shows them in that order', async () => {
    const h = harness<string>();
    const done = h.query.start(h.runner, true);
    expect(h.pending.map(p => p.coarse)).toEqual([true]);
    h.pending[0].resolve({ value: 'coarse', step: 4 });
    await settle();
    expect(h.answers).toEqual([
      { value: 'coarse', exact: false, step: 4, run: 1 }
    ]);
    expect(h.pending.map(p => p.coarse)).toEqual([true, false]);
    h.pending[1].resolve({ value: 'exact', step: null });
    await done;
    expect(h.answers.map(a => [a.value, a.exact])).toEqual([
      ['coarse', false],
      ['exact', true]
    ]);
    expect(h.busy).toEqual([true, false]);
  });

  it('stops after the coarse pass when it already read every position', async () => {
    const h = harness<string>();
    const done = h.query.start(h.runner, true);
    h.pending[0].resolve({ value: 'all', step: 1 });
    await done;
    expect(h.pending).toHaveLength(1);
    expect(h.answers).toEqual([{ value: 'all', exact: true, step: 1, run: 1 }]);
  });

  it('aborts a superseded run and ignores its late answer', async () => {
    const h = harness<string>();
    const first = h.query.start(h.runner, true);
    const second = h.query.start(h.runner, true);
    expect(h.pending[0].signal.aborted).toBe(true);
    expect(h.pending[1].signal.aborted).toBe(false);
    // The server answered the old question before it saw the abort.
    h.pending[0].resolve({ value: 'old', step: 1 });
    h.pending[1].resolve({ value: 'new', step: 1 });
    await Promise.all([first, second]);
    expect(h.answers.map(a => a.value)).toEqual(['new']);
    expect(h.errors).toEqual([]);
    expect(h.query.busy).toBe(false);
  });

  it('never lets a coarse answer replace the exact one', async () => {
    const h = harness<string>();
    const runs: string[] = [];
    // A runner whose coarse pass is slow and whose exact pass answers at once.
    const done = h.query.start(async (coarse, signal) => {
      runs.push(coarse ? 'coarse' : 'exact');
      return h.runner(coarse, signal);
    }, true);
    await settle();
    h.pending[0].resolve({ value: 'coarse', step: 2 });
    await settle();
    h.pending[1].resolve({ value: 'exact', step: 1 });
    await done;
    expect(runs).toEqual(['coarse', 'exact']);
    expect(h.answers.map(a => a.exact)).toEqual([false, true]);
    // Nothing coarse arrives after the exact answer of the same run.
    expect(h.answers[h.answers.length - 1].value).toBe('exact');
  });

  it('reports errors of the current run only, not aborts', async () => {
    const h = harness<string>();
    const old = h.query.start(h.runner, false);
    const current = h.query.start(h.runner, false);
    const abort = new Error('aborted');
    abort.name = 'AbortError';
    h.pending[0].reject(abort);
    h.pending[1].reject(
      new RemotemError('Too large.', 413, 'too_large', 'Submit a job.')
    );
    await Promise.all([old, current]);
    expect(h.errors.map(e => [e.status, e.hint])).toEqual([
      [413, 'Submit a job.']
    ]);
  });

  it('cancel aborts the run and drops what it would answer', async () => {
    const h = harness<string>();
    const done = h.query.start(h.runner, false);
    h.query.cancel();
    expect(h.pending[0].signal.aborted).toBe(true);
    h.pending[0].resolve({ value: 'late', step: 1 });
    await done;
    expect(h.answers).toEqual([]);
    expect(h.busy).toEqual([true, false]);
  });
});

describe('LiveQuery with a pass that gets no answer', () => {
  function hanging(timeoutMs: number, answerOnAttempt: number | null) {
    const answers: ILiveAnswer<string>[] = [];
    const errors: RemotemError[] = [];
    const signals: AbortSignal[] = [];
    const query = new LiveQuery<string>(
      {
        onAnswer: answer => answers.push(answer),
        onError: error => errors.push(error)
      },
      timeoutMs
    );
    const runner = (_coarse: boolean, signal: AbortSignal) => {
      signals.push(signal);
      return signals.length === answerOnAttempt
        ? Promise.resolve({ value: `answer ${signals.length}`, step: 1 })
        : new Promise<IPassResult<string>>(() => undefined); // never answered
    };
    return { query, runner, answers, errors, signals };
  }

  it('asks again on a fresh request once the first goes unanswered', async () => {
    const h = hanging(20, 2);
    await h.query.start(h.runner, false);
    expect(h.signals).toHaveLength(2);
    expect(h.signals[0].aborted).toBe(true);
    expect(h.answers.map(a => a.value)).toEqual(['answer 2']);
    expect(h.errors).toEqual([]);
    expect(h.query.busy).toBe(false);
  });

  it('reports an error, and is no longer busy, when the second goes unanswered too', async () => {
    const h = hanging(20, null);
    await h.query.start(h.runner, false);
    expect(h.signals).toHaveLength(2);
    expect(h.signals.every(signal => signal.aborted)).toBe(true);
    expect(h.answers).toEqual([]);
    expect(h.errors.map(e => e.code)).toEqual(['timeout']);
    expect(h.query.busy).toBe(false);
  });
});
