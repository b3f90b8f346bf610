/**
 * What to upload where, worked out before any byte leaves: the files of a drop (folders
 * walked through `webkitGetAsEntry`) or of a file input, the tus metadata of each, the
 * fingerprint that lets a reloaded page resume it, its speed and ETA, and the server's
 * refusals. Pure (no tus, no JupyterLab widgets), so unit-testable.
 */
import { RemotemError } from './api';
import { joinPath } from './filepaths';

/**
 * Where uploads go: a folder ('' for the root) of a repository.
 */
export interface IUploadTarget {
  repository: string;
  folder: string;
}

/**
 * One file to upload and its path below the target folder ('run1/frames/0001.tif' for a
 * dropped folder 'run1').
 */
export interface IPlannedFile {
  file: File;
  relativePath: string;
}

/**
 * What a drop or a folder pick holds: files, and folders with nothing in them (which the
 * server would otherwise never hear of, since uploads only make the folders of files).
 */
export interface IUploadPlan {
  files: IPlannedFile[];
  emptyFolders: string[];
}

/**
 * The parts of the File and Directory Entries API a drop walk uses (a subset of
 * FileSystemEntry, so that tests can hand in plain objects).
 */
export interface IEntryLike {
  isFile: boolean;
  isDirectory: boolean;
  name: string;
  file?(
    success: (file: File) => void,
    failure?: (error: unknown) => void
  ): void;
  createReader?(): {
    readEntries(
      success: (entries: IEntryLike[]) => void,
      failure?: (error: unknown) => void
    ): void;
  };
}

/**
 * The parts of a DataTransferItem a drop reads.
 */
export interface IDropItemLike {
  kind: string;
  webkitGetAsEntry?(): IEntryLike | null;
  getAsFile(): File | null;
}

/**
 * Take what a drop holds, synchronously: a DataTransfer's items are only readable while
 * the drop event is being handled, so their entries are grabbed now and walked later.
 * Items without an entry (synthetic drops, old browsers) give their file directly.
 */
export function captureDrop(items: ArrayLike<IDropItemLike>): {
  entries: IEntryLike[];
  files: File[];
} {
  const entries: IEntryLike[] = [];
  const files: File[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (item.kind !== 'file') {
      continue;
    }
    const entry = item.webkitGetAsEntry ? item.webkitGetAsEntry() : null;
    if (entry) {
      entries.push(entry);
    } else {
      const file = item.getAsFile();
      if (file) {
        files.push(file);
      }
    }
  }
  return { entries, files };
}

/**
 * Every file below the dropped entries, with its path relative to the drop, and the
 * empty folders. A directory reader answers in batches (Chromium: 100 entries), so it is
 * read until it answers none.
 */
export async function walkEntries(
  entries: ReadonlyArray<IEntryLike>,
  loose: ReadonlyArray<File> = []
): Promise<IUploadPlan> {
  const plan: IUploadPlan = {
    files: loose.map(file => ({ file, relativePath: file.name })),
    emptyFolders: []
  };
  const visit = async (entry: IEntryLike, prefix: string): Promise<void> => {
    const path = joinPath(prefix, entry.name);
    if (entry.isFile && entry.file) {
      const file = await new Promise<File>((resolve, reject) =>
        entry.file!(resolve, reject)
      );
      plan.files.push({ file, relativePath: path });
    } else if (entry.isDirectory && entry.createReader) {
      const children = await readAll(entry);
      if (!children.length) {
        plan.emptyFolders.push(path);
      }
      for (const child of children) {
        await visit(child, path);
      }
    }
  };
  for (const entry of entries) {
    await visit(entry, '');
  }
  return plan;
}

async function readAll(directory: IEntryLike): Promise<IEntryLike[]> {
  const reader = directory.createReader!();
  const all: IEntryLike[] = [];
  for (;;) {
    const batch = await new Promise<IEntryLike[]>((resolve, reject) =>
      reader.readEntries(resolve, reject)
    );
    if (!batch.length) {
      return all;
    }
    all.push(...batch);
  }
}

/**
 * The files of an `<input type="file">`: picked one by one, or a whole folder (with
 * `webkitdirectory`, each file knows its path from the picked folder on).
 */
