import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';

import { RemotemAPI } from './api';
import { remoteDataIcon } from './icon';
import { RemotemSidebar } from './sidebar';

/**
 * Command ids.
 */
export namespace CommandIDs {
  export const openSidebar = 'remotem:open-sidebar';
}

/**
 * The Remote data sidebar.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-remotem:plugin',
  description: 'Browse and preview large datasets in remote repositories.',
  autoStart: true,
  optional: [ILayoutRestorer, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null
  ) => {
    const api = new RemotemAPI(app.serviceManager.serverSettings);
    const sidebar = new RemotemSidebar(api);
    app.shell.add(sidebar, 'left', { rank: 250 });
    if (restorer) {
      restorer.add(sidebar, sidebar.id);
    }

    app.commands.addCommand(CommandIDs.openSidebar, {
      label: 'Open Remote Data Sidebar',
      caption: 'Browse datasets in remote repositories',
      icon: args => (args['isPalette'] ? undefined : remoteDataIcon),
      execute: () => {
        app.shell.activateById(sidebar.id);
      }
    });
    if (palette) {
      palette.addItem({ command: CommandIDs.openSidebar, category: 'Remote Data' });
    }
  }
};

export default plugin;
