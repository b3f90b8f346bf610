import React from 'react';
import { act } from 'react';

import { DisplayControls } from '../viewer/DisplayControls';
import { GeometryEditor } from '../viewer/GeometryEditor';
import { HistogramControl } from '../viewer/HistogramControl';
import { IImageViewProps, ImageView } from '../viewer/ImageView';
import { ProfilePlot } from '../viewer/ProfilePlot';
import { ScanPlot } from '../viewer/ScanPlot';
import { DEFAULT_SCALING, IScaling } from '../viewer/scaling';
import { installColormaps } from '../viewer/colormaps';
import { createRoot, IRoot } from './reactroot';
import { servedContract } from './servedcontract';
import { TRIANGLE } from './shapefixtures';

// The server's colour maps, as the viewer model installs them on load.
beforeAll(() => installColormaps(servedContract().colormaps));

/**
 * A 2-D context that records what is drawn (jsdom has no canvas): enough to
 * check that colouring happens once per image and that pixels stay square.
 */
class RecordingContext {
  calls: { name: string; smoothing?: boolean }[] = [];
  imageSmoothingEnabled = true;
  fillStyle = '';
  strokeStyle = '';
  lineWidth = 1;
  globalAlpha = 1;

  constructor() {
    return new Proxy(this, {
      get: (target, name: string) => {
        if (name in target) {
          return (target as any)[name];
        }
        return () => target.calls.push({ name });
      }
    });
  }

  createImageData(width: number, height: number) {
    this.calls.push({ name: 'createImageData' });
    return { width, height, data: new Uint8ClampedArray(width * height * 4) };
  }

  /** The pixels last put, as given. */
  pixels: Uint8ClampedArray | null = null;

  putImageData(image: { data: Uint8ClampedArray }) {
    this.calls.push({ name: 'putImageData' });
    this.pixels = image.data;
  }

  drawImage() {
    this.calls.push({
      name: 'drawImage',
      smoothing: this.imageSmoothingEnabled
    });
  }

  count(name: string): number {
    return this.calls.filter(c => c.name === name).length;
  }
}

const contexts: RecordingContext[] = [];
let container: HTMLDivElement;
let root: IRoot;

beforeAll(() => {
  (HTMLCanvasElement.prototype as any).getContext = function () {
    if (!this.__context) {
      this.__context = new RecordingContext();
      contexts.push(this.__context);
    }
    return this.__context;
  };
  // The image area measures 256 × 256 CSS pixels.
  Object.defineProperty(HTMLElement.prototype, 'clientWidth', {
    configurable: true,
    get: () => 256
  });
  Object.defineProperty(HTMLElement.prototype, 'clientHeight', {
    configurable: true,
    get: () => 256
  });
  window.requestAnimationFrame = (callback: FrameRequestCallback) =>
    window.setTimeout(() => callback(0), 0);
  window.cancelAnimationFrame = (handle: number) => window.clearTimeout(handle);
});

beforeEach(() => {
  contexts.length = 0;
  container = document.createElement('div');
  document.body.appendChild(container);
  root = createRoot(container);
});

afterEach(() => {
  act(() => root.unmount());
  container.remove();
});

async function render(element: JSX.Element): Promise<void> {
  await act(async () => {
    root.render(element);
  });
  // Let the animation frame that draws the view run.
  await act(async () => {
    await new Promise(resolve => setTimeout(resolve, 5));
  });
}

function byTestId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = container.querySelector(`[data-testid="${id}"]`);
  if (!element) {
    throw new Error(`No element with data-testid="${id}"`);
  }
  return element as T;
}

function pointer(
  target: Element,
  type: string,
  clientX: number,
  clientY: number,
  button = 0
): void {
  act(() => {
    target.dispatchEvent(
      new MouseEvent(type, { bubbles: true, clientX, clientY, button })
    );
  });
}

function key(target: Element, keyName: string, shiftKey = false): void {
  act(() => {
    target.dispatchEvent(
      new KeyboardEvent('keydown', { bubbles: true, key: keyName, shiftKey })
    );
  });
}

