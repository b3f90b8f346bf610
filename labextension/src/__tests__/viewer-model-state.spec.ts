import { IDatasetInfo, IRepository } from '../api';
import { imageCalibration } from '../viewer/calibration';
import { chooseScaling, effectiveScaling } from '../viewer/display';
import { colourWheel, expandCoarse, inferStep } from '../viewer/images';
import { saveTargets, suggestedPath, withEnding } from '../viewer/outputs';
import {
  defaultViewState,
  frameRequest,
  frameSlice,
  IGeometry,
  navigationRequest,
  parseLocation,
  readViewState,
  sourceFromProvenance,
  stateFromProvenance
} from '../viewer/state';
import { installColormaps } from '../viewer/colormaps';
import { servedContract } from './servedcontract';

// The server's colour maps, as the viewer model installs them on load.
beforeAll(() => installColormaps(servedContract().colormaps));

const geometry: IGeometry = { nav: [32, 48], sig: [64, 64] };
const source = { repository: 'demo', path: 'scan.h5', dataset: '/frames' };

describe('view state', () => {
  it('starts with a bright-field disk and the frame at the scan centre', () => {
    const state = defaultViewState(geometry);
    expect(state.mode).toBe('detector');
    expect(state.detectors.map(d => d.shape.kind)).toEqual(['disk']);
    expect(state.selected).toBe(state.detectors[0].id);
    expect(state.cursor).toEqual([24, 16]);
    expect(state.nav.auto).toBe(true);
  });

  it('asks for every detector at once and shows the selected one', () => {
    const state = {
      ...defaultViewState(geometry),
      detectors: [
        { id: 'a', shape: { kind: 'disk' as const, cx: 32, cy: 32, r: 5 } },
        {
          id: 'b',
          shape: { kind: 'ring' as const, cx: 32, cy: 32, ri: 10, ro: 20 }
        }
      ],
      selected: 'b'
    };
    const plan = navigationRequest(source, state, geometry)!;
    expect(plan.request).toEqual({
      repository: 'demo',
      path: 'scan.h5',
      dataset: '/frames',
      roi: null,
      operation: 'virtual_detector',
      params: {
        detectors: [
          { shape: 'disk', cx: 32, cy: 32, r: 5 },
          { shape: 'ring', cx: 32, cy: 32, ri: 10, ro: 20 }
        ]
      }
    });
    expect(plan.fields).toEqual(['intensity']);
    expect(plan.channel).toBe(1);
  });

  it('asks for both shifts to draw the CoM field, with rotation and flip', () => {
    const state = {
      ...defaultViewState(geometry),
      mode: 'com' as const,
      comField: 'field' as const,
      com: { cx: 31, cy: 30, r: null, scan_rotation: 12, flip_y: true },
      navFft: true
    };
    const plan = navigationRequest(source, state, geometry)!;
    expect(plan.request.operation).toBe('com');
    expect(plan.request.params).toEqual({
      cx: 31,
      cy: 30,
      r: null,
      scan_rotation: 12,
      flip_y: true
    });
    expect(plan.request.fft).toBe(true);
    expect(plan.fields).toEqual(['shift_y', 'shift_x']);
  });

  it('sums the whole frame in sum mode (rectangles include both edges)', () => {
    const state = { ...defaultViewState(geometry), mode: 'sum' as const };
    const plan = navigationRequest(source, state, geometry)!;
    expect(plan.request.params).toEqual({
      detectors: [{ shape: 'rectangle', x: 0, y: 0, width: 63, height: 63 }]
    });
  });

  it('reads the frame at the cursor, or a statistic over the scan region', () => {
    const state = {
      ...defaultViewState(geometry),
      cursor: [5, 7] as [number, number]
    };
    expect(frameRequest(source, state)).toBeNull();
    expect(frameSlice(state, 2)).toBe('7,5,...');
    expect(frameSlice(state, 1)).toBe('5,...');
    expect(frameSlice(state, 0)).toBe('...');
    expect(frameSlice(state, 3)).toBe('0,7,5,...');
    const roi = { kind: 'disk' as const, cx: 10, cy: 8, r: 3 };
    const stats = frameRequest(source, { ...state, roi, roiStat: 'std' })!;
    expect(stats.request.operation).toBe('frame_stats');
    expect(stats.request.roi).toEqual({ shape: 'disk', cx: 10, cy: 8, r: 3 });
    expect(stats.field).toBe('std');
    const fft = frameRequest(source, { ...state, frameFft: true })!;
    expect(fft.request).toMatchObject({
      operation: 'pick',
      params: { y: 7, x: 5 },
      fft: true
    });
  });

  it('reads back a saved state and survives malformed parts', () => {
    const saved = JSON.parse(
      JSON.stringify({
        ...defaultViewState(geometry),
        mode: 'com',
        nav: { cmap: 'viridis', scaling: { mode: 'log' }, auto: false },
        cursor: [500, -3],
        detectors: [
          { id: 'x', shape: { kind: 'ring', cx: 1, cy: 2, ri: 3, ro: 4 } },
          { id: 'y', shape: { kind: 'ring', cx: 1, cy: 2, ri: 5, ro: 4 } },
          'nonsense'
        ],
        selected: 'y'
      })
    );
    const state = readViewState(saved, geometry);
    expect(state.mode).toBe('com');
    expect(state.nav.cmap).toBe('viridis');
    expect(state.nav.scaling.mode).toBe('log');
    expect(state.nav.auto).toBe(false);
    expect(state.cursor).toEqual([47, 0]);
    expect(state.detectors).toEqual([
      { id: 'x', shape: { kind: 'ring', cx: 1, cy: 2, ri: 3, ro: 4 } }
    ]);
    expect(state.selected).toBe('x');
    const junk = readViewState(
      { mode: 'x', nav: { cmap: 'nope' }, roiStat: 7 },
      geometry
    );
    expect(junk.mode).toBe('detector');
    expect(junk.nav.cmap).toBe('gray');
    expect(junk.roiStat).toBe('mean');
  });

  it('restores a result from its saved view, or from its request alone', () => {
    const view = {
      ...defaultViewState(geometry),
      frame: { cmap: 'magma', scaling: {}, auto: true }
    };
    expect(stateFromProvenance({ view }, geometry).frame.cmap).toBe('magma');
    const fromRequest = stateFromProvenance(
      {
        request: {
          repository: 'demo',
          path: 'scan.h5',
          operation: 'virtual_detector',
          params: {
            detectors: [
              { shape: 'ring', cx: 30, cy: 31, ri: 8, ro: 16 },
              { shape: 'point', cx: 3, cy: 4 }
            ]
          }
        }
      },
      geometry
    );
    expect(fromRequest.detectors.map(d => d.shape)).toEqual([
      { kind: 'ring', cx: 30, cy: 31, ri: 8, ro: 16 },
      { kind: 'point', cx: 3, cy: 4 }
    ]);
    const com = stateFromProvenance(
      {
        request: {
          operation: 'com',
          params: { cx: 30, cy: 29, scan_rotation: 90, flip_y: true },
          roi: { shape: 'rectangle', x: 1, y: 2, width: 3, height: 4 }
        }
      },
      geometry
    );
    expect(com.mode).toBe('com');
    expect(com.com).toEqual({
      cx: 30,
      cy: 29,
      r: null,
      scan_rotation: 90,
      flip_y: true
    });
    expect(com.roi).toEqual({
      kind: 'rectangle',
      x: 1,
      y: 2,
      width: 3,
      height: 4
    });
    expect(
      sourceFromProvenance({
        request: { repository: 'demo', path: 'scan.h5', dataset: null }
      })
    ).toEqual({ repository: 'demo', path: 'scan.h5', dataset: null });
    expect(sourceFromProvenance({ view: {} })).toBeNull();
  });

  it('reads "repository:path" as typed in the palette', () => {
    expect(parseLocation('demo:scan.h5')).toEqual({
      repository: 'demo',
      path: 'scan.h5'
    });
    expect(parseLocation(' demo : /a/b:c.h5 ')).toEqual({
      repository: 'demo',
      path: 'a/b:c.h5'
    });
    expect(parseLocation('scan.h5')).toBeNull();
    expect(parseLocation('demo:')).toBeNull();
  });
});

