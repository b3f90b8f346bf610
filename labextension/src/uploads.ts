/**
 * Uploads from the desktop into repositories, over tus (tus-js-client), resumable: each
 * upload's URL is kept in localStorage under a fingerprint of its file and target, so
 * dropping the same file again after a network failure or a page reload carries on
 * from the bytes the server has. The model behind the sidebar's uploads list.
 */
import { ServerConnection } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';
import * as tus from 'tus-js-client';

import { RemotemAPI, RemotemError } from './api';
import { baseName, freeName, joinPath, parentOf } from './filepaths';
import {
  IEntryLike,
  IUploadPlan,
  IUploadTarget,
  RateMeter,
  shouldRetryUpload,
  uploadError,
  uploadFingerprint,
  uploadMetadata,
  walkEntries
} from './uploadplan';

/** Bytes per PATCH: large enough that per-request costs vanish, small enough to resume. */
export const CHUNK_BYTES = 16 * 1024 * 1024;
/** Waits before the retries of a failed request, in ms (then the upload is interrupted). */
export const RETRY_DELAYS = [0, 1000, 3000, 5000, 10000];
/** Uploads sending at once; the others wait their turn. */
export const PARALLEL_UPLOADS = 2;
/** How often progress re-renders the list, in ms. */
const PROGRESS_EVERY_MS = 250;

/**
 * queued → uploading → done; `interrupted` (network gone, page left: resumable),
 * `refused` (before the first byte: read-only, exists, quota, too large), `failed`
 * (the server refused later), `cancelled` (the partial file was removed).
 */
export type UploadState =
  | 'queued'
  | 'uploading'
  | 'interrupted'
  | 'refused'
  | 'failed'
  | 'done'
  | 'cancelled';

/**
 * One file on its way into a repository.
 */
export interface IUploadItem {
  readonly id: number;
  readonly repository: string;
  /** The target path (changes when the user picks a free name after a refusal). */
  path: string;
  readonly file: File;
  readonly total: number;
  sent: number;
  /** Bytes the server already had when this upload resumed (0 for a fresh one). */
  resumedFrom: number | null;
  speed: number | null;
  eta: number | null;
  state: UploadState;
  error: RemotemError | null;
  overwrite: boolean;
  /** The upload's job on the server (it shows in the Jobs list too). */
  jobId: string | null;
}

/**
 * The value of a cookie of the page ('' when absent or unreadable).
 */
function cookie(name: string): string {
  try {
    const match = document.cookie.match('\\b' + name + '=([^;]*)\\b');
    return match ? decodeURIComponent(match[1]) : '';
  } catch {
    return '';
  }
}

/**
 * The headers ServerConnection would send: the XSRF cookie's value (jupyter_server
 * checks it on every write authenticated by cookie) and the server token when the
 * settings carry one. Read per request, as both may change while an upload runs.
 */
function authHeaders(
  settings: ServerConnection.ISettings
): Record<string, string> {
  const headers: Record<string, string> = {};
  const xsrf = cookie('_xsrf');
  if (xsrf) {
    headers['X-XSRFToken'] = xsrf;
  }
  if (settings.token) {
    headers['Authorization'] = `token ${settings.token}`;
  }
  return headers;
}

/**
 * A tus file reader that also hashes each chunk, so that every PATCH carries
 * `Upload-Checksum` and the server keeps only verified bytes. Without WebCrypto (pages
 * not served over https or from localhost) chunks go without it.
 */
class ChecksummingReader {
  /** The checksum of the chunk read last: tus reads a chunk, then sends it. */
  pending: string | null = null;

  async openFile(input: unknown, chunkSize: number): Promise<unknown> {
    const inner = tus.defaultOptions.fileReader;
    const source = (await inner.openFile(input, chunkSize)) as {
      size: number;
      slice(start: number, end: number): Promise<{ value: any; done: boolean }>;
      close(): void;
    };
    const subtle =
      typeof crypto !== 'undefined' ? crypto.subtle : (undefined as any);
    return {
      size: source.size,
      close: () => source.close(),
      slice: async (start: number, end: number) => {
        const result = await source.slice(start, end);
        this.pending = null;
        if (subtle && result.value instanceof Blob) {
          const digest = await subtle.digest(
            'SHA-256',
            await result.value.arrayBuffer()
          );
          this.pending = 'sha256 ' + base64(new Uint8Array(digest));
        }
        return result;
      }
    };
  }
}

function base64(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) {
    text += String.fromCharCode(byte);
  }
  return btoa(text);
}

/**
 * The user's uploads in this page.
 */
