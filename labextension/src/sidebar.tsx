/**
 * The "Remote data" sidebar: repositories with speed lights, their trees, and
 * the details of the selected dataset. Polls the repository list while visible
 * (after dask-labextension's cluster manager).
 */
import { ReactWidget } from '@jupyterlab/ui-components';
import { refreshIcon } from '@jupyterlab/ui-components';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';
import { Message } from '@lumino/messaging';
import React, { useCallback, useEffect, useState } from 'react';

import { IRepository, RemotemAPI, RemotemError } from './api';
import { DatasetDetails } from './details';
import { remoteDataIcon } from './icon';
import { ISelection, RepositoryNode } from './tree';
import { ErrorMessage, Spinner } from './widgets';

/** How often the repository list (and its speed lights) is refreshed, in ms. */
export const POLL_INTERVAL = 10_000;

/**
 * The list of repositories, refreshed on demand.
 */
export class RepositoryListModel {
  constructor(readonly api: RemotemAPI) {}

  get repositories(): IRepository[] | null {
    return this._repositories;
  }

  get error(): RemotemError | null {
    return this._error;
  }

  /** Bumped on every user refresh: views remount their trees to drop caches. */
  get generation(): number {
    return this._generation;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
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
   * A refresh asked for by the user: reload the list and every open tree.
   */
  reload(): Promise<void> {
    this._generation++;
    return this.refresh();
  }

  private _repositories: IRepository[] | null = null;
  private _error: RemotemError | null = null;
  private _generation = 0;
  private _changed = new Signal<this, void>(this);
}

function SidebarView(props: { model: RepositoryListModel }): JSX.Element {
  const { model } = props;
  const [, setTick] = useState(0);
  const [selection, setSelection] = useState<ISelection | null>(null);

  useEffect(() => {
    const onChange = () => setTick(n => n + 1);
    model.changed.connect(onChange);
    return () => {
      model.changed.disconnect(onChange);
    };
  }, [model]);

  const reload = useCallback(() => {
    model.reload().catch(() => undefined);
  }, [model]);

  const repositories = model.repositories;
  const generation = model.generation;
  return (
    <div className="jp-remotem-panel">
      <div className="jp-remotem-toolbar">
        <h2 className="jp-remotem-heading">Remote data</h2>
        <button
          className="jp-remotem-refresh jp-Button jp-mod-minimal"
          title="Refresh repositories and folders"
          aria-label="Refresh"
          onClick={reload}
        >
          <refreshIcon.react tag="span" />
        </button>
      </div>
      <div className="jp-remotem-browser">
        {model.error && <ErrorMessage error={model.error} onRetry={reload} />}
        {repositories === null && !model.error && <Spinner label="Loading repositories…" />}
        {repositories !== null && repositories.length === 0 && (
          <div className="jp-remotem-note">
            No repositories are configured. Add some to
            <code>c.RemotemApp.repositories</code> in the server configuration.
          </div>
        )}
        {repositories !== null && repositories.length > 0 && (
          <ul className="jp-remotem-repos" role="tree" aria-label="Remote repositories">
            {repositories.map(repository => (
              <RepositoryNode
                key={`${generation}:${repository.name}`}
                api={model.api}
                repository={repository}
                selection={selection}
                onSelect={setSelection}
              />
            ))}
          </ul>
        )}
      </div>
      {selection && (
        <div className="jp-remotem-details" aria-label="Dataset details">
          <DatasetDetails
            key={`${generation}:${selection.repository}:${selection.entry.path}`}
            api={model.api}
            repository={selection.repository}
            path={selection.entry.path}
          />
        </div>
      )}
    </div>
  );
}

/**
 * The sidebar widget.
 */
export class RemotemSidebar extends ReactWidget {
  constructor(api: RemotemAPI) {
    super();
    this.id = 'jupyter-remotem:sidebar';
    this.title.icon = remoteDataIcon;
    this.title.caption = 'Remote data';
    this.addClass('jp-remotem-sidebar');
    this.model = new RepositoryListModel(api);
    this._poll = new Poll({
      factory: () => this.model.refresh(),
      frequency: { interval: POLL_INTERVAL, backoff: true, max: 6 * POLL_INTERVAL },
      // Only poll while the panel is shown and the browser tab is visible.
      standby: () => (this.isVisible ? 'when-hidden' : true),
      name: 'jupyter-remotem:repositories'
    });
  }

  readonly model: RepositoryListModel;

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._poll.dispose();
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    // Fresh data whenever the panel is opened.
    void this._poll.refresh();
  }

  render(): JSX.Element {
    return <SidebarView model={this.model} />;
  }

  private _poll: Poll;
}
