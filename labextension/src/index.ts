import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

// The sidebar is added to the shell at start-up, so these load at once anyway.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { RemotemAPI } from './api';
import { TRANSLATION_DOMAIN } from './i18n';
import { remoteDataIcon } from './icon';
// eslint-disable-next-line jupyter/prefer-lazy-imports
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
  optional: [ILayoutRestorer, ICommandPalette, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    translator: ITranslator | null
  ) => {
    translator = translator ?? nullTranslator;
    const trans = translator.load(TRANSLATION_DOMAIN);
    const api = new RemotemAPI(app.serviceManager.serverSettings);
    const sidebar = new RemotemSidebar(api, translator);
    app.shell.add(sidebar, 'left', { rank: 250 });
    if (restorer) {
      restorer.add(sidebar, sidebar.id);
    }

    app.commands.addCommand(CommandIDs.openSidebar, {
      label: trans.__('Open Remote Data Sidebar'),
      caption: trans.__('Browse datasets in remote repositories'),
      icon: args => (args['isPalette'] ? undefined : remoteDataIcon),
      describedBy: { args: { type: 'object', properties: {} } },
      execute: () => {
        app.shell.activateById(sidebar.id);
      }
    });
    if (palette) {
      palette.addItem({
        command: CommandIDs.openSidebar,
        category: trans.__('Remote Data')
      });
    }
  }
};

export default plugin;