describe('coarse images', () => {
  it('spreads each subsampled value over the positions it stands for', () => {
    const coarse = {
      width: 2,
      height: 2,
      data: Float64Array.from([1, 2, 3, 4])
    };
    const full = expandCoarse(coarse, 2, 3, 3);
    expect(Array.from(full.data)).toEqual([1, 1, 2, 1, 1, 2, 3, 3, 4]);
    expect(expandCoarse(full, 1, 3, 3)).toBe(full);
  });

  it('infers the step of an unlabelled answer from its height', () => {
    expect(inferStep(8, 32)).toBe(4);
    expect(inferStep(11, 32)).toBe(3);
    expect(inferStep(32, 32)).toBe(1);
  });

  it('colours a field by direction and length, leaving NaN transparent', () => {
    const y = { width: 3, height: 1, data: Float64Array.from([0, 0, NaN]) };
    const x = { width: 3, height: 1, data: Float64Array.from([2, 1, 1]) };
    const rgba = colourWheel(y, x);
    // Pointing along +x: pure red; half as long: half as bright.
    expect(Array.from(rgba.slice(0, 4))).toEqual([255, 0, 0, 255]);
    expect(Array.from(rgba.slice(4, 8))).toEqual([128, 0, 0, 255]);
    expect(rgba[11]).toBe(0);
  });
});

