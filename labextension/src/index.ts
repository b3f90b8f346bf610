import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, showErrorMessage } from '@jupyterlab/apputils';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

// The sidebar is added to the shell at start-up, so these load at once anyway.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { RemotemAPI, RemotemError } from './api';
// Small: asks the server whether to register the Admin panel's command (its panel loads lazily).
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { registerAdmin } from './admin/register';
// Small: asks the server for surveys before adding the Sky cutouts panel (it loads lazily).
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { registerCutouts } from './cutouts/register';
import { askEmailSetting } from './notifychoice';
import { returnFocusAfterMenu, treeItemOf } from './contextmenu';
// Small, and its context-menu items must be there from the start.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { registerFileCommands } from './filecommands';
// The drive must be there when a restored layout reopens a file from it.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { registerFileOpening } from './fileopen';
import { TRANSLATION_DOMAIN } from './i18n';
import { remoteDataIcon, tokenIcon } from './icon';
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { RemotemSidebar } from './sidebar';
// Small (the dialogs it opens load lazily), and its context-menu items must be there from the start.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { registerStorageCommands, StorageCommandIDs } from './storagecommands';
// Viewers come back with the layout at start-up, so they are needed at once.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { registerViewer } from './viewer/commands';
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { registerVolumeView } from './volume/commands';

/**
 * Command ids.
 */
export namespace CommandIDs {
  export const openSidebar = 'remotem:open-sidebar';
  export const openJobs = 'remotem:open-jobs';
  export const copyTo = 'remotem:copy-to';
  export const manageTokens = 'remotem:manage-tokens';
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
    const sidebar = new RemotemSidebar(
      api,
      translator,
      () => void app.commands.execute(CommandIDs.manageTokens),
      () => void app.commands.execute(StorageCommandIDs.add)
    );
    app.shell.add(sidebar, 'left', { rank: 250 });
    sidebar.showRequested.connect(() => app.shell.activateById(sidebar.id));
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

    app.commands.addCommand(CommandIDs.openJobs, {
      label: trans.__('Show Remote Data Jobs'),
      caption: trans.__('Copies and reductions running on the server'),
      describedBy: { args: { type: 'object', properties: {} } },
      execute: () => {
        app.shell.activateById(sidebar.id);
        sidebar.showJobs();
      }
    });

    app.commands.addCommand(CommandIDs.copyTo, {
      label: trans.__('Copy to…'),
      caption: trans.__('Copy to another place or repository, as a job'),
      describedBy: {
        args: {
          type: 'object',
          properties: {
            repository: { type: 'string' },
            path: { type: 'string' },
            isFolder: { type: 'boolean' }
          }
        }
      },
      execute: async args => {
        const source = treeItemOf(app, args);
        if (!source) {
          return;
        }
        // Lazily loaded: only needed once someone copies.
        const { copyTo } = await import('./copy');
        try {
          const job = await copyTo(api, trans, source);
          if (job) {
            app.shell.activateById(sidebar.id);
            sidebar.showJob(job);
          }
        } catch (reason) {
          const error = RemotemError.from(reason);
          await showErrorMessage(
            trans.__('Cannot copy'),
            error.hint ? `${error.message}\n${error.hint}` : error.message
          );
        }
      }
    });
    app.contextMenu.addItem({
      command: CommandIDs.copyTo,
      selector: '.jp-remotem-sidebar .jp-remotem-tree-item',
      rank: 10
    });

    registerFileCommands(app, { api, sidebar, trans });
    registerStorageCommands(app, { api, sidebar, trans });
    registerFileOpening(app, { api, sidebar, trans });
    returnFocusAfterMenu(app);

    app.commands.addCommand(CommandIDs.manageTokens, {
      label: trans.__('Personal API Tokens…'),
      caption: trans.__(
        'Tokens that let scripts elsewhere use the remote data API in your name'
      ),
      icon: args => (args['isPalette'] ? undefined : tokenIcon),
      describedBy: { args: { type: 'object', properties: {} } },
      execute: async () => {
        // Lazily loaded: only needed when someone manages tokens.
        const { manageTokens } = await import('./tokensdialog');
        await manageTokens(api, trans);
      }
    });

    registerViewer(app, { api, sidebar, restorer, palette, translator });
    void registerAdmin(app, { api, palette, trans }); // administrators only (admin/register.ts)
    void registerCutouts(app, { api, restorer, palette, trans }); // when there are surveys
    askEmailSetting(api); // "E-mail me when it ends" in the job dialogs
    registerVolumeView(app, { api, sidebar, restorer, palette, trans });

    if (palette) {
      palette.addItem({
        command: CommandIDs.openSidebar,
        category: trans.__('Remote Data')
      });
      palette.addItem({
        command: CommandIDs.openJobs,
        category: trans.__('Remote Data')
      });
      palette.addItem({
        command: CommandIDs.manageTokens,
        category: trans.__('Remote Data')
      });
      palette.addItem({
        command: StorageCommandIDs.add,
        category: trans.__('Remote Data')
      });
    }
  }
};

export default plugin;
