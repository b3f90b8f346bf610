/**
 * What pointer and keyboard input on an image view means, as pure functions
 * from input to actions, so that the rules (which shape a press grabs, when a
 * press picks a position, what the arrow keys do) are testable without a DOM.
 */
import {
  dragShape,
  handles,
  hitTest,
  nudgeShape,
  Point,
  Shape
} from './geometry';
import { IViewport, screenToImage } from './viewport';

export type Tool = 'pick' | 'line' | 'pan';

/** Grab distance around handles and outlines, in screen pixels. */
export const GRAB_TOLERANCE_PX = 6;

export interface IOverlayShape {
  id: string;
  shape: Shape;
  selected?: boolean;
  /**
   * Drawn only (the band a line profile averages over): the pointer goes
   * through it, so a press on it picks the pixel instead of grabbing it.
   */
  fixed?: boolean;
}

/** Which interactions the owner of the view has wired up. */
export interface ICapabilities {
  editShapes: boolean;
  pick: boolean;
  line: boolean;
}

export interface IPointerContext {
  tool: Tool;
  /** `PointerEvent.button`: 0 primary, 1 middle. */
  button: number;
  screen: Point;
  viewport: IViewport;
  bounds: { width: number; height: number };
  shapes: ReadonlyArray<IOverlayShape>;
  can: ICapabilities;
}

/** A drag in progress; everything is relative to where it started. */
export type DragState =
  | { kind: 'pan'; start: Point; viewport: IViewport }
  | {
      kind: 'shape';
      id: string;
      handle: string;
      start: Point;
      shape: Shape;
      moved: boolean;
    }
  | { kind: 'pick'; last: Point }
  | { kind: 'line'; start: Point };

export type ViewAction =
  | { type: 'select'; id: string }
  | { type: 'shape'; id: string; shape: Shape; final: boolean }
  | { type: 'pan'; viewport: IViewport }
  | { type: 'pick'; point: Point; final: boolean }
  | { type: 'line'; line: [Point, Point] | null; final: boolean };

/**
 * The integer pixel nearest to an image position, kept on the image.
 */
export function clampPixel(
  p: Point,
  bounds: { width: number; height: number }
): Point {
  const clamp = (v: number, hi: number) =>
    Math.min(Math.max(Math.round(v), 0), Math.max(0, hi - 1));
  return [clamp(p[0], bounds.width), clamp(p[1], bounds.height)];
}

/**
 * The shape and handle under a screen point: the selected shape first, then
 * the others from the top (last drawn) down.
 */
export function shapeAt(
  shapes: ReadonlyArray<IOverlayShape>,
  screen: Point,
  viewport: IViewport
): { id: string; handle: string; shape: Shape } | null {
  const p = screenToImage(viewport, screen);
  const tolerance = GRAB_TOLERANCE_PX / viewport.scale;
  const order = [
    ...shapes.filter(s => s.selected),
    ...shapes.filter(s => !s.selected).reverse()
  ];
  for (const { id, shape, fixed } of order) {
    if (fixed) {
      continue;
    }
    const handle = hitTest(shape, p, tolerance);
    if (handle) {
      return { id, handle, shape };
    }
  }
  return null;
}

/**
 * The mouse cursor over a screen point when no drag is in progress.
 */
export function cursorAt(ctx: Omit<IPointerContext, 'button'>): string {
  if (ctx.tool === 'pan') {
    return 'grab';
  }
  if (ctx.tool === 'line') {
    return ctx.can.line ? 'crosshair' : 'default';
  }
  if (ctx.can.editShapes) {
    const hit = shapeAt(ctx.shapes, ctx.screen, ctx.viewport);
    if (hit) {
      if (hit.handle === 'body' || hit.handle === 'move') {
        return 'move';
      }
      const grip = handles(hit.shape).find(h => h.id === hit.handle);
      return grip?.cursor ?? 'move';
    }
  }
  return ctx.can.pick ? 'crosshair' : 'default';
}

/**
 * Start a drag: the middle button and the pan tool pan; with the pick tool a
 * press on a shape grabs it (and selects it), a press elsewhere picks the
 * pixel; the line tool starts a new line. Null when the press means nothing.
 */
export function beginDrag(ctx: IPointerContext): {
  state: DragState | null;
  actions: ViewAction[];
} {
  if (ctx.button === 1 || (ctx.button === 0 && ctx.tool === 'pan')) {
    return {
      state: { kind: 'pan', start: ctx.screen, viewport: ctx.viewport },
      actions: []
    };
  }
  if (ctx.button !== 0) {
    return { state: null, actions: [] };
  }
  const p = screenToImage(ctx.viewport, ctx.screen);
  if (ctx.tool === 'line') {
    if (!ctx.can.line) {
      return { state: null, actions: [] };
    }
    return { state: { kind: 'line', start: p }, actions: [] };
  }
  if (ctx.can.editShapes) {
    const hit = shapeAt(ctx.shapes, ctx.screen, ctx.viewport);
    if (hit) {
      return {
        state: {
          kind: 'shape',
          id: hit.id,
          handle: hit.handle,
          start: p,
          shape: hit.shape,
          moved: false
        },
        actions: [{ type: 'select', id: hit.id }]
      };
    }
  }
  if (ctx.can.pick) {
    const pixel = clampPixel(p, ctx.bounds);
    return {
      state: { kind: 'pick', last: pixel },
      actions: [{ type: 'pick', point: pixel, final: false }]
    };
  }
  return { state: null, actions: [] };
}

