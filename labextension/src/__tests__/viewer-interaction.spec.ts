import { Shape } from '../viewer/geometry';
import {
  beginDrag,
  clampPixel,
  continueDrag,
  cursorAt,
  ICapabilities,
  IPointerContext,
  keyCommand,
  nudgeAction,
  shapeAt,
  wheelFactor,
  ZOOM_STEP
} from '../viewer/interaction';
import { imageToScreen, IViewport } from '../viewer/viewport';

// 4 screen pixels per image pixel, image origin at screen (10, 20).
const viewport: IViewport = { scale: 4, offsetX: 10, offsetY: 20 };
const bounds = { width: 64, height: 64 };
const all: ICapabilities = { editShapes: true, pick: true, line: true };
const disk: Shape = { kind: 'disk', cx: 20, cy: 20, r: 5 };
const ring: Shape = { kind: 'ring', cx: 40, cy: 40, ri: 4, ro: 8 };
const screen = (x: number, y: number) => imageToScreen(viewport, [x, y]);

function context(changes: Partial<IPointerContext>): IPointerContext {
  return {
    tool: 'pick',
    button: 0,
    screen: [0, 0],
    viewport,
    bounds,
    shapes: [
      { id: 'bf', shape: disk },
      { id: 'adf', shape: ring, selected: true }
    ],
    can: all,
    ...changes
  };
}

describe('shapeAt', () => {
  it('finds the selected shape first, then the topmost', () => {
    const overlapping = [
      { id: 'below', shape: disk },
      { id: 'above', shape: { ...disk, r: 6 } as Shape }
    ];
    expect(shapeAt(overlapping, screen(21, 21), viewport)?.id).toBe('above');
    expect(
      shapeAt(
        [overlapping[0], overlapping[1]].map((s, i) => ({
          ...s,
          selected: i === 0
        })),
        screen(21, 21),
        viewport
      )?.id
    ).toBe('below');
    expect(shapeAt(overlapping, screen(60, 2), viewport)).toBeNull();
  });

  it('lets the pointer through a shape that is only drawn', () => {
    const band = [{ id: 'band', shape: disk, fixed: true }];
    expect(shapeAt(band, screen(20, 20), viewport)).toBeNull();
    // A press on it picks the pixel under it, as the pick tool does elsewhere.
    const press = beginDrag(context({ screen: screen(20, 20), shapes: band }));
    expect(press.state?.kind).toBe('pick');
  });

  it('grabs handles within a fixed screen distance at any zoom', () => {
    // 6 screen px at scale 4 = 1.5 image px from the radius handle.
    expect(
      shapeAt([{ id: 'a', shape: disk }], screen(26.4, 20), viewport)
    ).toMatchObject({
      handle: 'r'
    });
    expect(
      shapeAt([{ id: 'a', shape: disk }], screen(27, 20), viewport)
    ).toBeNull();
  });
});

describe('beginDrag and continueDrag', () => {
  it('selects and drags a shape live, then finally', () => {
    const start = beginDrag(context({ screen: screen(20, 20) }));
    expect(start.actions).toEqual([{ type: 'select', id: 'bf' }]);
    expect(start.state).toMatchObject({
      kind: 'shape',
      id: 'bf',
      handle: 'move'
    });
    const live = continueDrag(
      start.state!,
      screen(23, 18),
      viewport,
      bounds,
      false
    );
    expect(live.actions).toEqual([
      {
        type: 'shape',
        id: 'bf',
        shape: { ...disk, cx: 23, cy: 18 },
        final: false
      }
    ]);
    const end = continueDrag(
      live.state,
      screen(24, 18),
      viewport,
      bounds,
      true
    );
    expect(end.actions).toEqual([
      {
        type: 'shape',
        id: 'bf',
        shape: { ...disk, cx: 24, cy: 18 },
        final: true
      }
    ]);
  });

  it('only selects on a click without movement', () => {
    const start = beginDrag(context({ screen: screen(44, 40) }));
    expect(start.state).toMatchObject({
      kind: 'shape',
      id: 'adf',
      handle: 'body'
    });
    const end = continueDrag(
      start.state!,
      screen(44.1, 40),
      viewport,
      bounds,
      true
    );
    expect(end.actions).toEqual([]);
  });

  it('picks integer pixels on empty areas, clamped to the image', () => {
    const start = beginDrag(context({ screen: screen(3.4, 5.6) }));
    expect(start.actions).toEqual([
      { type: 'pick', point: [3, 6], final: false }
    ]);
    const same = continueDrag(
      start.state!,
      screen(3.2, 5.8),
      viewport,
      bounds,
      false
    );
    expect(same.actions).toEqual([]);
    const outside = continueDrag(
      same.state,
      screen(-10, 100),
      viewport,
      bounds,
      true
    );
    expect(outside.actions).toEqual([
      { type: 'pick', point: [0, 63], final: true }
    ]);
  });

  it('picks even on shapes when shapes are not editable', () => {
    const start = beginDrag(
      context({ screen: screen(20, 20), can: { ...all, editShapes: false } })
    );
    expect(start.actions).toEqual([
      { type: 'pick', point: [20, 20], final: false }
    ]);
  });

  it('pans with the middle button or the pan tool', () => {
    for (const changes of [{ button: 1 }, { tool: 'pan' as const }]) {
      const start = beginDrag(context({ ...changes, screen: [100, 100] }));
      expect(start.state?.kind).toBe('pan');
      const moved = continueDrag(
        start.state!,
        [130, 90],
        viewport,
        bounds,
        false
      );
      expect(moved.actions).toEqual([
        { type: 'pan', viewport: { scale: 4, offsetX: 40, offsetY: 10 } }
      ]);
    }
    expect(beginDrag(context({ button: 2 })).state).toBeNull();
  });

  it('draws a line, and a click clears it', () => {
    const start = beginDrag(context({ tool: 'line', screen: screen(20, 20) }));
    expect(start.state).toEqual({ kind: 'line', start: [20, 20] });
    const drawn = continueDrag(
      start.state!,
      screen(30, 25),
      viewport,
      bounds,
      true
    );
    expect(drawn.actions).toEqual([
      {
        type: 'line',
        line: [
          [20, 20],
          [30, 25]
        ],
        final: true
      }
    ]);
    const click = continueDrag(
      start.state!,
      screen(20.1, 20),
      viewport,
      bounds,
      true
    );
    expect(click.actions).toEqual([{ type: 'line', line: null, final: true }]);
    expect(
      beginDrag(context({ tool: 'line', can: { ...all, line: false } })).state
    ).toBeNull();
  });
});

