/**
 * The "Remote data" sidebar: repositories with speed lights and their trees above,
 * the details of the selected dataset below, split by a draggable handle. The
 * repository list is polled while the panel is visible (after dask-labextension's
 * cluster manager).
 */
import { Notification } from '@jupyterlab/apputils';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { addIcon, ReactWidget, refreshIcon } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';
import { SplitPanel } from '@lumino/widgets';
import React, { useCallback, useRef } from 'react';

import { FoldingSection } from './foldingsection';
import {
  IEntry,
  IJob,
  IJobResult,
  IRepository,
  isDataset,
  RemotemAPI,
  RemotemError
} from './api';
import { RegisteredDataset } from './datasetpanel';
import { DatasetDetails } from './details';
import { IDropped } from './dropzone';
import { FileDetails } from './filedetails';
import { DocumentFactory, openRoute } from './fileroutes';
import { useRerenderOn, useRovingTabIndex } from './hooks';
import { TRANSLATION_DOMAIN, TranslationContext, useTranslation } from './i18n';
import { remoteDataIcon, tokenIcon } from './icon';
import { IJobNotice, noticeForEnd, noticesBeforeRemoval } from './jobnotify';
import { JobsModel } from './jobsmodel';
import { JobsView } from './jobsview';
import { AnnotationsEditor } from './search/annotations';
import { CatalogAPI } from './search/catalogapi';
import { SearchModel } from './search/searchmodel';
import { SearchPanel } from './search/searchpanel';
import { ISelection, ITreeFocus, RepositoryNode, ROW_SELECTOR } from './tree';
import { IUploadTarget } from './uploadplan';
import { ClustersSection } from './clusterspanel';
import { IUploadItem, UploadsModel } from './uploads';
import { UploadsView } from './uploadsview';
import { IconButton, ListState } from './widgets';

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

  /** Bumped on every user refresh: the details remount to drop what they had read. */
  get generation(): number {
    return this._generation;
  }

  /**
   * Bumped on every user refresh: every open folder reloads in place, so the tree keeps
   * what was unfolded and what was selected.
   */
  get reloadSerial(): number {
    return this._generation;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * How many times the repository list was fetched (answered or failed): each fetch
   * re-renders the trees, which must keep their rows, and keyboard focus with them.
   */
  get refreshes(): number {
    return this._refreshes;
  }

  /** What the tree should reload or reveal. */
  get focus(): ITreeFocus | null {
    return this._focus;
  }

  /**
   * Expand the tree down to a file or folder, scroll to it and focus it (selecting it
   * if it is a dataset). Folders on the way are reloaded, so new files show.
   */
  reveal(repository: string, path: string): void {
    this._focus = { repository, path, serial: ++this._serial, reveal: true };
    this._changed.emit();
  }

  /**
   * Reload the open folders that hold `path` (a job wrote there).
   */
  invalidate(repository: string, path: string): void {
    this._focus = { repository, path, serial: ++this._serial, reveal: false };
    this._changed.emit();
  }

  /**
   * Reload a folder and the open folders below it ('' for a repository's root), keeping
   * them open.
   */
  refreshFolder(repository: string, path: string): void {
    this._focus = {
      repository,
      path,
      serial: ++this._serial,
      reveal: false,
      subtree: true
    };
    this._changed.emit();
  }

  /**
   * Open a file where it belongs: arrays and results in the dataset viewer, any other
   * file in JupyterLab's own viewers (`openFileRequested`).
   */
  openEntry(repository: string, entry: IEntry): void {
    const route = openRoute(entry);
    if (!route) {
      return;
    }
    const answers = this.openers.map(opener => opener(repository, entry));
    if (answers.includes(true)) {
      return; // another view claimed it (the volume view claims volume datasets)
    }
    const openHere = (): void => {
      if (route.kind === 'viewer') {
        this.requestOpen(repository, entry.path);
      } else {
        this._openFileRequested.emit({
          repository,
          path: entry.path,
          factory: route.factory
        });
      }
    };
    const asking = answers.filter(
      (answer): answer is Promise<boolean> => answer instanceof Promise
    );
    if (asking.length === 0) {
      openHere();
      return;
    }
    void Promise.all(asking).then(
      claimed => (claimed.includes(true) ? undefined : openHere()),
      openHere
    );
  }

  /**
   * Views other than the dataset viewer that may open an entry instead: each answers
   * whether it did, at once or after asking the server (a promise).
   */
  readonly openers: Array<
    (repository: string, entry: IEntry) => boolean | Promise<boolean>
  > = [];

  /** Someone asked to open a file that is not an array in JupyterLab's viewers. */
  get openFileRequested(): ISignal<
    this,
    { repository: string; path: string; factory: DocumentFactory }
  > {
    return this._openFileRequested;
  }

  /** Someone asked to open a dataset (or a result) in the viewer. */
  get openRequested(): ISignal<this, { repository: string; path: string }> {
    return this._openRequested;
  }

  requestOpen(repository: string, path: string): void {
    this._openRequested.emit({ repository, path });
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
      this._refreshes++;
      this._changed.emit();
      throw reason;
    }
    this._refreshes++;
    this._changed.emit();
  }

  /**
   * A refresh asked for by the user: reload the list, every open tree and the details.
   */
  reload(): Promise<void> {
    this._generation++;
    this._changed.emit();
    return this.refresh();
  }

  private _repositories: IRepository[] | null = null;
  private _error: RemotemError | null = null;
  private _selection: ISelection | null = null;
  private _generation = 0;
  private _refreshes = 0;
  private _focus: ITreeFocus | null = null;
  private _serial = 0;
  private _changed = new Signal<this, void>(this);
  private _openRequested = new Signal<
    this,
    { repository: string; path: string }
  >(this);
  private _openFileRequested = new Signal<
    this,
    { repository: string; path: string; factory: DocumentFactory }
  >(this);
}

