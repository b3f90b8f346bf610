/**
 * Pieces shared by the dialogs that ask where to write (Copy to…, Save result…).
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import React from 'react';

import { TranslationContext } from './i18n';

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
    className: string
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