describe('cursorAt', () => {
  it('shows what a press would do', () => {
    expect(cursorAt(context({ screen: screen(20, 20) }))).toBe('move');
    expect(cursorAt(context({ screen: screen(48, 40) }))).toBe('ew-resize');
    expect(cursorAt(context({ screen: screen(2, 2) }))).toBe('crosshair');
    expect(cursorAt(context({ tool: 'pan' }))).toBe('grab');
    expect(
      cursorAt(context({ screen: screen(2, 2), can: { ...all, pick: false } }))
    ).toBe('default');
  });
});

describe('keyboard', () => {
  it('maps keys to commands', () => {
    expect(keyCommand('ArrowLeft', false)).toEqual({
      type: 'nudge',
      dx: -1,
      dy: 0
    });
    expect(keyCommand('ArrowDown', true)).toEqual({
      type: 'nudge',
      dx: 0,
      dy: 10
    });
    expect(keyCommand('+', false)).toEqual({ type: 'zoom', factor: ZOOM_STEP });
    expect(keyCommand('-', false)).toEqual({
      type: 'zoom',
      factor: 1 / ZOOM_STEP
    });
    expect(keyCommand('0', false)).toEqual({ type: 'fit' });
    expect(keyCommand('a', false)).toBeNull();
  });

  it('nudges the selected shape, else moves the marker', () => {
    const shapes = [
      { id: 'bf', shape: disk },
      { id: 'adf', shape: ring, selected: true }
    ];
    expect(nudgeAction({ dx: 10, dy: 0 }, shapes, [5, 5], bounds, all)).toEqual(
      {
        type: 'shape',
        id: 'adf',
        shape: { ...ring, cx: 50 },
        final: true
      }
    );
    expect(
      nudgeAction(
        { dx: -10, dy: 1 },
        [{ id: 'bf', shape: disk }],
        [5, 5],
        bounds,
        all
      )
    ).toEqual({ type: 'pick', point: [0, 6], final: true });
    expect(nudgeAction({ dx: 1, dy: 0 }, [], null, bounds, all)).toBeNull();
  });
});

describe('helpers', () => {
  it('clamps pixels to the image', () => {
    expect(clampPixel([-3.2, 70.6], bounds)).toEqual([0, 63]);
    expect(clampPixel([4.5, 4.49], bounds)).toEqual([5, 4]);
  });

  it('zooms one step per wheel notch, in for negative deltas', () => {
    expect(wheelFactor(-100, 0)).toBeCloseTo(ZOOM_STEP, 12);
    expect(wheelFactor(100, 0)).toBeCloseTo(1 / ZOOM_STEP, 12);
    expect(wheelFactor(-3, 1)).toBeCloseTo(ZOOM_STEP ** 0.99, 12);
    expect(wheelFactor(-100000, 0)).toBeCloseTo(ZOOM_STEP ** 3, 12);
  });
});
