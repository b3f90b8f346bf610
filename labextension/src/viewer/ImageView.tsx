/**
 * A zoomable image with editable shape overlays, a position marker, a line
 * tool, a value readout and a scale bar.
 *
 * Colouring happens only when the image, the scaling or the colour map
 * change (a picture that is already coloured, such as the centre-of-mass
 * colour wheel, comes as `rgba` and is drawn as given, while `image` still
 * gives the readout its values): the coloured pixels live in a hidden canvas of the image's size,
 * and each frame merely draws that canvas at the current zoom (without
 * smoothing, so pixels stay square) and the overlays on top.
 */
import React, {
  useCallback,
  useEffect,
  useId,
  useMemo,
  useRef,
  useState
} from 'react';

import { useTranslation } from '../i18n';
import { Spinner } from '../widgets';
import { imageAxisTicks, IPlacedTick } from './axisticks';
import { ColourBar, ColourWheelLegend } from './colorbar';
import { ColormapName } from './colormaps';
import { handles, Point, rectangleOutline, Shape } from './geometry';
import {
  beginDrag,
  continueDrag,
  cursorAt,
  DragState,
  ICapabilities,
  IOverlayShape,
  keyCommand,
  nudgeAction,
  Tool,
  ViewAction,
  wheelFactor
} from './interaction';
import { IImage } from './npy';
import {
  formatValue,
  IAxisCalibration,
  isCalibrated,
  physical,
  scaleBar
} from './scalebar';
import { IScaling, renderRGBA } from './scaling';
import { useTheme } from './theme';
import {
  fitViewport,
  imageToScreen,
  IViewport,
  pixelAt,
  screenToImage,
  zoomAt
} from './viewport';

export interface IImageViewProps {
  image: IImage | null;
  scaling: IScaling;
  cmap: ColormapName;
  /** RGBA pixels of the image's size drawn instead of colouring `image`. */
  rgba?: Uint8ClampedArray | null;
  /** The parts of each pixel's value the readout names beside it (`R`, `G`, `B`). */
  channels?: ReadonlyArray<IReadoutChannel>;
  /** Axis calibrations, for the scale bar and the physical readout. */
  calibration?: { x: IAxisCalibration; y: IAxisCalibration };
  /** Editable overlays (detectors on a frame, the ROI on a scan image). */
  shapes?: (IOverlayShape & { color: string })[];
  /** `final` is false while dragging (live) and true on release. */
  onShapeChange?: (id: string, shape: Shape, final: boolean) => void;
  onSelectShape?: (id: string) => void;
  /** Crosshair at a pixel (the current frame position on a scan image). */
  marker?: Point | null;
  /** A press or drag on the image outside shapes picks a pixel. */
  onPick?: (p: Point, final: boolean) => void;
  line?: [Point, Point] | null;
  onLineChange?: (line: [Point, Point] | null) => void;
  tool?: Tool;
  /** Accessible name of the view. */
  label: string;
  busy?: boolean;
  /** The image is a coarse (subsampled) approximation still being refined. */
  stale?: boolean;
  className?: string;
  /**
   * The legend under the image: a colour bar of the scaling (the default), the
   * colour wheel of a vector field (the default with `rgba`), or none.
   */
  legend?: 'colourBar' | 'wheel' | 'none';
}

/** The least screen distance between two axis ticks, per axis. */
const TICK_SPACING = { x: 48, y: 32 };

/** Preferred scale bar length in screen pixels. */
const SCALE_BAR_PX = 96;

/**
 * The coloured image in a canvas of its own size, or null without a 2-D
 * context (no canvas support).
 */
function useColouredBitmap(
  image: IImage | null,
  scaling: IScaling,
  cmap: ColormapName,
  rgba: Uint8ClampedArray | null
): HTMLCanvasElement | null {
  const { mode, vmin, vmax, gamma, symmetric } = scaling;
  return useMemo(() => {
    if (!image || image.width < 1 || image.height < 1) {
      return null;
    }
    const canvas = document.createElement('canvas');
    canvas.width = image.width;
    canvas.height = image.height;
    const context = canvas.getContext('2d');
    if (!context) {
      return null;
    }
    const pixels = context.createImageData(image.width, image.height);
    if (rgba && rgba.length === pixels.data.length) {
      pixels.data.set(rgba);
    } else {
      renderRGBA(image, scaling, cmap, pixels.data);
    }
    context.putImageData(pixels, 0, 0);
    return canvas;
    // The scaling fields, not the object identity, decide the colours.
  }, [image, rgba, mode, vmin, vmax, gamma, symmetric, cmap]);
}

