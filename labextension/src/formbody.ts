/**
 * The body of a dialog that holds a form.
 *
 * JupyterLab's Dialog closes on Enter anywhere, listening on the window before its
 * children do; in a form's text fields Enter belongs to the form (it submits it), so
 * the body stops that key from reaching the dialog while it is attached.
 */
import { ReactWidget } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';

export abstract class FormDialogBody extends ReactWidget {
  handleEvent(event: Event): void {
    if (
      (event as KeyboardEvent).key === 'Enter' &&
      event.target instanceof HTMLInputElement &&
      this.node.contains(event.target)
    ) {
      event.stopPropagation();
    }
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    window.addEventListener('keydown', this, true);
  }

  protected onBeforeDetach(msg: Message): void {
    window.removeEventListener('keydown', this, true);
    super.onBeforeDetach(msg);
  }
}
