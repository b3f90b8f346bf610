/**
 * Which tree row a command acts on: the one named in its arguments, or the one its
 * context menu was opened on (a file or folder row, or a repository's header, which
 * stands for the repository's root folder).
 */
import { JupyterFrontEnd } from '@jupyterlab/application';

export interface ITreeItem {
  repository: string;
  /** '' for the repository's root. */
  path: string;
  isFolder: boolean;
  /** Whether the repository may be written (upload, new folder, rename, delete). */
  writable: boolean;
}

/**
 * The item named by `repository` and `path` in `args`, else the row under the
 * context menu; null when neither says.
 */
export function treeItemOf(
  app: JupyterFrontEnd,
  args: { readonly [key: string]: unknown }
): ITreeItem | null {
  const { repository, path } = args;
  if (typeof repository === 'string' && typeof path === 'string') {
    return {
      repository,
      path,
      isFolder: path === '' || !!args['isFolder'],
      writable: !!args['writable']
    };
  }
  return treeItemAt(app);
}

/**
 * The tree row or repository header a context menu was opened on.
 */
function treeItemAt(app: JupyterFrontEnd): ITreeItem | null {
  const node = app.contextMenuHitTest(
    element =>
      element.classList.contains('jp-remotem-tree-item') ||
      element.classList.contains('jp-remotem-repo-header')
  );
  const repo = node?.closest<HTMLElement>('.jp-remotem-repo');
  const repository = repo?.dataset.repo;
  if (!node || !repository) {
    return null;
  }
  const writable = repo?.dataset.writable === 'true';
  if (node.classList.contains('jp-remotem-repo-header')) {
    return { repository, path: '', isFolder: true, writable };
  }
  const path = node.dataset.path;
  if (!path) {
    return null;
  }
  return {
    repository,
    path,
    isFolder: node.dataset.kind === 'folder',
    writable
  };
}
