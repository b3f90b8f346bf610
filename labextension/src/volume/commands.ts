/**
 * The volume view's commands: open a 3-D array from the tree's context menu, from a
 * dataset of a volume type, or as "repository:path" from the command palette. Open
 * views are tracked so that a page reload reopens them.
 */
import { ILayoutRestorer, JupyterFrontEnd } from '@jupyterlab/application';
import {
  ICommandPalette,
  InputDialog,
  WidgetTracker
} from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { RemotemAPI } from '../api';
import { treeItemOf } from '../contextmenu';
import { DatasetsAPI } from '../datasetsapi';
import type { RemotemSidebar } from '../sidebar';
import { parseLocation } from '../viewer/state';
import { IVolumeArgs, volumeKey, VolumeWidget } from './widget';

export namespace VolumeCommandIDs {
  export const open = 'remotem:open-volume';
  export const openAt = 'remotem:open-volume-at';
}

/** Dataset types of segmentations: shown with label colours from the start. */
export const LABEL_TYPES = new Set(['label-volume']);
/** The preview `GET datasets/types` names for types this view shows. */
export const VOLUME_PREVIEW = 'volume';

/** Whether a volume of dataset type `type` holds labels (null: decided from its voxels). */
export function labelsOfType(type: string | null): boolean | null {
  return type === null ? null : LABEL_TYPES.has(type);
}

export function registerVolumeView(
  app: JupyterFrontEnd,
  options: {
    api: RemotemAPI;
    sidebar: RemotemSidebar;
    restorer: ILayoutRestorer | null;
    palette: ICommandPalette | null;
    trans: TranslationBundle;
  }
): WidgetTracker<VolumeWidget> {
  const { api, sidebar, restorer, palette, trans } = options;
  const tracker = new WidgetTracker<VolumeWidget>({
    namespace: 'jupyter-remotem-volume'
  });
  if (restorer) {
    void restorer.restore(tracker, {
      command: VolumeCommandIDs.open,
      args: widget =>
        ({ ...widget.args }) as unknown as ReadonlyPartialJSONObject,
      name: widget => widget.key
    });
  }
  app.commands.addCommand(VolumeCommandIDs.open, {
    label: args =>
      args['isContextMenu']
        ? trans.__('Open in Volume View')
        : trans.__('Open Volume View'),
    caption: trans.__(
      'Orthogonal slices and a 3-D rendering of a 3-D array (z, y, x)'
    ),
    describedBy: {
      args: {
        type: 'object',
        properties: {
          repository: { type: 'string' },
          path: { type: 'string' },
          dataset: { type: ['string', 'null'] },
          labels: { type: ['boolean', 'null'] },
          type: { type: 'string' }
        }
      }
    },
    execute: args => {
      const item = treeItemOf(app, args);
      if (!item || item.isFolder) {
        return;
      }
      const type = typeof args['type'] === 'string' ? args['type'] : null;
      const volumeArgs: IVolumeArgs = {
        repository: item.repository,
        path: item.path,
        dataset: typeof args['dataset'] === 'string' ? args['dataset'] : null,
        labels:
          typeof args['labels'] === 'boolean'
            ? args['labels']
            : labelsOfType(type)
      };
      const open = tracker.find(widget => widget.key === volumeKey(volumeArgs));
      if (open) {
        app.shell.activateById(open.id);
        return open;
      }
      const widget = new VolumeWidget(api, volumeArgs, trans);
      void tracker.add(widget);
      app.shell.add(widget, 'main');
      app.shell.activateById(widget.id);
      return widget;
    }
  });
  // A double-click on a dataset of a volume type opens it here (the types the server
  // declares with the volume preview), any other array in the dataset viewer.
  const volumeTypes = new Set<string>();
  const datasets = new DatasetsAPI(api);
  void datasets
    .types()
    .then(types => {
      for (const type of types) {
        if (type.preview === VOLUME_PREVIEW) {
          volumeTypes.add(type.name);
        }
      }
    })
    .catch(() => undefined); // no types: arrays open in the dataset viewer
  const openAsVolume = (repository: string, path: string, type: string) =>
    void app.commands.execute(VolumeCommandIDs.open, {
      repository,
      path,
      type
    });
  sidebar.model.openers.push((repository, entry) => {
    if (entry.type !== 'file') {
      return false;
    }
    const type = entry.registered?.type;
    if (type) {
      if (!volumeTypes.has(type)) {
        return false;
      }
      openAsVolume(repository, entry.path, type);
      return true;
    }
    if (!entry.dataset || entry.result) {
      return false; // not an array, or a result (those open in the dataset viewer)
    }
    // An unregistered array: the server says what it would be (a 3-D reconstruction or a
    // segmentation opens here, a scan in the dataset viewer).
    return datasets.guess(repository, entry.path).then(
      guessed => {
        if (!volumeTypes.has(guessed)) {
          return false;
        }
        openAsVolume(repository, entry.path, guessed);
        return true;
      },
      () => false
    );
  });

  app.contextMenu.addItem({
    command: VolumeCommandIDs.open,
    args: { isContextMenu: true },
    selector: '.jp-remotem-sidebar .jp-remotem-tree-item[data-openable]',
    rank: 6
  });

  app.commands.addCommand(VolumeCommandIDs.openAt, {
    label: trans.__('Open Volume View at…'),
    caption: trans.__('Open a 3-D array given as repository:path'),
    describedBy: { args: { type: 'object', properties: {} } },
    execute: async () => {
      const answer = await InputDialog.getText({
        title: trans.__('Open Volume View'),
        label: trans.__('Volume as repository:path'),
        placeholder: trans.__('demo:tomo/segmentation.h5')
      });
      const location =
        answer.button.accept && answer.value
          ? parseLocation(answer.value)
          : null;
      if (location) {
        return app.commands.execute(VolumeCommandIDs.open, { ...location });
      }
    }
  });
  if (palette) {
    const category = trans.__('Remote Data');
    palette.addItem({ command: VolumeCommandIDs.openAt, category });
  }
  return tracker;
}
