/**
 * The navigation view of a 1-D scan (a time series, a line scan): the result over the
 * scan index as a line, with a cursor at the frame shown and the scan region's range
 * shaded. Pressing or dragging on it, and the arrow keys, pick the frame.
 */
import React, { useEffect, useMemo, useRef } from 'react';

import { useTranslation } from '../i18n';
import { Spinner } from '../widgets';
import { PlotFrame } from './PlotFrame';
import { profilePath } from './profile';
import { indexAt } from './scanaxes';
import { formatValue } from './scalebar';

/** Plot area in SVG user units; the SVG scales to its box. */
const WIDTH = 400;
const HEIGHT = 160;

/** Index steps of the keys (Shift multiplies the arrows by ten). */
const KEY_STEPS: Record<string, number> = { ArrowLeft: -1, ArrowRight: 1 };

export interface IScanPlotProps {
  /** The value at each scan index (null while nothing has answered). */
  values: ArrayLike<number> | null;
  /** The scan index of the frame shown. */
  index: number;
  /** The scan region's first and last index, when there is one. */
  range: [number, number] | null;
  onPick: (index: number) => void;
  label: string;
  busy?: boolean;
  /** The values come from a subsample of the scan still being refined. */
  stale?: boolean;
  /**
   * RGBA of each scan index when the result holds its own colours (a colour
   * output): shown as a strip under the plot, whose line is then their brightness.
   */
  colours?: Uint8ClampedArray | null;
}

/** The colours of a 1-D scan, one pixel per index, stretched to the plot's width. */
function ColourStrip(props: { colours: Uint8ClampedArray }): JSX.Element {
  const { colours } = props;
  const canvas = useRef<HTMLCanvasElement>(null);
  const n = colours.length / 4;
  useEffect(() => {
    const context = canvas.current?.getContext('2d');
    if (!context || n < 1) {
      return;
    }
    const pixels = context.createImageData(n, 1);
    pixels.data.set(colours);
    context.putImageData(pixels, 0, 0);
  }, [colours, n]);
  return (
    <canvas
      ref={canvas}
      className="jp-RemotemViewer-scanPlotColours"
      data-testid="scan-plot-colours"
      width={Math.max(1, n)}
      height={1}
      aria-hidden="true"
    />
  );
}

export function ScanPlot(props: IScanPlotProps): JSX.Element {
  const { values, index, range } = props;
  const trans = useTranslation();
  const dragging = useRef(false);
  const n = values?.length ?? 0;
  const plot = useMemo(() => {
    if (!values || values.length === 0) {
      return null;
    }
    const distance = Float64Array.from(values, (_, i) => i);
    return profilePath({ distance, values }, WIDTH, HEIGHT);
  }, [values]);
  const xOf = (i: number) => (n > 1 ? (i / (n - 1)) * WIDTH : WIDTH / 2);

  const pick = (event: React.PointerEvent<SVGSVGElement>) => {
    const box = event.currentTarget.getBoundingClientRect();
    props.onPick(indexAt(event.clientX - box.left, box.width, n));
  };

  const onKeyDown = (event: React.KeyboardEvent<SVGSVGElement>) => {
    const step = KEY_STEPS[event.key];
    const target =
      step !== undefined
        ? index + step * (event.shiftKey ? 10 : 1)
        : event.key === 'Home'
          ? 0
          : event.key === 'End'
            ? n - 1
            : null;
    if (target !== null && n > 0) {
      event.preventDefault();
      props.onPick(Math.min(n - 1, Math.max(0, target)));
    }
  };

  const svgProps: React.SVGProps<SVGSVGElement> = {
    className: 'jp-RemotemViewer-scanPlotSvg',
    role: 'slider',
    tabIndex: 0,
    'aria-label': props.label,
    'aria-valuemin': 0,
    'aria-valuemax': Math.max(0, n - 1),
    'aria-valuenow': index,
    onPointerDown: event => {
      if (n === 0) {
        return;
      }
      dragging.current = true;
      event.currentTarget.setPointerCapture?.(event.pointerId);
      event.currentTarget.focus();
      pick(event);
    },
    onPointerMove: event => {
      if (dragging.current) {
        pick(event);
      }
    },
    onPointerUp: event => {
      dragging.current = false;
      event.currentTarget.releasePointerCapture?.(event.pointerId);
    },
    onKeyDown
  };

  const value = values && index < n ? values[index] : NaN;
  return (
    <div
      className="jp-RemotemViewer-scanPlot"
      data-testid="scan-plot"
      data-index={index}
      data-points={n}
    >
      <div className="jp-RemotemViewer-profile">
        <PlotFrame
          width={WIDTH}
          height={HEIGHT}
          path={plot?.path ?? ''}
          ymax={<span>{plot ? formatValue(plot.ymax) : ''}</span>}
          ymin={<span>{plot ? formatValue(plot.ymin) : ''}</span>}
          xmax={<span>{Math.max(0, n - 1)}</span>}
          lineTestId="scan-plot-line"
          svg={svgProps}
          below={
            range &&
            n > 0 && (
              <rect
                className="jp-RemotemViewer-scanPlotRange"
                data-testid="scan-plot-range"
                x={xOf(range[0])}
                y={0}
                width={Math.max(1, xOf(range[1]) - xOf(range[0]))}
                height={HEIGHT}
              />
            )
          }
          above={
            n > 0 && (
              <line
                className="jp-RemotemViewer-scanPlotCursor"
                x1={xOf(index)}
                x2={xOf(index)}
                y1={0}
                y2={HEIGHT}
                vectorEffect="non-scaling-stroke"
              />
            )
          }
        />
      </div>
      {props.colours && props.colours.length === n * 4 && n > 0 && (
        <ColourStrip colours={props.colours} />
      )}
      <div className="jp-RemotemViewer-readout" data-testid="scan-plot-readout">
        {n > 0
          ? trans.__('index %1 = %2', index, formatValue(value))
          : '\u00a0'}
        {props.stale ? ` (${trans.__('coarse')})` : ''}
      </div>
      {props.busy && (
        <div className="jp-RemotemViewer-busy">
          <Spinner label={trans.__('Computing…')} />
        </div>
      )}
    </div>
  );
}