/**
 * Keep a file dropped beside the drop targets (on a file row, on empty space) from
 * making the browser open it in place of JupyterLab.
 */
function swallowFileDrop(event: React.DragEvent): void {
  if (Array.from(event.dataTransfer?.types ?? []).includes('Files')) {
    event.preventDefault();
    event.dataTransfer.dropEffect = 'none';
  }
}

function BrowserView(props: {
  model: SidebarModel;
  uploads: UploadsModel;
  search: SearchModel;
  onJobs: (jobs: IJob[]) => void;
  onManageTokens?: () => void;
  onAddStorage?: () => void;
}): JSX.Element {
  const { model, uploads, onManageTokens, onAddStorage } = props;
  const trans = useTranslation();
  useRerenderOn(model.changed);
  // While search results are shown they take the tree's place (it stays mounted).
  useRerenderOn(props.search.resultsToggled);

  const reload = useCallback(() => {
    model.reload().catch(() => undefined);
  }, [model]);
  const select = useCallback(
    (selection: ISelection) => model.select(selection),
    [model]
  );
  const open = useCallback(
    (repository: string, entry: IEntry) => model.openEntry(repository, entry),
    [model]
  );
  // On the browser area, which is there from the start (the tree comes with the list).
  const treeRef = useRef<HTMLDivElement>(null);
  useRovingTabIndex(treeRef, ROW_SELECTOR);
  const dropFiles = useCallback(
    (target: IUploadTarget, dropped: IDropped) => {
      void uploads.addDropped(target, dropped.entries, dropped.files);
    },
    [uploads]
  );

  const repositories = model.repositories;
  return (
    <div className="jp-remotem-panel">
      <div className="jp-remotem-toolbar">
        <h2 className="jp-remotem-heading">{trans.__('Remote data')}</h2>
        {onManageTokens && (
          <IconButton
            icon={tokenIcon}
            className="jp-remotem-tokens-button"
            title={trans.__('Personal API tokens for scripts elsewhere')}
            label={trans.__('Personal API Tokens…')}
            onClick={onManageTokens}
          />
        )}
        {onAddStorage && (
          <IconButton
            icon={addIcon}
            className="jp-remotem-add-storage"
            title={trans.__(
              'Add storage of your own (S3, WebDAV, SFTP…) with your own credentials'
            )}
            label={trans.__('Add Storage…')}
            onClick={onAddStorage}
          />
        )}
        <IconButton
          icon={refreshIcon}
          className="jp-remotem-refresh"
          title={trans.__('Refresh repositories and folders')}
          label={trans.__('Refresh')}
          onClick={reload}
        />
      </div>
      <SearchPanel
        search={props.search}
        sidebar={model}
        onJobs={props.onJobs}
      />
      <div
        ref={treeRef}
        className="jp-remotem-browser"
        hidden={props.search.pages !== null}
        onDragOver={swallowFileDrop}
        onDrop={swallowFileDrop}
      >
        <ListState
          items={repositories}
          error={model.error}
          onRetry={reload}
          loading={trans.__('Loading repositories…')}
          empty={
            <div className="jp-remotem-note">
              {trans.__(
                'No repositories are configured. Add some to c.RemotemApp.repositories in the server configuration.'
              )}
            </div>
          }
        >
          {items => (
            <ul
              className="jp-remotem-repos"
              role="tree"
              aria-label={trans.__('Remote repositories')}
              data-generation={model.generation}
              data-refreshes={model.refreshes}
            >
              {items.map(repository => (
                <RepositoryNode
                  key={repository.name}
                  api={model.api}
                  repository={repository}
                  selection={model.selection}
                  onSelect={select}
                  onOpen={open}
                  focus={model.focus}
                  reloadSerial={model.reloadSerial}
                  onDropFiles={dropFiles}
                />
              ))}
            </ul>
          )}
        </ListState>
      </div>
      <UploadsView model={uploads} />
    </div>
  );
}