/** Set a form control's value the way a user would, so React sees it. */
function change(element: HTMLInputElement | HTMLSelectElement, value: string) {
  const prototype = Object.getPrototypeOf(element);
  Object.getOwnPropertyDescriptor(prototype, 'value')!.set!.call(
    element,
    value
  );
  act(() => {
    element.dispatchEvent(new Event('input', { bubbles: true }));
    element.dispatchEvent(new Event('change', { bubbles: true }));
  });
}

const scaling = (changes: Partial<IScaling> = {}): IScaling => ({
  ...DEFAULT_SCALING,
  vmin: 0,
  vmax: 100,
  ...changes
});

describe('ImageView', () => {
  // 64 × 64 image, value = x + 100 * y, shown at 4 screen px per pixel.
  const data = new Float64Array(64 * 64);
  data.forEach((_, i) => (data[i] = (i % 64) + 100 * Math.floor(i / 64)));
  const image = { width: 64, height: 64, data };

  function props(changes: Partial<IImageViewProps> = {}): IImageViewProps {
    return {
      image,
      scaling: scaling(),
      cmap: 'viridis',
      label: 'Virtual image',
      ...changes
    };
  }

  it('names the parts of a pixel made of several beside its value', async () => {
    // Channels of the image's size read at the same pixel; one of another size is left out.
    const part = (scale: number) => ({
      ...image,
      data: Float64Array.from(image.data, v => v * scale)
    });
    const odd = { width: 2, height: 2, data: new Float64Array(4) };
    await render(
      <ImageView
        {...props({
          channels: [
            { label: 'R', image: part(2) },
            { label: 'G', image: part(0.5) },
            { label: 'B', image: odd }
          ]
        })}
      />
    );
    pointer(byTestId('image-canvas'), 'pointermove', 42, 82);
    expect(byTestId('image-readout').textContent).toBe(
      'x 10, y 20 = 2010 (R 4020, G 1005)'
    );
  });

  it('fits the image, colours it once and draws it unsmoothed', async () => {
    await render(<ImageView {...props()} />);
    const view = byTestId('image-view');
    expect(view.dataset.scale).toBe('4');
    expect(view.dataset.imageSize).toBe('64x64');
    const canvas = byTestId('image-canvas');
    expect(canvas.getAttribute('aria-label')).toBe('Virtual image');
    expect(canvas.tabIndex).toBe(0);
    const bitmap = contexts.find(c => c.count('putImageData') > 0)!;
    expect(bitmap.count('putImageData')).toBe(1);
    const screen = contexts.find(c => c.count('drawImage') > 0)!;
    expect(screen.calls.find(c => c.name === 'drawImage')!.smoothing).toBe(
      false
    );
  });

  it('reads values under the cursor without colouring again', async () => {
    await render(<ImageView {...props()} />);
    const canvas = byTestId('image-canvas');
    // Screen (42, 82) is image (10, 20) at scale 4 with pixel centres at 4i + 2.
    pointer(canvas, 'pointermove', 42, 82);
    expect(byTestId('image-readout').textContent).toBe('x 10, y 20 = 2010');
    pointer(canvas, 'pointermove', 6, 6);
    expect(byTestId('image-readout').textContent).toBe('x 1, y 1 = 101');
    const colourings = contexts.reduce(
      (n, c) => n + c.count('putImageData'),
      0
    );
    expect(colourings).toBe(1);
  });

  it('colours again when the scaling changes', async () => {
    await render(<ImageView {...props()} />);
    await render(<ImageView {...props({ scaling: scaling({ vmax: 50 }) })} />);
    const colourings = contexts.reduce(
      (n, c) => n + c.count('putImageData'),
      0
    );
    expect(colourings).toBe(2);
  });

  it('picks pixels on press and drag, finally on release', async () => {
    const onPick = jest.fn();
    await render(<ImageView {...props({ onPick })} />);
    const canvas = byTestId('image-canvas');
    pointer(canvas, 'pointerdown', 42, 82);
    pointer(canvas, 'pointermove', 46, 82);
    pointer(canvas, 'pointerup', 46, 82);
    expect(onPick.mock.calls).toEqual([
      [[10, 20], false],
      [[11, 20], false],
      [[11, 20], true]
    ]);
  });

  it('drags a detector and nudges it with the arrow keys', async () => {
    const onShapeChange = jest.fn();
    const onSelectShape = jest.fn();
    const shapes = [
      {
        id: 'bf',
        shape: { kind: 'disk' as const, cx: 32, cy: 32, r: 8 },
        color: '#f00',
        selected: true
      }
    ];
    await render(
      <ImageView {...props({ shapes, onShapeChange, onSelectShape })} />
    );
    const canvas = byTestId('image-canvas');
    pointer(canvas, 'pointerdown', 130, 130); // image (32, 32)
    pointer(canvas, 'pointermove', 138, 134); // image (34, 33)
    pointer(canvas, 'pointerup', 138, 134);
    expect(onSelectShape).toHaveBeenCalledWith('bf');
    expect(onShapeChange.mock.calls).toEqual([
      ['bf', { kind: 'disk', cx: 34, cy: 33, r: 8 }, false],
      ['bf', { kind: 'disk', cx: 34, cy: 33, r: 8 }, true]
    ]);
    onShapeChange.mockClear();
    key(canvas, 'ArrowLeft');
    key(canvas, 'ArrowDown', true);
    expect(onShapeChange.mock.calls).toEqual([
      ['bf', { kind: 'disk', cx: 31, cy: 32, r: 8 }, true],
      ['bf', { kind: 'disk', cx: 32, cy: 42, r: 8 }, true]
    ]);
  });

  it('zooms with + and fits with 0', async () => {
    await render(<ImageView {...props()} />);
    const canvas = byTestId('image-canvas');
    key(canvas, '+');
    expect(Number(byTestId('image-view').dataset.scale)).toBeCloseTo(5, 10);
    key(canvas, '0');
    expect(byTestId('image-view').dataset.scale).toBe('4');
  });

  it('zooms at the cursor with the wheel', async () => {
    await render(<ImageView {...props()} />);
    const canvas = byTestId('image-canvas');
    const wheel = new WheelEvent('wheel', {
      bubbles: true,
      cancelable: true,
      clientX: 42,
      clientY: 82,
      deltaY: -100
    });
    act(() => {
      canvas.dispatchEvent(wheel);
    });
    expect(wheel.defaultPrevented).toBe(true);
    const view = byTestId('image-view').dataset;
    expect(Number(view.scale)).toBeCloseTo(5, 10);
    // Image (10, 20) is still under screen (42, 82).
    expect(10 * Number(view.scale) + Number(view.offsetX)).toBeCloseTo(42, 10);
    expect(20 * Number(view.scale) + Number(view.offsetY)).toBeCloseTo(82, 10);
  });

  it('draws a line with the line tool', async () => {
    const onLineChange = jest.fn();
    await render(<ImageView {...props({ tool: 'line', onLineChange })} />);
    const canvas = byTestId('image-canvas');
    pointer(canvas, 'pointerdown', 42, 82);
    pointer(canvas, 'pointermove', 82, 82);
    pointer(canvas, 'pointerup', 82, 82);
    expect(onLineChange).toHaveBeenLastCalledWith([
      [10, 20],
      [20, 20]
    ]);
  });

  it('shows a scale bar for calibrated axes and the busy and coarse states', async () => {
    const axis = { scale: 0.5, offset: 0, units: 'nm' };
    await render(
      <ImageView
        {...props({
          calibration: { x: axis, y: axis },
          busy: true,
          stale: true
        })}
      />
    );
    // 0.125 nm per screen px: 96 px = 12 nm -> 10 nm = 80 px.
    expect(byTestId('scale-bar').textContent).toBe('10 nm');
    expect(byTestId('image-busy')).toBeTruthy();
    expect(byTestId('image-stale').textContent).toBe('coarse');
    pointer(byTestId('image-canvas'), 'pointermove', 42, 82);
    expect(byTestId('image-readout').textContent).toBe(
      'x 10, y 20 = 2010 (5 nm, 10 nm)'
    );
  });

  it('draws an RGBA picture as given, with the readout of its values and zoom', async () => {
    // Every pixel a different colour, none of them what the colour map would make.
    const rgba = new Uint8ClampedArray(64 * 64 * 4);
    rgba.forEach((_, i) => (rgba[i] = (i * 37) % 256));
    const onPick = jest.fn();
    await render(<ImageView {...props({ rgba, onPick, marker: [3, 4] })} />);
    const bitmap = contexts.find(c => c.count('putImageData') > 0)!;
    expect(bitmap.count('putImageData')).toBe(1);
    expect(Array.from(bitmap.pixels!)).toEqual(Array.from(rgba));
    expect(byTestId('image-view').dataset.rgba).toBe('true');
    const canvas = byTestId('image-canvas');
    pointer(canvas, 'pointermove', 42, 82);
    expect(byTestId('image-readout').textContent).toBe('x 10, y 20 = 2010');
    key(canvas, '+');
    expect(Number(byTestId('image-view').dataset.scale)).toBeCloseTo(5, 10);
    // Zoomed about the centre: screen 21 is image 10 at scale 5 (5 before zooming).
    pointer(canvas, 'pointerdown', 21, 21);
    pointer(canvas, 'pointerup', 21, 21);
    expect(onPick).toHaveBeenLastCalledWith([10, 10], true);
    // Changing the colour map does not colour the picture again.
    await render(
      <ImageView {...props({ rgba, onPick, marker: [3, 4], cmap: 'gray' })} />
    );
    expect(bitmap.count('putImageData')).toBe(1);
  });

  it('colours the values when the RGBA does not fit the image', async () => {
    const rgba = new Uint8ClampedArray(4);
    await render(<ImageView {...props({ rgba })} />);
    const bitmap = contexts.find(c => c.count('putImageData') > 0)!;
    expect(bitmap.pixels!.length).toBe(64 * 64 * 4);
    // viridis at the lowest value is not black.
    expect(Array.from(bitmap.pixels!.slice(0, 3))).not.toEqual([0, 0, 0]);
  });
});

