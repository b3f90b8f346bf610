/**
 * The display's pure logic: round-number ticks for image axes and colour bars,
 * limits that follow each new image unless pinned, the display of FFT images,
 * reciprocal axes, and the colour-wheel legend against a plain HSV reference.
 */
import { RemotemAPI } from '../api';
import {
  colourBarTicks,
  formatTick,
  imageAxisTicks,
  logTicks,
  niceStep,
  niceTicks
} from '../viewer/axisticks';
import { installColormaps } from '../viewer/colormaps';
import {
  chooseScaling,
  effectiveScaling,
  fftDisplay,
  followNewImage,
  setPinned,
  switchSpace
} from '../viewer/display';
import { wheelLegend } from '../viewer/images';
import { ViewerModel } from '../viewer/model';
import { reciprocalAxis, reciprocalUnits } from '../viewer/reciprocal';
import { DEFAULT_SCALING, IScaling } from '../viewer/scaling';
import { defaultViewState, IDisplay, readViewState } from '../viewer/state';
import { serverVerdict, servedContract } from './servedcontract';

beforeAll(() => installColormaps(servedContract().colormaps));

const GEOMETRY = {
  nav: [4, 6] as [number, number],
  sig: [8, 8] as [number, number]
};

describe('nice ticks', () => {
  it('steps by 1, 2 or 5 times a power of ten', () => {
    expect([0.7, 1, 1.3, 2, 2.1, 4.9, 5, 7, 0.03].map(niceStep)).toEqual([
      1, 1, 2, 2, 5, 5, 5, 10, 0.05
    ]);
  });

  it('puts ticks at multiples of the step, no more than asked', () => {
    const ticks = niceTicks(0.13, 9.7, 5);
    expect(ticks.map(t => t.value)).toEqual([2, 4, 6, 8]);
    expect(ticks.map(t => t.label)).toEqual(['2', '4', '6', '8']);
    const fine = niceTicks(0, 0.3, 4);
    expect(fine.map(t => t.label)).toEqual(['0', '0.1', '0.2', '0.3']);
    for (const [lo, hi, n] of [
      [-3.3, 17, 4],
      [0, 1e6, 6],
      [1e-5, 3e-5, 5]
    ]) {
      const values = niceTicks(lo, hi, n).map(t => t.value);
      expect(values.length).toBeGreaterThan(0);
      expect(values.length).toBeLessThanOrEqual(n);
      expect(Math.min(...values)).toBeGreaterThanOrEqual(lo);
      expect(Math.max(...values)).toBeLessThanOrEqual(hi);
    }
  });

  it('gives a short axis two or three ticks, not one', () => {
    // A 64-pixel frame of 0.25 mrad (-8 to 8 mrad) with room for three ticks.
    expect(niceTicks(-8, 8, 3).map(t => t.label)).toEqual(['-5', '0', '5']);
  });

  it('writes labels without rounding noise, with exponents far from 1', () => {
    expect(formatTick(0.30000000000000004, 0.1)).toBe('0.3');
    expect(formatTick(-0, 1)).toBe('0');
    expect(formatTick(2e6, 1e6)).toBe('2e6');
    // One notation along an axis: 50000 beside 150000, 5e5 beside 1.5e6.
    expect(niceTicks(40000, 160000, 3).map(t => t.label)).toEqual([
      '50000',
      '100000',
      '150000'
    ]);
    expect(niceTicks(4e5, 1.6e6, 3).map(t => t.label)).toEqual([
      '5e5',
      '1e6',
      '1.5e6'
    ]);
    expect(formatTick(2.5e-5, 5e-6)).toBe('2.5e-5');
  });

  it('marks the decades of a log scale', () => {
    expect(logTicks(3, 20000, 6).map(t => t.label)).toEqual([
      '10',
      '100',
      '1000',
      '10000'
    ]);
    expect(logTicks(50, 2e5, 6).map(t => t.label)).toEqual([
      '1e2',
      '1e3',
      '1e4',
      '1e5'
    ]);
    // Less than two decades: round numbers instead.
    expect(logTicks(2, 9, 4).map(t => t.value)).toEqual([2, 4, 6, 8]);
  });

  it('follows zoom and pan along a calibrated image axis', () => {
    // 64 pixels of 0.4 nm, 4 screen pixels each, pixel 0's centre at x = 2.
    const ticks = imageAxisTicks(
      { scale: 0.4, offset: 0, units: 'nm' },
      4,
      2,
      64,
      256,
      40
    );
    expect(ticks.map(t => t.label)).toEqual(['0', '5', '10', '15', '20', '25']);
    // 5 nm is pixel 12.5: 2 + 12.5 × 4 = 52 on screen.
    expect(ticks[1].position).toBeCloseTo(52);
    // Zoomed 4× on the middle: finer ticks, all inside the view.
    const zoomed = imageAxisTicks(
      { scale: 0.4, offset: 0, units: 'nm' },
      16,
      -384,
      64,
      256,
      60
    );
    expect(zoomed.length).toBeGreaterThan(1);
    for (const tick of zoomed) {
      expect(tick.position).toBeGreaterThanOrEqual(0);
      expect(tick.position).toBeLessThanOrEqual(256);
    }
    expect(zoomed[1].value - zoomed[0].value).toBeLessThan(5);
  });

  it('places colour bar ticks where their values take their colours', () => {
    const linear: IScaling = { ...DEFAULT_SCALING, vmin: 0, vmax: 200 };
    const ticks = colourBarTicks(linear, 5);
    expect(ticks.map(t => [t.label, t.position])).toEqual([
      ['0', 0],
      ['50', 0.25],
      ['100', 0.5],
      ['150', 0.75],
      ['200', 1]
    ]);
    const log = colourBarTicks(
      { ...DEFAULT_SCALING, mode: 'log', vmin: 1, vmax: 1000 },
      5
    );
    expect(log.map(t => t.label)).toEqual(['1', '10', '100', '1000']);
    [0, 1 / 3, 2 / 3, 1].forEach((position, i) =>
      expect(log[i].position).toBeCloseTo(position, 12)
    );
  });
});