function drawShape(
  context: CanvasRenderingContext2D,
  shape: Shape,
  viewport: IViewport,
  color: string,
  selected: boolean
): void {
  const s = viewport.scale;
  const at = (p: Point) => imageToScreen(viewport, p);
  context.strokeStyle = color;
  context.fillStyle = color;
  context.lineWidth = selected ? 2 : 1.5;
  context.beginPath();
  switch (shape.kind) {
    case 'disk': {
      const [x, y] = at([shape.cx, shape.cy]);
      context.arc(x, y, shape.r * s, 0, 2 * Math.PI);
      break;
    }
    case 'ring': {
      const [x, y] = at([shape.cx, shape.cy]);
      context.arc(x, y, shape.ro * s, 0, 2 * Math.PI);
      context.moveTo(x + shape.ri * s, y);
      context.arc(x, y, shape.ri * s, 0, 2 * Math.PI, true);
      break;
    }
    case 'rectangle': {
      const { left, top, right, bottom } = rectangleOutline(shape);
      const [x0, y0] = at([left, top]);
      const [x1, y1] = at([right, bottom]);
      context.rect(x0, y0, x1 - x0, y1 - y0);
      break;
    }
    case 'point': {
      const [x0, y0] = at([
        Math.floor(shape.cx) - 0.5,
        Math.floor(shape.cy) - 0.5
      ]);
      const size = Math.max(s, 6);
      const [cx, cy] = [x0 + s / 2, y0 + s / 2];
      context.rect(cx - size / 2, cy - size / 2, size, size);
      break;
    }
    case 'polygon': {
      shape.vertices.forEach((vertex, i) => {
        const [x, y] = at(vertex);
        if (i === 0) {
          context.moveTo(x, y);
        } else {
          context.lineTo(x, y);
        }
      });
      context.closePath();
      break;
    }
  }
  context.globalAlpha = selected ? 0.25 : 0.15;
  context.fill('evenodd');
  context.globalAlpha = 1;
  context.stroke();
  if (selected) {
    for (const handle of handles(shape)) {
      const [x, y] = at(handle.at);
      context.fillStyle = handle.id === 'move' ? color : '#ffffff';
      context.strokeStyle = color;
      context.lineWidth = 1;
      context.fillRect(x - 4, y - 4, 8, 8);
      context.strokeRect(x - 4, y - 4, 8, 8);
    }
  }
}

/**
 * Stroke a path twice, a wide dark halo under the thin colour, so that it
 * shows on bright and dark pixels alike.
 */
function strokeWithHalo(
  context: CanvasRenderingContext2D,
  colour: string,
  path: () => void
): void {
  for (const [style, width] of [
    ['rgba(0, 0, 0, 0.7)', 3],
    [colour, 1.5]
  ] as [string, number][]) {
    context.strokeStyle = style;
    context.lineWidth = width;
    context.beginPath();
    path();
    context.stroke();
  }
}

function drawMarker(
  context: CanvasRenderingContext2D,
  marker: Point,
  viewport: IViewport
): void {
  const [x, y] = imageToScreen(viewport, marker);
  const half = Math.max(viewport.scale / 2, 3);
  const arm = half + 8;
  strokeWithHalo(context, '#ffeb3b', () => {
    context.rect(x - half, y - half, 2 * half, 2 * half);
    for (const [dx, dy] of [
      [-1, 0],
      [1, 0],
      [0, -1],
      [0, 1]
    ]) {
      context.moveTo(x + dx * half, y + dy * half);
      context.lineTo(x + dx * arm, y + dy * arm);
    }
  });
}

function drawLine(
  context: CanvasRenderingContext2D,
  line: [Point, Point],
  viewport: IViewport
): void {
  const [a, b] = line.map(p => imageToScreen(viewport, p));
  strokeWithHalo(context, '#00e5ff', () => {
    context.moveTo(a[0], a[1]);
    context.lineTo(b[0], b[1]);
  });
  context.fillStyle = '#00e5ff';
  for (const [x, y] of [a, b]) {
    context.beginPath();
    context.arc(x, y, 3, 0, 2 * Math.PI);
    context.fill();
  }
}