describe('ImageView and the theme', () => {
  const image = { width: 8, height: 8, data: new Float64Array(64) };
  /** The image area's width: 0 while JupyterLab hides the shell. */
  const setWidth = (value: number) =>
    Object.defineProperty(HTMLElement.prototype, 'clientWidth', {
      configurable: true,
      get: () => value
    });

  /** Set the theme attribute as JupyterLab does, then let the frames run. */
  async function theme(name: string): Promise<void> {
    await act(async () => {
      document.body.dataset.jpThemeName = name;
      await new Promise(resolve => setTimeout(resolve, 20));
    });
    // The redraw's frame is queued when React commits, at the end of act.
    await act(async () => {
      await new Promise(resolve => setTimeout(resolve, 20));
    });
  }

  afterEach(() => {
    setWidth(256);
    delete document.body.dataset.jpThemeName;
  });

  it('keeps its picture while hidden and redraws for a new theme once shown', async () => {
    await render(
      <ImageView image={image} scaling={scaling()} cmap="gray" label="View" />
    );
    const canvas = byTestId<HTMLCanvasElement>('image-canvas');
    const screen = contexts.find(c => c.count('drawImage') > 0)!;
    const drawn = screen.count('drawImage');
    const cleared = screen.count('clearRect');
    const pixels = canvas.width;
    expect(pixels).toBeGreaterThan(0);

    // JupyterLab hides the shell while the theme's styles load.
    setWidth(0);
    await theme('JupyterLab Dark');
    expect(canvas.width).toBe(pixels);
    expect(screen.count('clearRect')).toBe(cleared);
    expect(screen.count('drawImage')).toBe(drawn);

    // Shown again: the next theme report redraws the picture.
    setWidth(256);
    await theme('JupyterLab Light');
    expect(screen.count('drawImage')).toBe(drawn + 1);
  });
});

