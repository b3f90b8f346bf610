/**
 * The commands of the user's own storages: "Add Storage…" (the sidebar's toolbar, the
 * palette, a repository's context menu) and "Remove Storage…" on the context menu of a
 * repository the user added (the listing marks those `own`). The dialogs load lazily.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { showErrorMessage } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';

import { RemotemAPI } from './api';
import { describeError } from './filemanage';
import type { RemotemSidebar } from './sidebar';
import { StorageAPI } from './storageapi';

export namespace StorageCommandIDs {
  export const add = 'remotem:add-storage';
  export const remove = 'remotem:remove-storage';
}

const HEADER = '.jp-remotem-sidebar .jp-remotem-repo-header';
const OWN_HEADER =
  '.jp-remotem-sidebar .jp-remotem-repo[data-own="true"] > .jp-remotem-repo-header';

/**
 * The own storage a command acts on: the one named in its arguments, else the one whose
 * header the context menu was opened on (null when that is a configured repository).
 */
function ownStorageOf(
  app: JupyterFrontEnd,
  args: { readonly [key: string]: unknown }
): string | null {
  if (typeof args['name'] === 'string') {
    return args['name'];
  }
  const header = app.contextMenuHitTest(element =>
    element.classList.contains('jp-remotem-repo-header')
  );
  const repo = header?.closest<HTMLElement>('.jp-remotem-repo');
  return repo?.dataset.own === 'true' ? (repo.dataset.repo ?? null) : null;
}

export function registerStorageCommands(
  app: JupyterFrontEnd,
  options: {
    api: RemotemAPI;
    sidebar: RemotemSidebar;
    trans: TranslationBundle;
  }
): void {
  const { sidebar, trans } = options;
  const storage = new StorageAPI(options.api);
  const model = sidebar.model;

  app.commands.addCommand(StorageCommandIDs.add, {
    label: trans.__('Add Storage…'),
    caption: trans.__(
      'Add storage of your own (S3, WebDAV, SFTP…) with your own credentials'
    ),
    describedBy: { args: { type: 'object', properties: {} } },
    execute: async () => {
      const { addStorage } = await import('./storagedialog');
      const saved = await addStorage(storage, trans);
      if (saved) {
        app.shell.activateById(sidebar.id);
        await model.refresh().catch(() => undefined);
        model.reveal(saved.name, '');
      }
    }
  });

  app.commands.addCommand(StorageCommandIDs.remove, {
    label: trans.__('Remove Storage…'),
    caption: trans.__(
      'Forget this storage of yours and its credentials (its files stay)'
    ),
    describedBy: {
      args: { type: 'object', properties: { name: { type: 'string' } } }
    },
    isVisible: args => ownStorageOf(app, args) !== null,
    execute: async args => {
      const name = ownStorageOf(app, args);
      if (!name) {
        return;
      }
      const { removeStorage } = await import('./storagedialog');
      try {
        if (await removeStorage(storage, trans, name)) {
          if (model.selection?.repository === name) {
            model.select(null);
          }
          await model.refresh().catch(() => undefined);
        }
      } catch (reason) {
        await showErrorMessage(
          trans.__('Cannot remove the storage'),
          describeError(reason)
        );
      }
    }
  });

  app.contextMenu.addItem({
    command: StorageCommandIDs.add,
    selector: HEADER,
    rank: 90
  });
  app.contextMenu.addItem({
    command: StorageCommandIDs.remove,
    selector: OWN_HEADER,
    rank: 91
  });
}