/** A part of a pixel's value the readout names: a colour's red, a field's x. */
export interface IReadoutChannel {
  label: string;
  /** Of the image's size. */
  image: IImage;
}

/**
 * The text under the view: pixel, value (with its parts, when the picture is made of
 * several: `R 12, G 40, B 3`) and physical coordinates.
 */
export function readoutText(
  image: IImage | null,
  pixel: Point | null,
  calibration?: { x: IAxisCalibration; y: IAxisCalibration },
  channels: ReadonlyArray<IReadoutChannel> = []
): string {
  if (!image || !pixel) {
    return '';
  }
  const [x, y] = pixel;
  if (x < 0 || y < 0 || x >= image.width || y >= image.height) {
    return '';
  }
  const index = y * image.width + x;
  let text = `x ${x}, y ${y} = ${formatValue(image.data[index])}`;
  const parts = channels
    .filter(channel => channel.image.data.length === image.data.length)
    .map(
      channel => `${channel.label} ${formatValue(channel.image.data[index])}`
    );
  if (parts.length) {
    text += ` (${parts.join(', ')})`;
  }
  if (
    calibration &&
    (isCalibrated(calibration.x) || isCalibrated(calibration.y))
  ) {
    const px = physical(calibration.x, x);
    const py = physical(calibration.y, y);
    text += ` (${formatValue(px)} ${calibration.x.units}, ${formatValue(py)} ${calibration.y.units})`;
  }
  return text;
}

/** How near an end of its axis a tick's label stops being centred on it. */
const TICK_EDGE_PX = 14;

/**
 * The class of an axis tick: labels at the ends of an axis align inwards, so
 * that they are not cut in half by the edge.
 */
/** One axis beside the image: its ticks placed along `length` pixels. */
function Axis(props: {
  direction: 'x' | 'y';
  ticks: IPlacedTick[];
  length: number;
}): JSX.Element {
  const { direction, ticks, length } = props;
  return (
    <div
      className={`jp-RemotemViewer-axis jp-RemotemViewer-axis${direction.toUpperCase()}`}
      data-testid={`axis-${direction}`}
      aria-hidden="true"
    >
      {ticks.map(tick => (
        <span
          key={tick.value}
          className={tickClass(tick.position, length)}
          data-testid="axis-tick"
          style={
            direction === 'y'
              ? { top: `${tick.position}px` }
              : { left: `${tick.position}px` }
          }
        >
          {tick.label}
        </span>
      ))}
    </div>
  );
}

function tickClass(position: number, length: number): string {
  const edge =
    position < TICK_EDGE_PX
      ? ' jp-mod-start'
      : position > length - TICK_EDGE_PX
        ? ' jp-mod-end'
        : '';
  return 'jp-RemotemViewer-tick' + edge;
}

/**
 * The units of the axes as the corner of the plot says them ("nm", or "x: nm,
 * y: mrad" when they differ); "px" without a calibration.
 */
export function axisUnits(calibration?: {
  x: IAxisCalibration;
  y: IAxisCalibration;
}): string {
  const x = calibration?.x.units || 'px';
  const y = calibration?.y.units || 'px';
  return x === y ? x : `x: ${x}, y: ${y}`;
}