/**
 * The effect of the pointer at `screen` during a drag; `final` on release.
 */
export function continueDrag(
  state: DragState,
  screen: Point,
  viewport: IViewport,
  bounds: { width: number; height: number },
  final: boolean
): { state: DragState; actions: ViewAction[] } {
  switch (state.kind) {
    case 'pan': {
      const dx = screen[0] - state.start[0];
      const dy = screen[1] - state.start[1];
      return {
        state,
        actions: [
          {
            type: 'pan',
            viewport: {
              ...state.viewport,
              offsetX: state.viewport.offsetX + dx,
              offsetY: state.viewport.offsetY + dy
            }
          }
        ]
      };
    }
    case 'shape': {
      const p = screenToImage(viewport, screen);
      const shape = dragShape(
        state.shape,
        state.handle,
        state.start,
        p,
        bounds
      );
      const moved =
        state.moved || JSON.stringify(shape) !== JSON.stringify(state.shape);
      // A click on a shape without moving it only selects it.
      if (!moved) {
        return { state, actions: [] };
      }
      return {
        state: { ...state, moved },
        actions: [{ type: 'shape', id: state.id, shape, final }]
      };
    }
    case 'pick': {
      const pixel = clampPixel(screenToImage(viewport, screen), bounds);
      if (!final && pixel[0] === state.last[0] && pixel[1] === state.last[1]) {
        return { state, actions: [] };
      }
      return {
        state: { kind: 'pick', last: pixel },
        actions: [{ type: 'pick', point: pixel, final }]
      };
    }
    case 'line': {
      const p = screenToImage(viewport, screen);
      const length = Math.hypot(p[0] - state.start[0], p[1] - state.start[1]);
      // A click without a drag clears the line.
      const line: [Point, Point] | null =
        length * viewport.scale < 2 ? null : [state.start, p];
      return { state, actions: [{ type: 'line', line, final }] };
    }
  }
}

export type KeyCommand =
  | { type: 'nudge'; dx: number; dy: number }
  | { type: 'zoom'; factor: number }
  | { type: 'fit' };

/** Zoom step of the keyboard and of one wheel notch. */
export const ZOOM_STEP = 1.25;

/**
 * The command of a key on a focused view: arrows move by one pixel (ten with
 * Shift), + and - zoom, 0 fits the image.
 */
export function keyCommand(key: string, shiftKey: boolean): KeyCommand | null {
  const step = shiftKey ? 10 : 1;
  switch (key) {
    case 'ArrowLeft':
      return { type: 'nudge', dx: -step, dy: 0 };
    case 'ArrowRight':
      return { type: 'nudge', dx: step, dy: 0 };
    case 'ArrowUp':
      return { type: 'nudge', dx: 0, dy: -step };
    case 'ArrowDown':
      return { type: 'nudge', dx: 0, dy: step };
    case '+':
    case '=':
      return { type: 'zoom', factor: ZOOM_STEP };
    case '-':
    case '_':
      return { type: 'zoom', factor: 1 / ZOOM_STEP };
    case '0':
      return { type: 'fit' };
  }
  return null;
}

/**
 * What a nudge changes: the selected shape when shapes are editable, else the
 * marker (the picked position), kept on the image.
 */
export function nudgeAction(
  command: { dx: number; dy: number },
  shapes: ReadonlyArray<IOverlayShape>,
  marker: Point | null | undefined,
  bounds: { width: number; height: number },
  can: ICapabilities
): ViewAction | null {
  const selected = shapes.find(s => s.selected);
  if (selected && can.editShapes) {
    return {
      type: 'shape',
      id: selected.id,
      shape: nudgeShape(selected.shape, command.dx, command.dy, bounds),
      final: true
    };
  }
  if (marker && can.pick) {
    return {
      type: 'pick',
      point: clampPixel(
        [marker[0] + command.dx, marker[1] + command.dy],
        bounds
      ),
      final: true
    };
  }
  return null;
}

/**
 * Zoom factor of a wheel event: one notch (about 100 px of delta) is one
 * keyboard zoom step; trackpads give smaller deltas and zoom smoothly.
 */
export function wheelFactor(deltaY: number, deltaMode: number): number {
  const pixels =
    deltaMode === 1 ? deltaY * 33 : deltaMode === 2 ? deltaY * 400 : deltaY;
  const clamped = Math.max(-300, Math.min(300, pixels));
  return ZOOM_STEP ** (-clamped / 100);
}
