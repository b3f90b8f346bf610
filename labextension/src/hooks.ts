/**
 * React glue for Lumino signals, and the single tab stop of a tree.
 */
import { ISignal } from '@lumino/signaling';
import { RefObject, useEffect, useState } from 'react';

import { tabStopIndex } from './treekeys';

/**
 * Re-render the calling component whenever `signal` is emitted.
 */
export function useRerenderOn(signal: ISignal<unknown, unknown>): void {
  const [, setTick] = useState(0);
  useEffect(() => {
    const onEmit = () => setTick(n => n + 1);
    signal.connect(onEmit);
    return () => {
      signal.disconnect(onEmit);
    };
  }, [signal]);
}

/**
 * Rows matching `selector` under `ref` that are shown (not inside a folded group).
 */
export function shownRows(root: Element, selector: string): HTMLElement[] {
  return Array.from(root.querySelectorAll<HTMLElement>(selector)).filter(
    row => !row.parentElement?.closest('[hidden]')
  );
}

/**
 * A roving tab index (the ARIA tree pattern): of the rows matching `selector`, exactly
 * one is in the tab order (tabindex 0), the row focused last, else the selected one
 * (`.jp-mod-selected`), else the first; the others have -1. Rows render with
 * `tabIndex={-1}`; this keeps the one tab stop right as rows come, go and fold.
 */
export function useRovingTabIndex(
  ref: RefObject<HTMLElement>,
  selector: string
): void {
  useEffect(() => {
    const root = ref.current;
    if (!root) {
      return;
    }
    let focused: HTMLElement | null = null;
    const settle = () => {
      const rows = shownRows(root, selector);
      const stop = tabStopIndex(
        rows.length,
        focused ? rows.indexOf(focused) : -1,
        rows.findIndex(row => row.classList.contains('jp-mod-selected'))
      );
      rows.forEach((row, index) => {
        const value = index === stop ? '0' : '-1';
        if (row.getAttribute('tabindex') !== value) {
          row.setAttribute('tabindex', value);
        }
      });
      // Rows inside folded groups keep out of the tab order too.
      root.querySelectorAll<HTMLElement>(selector).forEach(row => {
        if (!rows.includes(row) && row.getAttribute('tabindex') !== '-1') {
          row.setAttribute('tabindex', '-1');
        }
      });
    };
    const onFocusIn = (event: FocusEvent) => {
      const row = (event.target as Element | null)?.closest?.<HTMLElement>(
        selector
      );
      if (row && root.contains(row)) {
        focused = row;
        settle();
      }
    };
    const observer = new MutationObserver(settle);
    observer.observe(root, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ['hidden', 'class']
    });
    root.addEventListener('focusin', onFocusIn);
    settle();
    return () => {
      observer.disconnect();
      root.removeEventListener('focusin', onFocusIn);
    };
  }, [ref, selector]);
}
