/**
 * Where a file of the tree opens, and how the "RemoteData" drive names and serves it.
 * Arrays (datasets, saved results other than pictures) open in the dataset viewer; every
 * other file opens in JupyterLab's own document viewers through the read-only drive.
 * No JupyterLab imports, so unit-testable.
 */
import { IEntry, isDataset, isFolder } from './api';

/** The name of the Contents drive that serves repository files to JupyterLab's viewers. */
export const DRIVE_NAME = 'RemoteData';

/**
 * The largest file the drive brings into the page: a document viewer holds the whole file
 * in memory (twice, for base64), and a bigger one is better downloaded.
 */
export const MAX_DRIVE_BYTES = 50 * 1024 * 1024;

/** JupyterLab's widget factories the tree opens files with. */
export type DocumentFactory =
  'Editor' | 'JSON' | 'CSVTable' | 'TSVTable' | 'Image';

/** How a file opens: in the dataset viewer, or in one of JupyterLab's document viewers. */
export type OpenRoute =
  { kind: 'viewer' } | { kind: 'document'; factory: DocumentFactory };

/** Pictures a browser draws, by extension, with their media types. */
const PICTURES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  bmp: 'image/bmp',
  svg: 'image/svg+xml',
  tif: 'image/tiff',
  tiff: 'image/tiff'
};

/** Text files that have a media type of their own, by extension. */
const TEXTS: Record<string, string> = {
  json: 'application/json',
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  md: 'text/markdown',
  html: 'text/html'
};

/** The lower-case extension of a file name, without its dot ('' when it has none). */
export function extensionOf(name: string): string {
  const base = name.slice(name.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot <= 0 ? '' : base.slice(dot + 1).toLowerCase();
}

/** The media type the drive reports for a file name. */
export function mimetypeFor(name: string): string {
  const extension = extensionOf(name);
  return PICTURES[extension] ?? TEXTS[extension] ?? 'text/plain';
}

/** Whether a file is a picture (served base64, opened in the image viewer). */
export function isPicture(name: string): boolean {
  return extensionOf(name) in PICTURES;
}

/** The contents format the drive answers for a file when the caller does not say. */
export function fileFormatFor(name: string): 'text' | 'base64' {
  return isPicture(name) ? 'base64' : 'text';
}

/** The document viewer for a file that is not an array. */
export function factoryFor(name: string): DocumentFactory {
  const extension = extensionOf(name);
  if (isPicture(name)) {
    return 'Image';
  }
  switch (extension) {
    case 'json':
      return 'JSON';
    case 'csv':
      return 'CSVTable';
    case 'tsv':
      return 'TSVTable';
    default:
      return 'Editor';
  }
}

/**
 * Where a tree entry opens, or null for a folder (which expands instead). A saved
 * picture opens as a picture even when a job wrote it; other results and datasets
 * open in the dataset viewer.
 */
export function openRoute(
  entry: Pick<IEntry, 'name' | 'type' | 'format' | 'dataset' | 'result'>
): OpenRoute | null {
  if (isFolder(entry)) {
    return null;
  }
  if (isDataset(entry)) {
    return { kind: 'viewer' };
  }
  const picture = isPicture(entry.name);
  const browserPicture = picture && !/\.tiff?$/i.test(entry.name);
  if (entry.result && !browserPicture) {
    // A TIFF or JSON result is an array (or its record) the viewer reopens.
    return { kind: 'viewer' };
  }
  return { kind: 'document', factory: factoryFor(entry.name) };
}

/** The drive path ('RemoteData:repo/a/b.txt') of a file in a repository. */
export function drivePath(repository: string, path: string): string {
  const local = path ? `${repository}/${path}` : repository;
  return `${DRIVE_NAME}:${local}`;
}

/**
 * The repository and the path inside it of a drive-local path ('repo/a/b.txt'); the
 * drive's root ('') has no repository.
 */
export function splitDrivePath(local: string): {
  repository: string;
  path: string;
} {
  const clean = local
    .split('/')
    .filter(segment => segment.length > 0)
    .join('/');
  const slash = clean.indexOf('/');
  if (slash < 0) {
    return { repository: clean, path: '' };
  }
  return { repository: clean.slice(0, slash), path: clean.slice(slash + 1) };
}

/** Whether a file of `size` bytes is too large for the drive to bring into the page. */
export function tooLargeForDrive(
  size: number | null | undefined,
  limit = MAX_DRIVE_BYTES
): boolean {
  return typeof size === 'number' && size > limit;
}

/**
 * Base64 of bytes, in slices (String.fromCharCode of a whole large file overflows the
 * call stack).
 */
export function toBase64(bytes: Uint8Array): string {
  const slice = 0x8000;
  const parts: string[] = [];
  for (let start = 0; start < bytes.length; start += slice) {
    parts.push(
      String.fromCharCode.apply(
        null,
        Array.from(bytes.subarray(start, start + slice))
      )
    );
  }
  return btoa(parts.join(''));
}
