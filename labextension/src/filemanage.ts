/**
 * Managing files where they live, from the tree's context menu: new folder, rename,
 * delete (each asked for in a dialog), download, and picking files or a folder to upload.
 * Each action answers the path the tree should reload or reveal, or null when the user
 * cancelled; server refusals are thrown as RemotemError for the caller to show.
 */
import { Dialog, InputDialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';

import { RemotemAPI, RemotemError } from './api';
import { ITreeItem } from './contextmenu';
import {
  baseName,
  freeName,
  joinPath,
  nameProblem,
  parentOf,
  splitExtension
} from './filepaths';

/**
 * Why a typed name is refused, in words; null when it can be tried on the server.
 */
function explainName(trans: TranslationBundle, name: string): string | null {
  switch (nameProblem(name)) {
    case 'empty':
      return trans.__('A name cannot be empty.');
    case 'slash':
      return trans.__('A name cannot hold "/" or "\\".');
    case 'dots':
      return trans.__('"." and ".." are not names.');
    case 'long':
      return trans.__('A name has at most 255 bytes.');
    default:
      return null;
  }
}

/**
 * Ask for a name until it is one the server may take (or the user gives up).
 */
async function askName(
  trans: TranslationBundle,
  options: { title: string; label: string; text: string; ok: string }
): Promise<string | null> {
  let text = options.text;
  let problem: string | null = null;
  for (;;) {
    const result = await InputDialog.getText({
      title: options.title,
      label: problem ? `${problem} ${options.label}` : options.label,
      text,
      // The stem selected, ready to be typed over; the extension stays.
      selectionRange: splitExtension(text)[0].length,
      okLabel: options.ok,
      cancelLabel: trans.__('Cancel')
    });
    if (!result.button.accept || result.value === null) {
      return null;
    }
    text = result.value.trim();
    problem = explainName(trans, text);
    if (!problem) {
      return text;
    }
  }
}

/**
 * Make a folder in `parent` (a folder row, or a repository's root). Answers its path.
 */
export async function newFolder(
  api: RemotemAPI,
  trans: TranslationBundle,
  parent: ITreeItem
): Promise<string | null> {
  const folder = parent.isFolder ? parent.path : parentOf(parent.path);
  const listing = await api.listTree(parent.repository, folder);
  const suggestion = freeName(
    'new_folder',
    listing.entries.map(entry => entry.name)
  );
  const where = folder
    ? `${parent.repository}:${folder}`
    : trans.__('the root of %1', parent.repository);
  const name = await askName(trans, {
    title: trans.__('New Folder'),
    label: trans.__('Name of the new folder in %1:', where),
    text: suggestion,
    ok: trans.__('Create')
  });
  if (name === null) {
    return null;
  }
  const path = joinPath(folder, name);
  await api.makeFolder(parent.repository, path);
  return path;
}

/**
 * Rename a file or folder in its folder. Answers its new path.
 */
export async function rename(
  api: RemotemAPI,
  trans: TranslationBundle,
  item: ITreeItem
): Promise<string | null> {
  const name = await askName(trans, {
    title: item.isFolder ? trans.__('Rename Folder') : trans.__('Rename File'),
    label: trans.__('New name of %1:%2', item.repository, item.path),
    text: baseName(item.path),
    ok: trans.__('Rename')
  });
  if (name === null || name === baseName(item.path)) {
    return null;
  }
  const target = joinPath(parentOf(item.path), name);
  await api.movePath(item.repository, item.path, target);
  return target;
}

/**
 * Delete a file or a folder with everything in it, once the user has confirmed what
 * goes. Answers the deleted path.
 */
export async function remove(
  api: RemotemAPI,
  trans: TranslationBundle,
  item: ITreeItem
): Promise<string | null> {
  const where = `${item.repository}:${item.path}`;
  let body: string;
  if (item.isFolder) {
    const count = (await api.listTree(item.repository, item.path)).entries
      .length;
    body =
      count === 0
        ? trans.__('Delete the empty folder %1?', where)
        : trans._n(
            'Delete the folder %2 and the %1 item in it, with everything below? This cannot be undone.',
            'Delete the folder %2 and the %1 items in it, with everything below? This cannot be undone.',
            count,
            where
          );
  } else {
    body = trans.__('Delete the file %1? This cannot be undone.', where);
  }
  const result = await showDialog({
    title: item.isFolder ? trans.__('Delete Folder') : trans.__('Delete File'),
    body,
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.warnButton({ label: trans.__('Delete') })
    ],
    defaultButton: 0
  });
  if (!result.button.accept) {
    return null;
  }
  await api.deletePath(item.repository, item.path, item.isFolder);
  return item.path;
}

/**
 * Download a file, or a folder as a zip, the way JupyterLab's file browser does: a link
 * the browser follows with the login cookie (so the browser's own download manager
 * shows it and can resume a file), never with a token in its URL.
 */
export function download(api: RemotemAPI, item: ITreeItem): void {
  let xsrf = '';
  try {
    xsrf = document.cookie.match('\\b_xsrf=([^;]*)\\b')?.[1] ?? '';
  } catch {
    // a sandboxed page has no cookies to read
  }
  const link = document.createElement('a');
  link.href = api.downloadUrl(
    item.repository,
    item.path,
    xsrf ? decodeURIComponent(xsrf) : null
  );
  link.download = '';
  link.hidden = true;
  document.body.appendChild(link);
  link.click();
  document.body.removeChild(link);
}

/**
 * Let the user pick files (or, with `folder`, one folder with everything in it) from
 * the desktop. Must be called while handling the user's click: browsers open a file
 * chooser only then. Resolves with nothing when the chooser is cancelled.
 */
export function pickFiles(folder: boolean): Promise<File[]> {
  return new Promise(resolve => {
    const input = document.createElement('input');
    input.type = 'file';
    input.multiple = true;
    if (folder) {
      input.webkitdirectory = true;
    }
    input.hidden = true;
    input.className = 'jp-remotem-upload-input';
    const done = (files: File[]) => {
      input.remove();
      resolve(files);
    };
    input.addEventListener('change', () => done(Array.from(input.files ?? [])));
    input.addEventListener('cancel', () => done([]));
    // Attached while open, so that tests (and some browsers) find it.
    document.body.appendChild(input);
    input.click();
  });
}

/**
 * A refusal as one text: the server's message and its hint.
 */
export function describeError(reason: unknown): string {
  const error = RemotemError.from(reason);
  return error.hint ? `${error.message}\n${error.hint}` : error.message;
}