describe('ImageView coming into view', () => {
  it('redraws when its canvas is shown again', async () => {
    const callbacks: ((entries: { isIntersecting: boolean }[]) => void)[] = [];
    (window as any).IntersectionObserver = class {
      constructor(callback: (entries: { isIntersecting: boolean }[]) => void) {
        callbacks.push(callback);
      }
      observe() {}
      disconnect() {}
    };
    try {
      const image = { width: 8, height: 8, data: new Float64Array(64) };
      await render(
        <ImageView image={image} scaling={scaling()} cmap="gray" label="View" />
      );
      const screen = contexts.find(c => c.count('drawImage') > 0)!;
      const drawn = screen.count('drawImage');
      expect(callbacks).toHaveLength(1);
      // Hidden: nothing to draw on.
      await act(async () => {
        callbacks[0]([{ isIntersecting: false }]);
        await new Promise(resolve => setTimeout(resolve, 5));
      });
      await act(async () => {
        await new Promise(resolve => setTimeout(resolve, 5));
      });
      expect(screen.count('drawImage')).toBe(drawn);
      await act(async () => {
        callbacks[0]([{ isIntersecting: true }]);
        await new Promise(resolve => setTimeout(resolve, 5));
      });
      await act(async () => {
        await new Promise(resolve => setTimeout(resolve, 5));
      });
      expect(screen.count('drawImage')).toBe(drawn + 1);
    } finally {
      delete (window as any).IntersectionObserver;
    }
  });
});