const display = (changes: Partial<IDisplay> = {}): IDisplay => ({
  cmap: 'gray',
  scaling: { ...DEFAULT_SCALING, vmin: 10, vmax: 20 },
  auto: false,
  pinned: false,
  ...changes
});

describe('limits', () => {
  const data = Float64Array.from([0, 50, 100]);

  it('follow a new image unless pinned', () => {
    expect(followNewImage(display()).auto).toBe(true);
    expect(followNewImage(display({ pinned: true }))).toEqual(
      display({ pinned: true })
    );
    const followed = followNewImage(display());
    expect(effectiveScaling(followed, data)).toMatchObject({
      vmin: 0,
      vmax: 100
    });
  });

  it('pin what is shown, automatic limits included', () => {
    const pinned = setPinned(display({ auto: true }), true, data);
    expect(pinned).toMatchObject({ auto: false, pinned: true });
    expect(pinned.scaling).toMatchObject({ vmin: 0, vmax: 100 });
    // Moving a handle of pinned limits keeps them pinned.
    const moved = chooseScaling(pinned, { ...pinned.scaling, vmax: 60 }, data);
    expect(moved).toMatchObject({ auto: false, pinned: true });
    expect(followNewImage(moved).scaling.vmax).toBe(60);
    expect(setPinned(moved, false, data)).toMatchObject({
      auto: true,
      pinned: false
    });
  });

  it('are part of the view the server accepts and reads back', () => {
    const state = defaultViewState(GEOMETRY);
    const view = { ...state, nav: setPinned(state.nav, true, data) };
    expect(serverVerdict(JSON.parse(JSON.stringify(view)))).toBeNull();
    expect(readViewState(view, GEOMETRY).nav.pinned).toBe(true);
    expect(readViewState({}, GEOMETRY).nav.pinned).toBe(false);
  });
});

describe('FFT display', () => {
  it('is a log scale in a colour map for spectra', () => {
    const fft = fftDisplay();
    expect(fft.scaling.mode).toBe('log');
    expect(fft.cmap).not.toBe('gray');
    expect(servedContract().colormaps.map(c => c.name)).toContain(fft.cmap);
    expect(fft.auto).toBe(true);
  });

  it('swaps with the real-space display and back', () => {
    const real = display({ cmap: 'viridis' });
    const defaults = defaultViewState(GEOMETRY).nav;
    const on = switchSpace(real, null, true, defaults);
    expect(on.shown.scaling.mode).toBe('log');
    expect(on.aside).toBe(real);
    const off = switchSpace(on.shown, on.aside, false, defaults);
    // The user's colour map comes back; its unpinned limits follow the image.
    expect(off.shown).toMatchObject({ cmap: 'viridis', auto: true });
    // Without a remembered display (restored with the FFT on): the default.
    expect(switchSpace(on.shown, null, false, defaults).shown).toEqual(
      defaults
    );
  });
});

