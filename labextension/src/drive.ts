/**
 * A read-only JupyterLab Contents drive over the repositories ("RemoteData:repo/path"),
 * so that text, JSON, tables and pictures open in JupyterLab's own viewers. It lists with
 * `GET repositories/{repo}/tree/{path}` and reads files with `.../download/{path}`; it
 * refuses, before reading, a file too large to hold in the page.
 */
import { Contents, ServerConnection } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';

import { IEntry, RemotemAPI, RemotemError } from './api';
import { parentOf } from './filepaths';
import { formatBytes } from './format';
import {
  DRIVE_NAME,
  fileFormatFor,
  MAX_DRIVE_BYTES,
  mimetypeFor,
  splitDrivePath,
  toBase64,
  tooLargeForDrive
} from './fileroutes';

const READ_ONLY = 'Files of the Remote data repositories open read-only here.';
const READ_ONLY_HINT =
  'Download the file, change it, and upload it again from the Remote data sidebar.';

export class RemoteDataDrive implements Contents.IDrive {
  constructor(
    private readonly _api: RemotemAPI,
    private readonly _maxBytes: number = MAX_DRIVE_BYTES
  ) {}

  readonly name = DRIVE_NAME;

  get serverSettings(): ServerConnection.ISettings {
    return this._api.serverSettings;
  }

  get fileChanged(): ISignal<this, Contents.IChangedArgs> {
    return this._fileChanged;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (!this._isDisposed) {
      this._isDisposed = true;
      Signal.clearData(this);
    }
  }

  async get(
    localPath: string,
    options?: Contents.IFetchOptions
  ): Promise<Contents.IModel> {
    const { repository, path } = splitDrivePath(localPath);
    const wantContent = options?.content !== false;
    if (!repository) {
      const repositories = await this._api.listRepositories();
      return directory(
        '',
        '',
        wantContent
          ? repositories.map(repo =>
              directory(repo.name, repo.name, null, null, false)
            )
          : null,
        null,
        false
      );
    }
    if (!path) {
      return this._folder(repository, '', wantContent);
    }
    const entry = await this._entry(repository, path);
    if (entry.type === 'directory') {
      return this._folder(repository, path, wantContent, entry);
    }
    const model = file(repository, entry, null, null);
    if (!wantContent) {
      return model;
    }
    if (tooLargeForDrive(entry.size, this._maxBytes)) {
      throw new RemotemError(
        `${entry.name} holds ${formatBytes(entry.size)}; files over ${formatBytes(this._maxBytes)} are not opened in the page.`,
        413,
        'too_large',
        'Download it (right-click it in the Remote data tree), or open it as an array in the dataset viewer.'
      );
    }
    const bytes = await this._read(repository, path);
    const format = options?.format ?? fileFormatFor(entry.name);
    if (format === 'base64') {
      return file(repository, entry, toBase64(bytes), 'base64');
    }
    const text = new TextDecoder('utf-8').decode(bytes);
    if (format === 'json') {
      try {
        return file(repository, entry, JSON.parse(text), 'json');
      } catch {
        throw new RemotemError(
          `${entry.name} is not valid JSON.`,
          422,
          'unreadable_file',
          'Open it as text instead.'
        );
      }
    }
    return file(repository, entry, text, 'text');
  }

  async getDownloadUrl(localPath: string): Promise<string> {
    const { repository, path } = splitDrivePath(localPath);
    let xsrf = '';
    try {
      xsrf = document.cookie.match('\\b_xsrf=([^;]*)\\b')?.[1] ?? '';
    } catch {
      // a sandboxed page has no cookies to read
    }
    return this._api.downloadUrl(
      repository,
      path,
      xsrf ? decodeURIComponent(xsrf) : null
    );
  }

  newUntitled(): Promise<Contents.IModel> {
    return readOnly();
  }

  delete(): Promise<void> {
    return readOnly();
  }

  rename(): Promise<Contents.IModel> {
    return readOnly();
  }

  save(): Promise<Contents.IModel> {
    return readOnly();
  }

  copy(): Promise<Contents.IModel> {
    return readOnly();
  }

  createCheckpoint(): Promise<Contents.ICheckpointModel> {
    return readOnly();
  }

  async listCheckpoints(): Promise<Contents.ICheckpointModel[]> {
    return [];
  }

  restoreCheckpoint(): Promise<void> {
    return readOnly();
  }

  deleteCheckpoint(): Promise<void> {
    return readOnly();
  }

  /** A file's listing entry, from its folder's listing. */
  private async _entry(repository: string, path: string): Promise<IEntry> {
    const listing = await this._api.listTree(repository, parentOf(path));
    const entry = listing.entries.find(item => item.path === path);
    if (!entry) {
      throw new RemotemError(
        `'${path}' does not exist in repository '${repository}'.`,
        404,
        'not_found',
        'It may have been moved or deleted; refresh the Remote data tree.'
      );
    }
    return entry;
  }

  private async _folder(
    repository: string,
    path: string,
    wantContent: boolean,
    entry?: IEntry
  ): Promise<Contents.IModel> {
    const local = path ? `${repository}/${path}` : repository;
    const name = path ? path.slice(path.lastIndexOf('/') + 1) : repository;
    if (!wantContent) {
      return directory(name, local, null, entry ?? null, false);
    }
    const listing = await this._api.listTree(repository, path);
    return directory(
      name,
      local,
      listing.entries.map(child =>
        child.type === 'directory'
          ? directory(
              child.name,
              `${repository}/${child.path}`,
              null,
              child,
              false
            )
          : file(repository, child, null, null)
      ),
      entry ?? null,
      false
    );
  }

  private async _read(repository: string, path: string): Promise<Uint8Array> {
    let response: Response;
    try {
      response = await ServerConnection.makeRequest(
        this._api.downloadUrl(repository, path),
        { method: 'GET' },
        this._api.serverSettings
      );
    } catch (reason) {
      throw RemotemError.from(reason);
    }
    if (!response.ok) {
      throw await RemotemError.fromResponse(response);
    }
    return new Uint8Array(await response.arrayBuffer());
  }

  private _isDisposed = false;
  private _fileChanged = new Signal<this, Contents.IChangedArgs>(this);
}

function readOnly(): Promise<never> {
  return Promise.reject(
    new RemotemError(READ_ONLY, 403, 'forbidden', READ_ONLY_HINT)
  );
}

function modified(entry: IEntry | null): string {
  if (entry?.modified) {
    return entry.modified;
  }
  if (entry?.mtime) {
    return new Date(entry.mtime * 1000).toISOString();
  }
  return new Date(0).toISOString();
}

/** The contents model of a file; `content` null when it was not asked for. */
function file(
  repository: string,
  entry: IEntry,
  content: unknown,
  format: Contents.FileFormat
): Contents.IModel {
  const date = modified(entry);
  return {
    name: entry.name,
    path: `${repository}/${entry.path}`,
    type: 'file',
    writable: false,
    created: date,
    last_modified: date,
    mimetype: mimetypeFor(entry.name),
    content,
    format,
    size: entry.size ?? undefined
  };
}

function directory(
  name: string,
  path: string,
  content: Contents.IModel[] | null,
  entry: IEntry | null,
  writable: boolean
): Contents.IModel {
  const date = modified(entry);
  return {
    name,
    path,
    type: 'directory',
    writable,
    created: date,
    last_modified: date,
    mimetype: '',
    content,
    format: content === null ? null : 'json'
  };
}
