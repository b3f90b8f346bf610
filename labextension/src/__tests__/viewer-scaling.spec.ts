import {
  colormapGradient,
  colormapLUT,
  COLORMAPS,
  isColormapName
} from '../viewer/colormaps';
import { installColormaps } from '../viewer/colormaps';
import { servedContract } from './servedcontract';
import {
  autoLimits,
  DEFAULT_SCALING,
  finiteRange,
  IScaling,
  normalise,
  percentile,
  renderRGBA,
  updateScaling
} from '../viewer/scaling';

/** A small seeded generator, so that "random" data is the same every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const scaling = (changes: Partial<IScaling>): IScaling => ({
  ...DEFAULT_SCALING,
  ...changes
});

/** Relative luminance (Rec. 709 weights) of LUT entry i. */
function luminance(lut: Uint8Array, i: number): number {
  return (
    0.2126 * lut[i * 3] + 0.7152 * lut[i * 3 + 1] + 0.0722 * lut[i * 3 + 2]
  );
}

// The server's one list of colour maps, as the viewer model installs it on load.
beforeAll(() => installColormaps(servedContract().colormaps));

describe('colour maps', () => {
  it("offers exactly the server's list, in its order, with its tables", () => {
    const served = servedContract().colormaps;
    expect(COLORMAPS.map(c => c.name)).toEqual(served.map(c => c.name));
    expect(served.map(c => c.name)).toEqual(
      expect.arrayContaining(['gray', 'viridis', 'inferno', 'coolwarm', 'RdBu'])
    );
    for (const map of served) {
      const lut = colormapLUT(map.name);
      const hex = Array.from(lut, v => v.toString(16).padStart(2, '0')).join(
        ''
      );
      expect(hex).toBe(map.lut.toLowerCase());
    }
  });

  it('has 256 RGB entries for every map', () => {
    for (const { name } of COLORMAPS) {
      expect(colormapLUT(name).length).toBe(768);
      expect(isColormapName(name)).toBe(true);
    }
    expect(isColormapName('jet')).toBe(false);
  });

  it('runs gray from black to white and viridis from purple to yellow', () => {
    const gray = colormapLUT('gray');
    expect(Array.from(gray.subarray(0, 3))).toEqual([0, 0, 0]);
    expect(Array.from(gray.subarray(765))).toEqual([255, 255, 255]);
    expect(Array.from(gray.subarray(128 * 3, 128 * 3 + 3))).toEqual([
      128, 128, 128
    ]);
    const viridis = colormapLUT('viridis');
    // matplotlib's viridis(0.0) and viridis(1.0)
    expect(Array.from(viridis.subarray(0, 3))).toEqual([68, 1, 84]);
    expect(Array.from(viridis.subarray(765))).toEqual([253, 231, 37]);
  });

  it('has monotone luminance for the sequential maps', () => {
    for (const name of ['gray', 'viridis', 'magma', 'inferno'] as const) {
      const lut = colormapLUT(name);
      for (let i = 1; i < 256; i++) {
        // Rounding each channel to a byte may cost up to half a level.
        expect(luminance(lut, i)).toBeGreaterThan(luminance(lut, i - 1) - 0.5);
      }
      expect(luminance(lut, 255) - luminance(lut, 0)).toBeGreaterThan(150);
    }
  });

  it('has a light centre and dark ends for the diverging maps', () => {
    for (const { name, diverging } of COLORMAPS.filter(c => c.diverging)) {
      expect(diverging).toBe(true);
      const lut = colormapLUT(name);
      const centre = luminance(lut, 128);
      expect(centre).toBeGreaterThan(luminance(lut, 0) + 60);
      expect(centre).toBeGreaterThan(luminance(lut, 255) + 60);
    }
  });

  it('describes a gradient for the swatch', () => {
    expect(colormapGradient('gray', 2)).toBe(
      'linear-gradient(to right, rgb(0, 0, 0), rgb(255, 255, 255))'
    );
  });
});

