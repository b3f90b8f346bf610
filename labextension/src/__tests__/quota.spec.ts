import { nullTranslator } from '@jupyterlab/translation';

import { IQuota } from '../api';
import {
  formatBytesOf,
  formatHours,
  isNearLimit,
  quotaFraction,
  quotaMeters,
  WARNING_FRACTION
} from '../quota';

const trans = nullTranslator.load('jupyter_remotem');
const MiB = 1024 * 1024;

function quota(partial: {
  limits?: Partial<IQuota['limits']>;
  usage?: Partial<IQuota['usage']>;
}): IQuota {
  return {
    limits: {
      storage_bytes: null,
      compute_hours: null,
      period_days: 30,
      ...partial.limits
    },
    usage: {
      storage_bytes: 0,
      results: 0,
      compute_hours: 0,
      reserved_bytes: 0,
      reserved_hours: 0,
      ...partial.usage
    },
    remaining: { storage_bytes: null, compute_hours: null }
  };
}

describe('quotaFraction and isNearLimit', () => {
  it('clips the fraction to [0, 1] and treats a zero limit as full', () => {
    expect(quotaFraction(5, 10)).toBe(0.5);
    expect(quotaFraction(15, 10)).toBe(1);
    expect(quotaFraction(-1, 10)).toBe(0);
    expect(quotaFraction(0, 0)).toBe(1);
  });

  it('warns only above the threshold', () => {
    expect(WARNING_FRACTION).toBe(0.9);
    expect(isNearLimit(90, 100)).toBe(false);
    expect(isNearLimit(90.1, 100)).toBe(true);
    expect(isNearLimit(0, 0)).toBe(true);
  });
});

describe('formatting', () => {
  it('shares the unit of two byte counts when they have the same', () => {
    expect(formatBytesOf(12 * MiB, 57.2 * MiB)).toBe('12.0 of 57.2 MiB');
    expect(formatBytesOf(512, 10 * MiB)).toBe('512 B of 10.0 MiB');
  });

  it('gives hours the precision that matters', () => {
    expect(formatHours(0)).toBe('0');
    expect(formatHours(0.001)).toBe('<0.01');
    expect(formatHours(0.25)).toBe('0.25');
    expect(formatHours(1.54)).toBe('1.5');
    expect(formatHours(30)).toBe('30');
  });
});

describe('quotaMeters', () => {
  it('shows nothing without limits or without an answer', () => {
    expect(quotaMeters(null, trans)).toEqual([]);
    expect(quotaMeters(quota({}), trans)).toEqual([]);
  });

  it('counts reserved bytes and hours as taken', () => {
    const meters = quotaMeters(
      quota({
        limits: { storage_bytes: 100 * MiB, compute_hours: 5 },
        usage: {
          storage_bytes: 40 * MiB,
          results: 3,
          reserved_bytes: 10 * MiB,
          compute_hours: 0.25,
          reserved_hours: 0.05
        }
      }),
      trans
    );
    expect(meters.map(m => m.resource)).toEqual(['storage', 'compute']);
    const [storage, compute] = meters;
    expect(storage.text).toBe('Storage 50.0 of 100 MiB');
    expect(storage.fraction).toBeCloseTo(0.5);
    expect(storage.warning).toBe(false);
    expect(storage.details).toBe(
      '40.0 MiB kept by 3 result files, 10.0 MiB reserved by unfinished jobs, 50.0 MiB left.'
    );
    expect(compute.text).toBe('Compute 0.3 of 5 h (30 days)');
    expect(compute.fraction).toBeCloseTo(0.06);
  });

  it('warns above 90 % and shows only the limited resource', () => {
    const meters = quotaMeters(
      quota({
        limits: { compute_hours: 2, period_days: 7 },
        usage: { compute_hours: 1.9, reserved_hours: 0.2 }
      }),
      trans
    );
    expect(meters).toHaveLength(1);
    expect(meters[0].resource).toBe('compute');
    expect(meters[0].fraction).toBe(1);
    expect(meters[0].warning).toBe(true);
    expect(meters[0].details).toContain('0 h left');
  });

  it("adds the shared pools of the user's groups after the own quota", () => {
    const pool = quota({
      limits: { storage_bytes: 10 * MiB },
      usage: { storage_bytes: 9.5 * MiB, results: 4 }
    });
    const meters = quotaMeters(
      {
        ...quota({ limits: { compute_hours: 5 } }),
        pools: [{ ...pool, group: 'microscopy' }]
      },
      trans
    );
    expect(meters.map(m => [m.pool, m.resource])).toEqual([
      [null, 'compute'],
      ['microscopy', 'storage']
    ]);
    expect(meters[1].text).toBe(
      'microscopy (shared): Storage 9.50 of 10.0 MiB'
    );
    expect(meters[1].warning).toBe(true);
    expect(meters[1].details).toBe(
      '9.50 MiB kept by 4 result files, 0 B reserved by unfinished jobs, 512 KiB left.'
    );
  });
});

describe('a budget', () => {
  const costs = {
    currency: 'EUR',
    spent: 7.5,
    reserved: 1.25,
    budget: 10,
    remaining: 1.25,
    period_days: 30
  };

  it('is a meter when the quota has one: spent and reserved against it', () => {
    const meters = quotaMeters({ ...quota({}), costs }, trans);
    expect(meters).toHaveLength(1);
    const [budget] = meters;
    expect(budget.resource).toBe('budget');
    expect(budget.text).toBe('Budget 8.75 EUR of 10.00 EUR (30 days)');
    expect(budget.details).toContain('7.50 EUR spent');
    expect(budget.details).toContain('1.25 EUR reserved');
    expect(budget.details).toContain('1.25 EUR left');
    expect(budget.fraction).toBeCloseTo(0.875);
    expect(budget.warning).toBe(false);
  });

  it('is no meter when prices are set without a budget, and names a pool', () => {
    const open = { ...costs, budget: null, remaining: null };
    expect(quotaMeters({ ...quota({}), costs: open }, trans)).toEqual([]);
    const pooled = quotaMeters(
      {
        ...quota({}),
        pools: [
          { ...quota({}), group: 'microscopy', costs: { ...costs, spent: 9.5 } }
        ]
      },
      trans
    );
    expect(pooled).toHaveLength(1);
    expect(pooled[0].pool).toBe('microscopy');
    expect(pooled[0].text).toContain('microscopy (shared): Budget 10.75 EUR');
    expect(pooled[0].fraction).toBe(1);
    expect(pooled[0].warning).toBe(true);
  });
});