export function ImageView(props: IImageViewProps): JSX.Element {
  const { image, scaling, cmap, calibration } = props;
  const trans = useTranslation();
  const helpId = useId();
  const containerRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [size, setSize] = useState({ width: 0, height: 0 });
  const [viewport, setViewport] = useState<IViewport | null>(null);
  const [hover, setHover] = useState<Point | null>(null);
  const [cursor, setCursor] = useState('default');
  const drag = useRef<DragState | null>(null);
  // Whether the user zoomed or panned since the last fit: if so, resizing
  // the view keeps the zoom instead of fitting again.
  const userView = useRef(false);
  const theme = useTheme();
  const bitmap = useColouredBitmap(image, scaling, cmap, props.rgba ?? null);

  const tool: Tool = props.tool ?? 'pick';
  const bounds = useMemo(
    () => ({ width: image?.width ?? 1, height: image?.height ?? 1 }),
    [image?.width, image?.height]
  );
  const overlays: IOverlayShape[] = props.shapes ?? [];
  const can: ICapabilities = {
    editShapes: !!props.onShapeChange,
    pick: !!props.onPick,
    line: !!props.onLineChange
  };

  // Follow the size of the view.
  useEffect(() => {
    const element = containerRef.current;
    if (!element) {
      return;
    }
    const measure = () =>
      setSize(old =>
        old.width === element.clientWidth && old.height === element.clientHeight
          ? old
          : { width: element.clientWidth, height: element.clientHeight }
      );
    measure();
    if (typeof ResizeObserver === 'undefined') {
      return;
    }
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  // Redraw whenever the canvas comes into view again: whatever hid it (a tab
  // behind another, the shell hidden while a theme loads, a collapsed panel),
  // the picture is then drawn on what is really shown.
  const [shown, setShown] = useState(0);
  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas || typeof IntersectionObserver === 'undefined') {
      return;
    }
    const observer = new IntersectionObserver(entries => {
      if (entries.some(entry => entry.isIntersecting)) {
        setShown(count => count + 1);
      }
    });
    observer.observe(canvas);
    // A theme change restyles the page after its CSS loads, which JupyterLab marks on the
    // body: draw again then (and once more on the next frame, after the layout settles).
    const themes = new MutationObserver(() => {
      setShown(count => count + 1);
      requestAnimationFrame(() => setShown(count => count + 1));
    });
    themes.observe(document.body, {
      attributes: true,
      attributeFilter: ['data-jp-theme-name', 'data-jp-theme-light']
    });
    // The browser may drop a canvas's pixels (its graphics process restarted, memory was
    // short): it gives the context back empty, to be drawn again.
    const restored = () => setShown(count => count + 1);
    canvas.addEventListener('contextrestored', restored);
    return () => {
      observer.disconnect();
      themes.disconnect();
      canvas.removeEventListener('contextrestored', restored);
    };
  }, []);

  const fit = useCallback(() => {
    userView.current = false;
    setViewport(
      fitViewport(bounds.width, bounds.height, size.width, size.height)
    );
  }, [bounds, size]);

  // Fit when the image dimensions change, and on resize unless the user zoomed.
  const fitted = useRef('');
  useEffect(() => {
    if (!image || size.width === 0 || size.height === 0) {
      return;
    }
    const key = `${image.width}x${image.height}`;
    if (fitted.current !== key || !userView.current) {
      fitted.current = key;
      fit();
    }
  }, [image?.width, image?.height, size, fit]);

  // Draw: the coloured bitmap at the current zoom, then the overlays.
  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) {
      return;
    }
    const frame = requestAnimationFrame(() => {
      // A view hidden for a moment (JupyterLab hides the whole shell while a
      // theme's styles load) keeps its last picture: resizing the canvas to
      // nothing would clear it, and nothing may redraw it once it is shown.
      const element = containerRef.current;
      if (
        element &&
        (element.clientWidth === 0 || element.clientHeight === 0)
      ) {
        canvas.dataset.picture = 'kept';
        return;
      }
      // The size the view was last measured at may be stale: after the shell was hidden
      // and shown again (a theme change) the resize observer need not report the area's
      // size again. Draw only at the size really shown; a stale one is measured anew.
      if (
        element &&
        (element.clientWidth !== size.width ||
          element.clientHeight !== size.height)
      ) {
        setSize({ width: element.clientWidth, height: element.clientHeight });
        return;
      }
      const ratio = window.devicePixelRatio || 1;
      const width = Math.round(size.width * ratio);
      const height = Math.round(size.height * ratio);
      if (canvas.width !== width || canvas.height !== height) {
        canvas.width = width;
        canvas.height = height;
      }
      const context = canvas.getContext('2d');
      if (!context) {
        return;
      }
      context.setTransform(ratio, 0, 0, ratio, 0, 0);
      context.clearRect(0, 0, size.width, size.height);
      // What the canvas shows, for whoever checks it: 'drawn', 'empty' (no image or no size
      // yet) or 'kept' (hidden, the last picture kept).
      canvas.dataset.picture = bitmap && viewport ? 'drawn' : 'empty';
      if (!bitmap || !viewport) {
        return;
      }
      context.imageSmoothingEnabled = false;
      const [left, top] = imageToScreen(viewport, [-0.5, -0.5]);
      context.drawImage(
        bitmap,
        left,
        top,
        bitmap.width * viewport.scale,
        bitmap.height * viewport.scale
      );
      for (const overlay of props.shapes ?? []) {
        drawShape(
          context,
          overlay.shape,
          viewport,
          overlay.color,
          !!overlay.selected
        );
      }
      if (props.marker) {
        drawMarker(context, props.marker, viewport);
      }
      if (props.line) {
        drawLine(context, props.line, viewport);
      }
    });
    return () => cancelAnimationFrame(frame);
  }, [
    bitmap,
    viewport,
    size,
    props.shapes,
    props.marker,
    props.line,
    theme,
    shown
  ]);

  // The current view for the native wheel listener.
  const latest = useRef(viewport);
  latest.current = viewport;

  const apply = useCallback(
    (actions: ViewAction[]) => {
      for (const action of actions) {
        switch (action.type) {
          case 'select':
            props.onSelectShape?.(action.id);
            break;
          case 'shape':
            props.onShapeChange?.(action.id, action.shape, action.final);
            break;
          case 'pan':
            userView.current = true;
            setViewport(action.viewport);
            break;
          case 'pick':
            props.onPick?.(action.point, action.final);
            break;
          case 'line':
            props.onLineChange?.(action.line);
            break;
        }
      }
    },
    [props.onSelectShape, props.onShapeChange, props.onPick, props.onLineChange]
  );

  // Wheel zoom at the cursor; a native listener, because React's is passive
  // and could not keep the page from scrolling.
  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) {
      return;
    }
    const onWheel = (event: WheelEvent) => {
      const current = latest.current;
      if (!current) {
        return;
      }
      event.preventDefault();
      const rect = canvas.getBoundingClientRect();
      userView.current = true;
      setViewport(
        zoomAt(current, wheelFactor(event.deltaY, event.deltaMode), [
          event.clientX - rect.left,
          event.clientY - rect.top
        ])
      );
    };
    canvas.addEventListener('wheel', onWheel, { passive: false });
    return () => canvas.removeEventListener('wheel', onWheel);
  }, []);

  const localPoint = (event: React.PointerEvent | React.MouseEvent): Point => {
    const rect = canvasRef.current!.getBoundingClientRect();
    return [event.clientX - rect.left, event.clientY - rect.top];
  };

  const onPointerDown = (event: React.PointerEvent<HTMLCanvasElement>) => {
    if (!viewport || !image) {
      return;
    }
    const { state, actions } = beginDrag({
      tool,
      button: event.button,
      screen: localPoint(event),
      viewport,
      bounds,
      shapes: overlays,
      can
    });
    if (state) {
      event.preventDefault();
      event.currentTarget.focus();
      event.currentTarget.setPointerCapture?.(event.pointerId);
      drag.current = state;
      if (state.kind === 'pan') {
        setCursor('grabbing');
      }
    }
    apply(actions);
  };

  const onPointerMove = (event: React.PointerEvent<HTMLCanvasElement>) => {
    if (!viewport || !image) {
      return;
    }
    const screen = localPoint(event);
    setHover(pixelAt(screenToImage(viewport, screen)));
    if (drag.current) {
      const { state, actions } = continueDrag(
        drag.current,
        screen,
        viewport,
        bounds,
        false
      );
      drag.current = state;
      apply(actions);
    } else {
      setCursor(
        cursorAt({ tool, screen, viewport, bounds, shapes: overlays, can })
      );
    }
  };

  const onPointerUp = (event: React.PointerEvent<HTMLCanvasElement>) => {
    const state = drag.current;
    drag.current = null;
    if (!state || !viewport) {
      return;
    }
    event.currentTarget.releasePointerCapture?.(event.pointerId);
    const { actions } = continueDrag(
      state,
      localPoint(event),
      viewport,
      bounds,
      true
    );
    apply(actions);
    setCursor(
      cursorAt({
        tool,
        screen: localPoint(event),
        viewport,
        bounds,
        shapes: overlays,
        can
      })
    );
  };

  const onKeyDown = (event: React.KeyboardEvent<HTMLCanvasElement>) => {
    const command = keyCommand(event.key, event.shiftKey);
    if (!command || !viewport || !image) {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
    if (command.type === 'fit') {
      fit();
    } else if (command.type === 'zoom') {
      userView.current = true;
      setViewport(
        zoomAt(viewport, command.factor, [size.width / 2, size.height / 2])
      );
    } else {
      const action = nudgeAction(command, overlays, props.marker, bounds, can);
      if (action) {
        apply([action]);
      }
    }
  };

  const bar =
    calibration && viewport
      ? scaleBar(calibration.x, viewport.scale, SCALE_BAR_PX)
      : null;
  const readout = readoutText(image, hover, calibration, props.channels);
  const ticks: { x: IPlacedTick[]; y: IPlacedTick[] } =
    image && viewport
      ? {
          x: imageAxisTicks(
            calibration?.x,
            viewport.scale,
            viewport.offsetX,
            image.width,
            size.width,
            TICK_SPACING.x
          ),
          y: imageAxisTicks(
            calibration?.y,
            viewport.scale,
            viewport.offsetY,
            image.height,
            size.height,
            TICK_SPACING.y
          )
        }
      : { x: [], y: [] };
  const units = axisUnits(calibration);
  const legend = props.legend ?? (props.rgba ? 'wheel' : 'colourBar');
  const classes = ['jp-RemotemViewer-image', props.className ?? '']
    .join(' ')
    .trim();

  return (
    <div
      className={classes}
      data-testid="image-view"
      data-scale={viewport?.scale}
      data-offset-x={viewport?.offsetX}
      data-offset-y={viewport?.offsetY}
      data-image-size={image ? `${image.width}x${image.height}` : undefined}
      data-rgba={props.rgba ? 'true' : undefined}
      data-overlays={(props.shapes ?? []).length}
      data-units={units}
    >
      <div className="jp-RemotemViewer-plotArea">
        <Axis direction="y" ticks={ticks.y} length={size.height} />
        <div className="jp-RemotemViewer-imageArea" ref={containerRef}>
          <canvas
            ref={canvasRef}
            className="jp-RemotemViewer-canvas"
            data-testid="image-canvas"
            role="img"
            aria-label={props.label}
            aria-describedby={helpId}
            tabIndex={0}
            style={{
              cursor: drag.current?.kind === 'pan' ? 'grabbing' : cursor
            }}
            onPointerDown={onPointerDown}
            onPointerMove={onPointerMove}
            onPointerUp={onPointerUp}
            onPointerCancel={onPointerUp}
            onPointerLeave={() => {
              if (!drag.current) {
                setHover(null);
              }
            }}
            onDoubleClick={event => {
              event.preventDefault();
              fit();
            }}
            onContextMenu={event => {
              if (drag.current) {
                event.preventDefault();
              }
            }}
            onKeyDown={onKeyDown}
          />
          {bar && (
            <div
              className="jp-RemotemViewer-scaleBar"
              data-testid="scale-bar"
              aria-label={trans.__('Scale bar: %1', bar.label)}
            >
              <div
                className="jp-RemotemViewer-scaleBarLine"
                style={{ width: `${bar.screenPx}px` }}
              />
              <span>{bar.label}</span>
            </div>
          )}
          {props.stale && (
            <span
              className="jp-RemotemViewer-badge"
              data-testid="image-stale"
              title={trans.__(
                'A coarse preview from a subset of the scan; the exact image follows.'
              )}
            >
              {trans.__('coarse')}
            </span>
          )}
          {props.busy && (
            <div className="jp-RemotemViewer-busy" data-testid="image-busy">
              <Spinner label={trans.__('Computing…')} />
            </div>
          )}
        </div>
        <span
          className="jp-RemotemViewer-axisUnits"
          data-testid="axis-units"
          title={trans.__('Units of the axes')}
        >
          {units}
        </span>
        <Axis direction="x" ticks={ticks.x} length={size.width} />
      </div>
      {legend === 'colourBar' && image && (
        <ColourBar cmap={cmap} scaling={scaling} />
      )}
      {legend === 'wheel' && <ColourWheelLegend />}
      <div className="jp-RemotemViewer-readout" data-testid="image-readout">
        {readout || '\u00a0'}
      </div>
      <span id={helpId} className="jp-RemotemViewer-help">
        {props.onShapeChange
          ? trans.__(
              'Arrow keys move the selected shape (Shift: 10 pixels); + and - zoom; 0 fits the image.'
            )
          : trans.__(
              'Arrow keys move the marker (Shift: 10 pixels); + and - zoom; 0 fits the image.'
            )}
      </span>
    </div>
  );
}
