import {
  axisFraction,
  axisValue,
  histogram,
  setLimit,
  stepLimit,
  valueAxis
} from '../viewer/histogram';
import { bilinear, lineProfile, profilePath } from '../viewer/profile';
import {
  formatValue,
  isCalibrated,
  niceLength,
  scaleBar
} from '../viewer/scalebar';
import { DEFAULT_SCALING, IScaling } from '../viewer/scaling';
import {
  fitViewport,
  imageToScreen,
  panBy,
  screenToImage,
  zoomAt
} from '../viewer/viewport';

const scaling = (changes: Partial<IScaling>): IScaling => ({
  ...DEFAULT_SCALING,
  ...changes
});

describe('histogram', () => {
  it('counts like numpy.histogram', () => {
    // np.histogram(np.arange(11), bins=4) -> [3, 2, 3, 3], [0, 2.5, 5, 7.5, 10]
    const h = histogram([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 4);
    expect(Array.from(h.counts)).toEqual([3, 2, 3, 3]);
    expect(Array.from(h.edges)).toEqual([0, 2.5, 5, 7.5, 10]);
    expect([h.min, h.max]).toEqual([0, 10]);
  });

  it('leaves out values outside the range and non-finite values', () => {
    // np.histogram([1, 2, 2, 3, 3, 3, 10], bins=3, range=(1, 4)) -> [1, 2, 3]
    const h = histogram([1, 2, 2, 3, 3, 3, 10, NaN, Infinity], 3, [1, 4]);
    expect(Array.from(h.counts)).toEqual([1, 2, 3]);
    const all = histogram([5, NaN, -Infinity, 1, 2], 7);
    expect(all.counts.reduce((a, b) => a + b, 0)).toBe(3);
  });

  it('counts every finite value of random data exactly once', () => {
    const data = Float64Array.from(
      { length: 10000 },
      (_, i) => (Math.sin(i * 12.9898) * 43758.5453) % 1
    );
    const h = histogram(data, 37);
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(10000);
    for (let i = 0; i < 37; i++) {
      expect(h.edges[i + 1]).toBeGreaterThan(h.edges[i]);
    }
    // Each bin holds exactly the values between its edges.
    let inThird = 0;
    data.forEach(v => {
      if (v >= h.edges[3] && v < h.edges[4]) {
        inThird++;
      }
    });
    expect(h.counts[3]).toBe(inThird);
  });

  it('bins logarithmically over the positive values', () => {
    // np.histogram([1, 5, 10, 50, 100], bins=[1, 10, 100]) -> [2, 3]
    const h = histogram([-3, 0, 1, 5, 10, 50, 100], 2, undefined, true);
    expect(Array.from(h.counts)).toEqual([2, 3]);
    expect(h.edges[1]).toBeCloseTo(10, 12);
  });

  it('handles empty and constant data', () => {
    const empty = histogram([], 4);
    expect(empty.counts.reduce((a, b) => a + b, 0)).toBe(0);
    expect(empty.edges.length).toBe(5);
    const constant = histogram([2, 2, 2], 4);
    expect(constant.counts.reduce((a, b) => a + b, 0)).toBe(3);
    expect(constant.min).toBeLessThan(2);
    expect(constant.max).toBeGreaterThan(2);
  });
});

describe('contrast handles', () => {
  it('spans the data and the limits', () => {
    const axis = valueAxis([0, 10], scaling({ vmin: 2, vmax: 30 }));
    expect(axis).toEqual({ min: 0, max: 30, log: false });
    expect(axisFraction(axis, 15)).toBe(0.5);
    expect(axisValue(axis, 0.5)).toBe(15);
    expect(axisFraction(axis, -5)).toBe(0);
  });

  it('maps a log axis by decades', () => {
    const axis = valueAxis(
      [0, 1, 10, 100],
      scaling({ mode: 'log', vmin: 1, vmax: 100 })
    );
    expect(axis).toEqual({ min: 1, max: 100, log: true });
    expect(axisFraction(axis, 10)).toBeCloseTo(0.5, 12);
    expect(axisValue(axis, 0.5)).toBeCloseTo(10, 12);
  });

  it('keeps vmin below vmax and leaves percentile mode on a hand-set limit', () => {
    const s = scaling({ mode: 'percentile', vmin: 1, vmax: 5 });
    const lowered = setLimit(s, 'vmax', 0);
    expect(lowered.vmax).toBeGreaterThan(lowered.vmin);
    expect(lowered.mode).toBe('linear');
    expect(setLimit(s, 'vmin', 3)).toMatchObject({ vmin: 3, vmax: 5 });
    expect(setLimit(s, 'vmin', NaN)).toBe(s);
  });

  it('steps by 1 % of the axis, 10 % with Shift', () => {
    const axis = { min: 0, max: 200, log: false };
    const s = scaling({ vmin: 50, vmax: 150 });
    expect(stepLimit(s, 'vmin', axis, 1).vmin).toBeCloseTo(52, 12);
    expect(stepLimit(s, 'vmax', axis, -1, true).vmax).toBeCloseTo(130, 12);
  });
});

describe('viewport', () => {
  it('fits the image centred with pixel centres at integers', () => {
    const v = fitViewport(100, 50, 400, 400);
    expect(v.scale).toBe(4);
    // The image spans screen x 0..400 and y 100..300.
    expect(imageToScreen(v, [-0.5, -0.5])).toEqual([0, 100]);
    expect(imageToScreen(v, [99.5, 49.5])).toEqual([400, 300]);
  });

  it('converts screen and image coordinates back and forth', () => {
    const v = { scale: 2.5, offsetX: -13, offsetY: 7.25 };
    for (const p of [
      [0, 0],
      [3.7, -8],
      [1000, 512.5]
    ] as [number, number][]) {
      const back = screenToImage(v, imageToScreen(v, p));
      expect(back[0]).toBeCloseTo(p[0], 10);
      expect(back[1]).toBeCloseTo(p[1], 10);
    }
  });

  it('keeps the anchor fixed when zooming, within the limits', () => {
    const v = fitViewport(64, 64, 256, 256);
    const anchor: [number, number] = [37, 201];
    const before = screenToImage(v, anchor);
    const zoomed = zoomAt(v, 3, anchor);
    expect(zoomed.scale).toBeCloseTo(12, 12);
    const after = screenToImage(zoomed, anchor);
    expect(after[0]).toBeCloseTo(before[0], 10);
    expect(after[1]).toBeCloseTo(before[1], 10);
    expect(zoomAt(v, 1000, anchor, { min: 1, max: 8 }).scale).toBe(8);
    expect(zoomAt(v, 1e-6, anchor, { min: 1, max: 8 }).scale).toBe(1);
  });

  it('pans by screen pixels', () => {
    expect(panBy({ scale: 2, offsetX: 1, offsetY: 2 }, 10, -5)).toEqual({
      scale: 2,
      offsetX: 11,
      offsetY: -3
    });
  });
});

describe('lineProfile', () => {
  // value = 10 * y + x on a 4 × 3 image, NaN at (3, 2)
  const data = new Float64Array(12);
  for (let y = 0; y < 3; y++) {
    for (let x = 0; x < 4; x++) {
      data[y * 4 + x] = 10 * y + x;
    }
  }
  data[2 * 4 + 3] = NaN;
  const image = { width: 4, height: 3, data };

  it('interpolates bilinearly between pixel centres', () => {
    // Hand computed: (0.5, 0.25) -> 0.75 * (0.5 * 0 + 0.5 * 1) + 0.25 * (0.5 * 10 + 0.5 * 11)
    expect(bilinear(image, 0.5, 0.25)).toBeCloseTo(3, 12);
    expect(bilinear(image, 1.2, 1.6)).toBeCloseTo(17.2, 12);
    expect(bilinear(image, 3, 1)).toBe(13);
  });

  it('samples one point per pixel of length by default, NaN outside', () => {
    const profile = lineProfile(image, [0, 1], [3, 1]);
    expect(Array.from(profile.distance)).toEqual([0, 1, 2, 3]);
    expect(Array.from(profile.values)).toEqual([10, 11, 12, 13]);
    const diagonal = lineProfile(image, [0, 0], [2, 2], 3);
    expect(Array.from(diagonal.values)).toEqual([0, 11, 22]);
    expect(diagonal.distance[2]).toBeCloseTo(Math.SQRT2 * 2, 12);
    const outside = lineProfile(image, [-1, 0], [1, 0], 3);
    expect(outside.values[0]).toBeNaN();
    expect(Array.from(outside.values.subarray(1))).toEqual([0, 1]);
  });

  it('propagates NaN pixels only where they weigh', () => {
    expect(bilinear(image, 2.5, 2)).toBeNaN();
    expect(bilinear(image, 2, 2)).toBe(22);
  });

  it('draws a path with gaps at NaN', () => {
    const plot = profilePath(
      {
        distance: new Float64Array([0, 1, 2, 3]),
        values: new Float64Array([0, 10, NaN, 5])
      },
      30,
      10
    );
    expect(plot.path).toBe('M0.0,10.0 L10.0,0.0 M30.0,5.0');
    expect([plot.xmax, plot.ymin, plot.ymax]).toEqual([3, 0, 10]);
    expect(profilePath({ distance: [0], values: [NaN] }, 30, 10).path).toBe('');
  });
});

describe('scale bar', () => {
  it('rounds down to 1, 2 or 5 times a power of ten', () => {
    expect(niceLength(4.8)).toBe(2);
    expect(niceLength(960)).toBe(500);
    expect(niceLength(0.13)).toBeCloseTo(0.1, 15);
    expect(niceLength(1000)).toBe(1000);
    expect(niceLength(7)).toBe(5);
  });

  it('picks a length not longer than the target and labels it', () => {
    // 0.1 nm per pixel at zoom 2: 96 screen px = 4.8 nm -> 2 nm = 40 px
    const bar = scaleBar({ scale: 0.1, offset: 0, units: 'nm' }, 2, 96)!;
    expect(bar.label).toBe('2 nm');
    expect(bar.screenPx).toBeCloseTo(40, 10);
  });

  it('switches unit prefixes', () => {
    const micro = scaleBar({ scale: 20, offset: 0, units: 'nm' }, 1, 96)!;
    expect(micro.label).toBe('1 µm');
    expect(micro.screenPx).toBeCloseTo(50, 10);
    expect(
      scaleBar({ scale: 0.01, offset: 0, units: 'nm' }, 1, 96)!.label
    ).toBe('500 pm');
    expect(
      scaleBar({ scale: 50, offset: 0, units: 'mrad' }, 1, 96)!.label
    ).toBe('2 rad');
    expect(
      scaleBar({ scale: 0.05, offset: 0, units: 'mrad' }, 1, 96)!.label
    ).toBe('2 mrad');
    expect(scaleBar({ scale: 2, offset: 0, units: 'um' }, 1, 96)!.label).toBe(
      '100 µm'
    );
  });

  it('keeps Å and reciprocal units when the number reads well', () => {
    expect(scaleBar({ scale: 0.5, offset: 0, units: 'Å' }, 4, 96)!.label).toBe(
      '10 Å'
    );
    expect(scaleBar({ scale: 20, offset: 0, units: 'Å' }, 1, 96)!.label).toBe(
      '100 nm'
    );
    expect(
      scaleBar({ scale: 0.01, offset: 0, units: '1/nm' }, 1, 96)!.label
    ).toBe('0.5 1/nm');
  });

  it('has no bar for plain pixel axes', () => {
    expect(scaleBar({ scale: 1, offset: 0, units: 'px' }, 3, 96)).toBeNull();
    expect(isCalibrated({ scale: 1, offset: 0, units: 'px' })).toBe(false);
    expect(isCalibrated({ scale: 0.2, offset: 0, units: 'nm' })).toBe(true);
    expect(scaleBar({ scale: 0, offset: 0, units: 'nm' }, 3, 96)).toBeNull();
  });
});

describe('formatValue', () => {
  it('writes readouts compactly', () => {
    expect(formatValue(1234)).toBe('1234');
    expect(formatValue(3.14159)).toBe('3.142');
    expect(formatValue(0.000123)).toBe('1.23e-4');
    expect(formatValue(123456.7)).toBe('1.235e+5');
    expect(formatValue(-0.5)).toBe('-0.5');
    expect(formatValue(NaN)).toBe('NaN');
    expect(formatValue(-Infinity)).toBe('−∞');
  });
});