function DetailsView(props: {
  model: SidebarModel;
  catalog: CatalogAPI;
}): JSX.Element {
  const { model } = props;
  const trans = useTranslation();
  useRerenderOn(model.changed);
  const selection = model.selection;
  if (!selection) {
    return (
      <div className="jp-remotem-note jp-remotem-details-empty">
        {trans.__(
          'Select a file or folder to see its preview, metadata, tags and notes.'
        )}
      </div>
    );
  }
  const { entry, repository } = selection;
  const key = `${model.generation}:${repository}:${entry.path}`;
  const route = openRoute(entry);
  const viewer = route?.kind === 'viewer';
  return (
    <>
      {route && (
        <button
          className={
            'jp-Button jp-mod-styled jp-mod-reject ' +
            (viewer ? 'jp-remotem-open-viewer' : 'jp-remotem-open-file')
          }
          title={
            viewer
              ? trans.__('Open %1 in the dataset viewer', entry.path)
              : trans.__('Open %1 in JupyterLab', entry.path)
          }
          onClick={() => model.openEntry(repository, entry)}
        >
          {viewer ? trans.__('Open in viewer') : trans.__('Open')}
        </button>
      )}
      {isDataset(entry) ? (
        <DatasetDetails
          key={key}
          api={model.api}
          repository={repository}
          path={entry.path}
        />
      ) : (
        <FileDetails
          key={key}
          api={model.api}
          repository={repository}
          entry={entry}
        />
      )}
      <RegisteredDataset
        key={`dataset:${key}`}
        api={model.api}
        repository={repository}
        entry={entry}
        onChanged={() => model.invalidate(repository, entry.path)}
        onReveal={(where, path) => model.reveal(where, path)}
      />
      <AnnotationsEditor
        key={`annotations:${key}`}
        catalog={props.catalog}
        target={{ repository, path: entry.path }}
      />
    </>
  );
}

/**
 * The Jobs section: folds to its header.
 */
class JobsSection extends FoldingSection {
  constructor(
    readonly model: JobsModel,
    private _trans: TranslationBundle,
    private _onReveal: (result: IJobResult) => void
  ) {
    super(
      'jupyter-remotem:jobs',
      'jp-remotem-jobs-area',
      _trans.__('Jobs'),
      false
    );
  }

  render(): JSX.Element {
    return (
      <TranslationContext.Provider value={this._trans}>
        <JobsView
          model={this.model}
          collapsed={this.collapsed}
          onToggle={() => this.setCollapsed(!this.collapsed)}
          onReveal={this._onReveal}
        />
      </TranslationContext.Provider>
    );
  }
}

/**
 * The sidebar widget: the browser above, the details (once something is selected) in
 * the middle, the jobs and the clusters below.
 */