describe('display limits', () => {
  const data = Float64Array.from([2, 4, 6, 10]);
  const display = defaultViewState(geometry).nav;

  it('follow the data while automatic', () => {
    const scaling = effectiveScaling(display, data);
    expect([scaling.vmin, scaling.vmax]).toEqual([2, 10]);
  });

  it('stay where the user put them, until they equal the data range again', () => {
    const manual = chooseScaling(
      display,
      { ...effectiveScaling(display, data), vmax: 5 },
      data
    );
    expect(manual.auto).toBe(false);
    expect(effectiveScaling(manual, Float64Array.from([0, 100])).vmax).toBe(5);
    const back = chooseScaling(
      manual,
      { ...manual.scaling, vmin: 2, vmax: 10 },
      data
    );
    expect(back.auto).toBe(true);
    const recoloured = chooseScaling(
      display,
      effectiveScaling(display, data),
      data
    );
    expect(recoloured.auto).toBe(true);
  });
});

describe('saving', () => {
  it('names results beside their dataset with the ending of the format', () => {
    expect(suggestedPath('runs/scan.h5', 'ring', 'hspy')).toBe(
      'runs/scan-ring.hspy'
    );
    expect(suggestedPath('scan.h5', 'com-field', 'tiff')).toBe(
      'scan-com-field.tif'
    );
    expect(withEnding('a/b.h5', 'png')).toBe('a/b.png');
    expect(withEnding('a/b', 'npy')).toBe('a/b.npy');
  });

  it('offers writable repositories, the notebook folder first', () => {
    const repo = (name: string, writable: boolean, home = false) =>
      ({ name, writable, home }) as IRepository;
    expect(
      saveTargets([
        repo('archive', false),
        repo('scratch', true),
        repo('notebooks', true, true)
      ]).map(r => r.name)
    ).toEqual(['notebooks', 'scratch']);
  });
});

describe('calibration', () => {
  const dataset = {
    shape: [32, 48, 64, 64],
    nav_shape: [32, 48],
    sig_shape: [64, 64],
    axes: [
      {
        name: 'y',
        size: 32,
        scale: 0.4,
        offset: 0,
        units: 'nm',
        navigate: true
      },
      {
        name: 'x',
        size: 48,
        scale: 0.5,
        offset: 1,
        units: 'nm',
        navigate: true
      },
      {
        name: 'ky',
        size: 64,
        scale: 0.25,
        offset: -8,
        units: 'mrad',
        navigate: false
      },
      {
        name: 'kx',
        size: 64,
        scale: 0.25,
        offset: -8,
        units: 'mrad',
        navigate: false
      }
    ]
  } as unknown as IDatasetInfo;

  it('reads the scan and frame axes of the metadata', () => {
    expect(imageCalibration(dataset, 'nav', null)).toEqual({
      y: { scale: 0.4, offset: 0, units: 'nm' },
      x: { scale: 0.5, offset: 1, units: 'nm' }
    });
    expect(imageCalibration(dataset, 'sig', null)?.x).toEqual({
      scale: 0.25,
      offset: -8,
      units: 'mrad'
    });
  });

  it("prefers the user's calibration, and says nothing without one", () => {
    const override = imageCalibration(dataset, 'sig', {
      scale: 2,
      units: 'px'
    });
    expect(override?.y).toEqual({ scale: 2, offset: 0, units: 'px' });
    const bare = { ...dataset, axes: [] } as IDatasetInfo;
    expect(imageCalibration(bare, 'nav', null)).toBeUndefined();
  });
});
