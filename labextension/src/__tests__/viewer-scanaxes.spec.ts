import { toServerSpec } from '../viewer/geometry';
import { toImage } from '../viewer/npy';
import {
  asScanRows,
  defaultRange,
  indexAt,
  indexRange,
  navViews,
  pickParams,
  fromRangeSpec,
  rangeOf,
  rangeSpec,
  supportedState
} from '../viewer/scanaxes';
import {
  defaultViewState,
  frameRequest,
  frameSlice,
  geometryOf
} from '../viewer/state';

const source = { repository: 'demo', path: 'series.npy', dataset: null };

describe('scans with one scan axis', () => {
  const geometry = geometryOf([40], [32, 32]);

  it('are one row of positions, the cursor at the middle index', () => {
    expect(geometry.nav).toEqual([1, 40]);
    expect(defaultViewState(geometry).cursor).toEqual([20, 0]);
  });

  it('read the frame at the index, and pick it by its position', () => {
    const state = {
      ...defaultViewState(geometry),
      cursor: [7, 0] as [number, number]
    };
    expect(frameSlice(state, 1)).toBe('7,...');
    expect(pickParams(state.cursor, 1)).toEqual({ position: [7] });
    const fft = frameRequest(source, { ...state, frameFft: true }, 1)!;
    expect(fft.request.params).toEqual({ position: [7] });
  });

  it('ask for an index range as the server rectangle one row high, both ends included', () => {
    expect(toServerSpec(indexRange(10, 19, 40))).toEqual({
      shape: 'rectangle',
      x: 10,
      y: 0,
      width: 9.5,
      height: 0.5
    });
    // Either order, clamped to the scan.
    expect(rangeOf(indexRange(45, 30, 40))).toEqual([30, 39]);
    // A single index is a range too (a zero extent would cover nothing).
    expect(rangeOf(indexRange(-3, 0, 40))).toEqual([0, 0]);
    expect(toServerSpec(indexRange(5, 5, 40))).toMatchObject({
      width: 0.5,
      height: 0.5
    });
    expect(rangeOf(defaultRange(40))).toEqual([15, 24]);
    expect(rangeOf({ kind: 'disk', cx: 1, cy: 0, r: 2 })).toBeNull();
    const stats = frameRequest(
      source,
      { ...defaultViewState(geometry), roi: indexRange(10, 19, 40) },
      1
    )!;
    expect(stats.request.operation).toBe('frame_stats');
    // On the wire a 1-D region is the server's index range, `stop` one past the last.
    expect(stats.request.roi).toEqual({ shape: 'range', start: 10, stop: 20 });
    expect(rangeSpec(indexRange(5, 5, 40))).toEqual({
      shape: 'range',
      start: 5,
      stop: 6
    });
    expect(rangeOf(fromRangeSpec(stats.request.roi, 40))).toEqual([10, 19]);
    expect(fromRangeSpec({ shape: 'disk', cx: 1, cy: 0, r: 2 }, 40)).toBeNull();
  });

  it('turn result arrays into one row, keeping detector channels', () => {
    const data = Float64Array.from({ length: 8 }, (_, i) => i);
    const detectors = asScanRows({ shape: [4, 2], dtype: 'float64', data }, 1);
    expect(detectors.shape).toEqual([1, 4, 2]);
    expect(Array.from(toImage(detectors, 1).data)).toEqual([1, 3, 5, 7]);
    const field = asScanRows({ shape: [8], dtype: 'float64', data }, 1);
    expect(toImage(field)).toMatchObject({ width: 8, height: 1 });
    const image = { shape: [2, 4], dtype: 'float64', data };
    expect(asScanRows(image, 2)).toBe(image);
  });

  it('map a pointer along the plot to the nearest index', () => {
    expect(indexAt(0, 200, 40)).toBe(0);
    expect(indexAt(200, 200, 40)).toBe(39);
    expect(indexAt(100, 200, 40)).toBe(20);
    expect(indexAt(-5, 200, 40)).toBe(0);
    expect(indexAt(250, 200, 40)).toBe(39);
    expect(indexAt(50, 200, 1)).toBe(0);
  });
});

describe('views by the number of scan axes', () => {
  it('shows everything for a 2-D scan', () => {
    expect(navViews(2)).toEqual({
      navigation: null,
      region: null,
      navFft: null,
      comWheel: null
    });
  });

  it('disables the navigation FFT and the colour wheel of a 1-D scan, saying why', () => {
    const views = navViews(1);
    expect(views.navigation).toBeNull();
    expect(views.region).toBeNull();
    expect(views.navFft).toMatch(/needs a 2-D scan/);
    expect(views.comWheel).toMatch(/needs a 2-D scan/);
  });

  it('shows only frames of a scan with more than two axes, saying why', () => {
    const views = navViews(3);
    for (const reason of Object.values(views)) {
      expect(reason).toMatch(/3 scan axes/);
    }
  });

  it('switches off what a restored state asks for but the scan cannot show', () => {
    const geometry = geometryOf([40], [32, 32]);
    const asked = {
      ...defaultViewState(geometry),
      navFft: true,
      comField: 'field' as const,
      roi: indexRange(1, 5, 40)
    };
    const line = supportedState(asked, 1);
    expect(line).toMatchObject({ navFft: false, comField: 'magnitude' });
    expect(line.roi).toEqual(asked.roi);
    const higher = supportedState(asked, 3);
    expect(higher.roi).toBeNull();
    expect(supportedState(asked, 2)).toEqual(asked);
  });

  it('picks a frame of a higher scan at the first position of its earlier axes', () => {
    expect(pickParams([3, 2], 4)).toEqual({ position: [0, 0, 2, 3] });
    expect(pickParams([3, 2], 2)).toEqual({ y: 2, x: 3 });
  });

  it('picks a single image (no scan axis) at no position', () => {
    expect(pickParams([0, 0], 0)).toEqual({ position: [] });
  });
});
