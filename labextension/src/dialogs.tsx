/**
 * Pieces shared by the form dialogs (Copy to…, Save result…, Transform…, Save search…,
 * Index…, a saved result as navigator): the body that keeps the form's value, the
 * dialog asked with it, the dry-run quote and the quota's refusal.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import React, { RefObject, useEffect, useRef, useState } from 'react';

import { IJobDryRun, isAbort, RemotemError } from './api';
import { TranslationContext, useTranslation } from './i18n';
import { EmailWhenEnds } from './notifychoice';
import { ErrorMessage } from './widgets';

/** Delay before asking for a quote after the last keystroke, in ms. */
export const QUOTE_DELAY = 400;

/**
 * The body of a form dialog: renders the form, keeps its latest value, and puts the
 * cursor in its first text field (selected, ready to be typed over).
 */
export class FormBody<V> extends ReactWidget implements Dialog.IBodyWidget<V> {
  /**
   * @param form renders the form; it reports every change through `onChange`
   */
  constructor(
    private _trans: TranslationBundle,
    initial: V,
    private _form: (onChange: (value: V) => void) => JSX.Element,
    className: string,
    /** What takes the focus first instead of the first text field. */
    private _focus: string | null = null
  ) {
    super();
    this.addClass(className);
    this._value = initial;
  }

  getValue(): V {
    return this._value;
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    // Once React has rendered it.
    requestAnimationFrame(() => {
      if (this._focus) {
        this.node.querySelector<HTMLElement>(this._focus)?.focus();
        return;
      }
      const input = this.node.querySelector<HTMLInputElement>('input');
      input?.focus();
      input?.select();
    });
  }

  render(): JSX.Element {
    return (
      <TranslationContext.Provider value={this._trans}>
        {this._form(value => {
          this._value = value;
        })}
      </TranslationContext.Provider>
    );
  }

  private _value: V;
}

/**
 * Show a form in a dialog with Cancel and `accept`; resolves with the form's last value,
 * or null when cancelled.
 */
export async function askForm<V>(options: {
  trans: TranslationBundle;
  title: string;
  /** The label of the button that accepts. */
  accept: string;
  value: V;
  form: (onChange: (value: V) => void) => JSX.Element;
  className: string;
  /** What takes the focus first (default: the first text field). */
  focus?: string;
}): Promise<V | null> {
  const { trans } = options;
  const body = new FormBody<V>(
    trans,
    options.value,
    options.form,
    options.className,
    options.focus ?? null
  );
  const result = await showDialog<V>({
    title: options.title,
    body,
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.okButton({ label: options.accept })
    ],
    focusNodeSelector: options.focus ?? 'input'
  });
  return result.button.accept && result.value !== null ? result.value : null;
}

/**
 * The value of a dialog form's fields: `change` merges some fields into it and tells the
 * dialog (whose accept reads the latest value).
 */
export function useFormValue<V>(
  initial: V,
  onChange: (value: V) => void
): [V, (changes: Partial<V>) => void] {
  const [value, setValue] = useState(initial);
  const change = (changes: Partial<V>) => {
    const next = { ...value, ...changes };
    setValue(next);
    onChange(next);
  };
  return [value, change];
}

/**
 * Tell the user that nothing can be written anywhere, and how to change that.
 */
export async function explainNoWritableRepository(
  trans: TranslationBundle
): Promise<void> {
  await showDialog({
    title: trans.__('No writable repository'),
    body: trans.__(
      'None of the configured repositories is writable. Mark one with "writable": true in c.RemotemApp.repositories.'
    ),
    buttons: [Dialog.okButton({ label: trans.__('OK') })]
  });
}

/**
 * Ask the server, a moment after the form last changed, what a job would cost and
 * whether it fits the quota (`POST jobs?dry_run=1`). `key` names what the answer depends
 * on; `ask` is null while the form is incomplete.
 */
