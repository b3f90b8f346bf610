/**
 * One result tab per drawn detector: choosing a tab shows that detector's
 * navigation image and makes its handles the active ones. Arrow keys move between
 * tabs, Delete removes the focused detector.
 */
import React, { useRef } from 'react';

import { useTranslation } from '../i18n';
import { shapeLabel } from './geometry';
import { IDetector } from './state';

/** Outline colours of detectors, by their position in the list. */
export const DETECTOR_COLORS: ReadonlyArray<string> = [
  '#4fc3f7',
  '#ffb74d',
  '#81c784',
  '#f06292',
  '#ba68c8',
  '#fff176'
];

export function detectorColor(index: number): string {
  return DETECTOR_COLORS[index % DETECTOR_COLORS.length];
}

export function DetectorTabs(props: {
  detectors: IDetector[];
  selected: string | null;
  onSelect: (id: string) => void;
  onRemove: (id: string) => void;
}): JSX.Element {
  const trans = useTranslation();
  const listRef = useRef<HTMLDivElement>(null);
  const { detectors } = props;

  const focusTab = (index: number) => {
    const tabs =
      listRef.current?.querySelectorAll<HTMLElement>('[role="tab"]') ?? [];
    const tab = tabs[(index + tabs.length) % Math.max(1, tabs.length)];
    if (tab) {
      tab.focus();
      const id = tab.dataset.detector;
      if (id) {
        props.onSelect(id);
      }
    }
  };

  return (
    <div
      className="jp-remotem-viewer-tabs"
      role="tablist"
      aria-label={trans.__('Detector results')}
      ref={listRef}
    >
      {detectors.map((detector, index) => {
        const selected = detector.id === props.selected;
        const label = `${index + 1}: ${shapeLabel(detector.shape)}`;
        return (
          <div
            key={detector.id}
            className={
              'jp-remotem-viewer-tab' + (selected ? ' jp-mod-current' : '')
            }
          >
            <button
              role="tab"
              aria-selected={selected}
              tabIndex={selected ? 0 : -1}
              data-detector={detector.id}
              data-kind={detector.shape.kind}
              className="jp-remotem-viewer-tab-label"
              onClick={() => props.onSelect(detector.id)}
              onKeyDown={event => {
                if (event.key === 'ArrowRight') {
                  event.preventDefault();
                  focusTab(index + 1);
                } else if (event.key === 'ArrowLeft') {
                  event.preventDefault();
                  focusTab(index - 1);
                } else if (event.key === 'Delete') {
                  event.preventDefault();
                  props.onRemove(detector.id);
                }
              }}
            >
              <span
                className="jp-remotem-viewer-swatch"
                style={{ borderColor: detectorColor(index) }}
                aria-hidden="true"
              />
              {label}
            </button>
            <button
              className="jp-remotem-viewer-tab-close"
              title={trans.__('Remove detector %1', index + 1)}
              aria-label={trans.__('Remove detector %1', index + 1)}
              onClick={() => props.onRemove(detector.id)}
            >
              ×
            </button>
          </div>
        );
      })}
    </div>
  );
}
