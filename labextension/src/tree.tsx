/**
 * The repository list and its lazily loaded file trees.
 */
import {
  caretDownIcon,
  caretRightIcon,
  fileIcon,
  folderIcon,
  LabIcon
} from '@jupyterlab/ui-components';
import React, { useCallback, useEffect, useRef, useState } from 'react';

import {
  IDatasetMark,
  IEntry,
  IRepository,
  isAbort,
  isDataset,
  isFolder,
  RemotemAPI,
  RemotemError
} from './api';
import { openRowMenu } from './contextmenu';
import { IDropped, useFileDrop } from './dropzone';
import { openRoute } from './fileroutes';
import {
  describeSpeed,
  formatBytes,
  formatDate,
  splitForMiddleEllipsis
} from './format';
import { shownRows } from './hooks';
import { useTranslation } from './i18n';
import { isRetryable } from './retry';
import { keyAction, moveTarget } from './treekeys';
import { IUploadTarget } from './uploadplan';
import { ErrorMessage, Spinner } from './widgets';

/**
 * What is selected in the tree: a file (a dataset or any other file) in a repository.
 */
export interface ISelection {
  repository: string;
  entry: IEntry;
}

/**
 * A place in a repository the tree should reload (and, with `reveal`, expand to,
 * scroll to and focus). `serial` tells repeated requests apart.
 */
export interface ITreeFocus {
  repository: string;
  path: string;
  serial: number;
  reveal: boolean;
  /** Reload the folder `path` itself and every open folder below it (Refresh). */
  subtree?: boolean;
}

/** The rows of the tree that keys move between (repository headers and entries). */
export const ROW_SELECTOR = '.jp-remotem-focusable';

interface ITreeProps {
  api: RemotemAPI;
  selection: ISelection | null;
  onSelect: (selection: ISelection) => void;
  /** Open a file (double-click, Enter): the viewer for arrays, JupyterLab's viewers for the rest. */
  onOpen?: (repository: string, entry: IEntry) => void;
  focus?: ITreeFocus | null;
  /** Bumped by Refresh: every open folder reloads, staying open. */
  reloadSerial?: number;
  /** Files or folders from the desktop were dropped onto a folder or a repository. */
  onDropFiles?: (target: IUploadTarget, dropped: IDropped) => void;
}

/**
 * Whether `path` lies strictly inside the folder `dir` ('' is the root).
 */
export function isInside(path: string, dir: string): boolean {
  return dir === '' ? path !== '' : path.startsWith(dir + '/');
}

/**
 * Keys on a row (the ARIA tree pattern, as JupyterLab's file browser): arrows move focus,
 * and with it the selection, and fold; Enter opens; Space activates; Shift+F10 or the
 * context-menu key opens the row's menu.
 */
function rowKeyDown(
  event: React.KeyboardEvent<HTMLElement>,
  row: {
    expandable: boolean;
    expanded: boolean;
    activate: () => void;
    open: () => void;
    expand?: () => void;
    collapse?: () => void;
  }
): void {
  if (event.target !== event.currentTarget) {
    return;
  }
  const action = keyAction(event, row);
  if (!action) {
    return;
  }
  event.preventDefault();
  const current = event.currentTarget;
  if ('move' in action) {
    const tree = current.closest('.jp-remotem-repos');
    if (!tree) {
      return;
    }
    const rows = shownRows(tree, ROW_SELECTOR);
    const levels = rows.map(element => Number(element.dataset.level ?? 1));
    const target = moveTarget(levels, rows.indexOf(current), action.move);
    if (target >= 0) {
      rows[target].focus();
      rows[target].scrollIntoView({ block: 'nearest' });
    }
  } else if ('expand' in action) {
    row.expand?.();
  } else if ('collapse' in action) {
    row.collapse?.();
  } else if ('open' in action) {
    row.open();
  } else if ('activate' in action) {
    row.activate();
  } else if ('menu' in action) {
    openRowMenu(current);
  }
}

/**
 * A file or folder name that keeps its end in view: when the row is too narrow the middle
 * gives way to an ellipsis; the whole name is in the tooltip.
 */
function EntryName(props: { name: string }): JSX.Element {
  const [head, tail] = splitForMiddleEllipsis(props.name);
  return (
    <span className="jp-remotem-name" title={props.name}>
      <span className="jp-remotem-name-head">{head}</span>
      {tail && <span className="jp-remotem-name-tail">{tail}</span>}
    </span>
  );
}

