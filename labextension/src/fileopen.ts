/**
 * Opening files that are not arrays in JupyterLab's own viewers: text and logs in the
 * editor, JSON in the JSON viewer, CSV/TSV as tables, pictures in the image viewer. The
 * files come through the read-only "RemoteData" drive (drive.ts).
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { TranslationBundle } from '@jupyterlab/translation';

import { RemotemAPI } from './api';
import { treeItemOf } from './contextmenu';
import { RemoteDataDrive } from './drive';
import { drivePath, factoryFor } from './fileroutes';
import type { RemotemSidebar } from './sidebar';

export namespace FileOpenCommandIDs {
  export const open = 'remotem:open-file';
}

/** JupyterLab's own command that opens a path with a widget factory. */
const DOCMANAGER_OPEN = 'docmanager:open';

/**
 * Add the drive, the command that opens a file with JupyterLab's viewers and its
 * context-menu item on rows that open that way.
 */
export function registerFileOpening(
  app: JupyterFrontEnd,
  options: {
    api: RemotemAPI;
    sidebar: RemotemSidebar;
    trans: TranslationBundle;
  }
): RemoteDataDrive {
  const { api, sidebar, trans } = options;
  const drive = new RemoteDataDrive(api);
  app.serviceManager.contents.addDrive(drive);

  app.commands.addCommand(FileOpenCommandIDs.open, {
    label: trans.__('Open'),
    caption: trans.__(
      'Open in JupyterLab: text in the editor, JSON, tables and pictures in their viewers'
    ),
    describedBy: {
      args: {
        type: 'object',
        properties: {
          repository: { type: 'string' },
          path: { type: 'string' },
          factory: { type: 'string' }
        }
      }
    },
    execute: args => {
      const item = treeItemOf(app, args);
      if (!item || item.isFolder) {
        return;
      }
      const factory =
        typeof args['factory'] === 'string'
          ? args['factory']
          : factoryFor(item.path);
      return app.commands.execute(DOCMANAGER_OPEN, {
        path: drivePath(item.repository, item.path),
        factory
      });
    }
  });
  app.contextMenu.addItem({
    command: FileOpenCommandIDs.open,
    selector:
      '.jp-remotem-sidebar .jp-remotem-tree-item[data-opens="document"]',
    rank: 5
  });

  sidebar.model.openFileRequested.connect((_, request) => {
    void app.commands.execute(FileOpenCommandIDs.open, {
      repository: request.repository,
      path: request.path,
      factory: request.factory
    });
  });
  return drive;
}