describe('reciprocal axes', () => {
  it('say 1/unit and space by 1/(n × scale), zero frequency at n/2', () => {
    const axis = reciprocalAxis({ scale: 0.5, offset: 3, units: 'nm' }, 64);
    expect(axis.units).toBe('1/nm');
    expect(axis.scale).toBeCloseTo(1 / 32);
    expect(axis.offset + 32 * axis.scale).toBeCloseTo(0);
    expect(reciprocalAxis(undefined, 10).units).toBe('1/px');
    expect(reciprocalUnits('1/nm')).toBe('nm');
    expect(reciprocalUnits('mrad')).toBe('1/mrad');
  });
});

/** A plain HSV → RGB (saturation 1), independent of the viewer's code. */
function hsv(h: number, v: number): number[] {
  const k = (n: number) => (n + h * 6) % 6;
  const f = (n: number) => v - v * Math.max(0, Math.min(k(n), 4 - k(n), 1));
  return [f(5), f(3), f(1)].map(c => Math.round(c * 255));
}

describe('the colour-wheel legend', () => {
  it('colours each direction as the field is coloured: hue = angle, brightness = length', () => {
    const size = 41;
    const pixels = wheelLegend(size);
    const at = (col: number, row: number) =>
      Array.from(
        pixels.slice((row * size + col) * 4, (row * size + col) * 4 + 4)
      );
    const centre = 20;
    // Right: red at full length; down (y grows downwards, as on the image): hue 1/4.
    expect(at(40, centre)).toEqual([...hsv(0, 1), 255]);
    expect(at(centre, 40)).toEqual([...hsv(0.25, 1), 255]);
    expect(at(0, centre)).toEqual([...hsv(0.5, 1), 255]);
    expect(at(centre, 0)).toEqual([...hsv(0.75, 1), 255]);
    // Half way out: half as bright.
    expect(at(30, centre)).toEqual([...hsv(0, 0.5), 255]);
    // Every pixel of the disc against the reference.
    for (let row = 0; row < size; row++) {
      for (let col = 0; col < size; col++) {
        const dx = col - centre;
        const dy = row - centre;
        const r = Math.hypot(dx, dy);
        if (r > centre) {
          expect(at(col, row)[3]).toBe(0);
          continue;
        }
        const hue = (Math.atan2(dy, dx) / (2 * Math.PI) + 1) % 1;
        const expected = hsv(hue, r / 20);
        at(col, row)
          .slice(0, 3)
          .forEach((c, i) =>
            expect(Math.abs(c - expected[i])).toBeLessThanOrEqual(1)
          );
      }
    }
  });
});

declare const require: (name: string) => any;
declare const process: { env: Record<string, string | undefined> };

describe('the colour wheel of saved pictures', () => {
  it("is the legend's: the server's field_wheel colours the same disc alike", () => {
    const size = 33;
    const { execFileSync } = require('child_process');
    const served = JSON.parse(
      execFileSync(
        process.env.REMOTEM_PYTHON ?? 'python',
        [
          '-c',
          [
            'import json, sys, numpy as np',
            'from jupyter_remotem.render import field_wheel',
            `n = ${size}; c = (n - 1) / 2`,
            'y, x = np.mgrid[0:n, 0:n] - c',
            'inside = np.hypot(x, y) <= c',
            'rgba = field_wheel(np.where(inside, y, np.nan), np.where(inside, x, np.nan))',
            'print(json.dumps(rgba.reshape(-1).tolist()))'
          ].join('\n')
        ],
        { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }
      )
    ) as number[];
    expect(Array.from(wheelLegend(size))).toEqual(served);
  });
});

/**
 * The REST API at the network boundary: a 4 × 6 scan of 8 × 8 frames whose
 * reductions and frames hold values that depend on what was asked.
 */