describe('GeometryEditor', () => {
  it('edits a polygon detector vertex by vertex', async () => {
    const polygon = TRIANGLE;
    const onChange = jest.fn();
    await render(
      <GeometryEditor
        shape={polygon}
        axes={undefined}
        bounds={{ width: 64, height: 48 }}
        label="Detector d1"
        onChange={onChange}
      />
    );
    const fields = Array.from(
      container.querySelectorAll<HTMLInputElement>(
        '.jp-remotem-viewer-geometry-field'
      )
    );
    expect(fields.map(f => f.getAttribute('aria-label'))).toEqual([
      'x1 (px)',
      'y1 (px)',
      'x2 (px)',
      'y2 (px)',
      'x3 (px)',
      'y3 (px)'
    ]);
    expect(fields.map(f => f.value)).toEqual([
      '10',
      '10',
      '40',
      '12',
      '25',
      '30'
    ]);
    change(fields[5], '33.5');
    key(fields[5], 'Enter');
    expect(onChange).toHaveBeenCalledWith({
      kind: 'polygon',
      vertices: [
        [10, 10],
        [40, 12],
        [25, 33.5]
      ]
    });
    change(fields[0], '70');
    key(fields[0], 'Enter');
    expect(onChange).toHaveBeenCalledTimes(1);
    expect(container.querySelector('[role="alert"]')!.textContent).toMatch(
      /x1 must lie on the frame/
    );
  });
});

describe('ScanPlot', () => {
  const values = Float64Array.from({ length: 11 }, (_, i) => i * i);

  function svg(): SVGSVGElement {
    return container.querySelector('svg')!;
  }

  it('plots the values with the cursor and the region range', async () => {
    await render(
      <ScanPlot
        values={values}
        index={4}
        range={[2, 6]}
        onPick={() => undefined}
        label="Navigation plot"
      />
    );
    const plot = byTestId('scan-plot');
    expect(plot.dataset.points).toBe('11');
    expect(plot.dataset.index).toBe('4');
    const path = byTestId('scan-plot-line').getAttribute('d')!;
    expect(path.split(' ')).toHaveLength(11);
    // The last point (largest value) sits top right of the 400 x 160 plot.
    expect(path.endsWith('L400.0,0.0')).toBe(true);
    const range = byTestId('scan-plot-range');
    expect(Number(range.getAttribute('x'))).toBeCloseTo(80, 10);
    expect(Number(range.getAttribute('width'))).toBeCloseTo(160, 10);
    expect(byTestId('scan-plot-readout').textContent).toBe('index 4 = 16');
    expect(svg().getAttribute('aria-valuenow')).toBe('4');
  });

  it('picks the index under the pointer and with the keys', async () => {
    const onPick = jest.fn();
    await render(
      <ScanPlot
        values={values}
        index={4}
        range={null}
        onPick={onPick}
        label="Navigation plot"
      />
    );
    svg().getBoundingClientRect = () =>
      ({ left: 100, top: 0, width: 200, height: 80 }) as DOMRect;
    pointer(svg(), 'pointerdown', 100 + 200 * 0.7, 10);
    pointer(svg(), 'pointermove', 100 + 200 * 0.92, 10);
    pointer(svg(), 'pointerup', 100 + 200 * 0.92, 10);
    pointer(svg(), 'pointermove', 100, 10);
    expect(onPick.mock.calls).toEqual([[7], [9]]);
    onPick.mockClear();
    key(svg(), 'ArrowRight');
    key(svg(), 'ArrowLeft', true);
    key(svg(), 'End');
    key(svg(), 'Home');
    expect(onPick.mock.calls).toEqual([[5], [0], [10], [0]]);
  });
});

