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

/** Rows of the tree that a context menu opens on. */
const ROW_SELECTOR = '.jp-remotem-tree-item, .jp-remotem-repo-header';

/**
 * Open the context menu of a row from the keyboard (Shift+F10, the context-menu key), at
 * the row's left edge, as a right-click there would.
 */
export function openRowMenu(row: HTMLElement): void {
  const box = row.getBoundingClientRect();
  row.dispatchEvent(
    new MouseEvent('contextmenu', {
      bubbles: true,
      cancelable: true,
      clientX: box.left + Math.min(24, box.width / 2),
      clientY: box.bottom
    })
  );
}

/**
 * Give focus back to the row a context menu was opened on when the menu closes without
 * sending it elsewhere (Escape, a click outside): keyboard users keep their place.
 */
export function returnFocusAfterMenu(app: JupyterFrontEnd): void {
  let row: HTMLElement | null = null;
  document.addEventListener(
    'contextmenu',
    event => {
      const target = event.target as Element | null;
      row =
        target?.closest?.<HTMLElement>(
          `.jp-remotem-sidebar :is(${ROW_SELECTOR})`
        ) ?? null;
    },
    true
  );
  app.contextMenu.menu.aboutToClose.connect(() => {
    const opener = row;
    row = null;
    if (!opener) {
      return;
    }
    // After the menu has detached and a command (a dialog) has taken focus, if any.
    requestAnimationFrame(() => {
      const active = document.activeElement;
      const lost =
        !active ||
        active === document.body ||
        !!active.closest('.lm-Menu') ||
        !document.contains(active);
      if (lost && opener.isConnected) {
        opener.focus();
      }
    });
  });
}
