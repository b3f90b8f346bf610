/**
 * The "Remote data" sidebar: repositories with speed lights and their trees above,
 * the details of the selected dataset below, split by a draggable handle. The
 * repository list is polled while the panel is visible (after dask-labextension's
 * cluster manager).
 */
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { ReactWidget, refreshIcon } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';
import { SplitPanel } from '@lumino/widgets';
import React, { useCallback, useEffect, useState } from 'react';

import { IRepository, RemotemAPI, RemotemError } from './api';
import { DatasetDetails } from './details';
import { TRANSLATION_DOMAIN, TranslationContext, useTranslation } from './i18n';
import { remoteDataIcon } from './icon';
import { ISelection, RepositoryNode } from './tree';
import { ErrorMessage, Spinner } from './widgets';

/** How often the repository list (and its speed lights) is refreshed, in ms. */
export const POLL_INTERVAL = 10_000;

/**
 * The state of the sidebar: the repository list and the selected dataset.
 */
export class SidebarModel {
  constructor(readonly api: RemotemAPI) {}

  get repositories(): IRepository[] | null {
    return this._repositories;
  }

  get error(): RemotemError | null {
    return this._error;
  }

  get selection(): ISelection | null {
    return this._selection;
  }

  /** Bumped on every user refresh: views remount their trees to drop caches. */
  get generation(): number {
    return this._generation;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  select(selection: ISelection | null): void {
    this._selection = selection;
    this._changed.emit();
  }

  /**
   * Fetch the repository list. Rejects on failure (so a poll backs off) after
   * recording the error for the view.
   */
  async refresh(): Promise<void> {
    try {
      this._repositories = await this.api.listRepositories();
      this._error = null;
    } catch (reason) {
      this._error = RemotemError.from(reason);
      this._changed.emit();
      throw reason;
    }
    this._changed.emit();
  }

  /**
   * A refresh asked for by the user: reload the list, every open tree and the details.
   */
  reload(): Promise<void> {
    this._generation++;
    return this.refresh();
  }

  private _repositories: IRepository[] | null = null;
  private _error: RemotemError | null = null;
  private _selection: ISelection | null = null;
  private _generation = 0;
  private _changed = new Signal<this, void>(this);
}

/**
 * Re-render a component whenever the model changes.
 */
function useModel(model: SidebarModel): void {
  const [, setTick] = useState(0);
  useEffect(() => {
    const onChange = () => setTick(n => n + 1);
    model.changed.connect(onChange);
    return () => {
      model.changed.disconnect(onChange);
    };
  }, [model]);
}

function BrowserView(props: { model: SidebarModel }): JSX.Element {
  const { model } = props;
  const trans = useTranslation();
  useModel(model);

  const reload = useCallback(() => {
    model.reload().catch(() => undefined);
  }, [model]);
  const select = useCallback(
    (selection: ISelection) => model.select(selection),
    [model]
  );

  const repositories = model.repositories;
  return (
    <div className="jp-remotem-panel">
      <div className="jp-remotem-toolbar">
        <h2 className="jp-remotem-heading">{trans.__('Remote data')}</h2>
        <button
          className="jp-remotem-refresh jp-Button jp-mod-minimal"
          title={trans.__('Refresh repositories and folders')}
          aria-label={trans.__('Refresh')}
          onClick={reload}
        >
          <refreshIcon.react tag="span" />
        </button>
      </div>
      <div className="jp-remotem-browser">
        {model.error && <ErrorMessage error={model.error} onRetry={reload} />}
        {repositories === null && !model.error && (
          <Spinner label={trans.__('Loading repositories…')} />
        )}
        {repositories !== null && repositories.length === 0 && (
          <div className="jp-remotem-note">
            {trans.__(
              'No repositories are configured. Add some to c.RemotemApp.repositories in the server configuration.'
            )}
          </div>
        )}
        {repositories !== null && repositories.length > 0 && (
          <ul
            className="jp-remotem-repos"
            role="tree"
            aria-label={trans.__('Remote repositories')}
          >
            {repositories.map(repository => (
              <RepositoryNode
                key={`${model.generation}:${repository.name}`}
                api={model.api}
                repository={repository}
                selection={model.selection}
                onSelect={select}
              />
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}

function DetailsView(props: { model: SidebarModel }): JSX.Element | null {
  const { model } = props;
  useModel(model);
  const selection = model.selection;
  if (!selection) {
    return null;
  }
  return (
    <DatasetDetails
      key={`${model.generation}:${selection.repository}:${selection.entry.path}`}
      api={model.api}
      repository={selection.repository}
      path={selection.entry.path}
    />
  );
}

/**
 * The sidebar widget: the browser above, the details (once something is selected) below.
 */
export class RemotemSidebar extends SplitPanel {
  constructor(api: RemotemAPI, translator: ITranslator = nullTranslator) {
    super({ orientation: 'vertical', spacing: 4 });
    const trans = translator.load(TRANSLATION_DOMAIN);
    this.id = 'jupyter-remotem:sidebar';
    this.title.icon = remoteDataIcon;
    this.title.caption = trans.__('Remote data');
    this.addClass('jp-remotem-sidebar');
    this.model = new SidebarModel(api);

    this._browser = Private.reactWidget(
      trans,
      <BrowserView model={this.model} />
    );
    this._browser.addClass('jp-remotem-browser-area');
    this._details = Private.reactWidget(
      trans,
      <DetailsView model={this.model} />
    );
    this._details.addClass('jp-remotem-details');
    this._details.node.setAttribute('aria-label', trans.__('Dataset details'));
    this._details.hide();
    this.addWidget(this._browser);
    this.addWidget(this._details);
    SplitPanel.setStretch(this._browser, 1);
    SplitPanel.setStretch(this._details, 1);
    this.model.changed.connect(this._onModelChanged, this);

    this._poll = new Poll({
      factory: () => this.model.refresh(),
      frequency: {
        interval: POLL_INTERVAL,
        backoff: true,
        max: 6 * POLL_INTERVAL
      },
      // Only poll while the panel is shown and the browser tab is visible.
      standby: () => (this.isVisible ? 'when-hidden' : true),
      name: 'jupyter-remotem:repositories'
    });
  }

  readonly model: SidebarModel;

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._poll.dispose();
    Signal.clearData(this);
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    // Fresh data whenever the panel is opened.
    void this._poll.refresh();
  }

  private _onModelChanged(): void {
    if (this.model.selection && this._details.isHidden) {
      this._details.show();
      this.setRelativeSizes([0.4, 0.6]);
    } else if (!this.model.selection && !this._details.isHidden) {
      this._details.hide();
    }
  }

  private _browser: ReactWidget;
  private _details: ReactWidget;
  private _poll: Poll;
}

namespace Private {
  export function reactWidget(
    trans: TranslationBundle,
    element: JSX.Element
  ): ReactWidget {
    return ReactWidget.create(
      <TranslationContext.Provider value={trans}>
        {element}
      </TranslationContext.Provider>
    );
  }
}
