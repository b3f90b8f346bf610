/**
 * The contrast control: a histogram of the image values (log counts, so that
 * a few bright pixels and the large dark background both show) with two
 * handles for the display limits, and number fields for exact limits.
 */
import React, { useEffect, useMemo, useRef, useState } from 'react';

import { useTranslation } from '../i18n';
import {
  axisFraction,
  axisValue,
  histogram,
  IValueAxis,
  setLimit,
  stepLimit,
  valueAxis
} from './histogram';
import { NumberField } from './NumberField';
import { formatValue } from './scalebar';
import { IScaling } from './scaling';
import { useTheme } from './theme';

/** Number of histogram bins drawn. */
const BINS = 128;

export interface IHistogramControlProps {
  data: ArrayLike<number> | null;
  scaling: IScaling;
  onChange: (s: IScaling) => void;
  /** The limits survive a new image (shown as a pressed pin). */
  pinned?: boolean;
  /** Pin or unpin the limits; without it no pin is offered. */
  onPinned?: (pinned: boolean) => void;
}

function drawHistogram(
  canvas: HTMLCanvasElement,
  counts: Uint32Array | null
): void {
  const ratio = window.devicePixelRatio || 1;
  const width = Math.max(1, Math.round(canvas.clientWidth * ratio));
  const height = Math.max(1, Math.round(canvas.clientHeight * ratio));
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d');
  if (!context) {
    return;
  }
  context.clearRect(0, 0, width, height);
  let top = 0;
  counts?.forEach(c => (top = Math.max(top, c)));
  if (!counts || top === 0) {
    return;
  }
  context.fillStyle = getComputedStyle(canvas).color || '#888';
  const scale = Math.log1p(top);
  const barWidth = width / counts.length;
  counts.forEach((count, i) => {
    const h = (Math.log1p(count) / scale) * height;
    context.fillRect(i * barWidth, height - h, Math.ceil(barWidth), h);
  });
}

export function HistogramControl(props: IHistogramControlProps): JSX.Element {
  const { data, scaling, onChange } = props;
  const trans = useTranslation();
  const canvasRef = useRef<HTMLCanvasElement>(null);
  // The bars take the text colour of the theme.
  const theme = useTheme();
  const trackRef = useRef<HTMLDivElement>(null);
  const dragging = useRef<'vmin' | 'vmax' | null>(null);
  // The axis follows the data and the limits; while a handle is dragged it
  // stays put so that the handle does not run away from the pointer.
  const [axis, setAxis] = useState<IValueAxis>(() => valueAxis(data, scaling));
  useEffect(() => {
    if (!dragging.current) {
      setAxis(valueAxis(data, scaling));
    }
  }, [data, scaling.mode, scaling.vmin, scaling.vmax]);
  const counts = useMemo(
    () =>
      data
        ? histogram(data, BINS, [axis.min, axis.max], axis.log).counts
        : null,
    [data, axis.min, axis.max, axis.log]
  );
  // Redraw when the control changes size (e.g. its panel is shown).
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas || typeof ResizeObserver === 'undefined') {
      return;
    }
    const observer = new ResizeObserver(() => setWidth(canvas.clientWidth));
    observer.observe(canvas);
    return () => observer.disconnect();
  }, []);
  useEffect(() => {
    if (canvasRef.current) {
      drawHistogram(canvasRef.current, counts);
    }
  }, [counts, width, theme]);

  const valueAtPointer = (clientX: number): number => {
    const rect = trackRef.current!.getBoundingClientRect();
    return axisValue(axis, (clientX - rect.left) / Math.max(1, rect.width));
  };

  const labels = {
    vmin: trans.__('Lower display limit'),
    vmax: trans.__('Upper display limit')
  };

  const limitField = (which: 'vmin' | 'vmax') => (
    <NumberField
      value={scaling[which]}
      label={labels[which]}
      testId={`histogram-${which}-input`}
      className="jp-RemotemViewer-limitInput"
      onCommit={value => onChange(setLimit(scaling, which, value))}
    />
  );

  const handle = (which: 'vmin' | 'vmax') => {
    const label = labels[which];
    return (
      <div
        className={`jp-RemotemViewer-histHandle jp-RemotemViewer-histHandle-${which}`}
        data-testid={`histogram-${which}`}
        role="slider"
        tabIndex={0}
        aria-label={label}
        aria-valuemin={axis.min}
        aria-valuemax={axis.max}
        aria-valuenow={scaling[which]}
        aria-valuetext={formatValue(scaling[which])}
        title={`${label}: ${formatValue(scaling[which])}`}
        style={{ left: `${axisFraction(axis, scaling[which]) * 100}%` }}
        onPointerDown={event => {
          event.preventDefault();
          event.stopPropagation();
          event.currentTarget.focus();
          event.currentTarget.setPointerCapture?.(event.pointerId);
          dragging.current = which;
        }}
        onPointerMove={event => {
          if (dragging.current === which) {
            onChange(setLimit(scaling, which, valueAtPointer(event.clientX)));
          }
        }}
        onPointerUp={event => {
          dragging.current = null;
          event.currentTarget.releasePointerCapture?.(event.pointerId);
          setAxis(valueAxis(data, scaling));
        }}
        onKeyDown={event => {
          const direction =
            event.key === 'ArrowRight' || event.key === 'ArrowUp'
              ? 1
              : event.key === 'ArrowLeft' || event.key === 'ArrowDown'
                ? -1
                : 0;
          if (direction !== 0) {
            event.preventDefault();
            onChange(
              stepLimit(scaling, which, axis, direction, event.shiftKey)
            );
          } else if (event.key === 'Home' || event.key === 'End') {
            event.preventDefault();
            onChange(
              setLimit(
                scaling,
                which,
                event.key === 'Home' ? axis.min : axis.max
              )
            );
          }
        }}
      />
    );
  };

  const left = axisFraction(axis, scaling.vmin) * 100;
  const right = axisFraction(axis, scaling.vmax) * 100;
  return (
    <div
      className="jp-RemotemViewer-histogram"
      data-testid="histogram"
      data-pinned={props.pinned ? 'true' : 'false'}
    >
      <div className="jp-RemotemViewer-histTrack" ref={trackRef}>
        <canvas
          ref={canvasRef}
          className="jp-RemotemViewer-histCanvas"
          data-testid="histogram-canvas"
          aria-hidden="true"
        />
        <div
          className="jp-RemotemViewer-histRange"
          style={{ left: `${left}%`, width: `${Math.max(0, right - left)}%` }}
        />
        {handle('vmin')}
        {handle('vmax')}
      </div>
      <div className="jp-RemotemViewer-histLimits">
        {limitField('vmin')}
        <span className="jp-RemotemViewer-histAxis">
          {axis.log ? trans.__('log') : ''}
        </span>
        {props.onPinned && (
          <button
            className={
              'jp-Button jp-mod-styled jp-mod-reject jp-RemotemViewer-pin' +
              (props.pinned ? ' jp-mod-active' : '')
            }
            data-testid="pin-limits"
            aria-pressed={!!props.pinned}
            aria-label={trans.__('Pin the limits for every new image')}
            title={
              props.pinned
                ? trans.__(
                    'Pinned: these limits stay for every new image. Press to let them follow each image.'
                  )
                : trans.__(
                    'The limits follow each new image. Press to keep them for every image.'
                  )
            }
            onClick={() => props.onPinned?.(!props.pinned)}
          >
            {props.pinned ? trans.__('Pinned') : trans.__('Pin')}
          </button>
        )}
        {limitField('vmax')}
      </div>
    </div>
  );
}
