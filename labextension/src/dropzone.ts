/**
 * Rows of the tree as drop targets for files and folders from the desktop.
 */
import React, { useCallback, useState } from 'react';

import { captureDrop, IEntryLike } from './uploadplan';

/**
 * What a drop held, taken while the drop event lasted.
 */
export interface IDropped {
  entries: IEntryLike[];
  files: File[];
}

/**
 * Whether a drag carries files from outside the page (not a drag within JupyterLab).
 */
function carriesFiles(event: React.DragEvent): boolean {
  return Array.from(event.dataTransfer?.types ?? []).includes('Files');
}

/**
 * Drag handlers for a row, and whether files are being dragged over it. When not
 * `enabled` (a read-only repository) the drop is refused with the "none" cursor, and the
 * browser is kept from opening the file in place of JupyterLab.
 */
export function useFileDrop(
  enabled: boolean,
  onDrop: (dropped: IDropped) => void
): {
  over: boolean;
  handlers: Pick<
    React.HTMLAttributes<HTMLElement>,
    'onDragEnter' | 'onDragOver' | 'onDragLeave' | 'onDrop'
  >;
} {
  const [over, setOver] = useState(false);
  const onDragOver = useCallback(
    (event: React.DragEvent) => {
      if (!carriesFiles(event)) {
        return;
      }
      event.preventDefault();
      event.stopPropagation();
      event.dataTransfer.dropEffect = enabled ? 'copy' : 'none';
      if (enabled) {
        setOver(true);
      }
    },
    [enabled]
  );
  const onDragLeave = useCallback((event: React.DragEvent) => {
    const next = event.relatedTarget as Node | null;
    if (!next || !event.currentTarget.contains(next)) {
      setOver(false);
    }
  }, []);
  const drop = useCallback(
    (event: React.DragEvent) => {
      if (!carriesFiles(event)) {
        return;
      }
      event.preventDefault();
      event.stopPropagation();
      setOver(false);
      if (enabled) {
        // Now: the items are unreadable once this handler returns.
        onDrop(captureDrop(event.dataTransfer.items));
      }
    },
    [enabled, onDrop]
  );
  return {
    over,
    handlers: {
      onDragEnter: onDragOver,
      onDragOver,
      onDragLeave,
      onDrop: drop
    }
  };
}
