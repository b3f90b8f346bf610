/**
 * Which tree row a command acts on: the one named in its arguments, or the one its
 * context menu was opened on.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';

export interface ITreeItem {
  repository: string;
  path: string;
  isFolder: boolean;
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
    return { repository, path, isFolder: !!args['isFolder'] };
  }
  return treeItemAt(app);
}

/**
 * The tree row a context menu was opened on: its repository, path and kind.
 */
function treeItemAt(app: JupyterFrontEnd): ITreeItem | null {
  const node = app.contextMenuHitTest(element =>
    element.classList.contains('jp-remotem-tree-item')
  );
  const repository =
    node?.closest<HTMLElement>('.jp-remotem-repo')?.dataset.repo;
  const path = node?.dataset.path;
  if (!node || !repository || !path) {
    return null;
  }
  return { repository, path, isFolder: node.dataset.kind === 'folder' };
}
