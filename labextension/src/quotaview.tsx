/**
 * The user's quota under the Jobs header: a compact line with a thin meter per limited
 * resource, so a full quota is seen before a job is refused for it.
 */
import { ISignal, Signal } from '@lumino/signaling';
import React from 'react';

import { IQuota, RemotemAPI } from './api';
import { useSignalVersion } from './signalversion';
import { useTranslation } from './i18n';
import { quotaMeters } from './quota';

/**
 * The last answer of `GET quota`, fetched again whenever the jobs change.
 */
export class QuotaModel {
  constructor(readonly api: RemotemAPI) {}

  /** Null until loaded, and while the server does not answer it. */
  get quota(): IQuota | null {
    return this._quota;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Fetch the quota. A failure hides the line rather than showing an error: the job
   * list beside it already reports an unreachable server.
   */
  async refresh(): Promise<void> {
    const serial = ++this._serial;
    let quota: IQuota | null;
    try {
      quota = await this.api.getQuota();
    } catch {
      quota = null;
    }
    // Answers may arrive out of order: only the latest request counts.
    if (serial !== this._serial) {
      return;
    }
    this._quota = quota;
    this._changed.emit();
  }

  dispose(): void {
    this._serial++;
    Signal.clearData(this);
  }

  private _quota: IQuota | null = null;
  private _serial = 0;
  private _changed = new Signal<this, void>(this);
}

/**
 * "Storage 12.0 of 57.2 MiB · Compute 0.3 of 5 h (30 days)", each with a meter;
 * nothing at all when no resource is limited.
 */
export function QuotaLine(props: { model: QuotaModel }): JSX.Element | null {
  const trans = useTranslation();
  useSignalVersion(props.model.changed);
  const meters = quotaMeters(props.model.quota, trans);
  if (!meters.length) {
    return null;
  }
  return (
    <div className="jp-remotem-quota" aria-label={trans.__('Your quota')}>
      {meters.map(meter => {
        const percent = Math.round(meter.fraction * 100);
        return (
          <div
            key={`${meter.pool ?? ''}/${meter.resource}`}
            className={
              'jp-remotem-quota-item' + (meter.warning ? ' jp-mod-warn' : '')
            }
            data-resource={meter.resource}
            data-pool={meter.pool ?? undefined}
            title={meter.details}
          >
            <span className="jp-remotem-quota-text">{meter.text}</span>
            <div
              className="jp-remotem-quota-meter"
              role="meter"
              aria-label={meter.text}
              aria-valuemin={0}
              aria-valuemax={100}
              aria-valuenow={percent}
              aria-valuetext={`${percent}%`}
            >
              <div
                className="jp-remotem-quota-meter-bar"
                style={{ width: `${percent}%` }}
              />
            </div>
          </div>
        );
      })}
    </div>
  );
}