export class UploadsModel {
  constructor(readonly api: RemotemAPI) {
    // The network is back: interrupted uploads carry on by themselves.
    if (typeof window !== 'undefined') {
      window.addEventListener('online', this._onOnline);
    }
  }

  get items(): ReadonlyArray<IUploadItem> {
    return this._items;
  }

  /** Something about the uploads changed (throttled while bytes flow). */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** An upload is complete: its folder should show it. */
  get finished(): ISignal<this, IUploadItem> {
    return this._finished;
  }

  /**
   * Upload what was dropped onto `target`: the entries (folders walked) and loose files.
   */
  async addDropped(
    target: IUploadTarget,
    entries: ReadonlyArray<IEntryLike>,
    files: ReadonlyArray<File>
  ): Promise<void> {
    this.add(target, await walkEntries(entries, files));
  }

  /**
   * Upload a plan's files below `target` (and make its empty folders). A file that is
   * already in the list for the same target resumes there instead of starting twice.
   */
  add(target: IUploadTarget, plan: IUploadPlan): void {
    for (const folder of plan.emptyFolders) {
      this.api
        .makeFolder(target.repository, joinPath(target.folder, folder))
        .catch(() => undefined); // it exists already: nothing to make
    }
    for (const planned of plan.files) {
      const path = joinPath(target.folder, planned.relativePath);
      const known = this._items.find(
        item =>
          item.repository === target.repository &&
          item.path === path &&
          sameFile(item.file, planned.file)
      );
      if (known && (known.state === 'queued' || known.state === 'uploading')) {
        continue;
      }
      if (
        known &&
        (known.state === 'interrupted' || known.state === 'failed')
      ) {
        this.resume(known);
        continue;
      }
      this._items.push({
        id: ++this._serial,
        repository: target.repository,
        path,
        file: planned.file,
        total: planned.file.size,
        sent: 0,
        resumedFrom: null,
        speed: null,
        eta: null,
        state: 'queued',
        error: null,
        overwrite: false,
        jobId: null
      });
    }
    this._emit();
    this._pump();
  }

  /** Carry on with an interrupted or failed upload from what the server has. */
  resume(item: IUploadItem): void {
    if (!['interrupted', 'failed', 'refused'].includes(item.state)) {
      return;
    }
    item.state = 'queued';
    item.error = null;
    this._emit();
    this._pump();
  }

  /** After "exists": upload again, replacing the file that is there. */
  replace(item: IUploadItem): void {
    item.overwrite = true;
    this.resume(item);
  }

  /** After "exists": upload under the first free name in the same folder. */
  async keepBoth(item: IUploadItem): Promise<void> {
    const folder = parentOf(item.path);
    let taken: string[];
    try {
      const listing = await this.api.listTree(item.repository, folder);
      taken = listing.entries.map(entry => entry.name);
    } catch (reason) {
      item.error = RemotemError.from(reason);
      this._emit();
      return;
    }
    // Names waiting in this list are taken too.
    for (const other of this._items) {
      if (other !== item && other.repository === item.repository) {
        if (parentOf(other.path) === folder) {
          taken.push(baseName(other.path));
        }
      }
    }
    item.path = joinPath(folder, freeName(baseName(item.path), taken));
    this.resume(item);
  }

  /** Stop an upload and remove its partial file on the server. */
  async cancel(item: IUploadItem): Promise<void> {
    const upload = this._uploads.get(item.id);
    const wasActive = item.state === 'uploading';
    item.state = 'cancelled';
    item.speed = item.eta = null;
    this._emit();
    if (upload) {
      this._uploads.delete(item.id);
      try {
        await upload.abort(true);
      } catch {
        // the server may have dropped it already (expired): nothing left to remove
      }
    }
    if (wasActive) {
      this._active--;
      this._pump();
    }
  }

  /** Take an upload that is over (done, cancelled, refused) off the list. */
  dismiss(item: IUploadItem): void {
    this._items = this._items.filter(other => other !== item);
    this._uploads.delete(item.id);
    this._emit();
  }

  /** Take every finished upload off the list. */
  clearFinished(): void {
    this._items = this._items.filter(item => item.state !== 'done');
    this._emit();
  }

  dispose(): void {
    if (typeof window !== 'undefined') {
      window.removeEventListener('online', this._onOnline);
    }
    for (const upload of this._uploads.values()) {
      void upload.abort(false);
    }
    this._uploads.clear();
    Signal.clearData(this);
  }

