/**
 * The keyboard model of the Remote data tree, after JupyterLab's file browser and the
 * ARIA tree pattern: one tab stop, Up/Down move the selection, Right/Left unfold, fold or
 * step to the parent, Home/End jump, Enter opens, Space selects, Shift+F10 or the
 * context-menu key opens the menu. Pure decisions here; the tree applies them.
 */

/** What a key asks of the tree, seen from the focused row. */
export type TreeAction =
  | { move: TreeMove }
  | { expand: true }
  | { collapse: true }
  | { open: true }
  | { activate: true }
  | { menu: true };

/** Where focus (and with it the selection) goes. */
export type TreeMove =
  'next' | 'previous' | 'first' | 'last' | 'parent' | 'firstChild';

/** The focused row, as far as keys care. */
export interface IRowState {
  /** A folder or a repository: it unfolds. */
  expandable: boolean;
  expanded: boolean;
}

/** The key of a keydown, with its modifiers. */
export interface IKeyPress {
  key: string;
  shiftKey?: boolean;
  ctrlKey?: boolean;
  altKey?: boolean;
  metaKey?: boolean;
}

/**
 * What `press` does on a row in state `row`, or null when the tree leaves the key alone
 * (Tab leaves the tree; typing goes to whoever wants it).
 */
export function keyAction(press: IKeyPress, row: IRowState): TreeAction | null {
  const { key } = press;
  if (key === 'ContextMenu' || (key === 'F10' && press.shiftKey)) {
    return { menu: true };
  }
  if (press.ctrlKey || press.altKey || press.metaKey || press.shiftKey) {
    return null;
  }
  switch (key) {
    case 'ArrowDown':
      return { move: 'next' };
    case 'ArrowUp':
      return { move: 'previous' };
    case 'Home':
      return { move: 'first' };
    case 'End':
      return { move: 'last' };
    case 'ArrowRight':
      if (!row.expandable) {
        return null;
      }
      return row.expanded ? { move: 'firstChild' } : { expand: true };
    case 'ArrowLeft':
      return row.expandable && row.expanded
        ? { collapse: true }
        : { move: 'parent' };
    case 'Enter':
      return { open: true };
    case ' ':
      return { activate: true };
    default:
      return null;
  }
}

/**
 * The index of the row `move` leads to among the visible rows (in document order, each
 * with its depth), or -1 when there is none (past the ends, a root has no parent).
 */
export function moveTarget(
  levels: ReadonlyArray<number>,
  index: number,
  move: TreeMove
): number {
  const count = levels.length;
  if (count === 0) {
    return -1;
  }
  switch (move) {
    case 'next':
      return index + 1 < count ? index + 1 : -1;
    case 'previous':
      return index > 0 ? index - 1 : -1;
    case 'first':
      return 0;
    case 'last':
      return count - 1;
    case 'firstChild':
      return index + 1 < count && levels[index + 1] > levels[index]
        ? index + 1
        : -1;
    case 'parent':
      for (let i = index - 1; i >= 0; i--) {
        if (levels[i] < levels[index]) {
          return i;
        }
      }
      return -1;
  }
}

/**
 * Which of `count` rows holds the tree's single tab stop: the row focused last (Tab
 * comes back to where the user was), else the selected one, else the first.
 */
export function tabStopIndex(
  count: number,
  focused: number,
  selected: number
): number {
  if (count === 0) {
    return -1;
  }
  if (focused >= 0 && focused < count) {
    return focused;
  }
  if (selected >= 0 && selected < count) {
    return selected;
  }
  return 0;
}
