/**
 * The quota line of the Jobs section, computed from `GET quota` (no JupyterLab imports,
 * so it is unit-testable): one meter per limited resource, in words and as a fraction.
 */
import type { TranslationBundle } from '@jupyterlab/translation';

import type { IQuota, IQuotaAccount } from './api';
import { formatBytes, formatMoney } from './format';

/** Above this fraction of a limit a meter warns: the next job may well not fit. */
export const WARNING_FRACTION = 0.9;

/**
 * One limited resource: how much of it is taken (kept plus reserved by unfinished jobs).
 */
export interface IQuotaMeter {
  resource: 'storage' | 'compute' | 'budget';
  /** The group whose shared pool this is; null for the user's own quota. */
  pool: string | null;
  /** "Storage 12.0 of 57.2 MiB". */
  text: string;
  /** Where the numbers come from, for a tooltip. */
  details: string;
  /** Taken over limit, clipped to [0, 1]; 1 when the limit is zero. */
  fraction: number;
  warning: boolean;
}

/**
 * Taken over limit, clipped to [0, 1]; a zero limit is full.
 */
export function quotaFraction(used: number, limit: number): number {
  if (!(limit > 0)) {
    return 1;
  }
  return Math.min(Math.max(used / limit, 0), 1);
}

/**
 * Whether a resource is so nearly used up that the user should be warned.
 */
export function isNearLimit(used: number, limit: number): boolean {
  return limit <= 0 || used / limit > WARNING_FRACTION;
}

/**
 * Two byte counts sharing their unit when they have the same: "12.0 of 57.2 MiB".
 */
export function formatBytesOf(used: number, limit: number): string {
  const a = formatBytes(used);
  const b = formatBytes(limit);
  const unitA = a.split(' ')[1];
  const unitB = b.split(' ')[1];
  return unitA === unitB ? `${a.split(' ')[0]} of ${b}` : `${a} of ${b}`;
}

/**
 * Hours with the precision that matters at that size: "0.25", "1.5", "12".
 */
export function formatHours(hours: number): string {
  if (hours > 0 && hours < 0.01) {
    return '<0.01';
  }
  const digits = hours < 1 ? 2 : hours < 10 ? 1 : 0;
  return String(Number(hours.toFixed(digits)));
}

/**
 * The meters of the limited resources, storage first, the user's own before those of
 * their groups' shared pools; none when nothing is limited.
 */
export function quotaMeters(
  quota: IQuota | null,
  trans: TranslationBundle
): IQuotaMeter[] {
  if (!quota) {
    return [];
  }
  const meters = accountMeters(quota, null, trans);
  for (const pool of quota.pools ?? []) {
    meters.push(...accountMeters(pool, pool.group, trans));
  }
  return meters;
}

function accountMeters(
  account: IQuotaAccount,
  pool: string | null,
  trans: TranslationBundle
): IQuotaMeter[] {
  const { limits, usage } = account;
  // A pool's line names its group: "microscopy (shared): Storage 12.0 of 57.2 MiB".
  const named = (text: string) =>
    pool === null ? text : trans.__('%1 (shared): %2', pool, text);
  const meters: IQuotaMeter[] = [];
  if (limits.storage_bytes !== null && limits.storage_bytes !== undefined) {
    const limit = limits.storage_bytes;
    const used = usage.storage_bytes + usage.reserved_bytes;
    meters.push({
      resource: 'storage',
      pool,
      text: named(trans.__('Storage %1', formatBytesOf(used, limit))),
      details: trans._n(
        '%2 kept by %1 result file, %3 reserved by unfinished jobs, %4 left.',
        '%2 kept by %1 result files, %3 reserved by unfinished jobs, %4 left.',
        usage.results,
        formatBytes(usage.storage_bytes),
        formatBytes(usage.reserved_bytes),
        formatBytes(Math.max(limit - used, 0))
      ),
      fraction: quotaFraction(used, limit),
      warning: isNearLimit(used, limit)
    });
  }
  if (limits.compute_hours !== null && limits.compute_hours !== undefined) {
    const limit = limits.compute_hours;
    const used = usage.compute_hours + usage.reserved_hours;
    meters.push({
      resource: 'compute',
      pool,
      text: named(
        trans.__(
          'Compute %1 of %2 h (%3 days)',
          formatHours(used),
          formatHours(limit),
          formatHours(limits.period_days)
        )
      ),
      details: trans.__(
        '%1 h used in the last %2 days, %3 h reserved by unfinished jobs, %4 h left.',
        formatHours(usage.compute_hours),
        formatHours(limits.period_days),
        formatHours(usage.reserved_hours),
        formatHours(Math.max(limit - used, 0))
      ),
      fraction: quotaFraction(used, limit),
      warning: isNearLimit(used, limit)
    });
  }
  const costs = account.costs;
  if (costs && costs.budget !== null && costs.budget !== undefined) {
    const used = costs.spent + costs.reserved;
    meters.push({
      resource: 'budget',
      pool,
      text: named(
        trans.__(
          'Budget %1 of %2 (%3 days)',
          formatMoney(used, costs.currency),
          formatMoney(costs.budget, costs.currency),
          formatHours(costs.period_days)
        )
      ),
      details: trans.__(
        '%1 spent in the last %2 days, %3 reserved by unfinished jobs, %4 left.',
        formatMoney(costs.spent, costs.currency),
        formatHours(costs.period_days),
        formatMoney(costs.reserved, costs.currency),
        formatMoney(Math.max(costs.budget - used, 0), costs.currency)
      ),
      fraction: quotaFraction(used, costs.budget),
      warning: isNearLimit(used, costs.budget)
    });
  }
  return meters;
}
