/**
 * The viewer's commands: open a dataset (or a saved result) from the tree, the
 * details panel or another extension; open one typed as "repository:path" from the
 * command palette. Open viewers are tracked so that the layout restorer reopens
 * them, in the state they were left in, after a page reload.
 */
import { ILayoutRestorer, JupyterFrontEnd } from '@jupyterlab/application';
import {
  ICommandPalette,
  InputDialog,
  showErrorMessage,
  WidgetTracker
} from '@jupyterlab/apputils';
import { ITranslator } from '@jupyterlab/translation';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { IJob, RemotemAPI } from '../api';
import { treeItemOf } from '../contextmenu';
import { TRANSLATION_DOMAIN } from '../i18n';
import { RemotemSidebar } from '../sidebar';
import { parseLocation } from './state';
import { transformDataset } from './transformdialog';
import { IViewerArgs, viewerKey, ViewerWidget } from './widget';

export namespace ViewerCommandIDs {
  export const open = 'remotem:open-viewer';
  export const openAt = 'remotem:open-viewer-at';
  export const transform = 'remotem:viewer-transform';
}

export function registerViewer(
  app: JupyterFrontEnd,
  options: {
    api: RemotemAPI;
    sidebar: RemotemSidebar;
    restorer: ILayoutRestorer | null;
    palette: ICommandPalette | null;
    translator: ITranslator;
  }
): WidgetTracker<ViewerWidget> {
  const { api, sidebar, restorer, palette, translator } = options;
  const trans = translator.load(TRANSLATION_DOMAIN);
  const tracker = new WidgetTracker<ViewerWidget>({
    namespace: 'jupyter-remotem-viewer'
  });
  if (restorer) {
    void restorer.restore(tracker, {
      command: ViewerCommandIDs.open,
      args: widget =>
        widget.restoreArgs() as unknown as ReadonlyPartialJSONObject,
      name: widget => widget.key
    });
  }

  // A job a viewer started shows in the Jobs section, and its result in the tree.
  const onViewerJob = (_: ViewerWidget, job: IJob) => {
    sidebar.jobs.upsert(job);
    if (job.phase !== 'COMPLETED') {
      return;
    }
    const written = [
      ...(job.results ?? []),
      ...[job.request.output, job.request.target].filter(
        (location): location is NonNullable<typeof location> => !!location
      )
    ];
    for (const location of written) {
      sidebar.model.invalidate(location.repository, location.path);
    }
  };

  app.commands.addCommand(ViewerCommandIDs.open, {
    label: args =>
      args['isContextMenu']
        ? trans.__('Open in Viewer')
        : trans.__('Open Dataset Viewer'),
    caption: trans.__(
      'Navigate a scan, draw virtual detectors, and save results'
    ),
    describedBy: {
      args: {
        type: 'object',
        properties: {
          repository: { type: 'string' },
          path: { type: 'string' },
          dataset: { type: ['string', 'null'] },
          view: { type: 'object' }
        }
      }
    },
    execute: args => {
      const item = treeItemOf(app, args);
      if (!item) {
        return;
      }
      const viewerArgs: IViewerArgs = {
        repository: item.repository,
        path: item.path,
        dataset: typeof args['dataset'] === 'string' ? args['dataset'] : null,
        view: args['view'] ?? undefined
      };
      // One viewer per dataset: opening it again shows the one there is.
      const open = tracker.find(widget => widget.key === viewerKey(viewerArgs));
      if (open && viewerArgs.view === undefined) {
        app.shell.activateById(open.id);
        return open;
      }
      const widget = new ViewerWidget({ api, args: viewerArgs, translator });
      widget.saveRequested.connect(() => void tracker.save(widget));
      widget.jobChanged.connect(onViewerJob);
      void tracker.add(widget);
      app.shell.add(widget, 'main');
      app.shell.activateById(widget.id);
      return widget;
    }
  });
  app.contextMenu.addItem({
    command: ViewerCommandIDs.open,
    args: { isContextMenu: true },
    selector: '.jp-remotem-sidebar .jp-remotem-tree-item[data-openable]',
    rank: 5
  });
  sidebar.model.openRequested.connect((_, location) => {
    void app.commands.execute(ViewerCommandIDs.open, { ...location });
  });

  app.commands.addCommand(ViewerCommandIDs.openAt, {
    label: trans.__('Open Dataset Viewer at…'),
    caption: trans.__('Open a dataset given as repository:path'),
    describedBy: { args: { type: 'object', properties: {} } },
    execute: async () => {
      let text = '';
      for (;;) {
        const answer = await InputDialog.getText({
          title: trans.__('Open Dataset Viewer'),
          label: trans.__('Dataset as repository:path'),
          placeholder: trans.__('demo:scan.h5'),
          text
        });
        if (!answer.button.accept || answer.value === null) {
          return;
        }
        text = answer.value;
        const location = parseLocation(text);
        if (location) {
          return app.commands.execute(ViewerCommandIDs.open, location);
        }
        await showErrorMessage(
          trans.__('Cannot open'),
          trans.__('Write the repository, a colon, and the path: demo:scan.h5')
        );
      }
    }
  });
  // "Transform…" of the viewer in front, as its toolbar button does.
  app.commands.addCommand(ViewerCommandIDs.transform, {
    label: trans.__('Transform Dataset…'),
    caption: trans.__(
      'Write the dataset of the current viewer transformed, as a new dataset'
    ),
    describedBy: { args: { type: 'object', properties: {} } },
    isEnabled: () => !!tracker.currentWidget?.model.source,
    execute: () => {
      const widget = tracker.currentWidget;
      return widget ? transformDataset(widget.model, trans) : null;
    }
  });
  if (palette) {
    palette.addItem({
      command: ViewerCommandIDs.openAt,
      category: trans.__('Remote Data')
    });
    palette.addItem({
      command: ViewerCommandIDs.transform,
      category: trans.__('Remote Data')
    });
  }
  return tracker;
}