function serverDouble(): RemotemAPI {
  const npy = (shape: number[], values: number[]): ArrayBuffer => {
    const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
    const text = `{'descr': '<f8', 'fortran_order': False, 'shape': (${dims}), }`;
    const headerLength = Math.ceil((10 + text.length + 1) / 64) * 64 - 10;
    const header = text.padEnd(headerLength - 1) + '\n';
    const bytes = new Uint8Array(10 + headerLength + values.length * 8);
    bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    new DataView(bytes.buffer).setUint16(8, headerLength, true);
    bytes.set(
      Array.from(header, c => c.charCodeAt(0)),
      10
    );
    new Float64Array(bytes.buffer, 10 + headerLength).set(values);
    return bytes.buffer;
  };
  const meta = {
    repository: 'demo',
    path: 'scan.h5',
    entry: null,
    arrays: null,
    dataset: {
      format: 'hdf5',
      dataset: '/frames',
      shape: [4, 6, 8, 8],
      dtype: '<u2',
      nav_shape: [4, 6],
      sig_shape: [8, 8],
      chunks: null,
      nbytes: 1,
      axes: [],
      metadata: {}
    }
  };
  return {
    getViewContract: async () => servedContract(),
    getMeta: async () => meta,
    listRepositories: async () => [],
    listOperations: async () => [],
    getData: async (_r: string, _p: string, slice: string) =>
      npy(
        [8, 8],
        new Array(64).fill(0).map((_, i) => i * (1 + slice.length))
      ),
    reduceNpy: async (request: { params: { detectors?: unknown[] } }) => {
      const k = request.params.detectors?.length ?? 1;
      const values: number[] = [];
      for (let i = 0; i < 24 * k; i++) {
        values.push(i * 10);
      }
      return {
        buffer: npy([4, 6, k], values),
        step: 1,
        elapsedS: 0.01
      };
    }
  } as unknown as RemotemAPI;
}

function settled(model: ViewerModel): Promise<void> {
  return new Promise(resolve => {
    const check = () => {
      if (
        model.navigation.exact &&
        !model.navigation.busy &&
        !model.frame.busy &&
        model.frame.image
      ) {
        model.changed.disconnect(check);
        resolve();
      }
    };
    model.changed.connect(check);
    check();
  });
}

describe('the viewer model', () => {
  it('lets unpinned limits follow each new image and keeps pinned ones', async () => {
    const model = new ViewerModel(serverDouble(), {
      repository: 'demo',
      path: 'scan.h5',
      dataset: null
    });
    await model.load();
    await settled(model);
    const state = () => model.state!;
    const mine = { ...state().nav.scaling, vmin: 5, vmax: 6 };
    model.update({ nav: { ...state().nav, scaling: mine, auto: false } });
    model.update({ frame: { ...state().frame, auto: false } });
    // Another frame: the frame's limits follow it; the navigation image is the same.
    model.update({ cursor: [1, 1] });
    expect(state().frame.auto).toBe(true);
    expect(state().nav).toMatchObject({ auto: false, scaling: mine });
    // Another detector image: the navigation limits follow too.
    model.update({
      detectors: [
        ...state().detectors,
        { id: 'd2', shape: { kind: 'disk', cx: 2, cy: 2, r: 1 } }
      ]
    });
    expect(state().nav.auto).toBe(true);
    // Pinned limits survive a new plane (another detector's tab) and a new frame.
    model.update({
      nav: { ...state().nav, scaling: mine, auto: false, pinned: true }
    });
    model.update({ frame: { ...state().frame, auto: false, pinned: true } });
    model.update({ selected: 'd2', cursor: [2, 3] });
    expect(state().nav).toMatchObject({
      auto: false,
      pinned: true,
      scaling: mine
    });
    expect(state().frame).toMatchObject({ auto: false, pinned: true });
    // Unpinned, the next plane brings its own limits.
    model.update({ nav: { ...state().nav, pinned: false } });
    model.update({ selected: 'd1' });
    expect(state().nav.auto).toBe(true);
    model.dispose();
  });

  it('shows an FFT in log scale and a spectrum colour map, and switches back', async () => {
    const model = new ViewerModel(serverDouble(), {
      repository: 'demo',
      path: 'scan.h5',
      dataset: null
    });
    await model.load();
    await settled(model);
    model.update({ nav: { ...model.state!.nav, cmap: 'viridis' } });
    model.update({ navFft: true, frameFft: true });
    expect(model.state!.nav).toMatchObject(fftDisplay());
    expect(model.state!.frame).toMatchObject(fftDisplay());
    model.update({ navFft: false });
    expect(model.state!.nav.cmap).toBe('viridis');
    expect(model.state!.nav.scaling.mode).toBe('linear');
    expect(model.state!.frame.scaling.mode).toBe('log');
    model.dispose();
  });
});
