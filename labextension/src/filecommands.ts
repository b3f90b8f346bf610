/**
 * The tree's file commands (upload, download, new folder, rename, delete) and their
 * context-menu items. Writing commands show only for writable repositories; every change
 * reloads the folders it touched, leaving open folders open.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { showErrorMessage } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';

import { RemotemAPI } from './api';
import { ITreeItem, treeItemOf } from './contextmenu';
import {
  describeError,
  download,
  newFolder,
  pickFiles,
  remove,
  rename
} from './filemanage';
import { parentOf } from './filepaths';
import type { RemotemSidebar } from './sidebar';
import { isInside } from './tree';
import { planFromInput } from './uploadplan';

export namespace FileCommandIDs {
  export const refresh = 'remotem:refresh-folder';
  export const uploadFiles = 'remotem:upload-files';
  export const uploadFolder = 'remotem:upload-folder';
  export const download = 'remotem:download';
  export const newFolder = 'remotem:new-folder';
  export const rename = 'remotem:rename';
  export const remove = 'remotem:delete';
}

const ITEM = '.jp-remotem-sidebar .jp-remotem-tree-item';
const FOLDER = '.jp-remotem-sidebar .jp-remotem-tree-item[data-kind="folder"]';
const HEADER = '.jp-remotem-sidebar .jp-remotem-repo-header';

const ARGS = {
  type: 'object',
  properties: {
    repository: { type: 'string' },
    path: { type: 'string' },
    isFolder: { type: 'boolean' },
    writable: { type: 'boolean' }
  }
};

/**
 * Register the file commands and put them in the tree's context menus.
 */
export function registerFileCommands(
  app: JupyterFrontEnd,
  options: {
    api: RemotemAPI;
    sidebar: RemotemSidebar;
    trans: TranslationBundle;
  }
): void {
  const { api, sidebar, trans } = options;
  const model = sidebar.model;
  const item = (args: Record<string, unknown>): ITreeItem | null =>
    treeItemOf(app, args);
  const writable = (args: Record<string, unknown>) => !!item(args)?.writable;
  const fail = (title: string) => (reason: unknown) =>
    showErrorMessage(title, describeError(reason));
  /** The selection goes when what it showed was renamed or deleted. */
  const forget = (repository: string, path: string) => {
    const selected = model.selection;
    if (
      selected &&
      selected.repository === repository &&
      (selected.entry.path === path || isInside(selected.entry.path, path))
    ) {
      model.select(null);
    }
  };

  const upload = (folder: boolean) => (args: Record<string, unknown>) => {
    const target = item(args);
    if (!target?.writable) {
      return;
    }
    // The chooser opens now, while the menu click still counts as the user's.
    return pickFiles(folder).then(files => {
      if (files.length) {
        sidebar.uploads.add(
          {
            repository: target.repository,
            folder: target.isFolder ? target.path : parentOf(target.path)
          },
          planFromInput(files)
        );
      }
    });
  };
  app.commands.addCommand(FileCommandIDs.refresh, {
    label: trans.__('Refresh'),
    caption: trans.__(
      'Read this folder again from the repository, keeping open folders open'
    ),
    describedBy: { args: ARGS },
    execute: args => {
      const target = item(args);
      if (target) {
        model.refreshFolder(
          target.repository,
          target.isFolder ? target.path : parentOf(target.path)
        );
      }
    }
  });

  app.commands.addCommand(FileCommandIDs.uploadFiles, {
    label: trans.__('Upload Files…'),
    caption: trans.__('Upload files from this computer into this folder'),
    describedBy: { args: ARGS },
    isVisible: writable,
    execute: upload(false)
  });
  app.commands.addCommand(FileCommandIDs.uploadFolder, {
    label: trans.__('Upload Folder…'),
    caption: trans.__('Upload a folder with everything in it into this folder'),
    describedBy: { args: ARGS },
    isVisible: writable,
    execute: upload(true)
  });

  app.commands.addCommand(FileCommandIDs.download, {
    label: args =>
      item(args)?.isFolder ? trans.__('Download as Zip') : trans.__('Download'),
    caption: trans.__('Download to this computer (a folder as a zip)'),
    describedBy: { args: ARGS },
    execute: args => {
      const target = item(args);
      if (target) {
        download(api, target);
      }
    }
  });

  app.commands.addCommand(FileCommandIDs.newFolder, {
    label: trans.__('New Folder…'),
    caption: trans.__('Make a folder here'),
    describedBy: { args: ARGS },
    isVisible: writable,
    execute: async args => {
      const parent = item(args);
      if (!parent?.writable) {
        return;
      }
      try {
        const path = await newFolder(api, trans, parent);
        if (path !== null) {
          model.reveal(parent.repository, path);
        }
      } catch (reason) {
        await fail(trans.__('Cannot make the folder'))(reason);
      }
    }
  });

  app.commands.addCommand(FileCommandIDs.rename, {
    label: trans.__('Rename…'),
    caption: trans.__('Give this file or folder another name'),
    describedBy: { args: ARGS },
    isVisible: args => writable(args) && !!item(args)?.path,
    execute: async args => {
      const target = item(args);
      if (!target?.writable || !target.path) {
        return;
      }
      try {
        const path = await rename(api, trans, target);
        if (path !== null) {
          forget(target.repository, target.path);
          model.reveal(target.repository, path);
        }
      } catch (reason) {
        await fail(trans.__('Cannot rename'))(reason);
      }
    }
  });

  app.commands.addCommand(FileCommandIDs.remove, {
    label: trans.__('Delete…'),
    caption: trans.__('Delete this file, or this folder with everything in it'),
    describedBy: { args: ARGS },
    isVisible: args => writable(args) && !!item(args)?.path,
    execute: async args => {
      const target = item(args);
      if (!target?.writable || !target.path) {
        return;
      }
      try {
        const path = await remove(api, trans, target);
        if (path !== null) {
          forget(target.repository, path);
          model.invalidate(target.repository, path);
        }
      } catch (reason) {
        await fail(trans.__('Cannot delete'))(reason);
      }
    }
  });

  const menu: Array<[string, string, number]> = [
    [FileCommandIDs.refresh, FOLDER, 1],
    [FileCommandIDs.refresh, HEADER, 1],
    [FileCommandIDs.uploadFiles, FOLDER, 20],
    [FileCommandIDs.uploadFiles, HEADER, 20],
    [FileCommandIDs.uploadFolder, FOLDER, 21],
    [FileCommandIDs.uploadFolder, HEADER, 21],
    [FileCommandIDs.newFolder, FOLDER, 22],
    [FileCommandIDs.newFolder, HEADER, 22],
    [FileCommandIDs.download, ITEM, 30],
    [FileCommandIDs.download, HEADER, 30],
    [FileCommandIDs.rename, ITEM, 40],
    [FileCommandIDs.remove, ITEM, 41]
  ];
  for (const [command, selector, rank] of menu) {
    app.contextMenu.addItem({ command, selector, rank });
  }
}