export function useDryRun(
  ask: ((signal: AbortSignal) => Promise<IJobDryRun>) | null,
  key: string
): { dryRun: IJobDryRun | null; error: RemotemError | null } {
  const [dryRun, setDryRun] = useState<IJobDryRun | null>(null);
  const [error, setError] = useState<RemotemError | null>(null);
  const latest = useRef(ask);
  latest.current = ask;
  const ready = ask !== null;
  useEffect(() => {
    setDryRun(null);
    setError(null);
    if (!latest.current) {
      return;
    }
    const controller = new AbortController();
    const timer = setTimeout(() => {
      latest
        .current?.(controller.signal)
        .then(setDryRun)
        .catch(reason => {
          if (!isAbort(reason)) {
            setError(RemotemError.from(reason));
          }
        });
    }, QUOTE_DELAY);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [key, ready]);
  return { dryRun, error };
}

/**
 * Why the job of a dry run would be refused by the quota (its room or its budget), as
 * the server says it: the message, the error's code and its hint.
 */
export interface IQuotaRefusal {
  reason: string;
  code: string;
  hint: string | null;
}

/** The codes of the quota's refusals: a submission refused so repeats the dry run. */
const QUOTA_CODES = ['quota_exceeded', 'budget_exceeded'];

/**
 * Why the job of a dry run would be refused by the quota, or null when it fits.
 */
export function quotaRefusal(dryRun: IJobDryRun | null): IQuotaRefusal | null {
  const quota = dryRun?.quota;
  if (!quota || quota.fits) {
    return null;
  }
  return {
    reason: quota.reason ?? '',
    code: quota.code ?? 'quota_exceeded',
    hint: quota.hint ?? null
  };
}

/**
 * Disable the accept button of the dialog around the returned ref's element while
 * `reason` is set, with the reason as its tooltip.
 */
export function useBlockedAccept<T extends HTMLElement>(
  reason: string | null
): RefObject<T> {
  const ref = useRef<T>(null);
  useEffect(() => {
    const button = ref.current
      ?.closest('.jp-Dialog')
      ?.querySelector<HTMLButtonElement>('.jp-Dialog-footer .jp-mod-accept');
    if (!button) {
      return;
    }
    button.disabled = reason !== null;
    if (reason !== null) {
      button.title = reason;
    } else {
      button.removeAttribute('title');
    }
  }, [reason]);
  return ref;
}

/**
 * The quota's verdict on a job that would not fit, said before it is submitted.
 */
export function QuotaRefusal(props: {
  refusal: IQuotaRefusal | null;
}): JSX.Element | null {
  const trans = useTranslation();
  const refusal = props.refusal;
  if (refusal === null) {
    return null;
  }
  const error = new RemotemError(
    refusal.reason || trans.__('This job does not fit your quota.'),
    403,
    refusal.code,
    refusal.hint ??
      trans.__(
        'Delete old results in the Jobs section, choose a smaller job, or ask for a larger quota.'
      )
  );
  return <ErrorMessage error={error} />;
}

/**
 * Why the job cannot go ahead, said once: the server's refusal of the last submission
 * while the form still holds what was submitted (it is what the server decided), else
 * the dry run's quota verdict.
 */
export function Refusals(props: {
  refusal: IQuotaRefusal | null;
  error: RemotemError | null;
  edited: boolean;
}): JSX.Element {
  const submitted = props.edited ? null : props.error;
  const quotaSaidIt = QUOTA_CODES.includes(submitted?.code ?? '');
  return (
    <>
      <EmailWhenEnds />
      <QuotaRefusal refusal={quotaSaidIt ? null : props.refusal} />
      {submitted && <ErrorMessage error={submitted} />}
    </>
  );
}

/**
 * The dry run of a form's job and the quota's verdict on it: the returned ref goes on
 * the form, whose dialog's accept button waits while the job would not fit.
 */
export function useQuotaVerdict(
  ask: ((signal: AbortSignal) => Promise<IJobDryRun>) | null,
  key: string
): {
  dryRun: IJobDryRun | null;
  error: RemotemError | null;
  refusal: IQuotaRefusal | null;
  form: RefObject<HTMLDivElement>;
} {
  const { dryRun, error } = useDryRun(ask, key);
  const refusal = quotaRefusal(dryRun);
  const form = useBlockedAccept<HTMLDivElement>(refusal?.reason ?? null);
  return { dryRun, error, refusal, form };
}
