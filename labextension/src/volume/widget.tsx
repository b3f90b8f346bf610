/**
 * The volume view as a main-area widget, one per (repository, path, dataset).
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import React from 'react';

import { RemotemAPI } from '../api';
import { TranslationContext } from '../i18n';
import { remoteDataIcon } from '../icon';
import { IVolumeSource } from './volumeapi';
import { VolumeView } from './VolumeView';

/** The command arguments that (re)open a volume view. */
export interface IVolumeArgs extends IVolumeSource {
  labels?: boolean | null;
}

/** The key a volume view is found by: one per array. */
export function volumeKey(source: IVolumeSource): string {
  return `${source.repository}:${source.path}${source.dataset ? `#${source.dataset}` : ''}`;
}

export class VolumeWidget extends ReactWidget {
  constructor(
    private readonly _api: RemotemAPI,
    readonly args: IVolumeArgs,
    private readonly _trans: TranslationBundle
  ) {
    super();
    this.id = `jupyter-remotem-volume-${Private.nextId()}`;
    this.addClass('jp-RemotemVolume');
    const name = args.path.split('/').pop() || args.path;
    this.title.label = name;
    this.title.caption = this._trans.__('Volume view of %1', volumeKey(args));
    this.title.icon = remoteDataIcon;
    this.title.closable = true;
  }

  get key(): string {
    return volumeKey(this.args);
  }

  protected render(): JSX.Element {
    return (
      <TranslationContext.Provider value={this._trans}>
        <VolumeView
          api={this._api}
          source={{
            repository: this.args.repository,
            path: this.args.path,
            dataset: this.args.dataset ?? null
          }}
          labels={this.args.labels ?? null}
        />
      </TranslationContext.Provider>
    );
  }
}

namespace Private {
  let id = 0;
  export function nextId(): number {
    return ++id;
  }
}