describe('HistogramControl', () => {
  const data = Float64Array.from({ length: 201 }, (_, i) => i / 2);

  async function renderHistogram(): Promise<jest.Mock> {
    const onChange = jest.fn();
    await render(
      <HistogramControl
        data={data}
        scaling={scaling({ vmin: 10, vmax: 90 })}
        onChange={onChange}
      />
    );
    return onChange;
  }

  it('offers accessible handles moved by the keyboard', async () => {
    const onChange = await renderHistogram();
    // One bar per bin, drawn once.
    const bars = contexts.reduce((n, c) => n + c.count('fillRect'), 0);
    expect(bars).toBe(128);
    const low = byTestId('histogram-vmin');
    expect(low.getAttribute('role')).toBe('slider');
    expect(low.getAttribute('aria-valuenow')).toBe('10');
    expect(low.tabIndex).toBe(0);
    expect(low.style.left).toBe('10%');
    key(low, 'ArrowRight');
    expect(onChange.mock.calls[0][0].vmin).toBeCloseTo(11, 10);
    key(byTestId('histogram-vmax'), 'ArrowLeft', true);
    expect(onChange.mock.calls[1][0].vmax).toBeCloseTo(80, 10);
  });

  it('takes exact limits typed into the fields', async () => {
    const onChange = await renderHistogram();
    const input = byTestId<HTMLInputElement>('histogram-vmax-input');
    change(input, '42.5');
    key(input, 'Enter');
    expect(onChange).toHaveBeenCalledWith(
      expect.objectContaining({ vmin: 10, vmax: 42.5 })
    );
    change(input, 'abc');
    act(() =>
      input.dispatchEvent(new FocusEvent('focusout', { bubbles: true }))
    );
    expect(onChange).toHaveBeenCalledTimes(1);
  });
});

describe('DisplayControls', () => {
  it('changes the colour map and the scale, with limits from the data', async () => {
    const onCmap = jest.fn();
    const onScaling = jest.fn();
    await render(
      <DisplayControls
        cmap="gray"
        scaling={scaling()}
        diverging={false}
        onCmap={onCmap}
        onScaling={onScaling}
        data={[-1, 0, 2, 50]}
      />
    );
    change(byTestId<HTMLSelectElement>('colormap-select'), 'magma');
    expect(onCmap).toHaveBeenCalledWith('magma');
    change(byTestId<HTMLSelectElement>('scale-select'), 'log');
    expect(onScaling).toHaveBeenCalledWith(
      expect.objectContaining({ mode: 'log', vmin: 2, vmax: 50 })
    );
    expect(
      container.querySelector('[data-testid="symmetric-toggle"]')
    ).toBeNull();
  });

  it('shows the parameters of the chosen mode', async () => {
    const onScaling = jest.fn();
    await render(
      <DisplayControls
        cmap="coolwarm"
        scaling={scaling({ mode: 'power', gamma: 0.5 })}
        diverging={true}
        onCmap={jest.fn()}
        onScaling={onScaling}
      />
    );
    const gamma = byTestId<HTMLInputElement>('gamma-input');
    expect(gamma.value).toBe('0.5');
    change(gamma, '2');
    key(gamma, 'Enter');
    expect(onScaling).toHaveBeenCalledWith(
      expect.objectContaining({ mode: 'power', gamma: 2 })
    );
    expect(byTestId('symmetric-toggle')).toBeTruthy();
    expect(byTestId<HTMLButtonElement>('auto-button').disabled).toBe(true);
  });
});

describe('ProfilePlot', () => {
  it('plots the profile with its range and length', async () => {
    await render(
      <ProfilePlot
        profile={{
          distance: new Float64Array([0, 1, 2]),
          values: new Float64Array([5, 7, 6])
        }}
        units="nm"
      />
    );
    expect(byTestId('profile-ymin').textContent).toBe('5');
    expect(byTestId('profile-ymax').textContent).toBe('7');
    expect(byTestId('profile-length').textContent).toBe('2 nm');
    expect(byTestId('profile-line').getAttribute('d')).toMatch(
      /^M0\.0,100\.0 L/
    );
  });

  it('asks for a line when there is none', async () => {
    await render(<ProfilePlot profile={null} />);
    expect(byTestId('profile-plot').textContent).toContain('Draw a line');
  });
});