function Caret(props: { expandable: boolean; expanded: boolean }): JSX.Element {
  if (!props.expandable) {
    return <span className="jp-remotem-caret" />;
  }
  const icon = props.expanded ? caretDownIcon : caretRightIcon;
  return <icon.react tag="span" className="jp-remotem-caret" />;
}

/**
 * The traffic light of a repository's measured speed.
 */
export function SpeedLight(props: { repository: IRepository }): JSX.Element {
  const speed = props.repository.speed ?? {
    class: 'unknown',
    latency_ms: null,
    throughput_mb_s: null,
    measured_at: null
  };
  const text = describeSpeed(speed);
  return (
    <span
      className="jp-remotem-speed"
      data-speed={speed.class}
      title={text}
      aria-label={text}
      role="img"
    />
  );
}

/**
 * One repository: a header row and, once expanded, its root folder.
 */
export function RepositoryNode(
  props: ITreeProps & { repository: IRepository }
): JSX.Element {
  const { repository } = props;
  const trans = useTranslation();
  const [expanded, setExpanded] = useState(false);
  const [opened, setOpened] = useState(false);
  const toggle = useCallback(() => {
    setOpened(true);
    setExpanded(value => !value);
  }, []);
  const expand = useCallback(() => {
    setOpened(true);
    setExpanded(true);
  }, []);
  const focus = props.focus;
  useEffect(() => {
    if (focus?.reveal && focus.repository === repository.name) {
      expand();
    }
  }, [focus, repository.name, expand]);
  const { onDropFiles } = props;
  const drop = useFileDrop(
    repository.writable && !!onDropFiles,
    useCallback(
      (dropped: IDropped) =>
        onDropFiles?.({ repository: repository.name, folder: '' }, dropped),
      [onDropFiles, repository.name]
    )
  );
  return (
    <li
      className="jp-remotem-repo"
      data-repo={repository.name}
      data-writable={String(!!repository.writable)}
      data-own={repository.own ? 'true' : undefined}
      role="treeitem"
      aria-expanded={expanded}
      aria-level={1}
    >
      <div
        className={
          'jp-remotem-repo-header jp-remotem-focusable' +
          (drop.over ? ' jp-mod-dropTarget' : '')
        }
        {...drop.handlers}
        tabIndex={-1}
        data-level={1}
        data-expanded={String(expanded)}
        aria-label={trans.__('Repository %1', repository.name)}
        onClick={toggle}
        onKeyDown={event =>
          rowKeyDown(event, {
            expandable: true,
            expanded,
            activate: toggle,
            open: toggle,
            expand,
            collapse: () => setExpanded(false)
          })
        }
        title={
          repository.writable
            ? trans.__(
                '%1 (%2, writable)',
                repository.name,
                repository.protocol
              )
            : trans.__(
                '%1 (%2, read-only)',
                repository.name,
                repository.protocol
              )
        }
      >
        <Caret expandable={true} expanded={expanded} />
        <SpeedLight repository={repository} />
        <span className="jp-remotem-repo-name">{repository.name}</span>
        <span className="jp-remotem-badge jp-remotem-protocol">
          {repository.protocol}
        </span>
        {repository.description && (
          <span className="jp-remotem-repo-description">
            {repository.description}
          </span>
        )}
      </div>
      {opened && (
        <DirectoryChildren
          {...props}
          repositoryName={repository.name}
          writable={!!repository.writable}
          path=""
          depth={1}
          hidden={!expanded}
        />
      )}
    </li>
  );
}

interface IDirectoryProps extends ITreeProps {
  repositoryName: string;
  /** Whether the repository takes uploads (folders are then drop targets). */
  writable: boolean;
  path: string;
  depth: number;
  hidden: boolean;
}

/**
 * The children of a folder, loaded once when first shown.
 */
