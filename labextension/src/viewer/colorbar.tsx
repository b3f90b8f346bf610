/**
 * Legends of an image, as matplotlib draws them beside a plot: a colour bar
 * with round-number ticks for the current limits and scale, and for the
 * centre-of-mass field the colour wheel (direction as hue, length as
 * brightness) drawn by the function that colours the field.
 */
import React, { useEffect, useMemo, useRef } from 'react';

import { useTranslation } from '../i18n';
import { colourBarTicks } from './axisticks';
import { colormapGradient, ColormapName } from './colormaps';
import { wheelLegend } from './images';
import { formatValue } from './scalebar';
import { IScaling } from './scaling';

/** At most this many ticks on a colour bar. */
const BAR_TICKS = 5;

export interface IColourBarProps {
  cmap: ColormapName;
  /** The scaling the image is drawn with (its limits included). */
  scaling: IScaling;
  /** The values' unit, when known (shown after the ticks). */
  units?: string;
}

export function ColourBar(props: IColourBarProps): JSX.Element {
  const { cmap, scaling } = props;
  const trans = useTranslation();
  const ticks = useMemo(
    () => colourBarTicks(scaling, BAR_TICKS),
    [scaling.mode, scaling.vmin, scaling.vmax, scaling.gamma, scaling.symmetric]
  );
  const gradient = useMemo(() => colormapGradient(cmap, 32), [cmap]);
  return (
    <div
      className="jp-RemotemViewer-colourBar"
      data-testid="colour-bar"
      data-vmin={scaling.vmin}
      data-vmax={scaling.vmax}
      data-mode={scaling.mode}
      role="img"
      aria-label={trans.__(
        'Colour bar: %1 to %2, %3 scale',
        formatValue(scaling.vmin),
        formatValue(scaling.vmax),
        scaling.mode
      )}
    >
      <div
        className="jp-RemotemViewer-colourBarStrip"
        style={{ backgroundImage: gradient }}
      />
      <div className="jp-RemotemViewer-colourBarTicks" aria-hidden="true">
        {ticks.map(tick => (
          <span
            key={tick.value}
            className="jp-RemotemViewer-colourBarTick"
            data-testid="colour-bar-tick"
            style={{ left: `${tick.position * 100}%` }}
          >
            {tick.label}
          </span>
        ))}
      </div>
      {props.units && (
        <span className="jp-RemotemViewer-colourBarUnits">{props.units}</span>
      )}
    </div>
  );
}

/** The side of the colour-wheel legend, in CSS pixels. */
const WHEEL_PX = 48;

export function ColourWheelLegend(): JSX.Element {
  const trans = useTranslation();
  const canvasRef = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = canvasRef.current;
    const context = canvas?.getContext('2d');
    if (!canvas || !context) {
      return;
    }
    const ratio = Math.ceil(window.devicePixelRatio || 1);
    const size = WHEEL_PX * ratio;
    canvas.width = size;
    canvas.height = size;
    const pixels = context.createImageData(size, size);
    pixels.data.set(wheelLegend(size));
    context.putImageData(pixels, 0, 0);
  }, []);
  return (
    <div
      className="jp-RemotemViewer-wheelLegend"
      data-testid="com-wheel"
      role="img"
      aria-label={trans.__(
        'Colour wheel: the direction of the shift is the hue (right red, down yellow-green, left cyan, up blue-violet), its length the brightness'
      )}
    >
      <canvas
        ref={canvasRef}
        className="jp-RemotemViewer-wheelCanvas"
        data-testid="com-wheel-canvas"
        style={{ width: `${WHEEL_PX}px`, height: `${WHEEL_PX}px` }}
      />
      <span className="jp-RemotemViewer-wheelText">
        {trans.__('hue: direction')}
        <br />
        {trans.__('brightness: length')}
      </span>
    </div>
  );
}