describe('finiteRange and percentile', () => {
  it('ignores NaN and infinities', () => {
    expect(finiteRange([NaN, 3, -Infinity, -2, Infinity, 7])).toEqual({
      min: -2,
      max: 7
    });
    expect(finiteRange([NaN, Infinity])).toBeNull();
    expect(finiteRange([])).toBeNull();
  });

  it('equals numpy.percentile (linear method) on known data', () => {
    // np.percentile([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5], q)
    const data = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, NaN, Infinity, -Infinity];
    const expected: [number, number][] = [
      [0, 1],
      [10, 1],
      [25, 2.5],
      [50, 4],
      [75, 5],
      [90, 6],
      [99, 8.7],
      [100, 9],
      [33.3, 3]
    ];
    for (const [q, value] of expected) {
      expect(percentile(data, q)).toBeCloseTo(value, 10);
    }
    expect(percentile([NaN], 50)).toBeNaN();
  });

  it('agrees with a sort-based reference on random data', () => {
    const next = random(7);
    const data = Array.from({ length: 1001 }, () => next() * 100 - 20);
    const sorted = [...data].sort((a, b) => a - b);
    for (const q of [0, 1, 12.5, 50, 99, 100]) {
      const position = (q / 100) * (sorted.length - 1);
      const lower = Math.floor(position);
      const upper = Math.min(lower + 1, sorted.length - 1);
      const reference =
        sorted[lower] + (sorted[upper] - sorted[lower]) * (position - lower);
      expect(percentile(data, q)).toBeCloseTo(reference, 12);
    }
  });
  it('selects exactly on sorted, reversed and repetitive data of any size', () => {
    const next = random(11);
    const reference = (values: number[], q: number) => {
      const sorted = [...values].sort((a, b) => a - b);
      const position = (q / 100) * (sorted.length - 1);
      const lower = Math.floor(position);
      const upper = Math.min(lower + 1, sorted.length - 1);
      return (
        sorted[lower] + (sorted[upper] - sorted[lower]) * (position - lower)
      );
    };
    for (const n of [1, 2, 3, 10, 257]) {
      const uniform = Array.from({ length: n }, () => next());
      const repetitive = Array.from({ length: n }, () =>
        Math.floor(next() * 3)
      );
      const ascending = Array.from({ length: n }, (_, i) => i);
      const descending = [...ascending].reverse();
      for (const values of [uniform, repetitive, ascending, descending]) {
        for (const q of [0, 0.5, 1, 37.5, 50, 98, 99.9, 100]) {
          expect(percentile(values, q)).toBeCloseTo(reference(values, q), 12);
        }
      }
    }
  });
});

describe('autoLimits', () => {
  const next = random(42);
  const data = Float64Array.from({ length: 5000 }, () => next() * 10 - 3);
  const range = finiteRange(data)!;

  it('uses the finite range in linear mode', () => {
    const withHoles = Float64Array.from(data);
    withHoles[5] = NaN;
    withHoles[6] = Infinity;
    withHoles[7] = -Infinity;
    let min = Infinity;
    let max = -Infinity;
    withHoles.forEach(v => {
      if (Number.isFinite(v)) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
    });
    expect(autoLimits(withHoles, scaling({}))).toEqual({
      vmin: min,
      vmax: max
    });
  });

  it('uses the percentiles in percentile mode', () => {
    const limits = autoLimits(
      data,
      scaling({ mode: 'percentile', percentiles: [2, 98] })
    );
    expect(limits.vmin).toBeCloseTo(percentile(data, 2), 12);
    expect(limits.vmax).toBeCloseTo(percentile(data, 98), 12);
    expect(limits.vmin).toBeGreaterThan(range.min);
    expect(limits.vmax).toBeLessThan(range.max);
  });

  it('centres symmetric limits on zero', () => {
    const limits = autoLimits(data, scaling({ symmetric: true }));
    const m = Math.max(-range.min, range.max);
    expect(limits).toEqual({ vmin: -m, vmax: m });
  });

  it('starts a log scale at the smallest positive value', () => {
    const limits = autoLimits([-5, 0, 0.01, 3, 100], scaling({ mode: 'log' }));
    expect(limits).toEqual({ vmin: 0.01, vmax: 100 });
    expect(autoLimits([-1, 0], scaling({ mode: 'log' }))).toEqual({
      vmin: 0.1,
      vmax: 1
    });
  });

  it('widens constant images and falls back for empty ones', () => {
    expect(autoLimits([5, 5, 5], scaling({}))).toEqual({
      vmin: 2.5,
      vmax: 7.5
    });
    expect(autoLimits([0, 0], scaling({}))).toEqual({ vmin: -0.5, vmax: 0.5 });
    expect(autoLimits([], scaling({}))).toEqual({ vmin: 0, vmax: 1 });
    expect(autoLimits([NaN, NaN], scaling({ mode: 'percentile' }))).toEqual({
      vmin: 0,
      vmax: 1
    });
  });

  it('follows mode changes when data are given', () => {
    const next = updateScaling(scaling({}), { mode: 'log' }, [0, 1, 10]);
    expect(next).toMatchObject({ mode: 'log', vmin: 1, vmax: 10 });
    const without = updateScaling(scaling({ vmin: 3, vmax: 4 }), {
      gamma: 2
    });
    expect(without).toMatchObject({ vmin: 3, vmax: 4, gamma: 2 });
  });
});