function DirectoryChildren(props: IDirectoryProps): JSX.Element {
  const { api, repositoryName, path, depth } = props;
  const trans = useTranslation();
  const [entries, setEntries] = useState<IEntry[] | null>(null);
  const [error, setError] = useState<RemotemError | null>(null);
  const [attempt, setAttempt] = useState(0);
  // Reload when something inside this folder changed (a copy landed there).
  const focus = props.focus;
  const reload =
    focus &&
    focus.repository === repositoryName &&
    (isInside(focus.path, path) ||
      (focus.subtree && (path === focus.path || isInside(path, focus.path))))
      ? focus.serial
      : 0;
  const reloadAll = props.reloadSerial ?? 0;

  useEffect(() => {
    const controller = new AbortController();
    setError(null);
    // Entries already shown stay while they reload, so open folders stay open.
    api
      .listTree(repositoryName, path, controller.signal)
      .then(response => setEntries(sortEntries(response.entries)))
      .catch(reason => {
        // A newer load (the folder changed again) took over: its answer counts.
        if (!isAbort(reason) && !controller.signal.aborted) {
          setError(RemotemError.from(reason));
        }
      });
    return () => controller.abort();
  }, [api, repositoryName, path, attempt, reload, reloadAll]);

  const indent = { paddingLeft: `${depth * 12 + 4}px` };
  let content: JSX.Element;
  if (error) {
    content = (
      <li className="jp-remotem-tree-status" style={indent}>
        <ErrorMessage
          error={error}
          onRetry={
            isRetryable(error) ? () => setAttempt(n => n + 1) : undefined
          }
        />
      </li>
    );
  } else if (entries === null) {
    content = (
      <li className="jp-remotem-tree-status" style={indent}>
        <Spinner label={trans.__('Loading…')} />
      </li>
    );
  } else if (entries.length === 0) {
    content = (
      <li className="jp-remotem-tree-status jp-remotem-empty" style={indent}>
        {trans.__('Empty folder')}
      </li>
    );
  } else {
    content = (
      <>
        {entries.map(entry => (
          <EntryNode key={entry.path} {...props} entry={entry} depth={depth} />
        ))}
      </>
    );
  }
  return (
    <ul className="jp-remotem-tree" role="group" hidden={props.hidden}>
      {content}
    </ul>
  );
}

/**
 * Folders first, then by name.
 */
function sortEntries(entries: IEntry[]): IEntry[] {
  return [...entries].sort((a, b) => {
    const fa = isFolder(a) ? 0 : 1;
    const fb = isFolder(b) ? 0 : 1;
    return fa - fb || a.name.localeCompare(b.name);
  });
}

/**
 * One row of a file tree: a folder, a dataset or another file. Every file can be
 * selected (its details show) and opened: arrays in the viewer, other files in
 * JupyterLab's own viewers.
 */
