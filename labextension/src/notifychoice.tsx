/**
 * "E-mail me when it ends": one choice shared by every dialog that makes a job, kept in
 * the browser, and added to the job's request as `"notify": "email"` where the lab submits
 * jobs (api.ts). Shown only when the server can send mail (`GET me/email`).
 */
import React, { useEffect, useState } from 'react';

import { useTranslation } from './i18n';

const KEY = 'jupyter-remotem:notify-email';

/** What the server said of e-mail: whether it sends any, and to which address. */
export interface IEmailSetting {
  enabled: boolean;
  address: string | null;
}

let setting: IEmailSetting = { enabled: false, address: null };
const listeners = new Set<() => void>();

function stored(): boolean {
  try {
    return globalThis.localStorage?.getItem(KEY) === '1';
  } catch {
    return false;
  }
}

let chosen = stored();

/** Tell the dialogs what the server said (the plugin asks once, at start). */
export function setEmailSetting(value: IEmailSetting): void {
  setting = value;
  listeners.forEach(listener => listener());
}

/** Ask the server once whether it sends e-mail (no answer: no checkbox). */
export function askEmailSetting(api: {
  getEmailSetting(): Promise<IEmailSetting>;
}): void {
  api
    .getEmailSetting()
    .then(answer =>
      setEmailSetting({ enabled: answer.enabled, address: answer.address })
    )
    .catch(() => undefined);
}

/** Whether jobs made now ask for an e-mail. */
export function emailChosen(): boolean {
  return chosen && setting.enabled;
}

export function chooseEmail(value: boolean): void {
  chosen = value;
  try {
    globalThis.localStorage?.setItem(KEY, value ? '1' : '0');
  } catch {
    // a browser without storage keeps the choice for this session only
  }
  listeners.forEach(listener => listener());
}

/** `request` with `"notify": "email"` when chosen; as it is otherwise. */
export function withNotify<T extends object>(
  request: T
): T | (T & { notify: 'email' }) {
  return emailChosen() ? { ...request, notify: 'email' as const } : request;
}

/** The checkbox, in every dialog that makes a job (dialogs.tsx, Refusals). */
export function EmailWhenEnds(): JSX.Element | null {
  const trans = useTranslation();
  const [, setVersion] = useState(0);
  useEffect(() => {
    const listener = () => setVersion(value => value + 1);
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }, []);
  if (!setting.enabled) {
    return null;
  }
  return (
    <label
      className="jp-remotem-notify-email"
      title={
        setting.address
          ? trans.__('Sent to %1', setting.address)
          : trans.__(
              'No address is known yet: set one with PUT remotem/api/me/email'
            )
      }
    >
      <input
        type="checkbox"
        checked={chosen}
        onChange={event => chooseEmail(event.target.checked)}
      />{' '}
      {trans.__('E-mail me when it ends')}
    </label>
  );
}
