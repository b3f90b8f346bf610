/**
 * The Sky cutouts panel, added to the left sidebar only when the server lists at least one
 * survey the user may use (`GET cutouts/surveys`): no surveys, no icon.
 */
import { ILayoutRestorer, JupyterFrontEnd } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';

import { RemotemAPI } from '../api';
import { CutoutsClient } from './client';

export const OPEN_CUTOUTS = 'remotem:open-cutouts';

export async function registerCutouts(
  app: JupyterFrontEnd,
  options: {
    api: RemotemAPI;
    restorer: ILayoutRestorer | null;
    palette: ICommandPalette | null;
    trans: TranslationBundle;
  }
): Promise<boolean> {
  const client = new CutoutsClient(options.api);
  let count = 0;
  try {
    count = (await client.surveys()).length;
  } catch {
    count = 0; // an unreachable server is reported by the Remote data sidebar, not here
  }
  if (!count) {
    return false;
  }
  const { trans } = options;
  const { CutoutsPanel } = await import('./panel');
  const panel = new CutoutsPanel(client, trans);
  app.shell.add(panel, 'left', { rank: 260 });
  options.restorer?.add(panel, panel.id);
  app.commands.addCommand(OPEN_CUTOUTS, {
    label: trans.__('Open Sky Cutouts'),
    caption: trans.__('Cutouts of sky surveys by coordinate, and batches'),
    describedBy: { args: { type: 'object', properties: {} } },
    execute: () => app.shell.activateById(panel.id)
  });
  options.palette?.addItem({
    command: OPEN_CUTOUTS,
    category: trans.__('Remote Data')
  });
  return true;
}