function EntryNode(props: IDirectoryProps & { entry: IEntry }): JSX.Element {
  const { entry, depth, selection, onSelect, onOpen, repositoryName } = props;
  const trans = useTranslation();
  const folder = isFolder(entry);
  const dataset = isDataset(entry);
  const [expanded, setExpanded] = useState(false);
  const [opened, setOpened] = useState(false);
  const rowRef = useRef<HTMLDivElement>(null);
  // A press of the pointer focuses the row before its click or its context menu: the
  // selection waits for those, so that the details taking their share of the sidebar
  // do not move the row from under the pointer between the press and the menu.
  const pressed = useRef(false);
  const focus = props.focus;
  const selected =
    selection !== null &&
    selection.repository === repositoryName &&
    selection.entry.path === entry.path;

  const select = useCallback(() => {
    if (!folder) {
      onSelect({ repository: repositoryName, entry });
    }
  }, [folder, onSelect, repositoryName, entry]);

  const activate = useCallback(() => {
    if (folder) {
      setOpened(true);
      setExpanded(value => !value);
    } else {
      select();
    }
  }, [folder, select]);

  useEffect(() => {
    if (!focus?.reveal || focus.repository !== repositoryName) {
      return;
    }
    if (folder && isInside(focus.path, entry.path)) {
      setOpened(true);
      setExpanded(true);
    } else if (focus.path === entry.path) {
      select();
      // After the details (if any) have taken their share of the sidebar.
      const frame = requestAnimationFrame(() => {
        rowRef.current?.scrollIntoView({ block: 'nearest' });
        rowRef.current?.focus({ preventScroll: true });
      });
      return () => cancelAnimationFrame(frame);
    }
    // Only a new request to reveal acts, not re-renders.
  }, [focus]);

  // A row selected from elsewhere (the viewer, a reveal) or whose details just took
  // part of the sidebar stays in sight.
  useEffect(() => {
    if (!selected) {
      return;
    }
    // After the split panel has laid out the details.
    const frame = requestAnimationFrame(() =>
      rowRef.current?.scrollIntoView({ block: 'nearest' })
    );
    return () => cancelAnimationFrame(frame);
  }, [selected]);

  const { onDropFiles, writable } = props;
  const drop = useFileDrop(
    folder && writable && !!onDropFiles,
    useCallback(
      (dropped: IDropped) =>
        onDropFiles?.(
          { repository: repositoryName, folder: entry.path },
          dropped
        ),
      [onDropFiles, repositoryName, entry.path]
    )
  );

  const route = openRoute(entry);
  const open = useCallback(() => {
    if (folder) {
      setOpened(true);
      setExpanded(value => !value);
    } else if (onOpen) {
      onOpen(repositoryName, entry);
    }
  }, [folder, onOpen, repositoryName, entry]);

  const icon: LabIcon = folder ? folderIcon : fileIcon;
  const size = folder ? '' : formatBytes(entry.size);
  const date = formatDate(entry.modified, entry.mtime);
  const kind = folder ? 'folder' : dataset ? 'dataset' : 'file';
  const tooltip = [
    entry.path,
    entry.format ? trans.__('format: %1', entry.format) : '',
    size ? trans.__('size: %1', size) : '',
    date ? trans.__('modified: %1', date) : '',
    entry.result
      ? trans.__(
          'result of a %1 job (double-click to reopen)',
          entry.result.operation
        )
      : ''
  ]
    .filter(Boolean)
    .join('\n');

  return (
    <li
      role="treeitem"
      aria-level={depth + 1}
      aria-expanded={folder ? expanded : undefined}
      aria-selected={folder ? undefined : selected}
    >
      <div
        ref={rowRef}
        className={
          'jp-remotem-tree-item jp-remotem-focusable' +
          (selected ? ' jp-mod-selected' : '') +
          (drop.over ? ' jp-mod-dropTarget' : '')
        }
        {...(folder ? drop.handlers : {})}
        data-path={entry.path}
        data-kind={kind}
        data-level={depth + 1}
        data-format={entry.format ?? ''}
        data-expanded={folder ? String(expanded) : undefined}
        data-result={entry.result ? entry.result.job_id : undefined}
        data-registered={entry.registered ? entry.registered.state : undefined}
        data-openable={route?.kind === 'viewer' ? 'true' : undefined}
        data-opens={route?.kind}
        tabIndex={-1}
        title={tooltip}
        aria-label={entry.name}
        style={{ paddingLeft: `${depth * 12 + 4}px` }}
        onClick={activate}
        onMouseDown={() => {
          pressed.current = true;
        }}
        onMouseUp={() => {
          pressed.current = false;
        }}
        onMouseLeave={() => {
          pressed.current = false;
        }}
        onContextMenu={() => {
          pressed.current = false;
          // The menu acts on this row, and the details show it: a folder too (its dataset).
          if (!selected) {
            onSelect({ repository: repositoryName, entry });
          }
        }}
        onFocus={event => {
          // Arrows move the selection with focus, and the details follow.
          if (
            event.target === event.currentTarget &&
            !selected &&
            !pressed.current
          ) {
            select();
          }
        }}
        onDoubleClick={open}
        onKeyDown={event =>
          rowKeyDown(event, {
            expandable: folder,
            expanded,
            activate,
            open,
            expand: folder
              ? () => {
                  setOpened(true);
                  setExpanded(true);
                }
              : undefined,
            collapse: folder ? () => setExpanded(false) : undefined
          })
        }
      >
        <Caret expandable={folder} expanded={expanded} />
        <icon.react tag="span" className="jp-remotem-icon" />
        <EntryName name={entry.name} />
        {entry.format && (
          <span
            className={
              'jp-remotem-badge ' +
              (dataset ? 'jp-remotem-format' : 'jp-remotem-filetype')
            }
            data-format={entry.format}
          >
            {entry.format}
          </span>
        )}
        {entry.result && (
          <span
            className="jp-remotem-badge jp-remotem-result-badge"
            data-operation={entry.result.operation}
            title={trans.__(
              'Result of your %1 job %2',
              entry.result.operation,
              entry.result.job_id
            )}
          >
            {trans.__('result')}
          </span>
        )}
        {entry.registered && <DatasetMark mark={entry.registered} />}
        <span className="jp-remotem-size">{size}</span>
        <span className="jp-remotem-date">{date}</span>
      </div>
      {folder && opened && (
        <DirectoryChildren
          {...props}
          path={entry.path}
          depth={depth + 1}
          hidden={!expanded}
        />
      )}
    </li>
  );
}

/** The badge of an entry that is a dataset: "dataset" while open, "closed" once its files are fixed. */
function DatasetMark(props: { mark: IDatasetMark }): JSX.Element {
  const { mark } = props;
  const trans = useTranslation();
  return (
    <span
      className="jp-remotem-badge jp-remotem-dataset-mark"
      data-state={mark.state}
      title={
        mark.state === 'closed'
          ? trans.__(
              'Closed dataset “%1”: its files no longer change',
              mark.name
            )
          : trans.__('Dataset “%1” (open)', mark.name)
      }
    >
      {mark.state === 'closed' ? trans.__('closed') : trans.__('dataset')}
    </span>
  );
}
