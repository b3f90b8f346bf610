/**
 * The dataset viewer as a main-area widget: one per (repository, path, dataset). It
 * owns a ViewerModel and renders the panel; `restoreArgs` is what the layout
 * restorer keeps so that a reload reopens it as it was.
 */
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { ISignal, Signal } from '@lumino/signaling';
import React from 'react';

import { IJob, RemotemAPI } from '../api';
import { TRANSLATION_DOMAIN, TranslationContext } from '../i18n';
import { remoteDataIcon } from '../icon';
import { ViewerModel } from './model';
import { ViewerPanel } from './panel';
import { ISource } from './state';

/** The command arguments that (re)open a viewer. */
export interface IViewerArgs {
  repository: string;
  path: string;
  dataset: string | null;
  view?: unknown;
}

/** Delay before a changed view state is written to the layout store, in ms. */
const SAVE_DELAY = 500;

/**
 * The key a viewer is found by: one viewer per dataset.
 */
export function viewerKey(source: ISource): string {
  return `${source.repository}:${source.path}${source.dataset ? `#${source.dataset}` : ''}`;
}

export class ViewerWidget extends ReactWidget {
  constructor(options: {
    api: RemotemAPI;
    args: IViewerArgs;
    translator?: ITranslator;
  }) {
    super();
    const { args } = options;
    this._trans = (options.translator ?? nullTranslator).load(
      TRANSLATION_DOMAIN
    );
    this.target = {
      repository: args.repository,
      path: args.path,
      dataset: args.dataset ?? null
    };
    this._openedView = args.view;
    this.model = new ViewerModel(options.api, this.target, args.view);
    this.id = `jupyter-remotem-viewer-${Private.nextId()}`;
    this.addClass('jp-RemotemViewer');
    this.title.label = args.path.split('/').pop() || args.path;
    this.title.caption = viewerKey(this.target);
    this.title.icon = remoteDataIcon;
    this.title.closable = true;
    this.node.setAttribute('aria-label', this._trans.__('Dataset viewer'));
    this.node.dataset.repository = args.repository;
    this.node.dataset.path = args.path;
    this.model.stateChanged.connect(this._scheduleSave, this);
    this.model.jobChanged.connect((_, job) => this._jobChanged.emit(job), this);
  }

  /** What was opened (a dataset, or a saved result). */
  readonly target: ISource;

  readonly model: ViewerModel;

  get key(): string {
    return viewerKey(this.target);
  }

  /** The view state changed and should be kept for the next reload. */
  get saveRequested(): ISignal<this, void> {
    return this._saveRequested;
  }

  /** A job started in this viewer was submitted or moved on. */
  get jobChanged(): ISignal<this, IJob> {
    return this._jobChanged;
  }

  /**
   * The command arguments that reopen this viewer as it is now.
   */
  restoreArgs(): IViewerArgs {
    return {
      repository: this.target.repository,
      path: this.target.path,
      dataset: this.target.dataset,
      // Until the model has loaded, the view it was opened with: a layout saved while a
      // restored viewer still loads must not forget it (the next reload would show defaults).
      view: this.model.state ?? this._openedView
    };
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    if (this._saveTimer !== null) {
      clearTimeout(this._saveTimer);
    }
    this.model.dispose();
    Signal.clearData(this);
    super.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    if (!this._loaded) {
      this._loaded = true;
      void this.model.load();
    }
  }

  render(): JSX.Element {
    return (
      <TranslationContext.Provider value={this._trans}>
        <ViewerPanel model={this.model} trans={this._trans} />
      </TranslationContext.Provider>
    );
  }

  private _scheduleSave(): void {
    if (this._saveTimer !== null) {
      clearTimeout(this._saveTimer);
    }
    this._saveTimer = setTimeout(() => {
      this._saveTimer = null;
      this._saveRequested.emit();
    }, SAVE_DELAY);
  }

  private _trans: TranslationBundle;
  private _openedView: unknown;
  private _loaded = false;
  private _saveTimer: ReturnType<typeof setTimeout> | null = null;
  private _saveRequested = new Signal<this, void>(this);
  private _jobChanged = new Signal<this, IJob>(this);
}

namespace Private {
  let counter = 0;

  export function nextId(): string {
    return String(++counter);
  }
}