describe('normalise', () => {
  it('maps linearly, clips, and keeps NaN', () => {
    const s = scaling({ vmin: 10, vmax: 20 });
    expect(normalise(10, s)).toBe(0);
    expect(normalise(15, s)).toBe(0.5);
    expect(normalise(25, s)).toBe(1);
    expect(normalise(-Infinity, s)).toBe(0);
    expect(normalise(Infinity, s)).toBe(1);
    expect(normalise(NaN, s)).toBeNaN();
  });

  it('agrees with a plain reference on random data in every mode', () => {
    const next = random(3);
    const cases: [IScaling, (v: number) => number][] = [
      [scaling({ vmin: -2, vmax: 6 }), v => (v + 2) / 8],
      [
        scaling({ mode: 'power', gamma: 0.5, vmin: 0, vmax: 4 }),
        v => Math.sqrt(Math.min(Math.max(v / 4, 0), 1))
      ],
      [
        scaling({ mode: 'log', vmin: 0.1, vmax: 1000 }),
        v => (Math.log10(v) + 1) / 4
      ],
      [scaling({ symmetric: true, vmin: -1, vmax: 4 }), v => (v + 4) / 8]
    ];
    for (const [s, reference] of cases) {
      for (let i = 0; i < 200; i++) {
        const v = next() * 12 - 3;
        const expected = Math.min(Math.max(reference(v), 0), 1);
        if (s.mode === 'log' && v <= 0) {
          expect(normalise(v, s)).toBe(0);
        } else {
          expect(normalise(v, s)).toBeCloseTo(expected, 12);
        }
      }
    }
  });

  it('gives a log scale with a non-positive lower limit a positive floor', () => {
    const s = scaling({ mode: 'log', vmin: -5, vmax: 1000 });
    expect(normalise(0, s)).toBe(0);
    expect(normalise(-3, s)).toBe(0);
    expect(normalise(1000, s)).toBe(1);
    const t = normalise(31.6227766, s);
    expect(t).toBeGreaterThan(0);
    expect(t).toBeLessThan(1);
  });

  it('does not divide by zero for equal limits', () => {
    const s = scaling({ vmin: 3, vmax: 3 });
    expect(normalise(3, s)).toBe(0.5);
    expect(Number.isFinite(normalise(100, s))).toBe(true);
  });
});

describe('renderRGBA', () => {
  it('colours through the lookup table and leaves NaN transparent', () => {
    const image = {
      width: 2,
      height: 2,
      data: new Float64Array([0, 1, NaN, 0.5])
    };
    const rgba = renderRGBA(image, scaling({ vmin: 0, vmax: 1 }), 'gray');
    expect(Array.from(rgba)).toEqual([
      0, 0, 0, 255, 255, 255, 255, 255, 0, 0, 0, 0, 128, 128, 128, 255
    ]);
  });

  it('uses the lowest colour for non-positive values on a log scale', () => {
    const image = { width: 3, height: 1, data: new Float64Array([-1, 1, 100]) };
    const rgba = renderRGBA(
      image,
      scaling({ mode: 'log', vmin: 0, vmax: 100 }),
      'viridis'
    );
    const lut = colormapLUT('viridis');
    expect(Array.from(rgba.subarray(0, 3))).toEqual(
      Array.from(lut.subarray(0, 3))
    );
    // The floor is the smallest positive value (1), so 1 is the lowest colour too.
    expect(Array.from(rgba.subarray(4, 7))).toEqual(
      Array.from(lut.subarray(0, 3))
    );
    expect(Array.from(rgba.subarray(8, 11))).toEqual(
      Array.from(lut.subarray(765))
    );
  });

  it('writes into a given buffer of the right size', () => {
    const out = new Uint8ClampedArray(4);
    const image = { width: 1, height: 1, data: new Float64Array([1]) };
    expect(renderRGBA(image, scaling({}), 'gray', out)).toBe(out);
  });
});