export function planFromInput(files: ArrayLike<File>): IUploadPlan {
  const planned: IPlannedFile[] = [];
  for (let i = 0; i < files.length; i++) {
    const file = files[i];
    planned.push({
      file,
      relativePath: file.webkitRelativePath || file.name
    });
  }
  return { files: planned, emptyFolders: [] };
}

/**
 * The tus `Upload-Metadata` of one upload: the target repository and path, the media
 * type, and `overwrite` only when the user chose to replace an existing file. Empty
 * values are left out (a key without a value means nothing to the server).
 */
export function uploadMetadata(
  repository: string,
  path: string,
  file: { type?: string },
  overwrite = false
): Record<string, string> {
  const metadata: Record<string, string> = { repository, path };
  if (file.type) {
    metadata.filetype = file.type;
  }
  if (overwrite) {
    metadata.overwrite = '1';
  }
  return metadata;
}

/**
 * What identifies one upload across page reloads (tus-js-client keeps the upload URL in
 * localStorage under it): the server, the target, and the file's name, size and date. The
 * target is part of it so that the same file dropped into another folder is a new upload.
 */
export function uploadFingerprint(
  endpoint: string,
  repository: string,
  path: string,
  file: { name: string; size: number; lastModified: number }
): string {
  return [
    'remotem',
    endpoint,
    repository,
    path,
    file.name,
    file.size,
    file.lastModified
  ].join('\u0000');
}

/**
 * Whether a failed tus request is worth retrying: network failures and server errors
 * are; a 409 only on a PATCH or HEAD (the offset moved: tus-js-client asks again), never
 * on the POST that creates the upload (there it means the file exists); other refusals
 * (403 read-only or over quota, 413 too large, 460 checksum) are final. Offline, retries
 * would only burn the delays: the upload waits for the network instead.
 */
export function shouldRetryUpload(
  method: string,
  status: number,
  online: boolean
): boolean {
  if (!online) {
    return false;
  }
  if (status === 0 || status >= 500 || status === 423) {
    return true;
  }
  return status === 409 && method.toUpperCase() !== 'POST';
}

/**
 * The server's refusal of an upload as a RemotemError: its `{"error": {code, message,
 * hint}}` body when there is one, else what tus-js-client said.
 */
export function uploadError(
  status: number,
  body: string | null,
  fallback: string
): RemotemError {
  if (body) {
    try {
      const error = JSON.parse(body)?.error;
      if (error && typeof error === 'object' && error.message) {
        return new RemotemError(
          error.message,
          status,
          error.code ?? `http_${status}`,
          error.hint ?? null
        );
      }
    } catch {
      // not JSON: fall through
    }
  }
  return new RemotemError(
    fallback,
    status,
    status ? `http_${status}` : 'network_error',
    null
  );
}

/**
 * Whether a refusal is the target existing already (then Replace or a free name help).
 */
export function isExists(error: RemotemError | null): boolean {
  return !!error && error.status === 409;
}

/**
 * Speed and time left from the bytes sent so far, over the last `windowMs` (so a stall
 * shows at once, and the first chunk's burst into socket buffers does not last).
 */
export class RateMeter {
  constructor(private _windowMs = 5000) {}

  /** Record that `bytes` (in all) were sent by `now` (ms). */
  add(now: number, bytes: number): void {
    this._samples.push([now, bytes]);
    while (
      this._samples.length > 2 &&
      now - this._samples[1][0] >= this._windowMs
    ) {
      this._samples.shift();
    }
  }

  /** Restart (after a pause or a resume from another offset). */
  reset(): void {
    this._samples = [];
  }

  /** Bytes per second, or null until two samples lie apart. */
  get speed(): number | null {
    const first = this._samples[0];
    const last = this._samples[this._samples.length - 1];
    if (!first || last[0] - first[0] < 200) {
      return null;
    }
    return Math.max(0, ((last[1] - first[1]) * 1000) / (last[0] - first[0]));
  }

  /** Seconds until `total`, or null while the speed is unknown or zero. */
  eta(total: number): number | null {
    const speed = this.speed;
    const last = this._samples[this._samples.length - 1];
    if (!speed || !last) {
      return null;
    }
    return Math.max(0, (total - last[1]) / speed);
  }

  private _samples: Array<[number, number]> = [];
}
