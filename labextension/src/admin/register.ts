/**
 * The Admin panel's command, registered only for administrators: the server is asked
 * (`GET admin`), and its 404 for everyone else means no command, no palette entry, no panel.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { ICommandPalette, MainAreaWidget } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';

import { RemotemAPI } from '../api';
import { AdminClient, IAdminInfo } from './model';

export const OPEN_ADMIN = 'remotem:open-admin';

export async function registerAdmin(
  app: JupyterFrontEnd,
  options: {
    api: RemotemAPI;
    palette: ICommandPalette | null;
    trans: TranslationBundle;
  }
): Promise<boolean> {
  const client = new AdminClient(options.api);
  let info: IAdminInfo | null = null;
  try {
    info = await client.probe();
  } catch {
    info = null; // an unreachable server is reported by the sidebar, not here
  }
  if (!info) {
    return false;
  }
  const admin = info;
  const { trans } = options;
  let widget: MainAreaWidget | null = null;
  app.commands.addCommand(OPEN_ADMIN, {
    label: trans.__('Remote Data Administration'),
    caption: trans.__(
      "Every user's jobs, the queue, workers, quotas and throughput"
    ),
    describedBy: { args: { type: 'object', properties: {} } },
    execute: async () => {
      if (!widget || widget.isDisposed) {
        const { AdminPanel } = await import('./panel');
        widget = new MainAreaWidget({
          content: new AdminPanel(client, admin, trans)
        });
        widget.id = 'jupyter-remotem:admin-area';
        widget.title.label = trans.__('Remote Data Admin');
        widget.title.closable = true;
      }
      if (!widget.isAttached) {
        app.shell.add(widget, 'main');
      }
      app.shell.activateById(widget.id);
    }
  });
  options.palette?.addItem({
    command: OPEN_ADMIN,
    category: trans.__('Remote Data')
  });
  document.body.dataset.remotemAdmin = 'true';
  return true;
}