export class RemotemSidebar extends SplitPanel {
  /**
   * @param onManageTokens opens the Personal API Tokens dialog (a header button when given)
   * @param onAddStorage opens the Add Storage dialog (a header button when given)
   */
  constructor(
    api: RemotemAPI,
    translator: ITranslator = nullTranslator,
    onManageTokens?: () => void,
    onAddStorage?: () => void
  ) {
    super({ orientation: 'vertical', spacing: 4 });
    const trans = translator.load(TRANSLATION_DOMAIN);
    this.id = 'jupyter-remotem:sidebar';
    this.title.icon = remoteDataIcon;
    this.title.caption = trans.__('Remote data');
    this.addClass('jp-remotem-sidebar');
    this.model = new SidebarModel(api);
    this.uploads = new UploadsModel(api);
    this.uploads.finished.connect(this._onUploaded, this);
    this.search = new SearchModel(new CatalogAPI(api));

    this._browser = Private.reactWidget(
      trans,
      <BrowserView
        model={this.model}
        uploads={this.uploads}
        search={this.search}
        onJobs={jobs => jobs.forEach(job => this.showJob(job))}
        onManageTokens={onManageTokens}
        onAddStorage={onAddStorage}
      />
    );
    this._browser.addClass('jp-remotem-browser-area');
    this._details = Private.reactWidget(
      trans,
      <DetailsView model={this.model} catalog={this.search.catalog} />
    );
    this._details.addClass('jp-remotem-details');
    this._details.node.setAttribute('role', 'region');
    this._details.node.setAttribute('aria-label', trans.__('File details'));

    this._trans = trans;
    this.jobs = new JobsModel(api, () => this.isVisible);
    this.jobs.finished.connect(this._onJobFinished, this);
    this.jobs.changed.connect(this._onJobsChanged, this);
    this._jobs = new JobsSection(this.jobs, trans, result =>
      this.model.reveal(result.repository, result.path)
    );
    this._jobs.collapsedChanged.connect(this._onJobsCollapsed, this);
    this._clusters = new ClustersSection(api, trans);
    this._clusters.collapsedChanged.connect(this._onJobsCollapsed, this);

    this.addWidget(this._browser);
    this.addWidget(this._details);
    this.addWidget(this._jobs);
    this.addWidget(this._clusters);
    SplitPanel.setStretch(this._browser, 1);
    SplitPanel.setStretch(this._details, 1);
    SplitPanel.setStretch(this._jobs, 1);
    SplitPanel.setStretch(this._clusters, 1);
    this.setRelativeSizes(this._sizes());

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

  /** The user's jobs. */
  readonly jobs: JobsModel;

  /** Uploads from the desktop started in this page. */
  readonly uploads: UploadsModel;

  /** The catalog's search box, its hits and the saved searches. */
  readonly search: SearchModel;

  /**
   * Show a job that was just submitted, unfolding and scrolling to the Jobs section.
   */
  showJob(job: IJob | null): void {
    if (job) {
      this.jobs.upsert(job);
    }
    this.showJobs();
    if (job) {
      requestAnimationFrame(() => {
        this._jobs.node
          .querySelector(`.jp-remotem-job[data-job-id="${CSS.escape(job.id)}"]`)
          ?.scrollIntoView({ block: 'nearest' });
      });
    }
  }

  /**
   * Unfold the Jobs section.
   */
  showJobs(): void {
    this._jobs.setCollapsed(false);
    void this.jobs.refreshSoon();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._poll.dispose();
    this.jobs.dispose();
    this.uploads.dispose();
    this.search.dispose();
    Signal.clearData(this);
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    // Fresh data whenever the panel is opened; events streams only while shown.
    void this._poll.refresh();
    this.jobs.setActive(true);
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this.jobs.setActive(false);
  }

  /**
   * Relative sizes of the browser, the details and the jobs. The details keep their
   * place while nothing is selected: a selection never moves the rows (a double-click
   * whose first click selected would otherwise land beside the row it meant).
   */
  private _sizes(): number[] {
    const jobs = this._jobs.collapsed ? 0 : 1;
    const clusters = this._clusters.collapsed ? 0 : 1;
    return [0.4, 0.35, 0.25 * jobs, 0.2 * clusters];
  }

  private _onJobsCollapsed(): void {
    // The collapsed section's CSS max-height takes effect on the next fit.
    this.fit();
    if (!this._jobs.collapsed || !this._clusters.collapsed) {
      this.setRelativeSizes(this._sizes());
    }
  }

  private _onUploaded(_: UploadsModel, item: IUploadItem): void {
    // The new file shows in its folder, if open; its job is over too.
    this.model.invalidate(item.repository, item.path);
    void this.jobs.refreshSoon();
  }

  private _onJobFinished(_: JobsModel, job: IJob): void {
    // New files show in folders that are open.
    for (const result of job.results ?? []) {
      this.model.invalidate(result.repository, result.path);
    }
    this.search.jobFinished(job);
    this._notify(noticeForEnd(job, this._trans));
  }

  /** Asks the shell to show this sidebar (a notification's "Show result"). */
  get showRequested(): ISignal<this, void> {
    return this._showRequested;
  }

  private _onJobsChanged(): void {
    const jobs = this.jobs.jobs ?? [];
    for (const notice of noticesBeforeRemoval(
      jobs,
      Date.now(),
      this._warned,
      this._trans
    )) {
      this._notify(notice);
    }
  }

  /** A notice as a JupyterLab notification, with "Show result" when there is one. */
  private _notify(notice: IJobNotice | null): void {
    if (!notice) {
      return;
    }
    const result = notice.result;
    Notification.emit(notice.message, notice.type, {
      autoClose: notice.sticky ? false : 8000,
      actions: result
        ? [
            {
              label: this._trans.__('Show result'),
              caption: `${result.repository}:${result.path}`,
              callback: () => {
                this._showRequested.emit();
                this.model.reveal(result.repository, result.path);
              }
            }
          ]
        : []
    });
  }

  private _browser: ReactWidget;
  private _details: ReactWidget;
  private _jobs: JobsSection;
  private _clusters: ClustersSection;
  private _poll: Poll;
  private _trans: TranslationBundle;
  private _showRequested = new Signal<this, void>(this);
  /** Jobs whose coming removal was told already (once per session). */
  private _warned = new Set<string>();
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