  private _pump(): void {
    while (this._active < PARALLEL_UPLOADS) {
      const next = this._items.find(item => item.state === 'queued');
      if (!next) {
        return;
      }
      this._active++;
      next.state = 'uploading';
      this._emit();
      void this._start(next);
    }
  }

  private async _start(item: IUploadItem): Promise<void> {
    const settings = this.api.serverSettings;
    const endpoint = this.api.uploadsUrl;
    const reader = new ChecksummingReader();
    const meter = new RateMeter();
    const fingerprint = uploadFingerprint(
      endpoint,
      item.repository,
      item.path,
      item.file
    );
    let lastEmit = 0;
    const end = (state: UploadState, error: RemotemError | null) => {
      if (item.state !== 'uploading') {
        return; // cancelled meanwhile: counted there
      }
      item.state = state;
      item.error = error;
      item.speed = item.eta = null;
      // An interrupted or failed upload keeps its tus object: Cancel then removes
      // the partial file on the server through it.
      if (state === 'done' || state === 'refused') {
        this._uploads.delete(item.id);
      }
      this._active--;
      this._emit();
      this._pump();
    };
    const upload = new tus.Upload(item.file, {
      endpoint,
      chunkSize: CHUNK_BYTES,
      retryDelays: RETRY_DELAYS,
      metadata: uploadMetadata(
        item.repository,
        item.path,
        item.file,
        item.overwrite
      ),
      fingerprint: async () => fingerprint,
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      fileReader: reader as unknown as tus.UploadOptions['fileReader'],
      onBeforeRequest: request => {
        for (const [name, value] of Object.entries(authHeaders(settings))) {
          request.setHeader(name, value);
        }
        if (request.getMethod() === 'PATCH' && reader.pending) {
          request.setHeader('Upload-Checksum', reader.pending);
        }
      },
      onAfterResponse: (request, response) => {
        const method = request.getMethod();
        if (method === 'HEAD' && response.getStatus() === 200) {
          item.resumedFrom = Number(response.getHeader('Upload-Offset')) || 0;
          item.sent = item.resumedFrom;
          meter.reset();
        } else if (method === 'POST' && response.getStatus() === 201) {
          item.resumedFrom = item.resumedFrom ?? 0;
          item.jobId = response.getHeader('X-Remotem-Job') ?? null;
        }
      },
      onShouldRetry: (error, _attempt, _options) =>
        shouldRetryUpload(
          error.originalRequest?.getMethod() ?? '',
          error.originalResponse?.getStatus() ?? 0,
          typeof navigator === 'undefined' || navigator.onLine
        ),
      onProgress: sent => {
        const now = Date.now();
        item.sent = sent;
        meter.add(now, sent);
        item.speed = meter.speed;
        item.eta = meter.eta(item.total);
        if (now - lastEmit >= PROGRESS_EVERY_MS) {
          lastEmit = now;
          this._emit();
        }
      },
      onSuccess: () => {
        item.sent = item.total;
        end('done', null);
        this._finished.emit(item);
      },
      onError: error => {
        const detailed = error as tus.DetailedError;
        const response = detailed.originalResponse ?? null;
        const status = response?.getStatus() ?? 0;
        const refusal = uploadError(
          status,
          response?.getBody() ?? null,
          error.message
        );
        const creating = detailed.originalRequest?.getMethod() === 'POST';
        const state: UploadState =
          status === 0 ? 'interrupted' : creating ? 'refused' : 'failed';
        end(state, refusal);
      }
    });
    this._uploads.set(item.id, upload);
    try {
      // The same file to the same place earlier (before a reload): resume it.
      const previous = await upload.findPreviousUploads();
      if (previous.length) {
        previous.sort((a, b) => b.creationTime.localeCompare(a.creationTime));
        upload.resumeFromPreviousUpload(previous[0]);
      }
    } catch {
      // no localStorage: a fresh upload
    }
    if (item.state === 'uploading') {
      upload.start();
    }
  }

  private _emit(): void {
    this._changed.emit();
  }

  private _onOnline = (): void => {
    for (const item of this._items) {
      if (item.state === 'interrupted') {
        this.resume(item);
      }
    }
  };

  private _items: IUploadItem[] = [];
  private _uploads = new Map<number, tus.Upload>();
  private _active = 0;
  private _serial = 0;
  private _changed = new Signal<this, void>(this);
  private _finished = new Signal<this, IUploadItem>(this);
}

/**
 * Whether two Files are the same file on the desktop (as far as a page can tell).
 */
function sameFile(a: File, b: File): boolean {
  return (
    a === b ||
    (a.name === b.name &&
      a.size === b.size &&
      a.lastModified === b.lastModified)
  );
}
