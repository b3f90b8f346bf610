import { IJob } from '../api';
import {
  actionsFor,
  chartBars,
  IAdminJob,
  INITIAL_FILTER,
  IThroughputBucket,
  jobsQuery
} from '../admin/model';
import { chooseEmail, setEmailSetting, withNotify } from '../notifychoice';

function job(partial: Partial<IAdminJob>): IAdminJob {
  return {
    id: 'j1',
    phase: 'QUEUED',
    kind: 'reduction',
    request: {},
    created: null,
    ...partial
  } as IJob as IAdminJob;
}

function bucket(completed: number, failed: number): IThroughputBucket {
  return {
    start: `t${completed}-${failed}`,
    completed,
    failed,
    aborted: 0,
    seconds: 0,
    kinds: {}
  };
}

describe('actionsFor', () => {
  it('offers what the server accepts in each phase', () => {
    expect(actionsFor(job({ phase: 'QUEUED' }))).toEqual([
      'cancel',
      'priority',
      'pause'
    ]);
    expect(actionsFor(job({ phase: 'EXECUTING' }))).toEqual([
      'cancel',
      'priority',
      'pause'
    ]);
    expect(actionsFor(job({ phase: 'SUSPENDED', paused_by: 'root' }))).toEqual([
      'cancel',
      'priority',
      'resume'
    ]);
    expect(actionsFor(job({ phase: 'EXECUTING', paused_by: 'root' }))).toEqual([
      'cancel',
      'priority',
      'resume'
    ]);
    expect(actionsFor(job({ phase: 'ERROR' }))).toEqual(['requeue']);
    expect(actionsFor(job({ phase: 'COMPLETED' }))).toEqual([]);
    expect(actionsFor(job({ phase: 'ABORTED' }))).toEqual([]);
  });

  it('never pauses or resumes an upload, which its client steers', () => {
    expect(actionsFor(job({ phase: 'HELD', kind: 'upload' }))).toEqual([
      'cancel',
      'priority'
    ]);
  });
});

describe('jobsQuery', () => {
  it('leaves empty choices out and pages', () => {
    expect(jobsQuery(INITIAL_FILTER)).toEqual({ offset: 0, limit: 50 });
    expect(
      jobsQuery({
        ...INITIAL_FILTER,
        user: 'bob',
        phase: 'ERROR',
        kind: 'copy',
        offset: 50
      })
    ).toEqual({
      offset: 50,
      limit: 50,
      user: 'bob',
      phase: 'ERROR',
      kind: 'copy'
    });
  });
});

describe('chartBars', () => {
  it('stacks failed above completed and scales the tallest to the top', () => {
    const { bars, max } = chartBars(
      [bucket(2, 1), bucket(0, 0), bucket(6, 0)],
      300,
      60
    );
    expect(max).toBe(6);
    expect(bars.map(b => b.x)).toEqual([10, 110, 210]);
    expect(bars.every(b => b.width === 80)).toBe(true);
    expect(bars[0].completedHeight).toBeCloseTo(20);
    expect(bars[0].completedY).toBeCloseTo(40);
    expect(bars[0].failedHeight).toBeCloseTo(10);
    expect(bars[0].failedY).toBeCloseTo(30);
    expect(bars[1].completedHeight + bars[1].failedHeight).toBe(0);
    expect(bars[2].completedY).toBeCloseTo(0);
  });

  it('draws nothing taller than zero for an empty series', () => {
    const { bars, max } = chartBars([bucket(0, 0), bucket(0, 0)], 100, 50);
    expect(max).toBe(0);
    expect(
      bars.every(
        b =>
          b.completedHeight === 0 && b.failedHeight === 0 && b.completedY === 50
      )
    ).toBe(true);
    expect(chartBars([], 100, 50).bars).toEqual([]);
  });
});

describe('withNotify', () => {
  const request = {
    operation: 'copy' as const,
    source: { repository: 'a', path: 'x' },
    target: { repository: 'b', path: 'y' }
  };

  it('asks for e-mail only when chosen and the server sends mail', () => {
    setEmailSetting({ enabled: false, address: null });
    chooseEmail(true);
    expect(withNotify(request)).toEqual(request);
    setEmailSetting({ enabled: true, address: 'ada@example.org' });
    expect(withNotify(request)).toEqual({ ...request, notify: 'email' });
    chooseEmail(false);
    expect(withNotify(request)).toEqual(request);
    expect(request).not.toHaveProperty('notify');
  });
});
