/**
 * Numeric detector geometry in pixels or calibrated units, the line profile with a
 * width (checked against scipy's `map_coordinates`) and its export (read back by
 * numpy), the image mode's choice of viewer, and the calibration the editor shows.
 */
import type { IDatasetInfo } from '../api';
import { shownCalibration } from '../viewer/calibration';
import { Shape } from '../viewer/geometry';
import {
  applyGeometry,
  FrameAxes,
  geometryTexts,
  unitName
} from '../viewer/geometryunits';
import { dataKind, declaredStack, planeCount } from '../viewer/imagemode';
import { IImage, tableNpy } from '../viewer/npy';
import {
  acrossOffsets,
  bandOutline,
  bandProfile,
  lineProfile,
  MAX_PROFILE_WIDTH,
  profileCsv,
  profileTable
} from '../viewer/profile';
import { defaultViewState, readViewState } from '../viewer/state';
import { servedContract, serverVerdict } from './servedcontract';
import { TRIANGLE } from './shapefixtures';
import { python } from './projectpython';

const MRAD: FrameAxes = {
  x: { scale: 0.25, offset: -8, units: 'mrad' },
  y: { scale: 0.3, offset: -6, units: 'mrad' }
};
const BOUNDS = { width: 64, height: 48 };

describe('detector geometry typed as numbers', () => {
  const ring: Shape = { kind: 'ring', cx: 31.5, cy: 20, ri: 6, ro: 14.5 };

  it('shows a shape in calibrated units: offset + pixel × scale, lengths × scale', () => {
    expect(geometryTexts(ring, MRAD, 'calibrated')).toEqual({
      cx: String(-8 + 31.5 * 0.25),
      cy: String(-6 + 20 * 0.3),
      ri: '1.5',
      ro: '3.625'
    });
    expect(geometryTexts(ring, MRAD, 'px')).toEqual({
      cx: '31.5',
      cy: '20',
      ri: '6',
      ro: '14.5'
    });
    expect(unitName('calibrated', MRAD)).toBe('mrad');
    // Without units there is nothing to convert to.
    expect(unitName('calibrated', undefined)).toBe('px');
  });

  it('keeps the exact value of a field left as shown', () => {
    const odd: Shape = { kind: 'disk', cx: 10 / 3, cy: 7, r: 2 };
    const texts = geometryTexts(odd, MRAD, 'px');
    expect(texts.cx).toBe('3.33333333333');
    const answer = applyGeometry(odd, { ...texts, r: '3' }, MRAD, 'px', BOUNDS);
    expect(answer).toEqual({ shape: { ...odd, r: 3 } });
  });

  it('reads typed values back exactly, in either unit, after any number of switches', () => {
    const typed = { cx: '0.1', cy: '-0.7', ri: '0.3', ro: '2.2' };
    let answer = applyGeometry(ring, typed, MRAD, 'calibrated', BOUNDS);
    expect('shape' in answer).toBe(true);
    let shape = (answer as { shape: Shape }).shape;
    for (let i = 0; i < 5; i++) {
      const pixels = geometryTexts(shape, MRAD, 'px');
      answer = applyGeometry(shape, pixels, MRAD, 'px', BOUNDS);
      shape = (answer as { shape: Shape }).shape;
      expect(geometryTexts(shape, MRAD, 'calibrated')).toEqual(typed);
    }
    expect(shape).toMatchObject({ kind: 'ring' });
    const r = shape as Extract<Shape, { kind: 'ring' }>;
    expect(r.cx).toBeCloseTo((0.1 + 8) / 0.25, 12);
    expect(r.cy).toBeCloseTo((-0.7 + 6) / 0.3, 12);
    expect(r.ro).toBeCloseTo(2.2 / 0.25, 12);
  });

  it('refuses what cannot be a detector, saying why in the unit typed', () => {
    const problem = (texts: Record<string, string>, unit = 'px' as const) => {
      const answer = applyGeometry(ring, texts, MRAD, unit, BOUNDS);
      return 'problem' in answer ? answer.problem : null;
    };
    const ok = { cx: '30', cy: '20', ri: '5', ro: '10' };
    expect(problem(ok)).toBeNull();
    expect(problem({ ...ok, cx: '3O' })).toMatch(/cx: “3O” is not a number/);
    expect(problem({ ...ok, cx: '' })).toMatch(/not a number/);
    expect(problem({ ...ok, ri: '12' })).toMatch(
      /inner radius \(12 px\) must be smaller than the outer radius \(10 px\)/
    );
    expect(problem({ ...ok, ro: '-1' })).toMatch(/larger than 0/);
    expect(problem({ ...ok, cy: '48' })).toMatch(
      /between 0 px and 47 px, not 48 px/
    );
    const calibrated = applyGeometry(
      ring,
      { cx: '9', cy: '0', ri: '1', ro: '2' },
      MRAD,
      'calibrated',
      BOUNDS
    );
    // 9 mrad is pixel 68, off the 64-pixel frame: said in mrad.
    expect('problem' in calibrated && calibrated.problem).toMatch(
      /between -8 mrad and 7.75 mrad, not 9 mrad/
    );
    const rectangle: Shape = {
      kind: 'rectangle',
      x: 1,
      y: 2,
      width: 3,
      height: 4
    };
    const flat = applyGeometry(
      rectangle,
      { x: '1', y: '2', width: '0', height: '4' },
      undefined,
      'px',
      BOUNDS
    );
    expect('problem' in flat && flat.problem).toMatch(
      /width must be larger than 0/
    );
  });

  it('types a polygon vertex by vertex, in either unit, kept on the frame', () => {
    const polygon = TRIANGLE;
    const texts = geometryTexts(polygon, MRAD, 'calibrated');
    expect(Object.keys(texts)).toEqual(['x1', 'y1', 'x2', 'y2', 'x3', 'y3']);
    expect(texts.x2).toBe(String(-8 + 40 * 0.25));
    expect(texts.y3).toBe(String(-6 + 30 * 0.3));
    // The third vertex to 0 mrad, 0 mrad: pixel (32, 20); the others stay exact.
    const moved = applyGeometry(
      polygon,
      { ...texts, x3: '0', y3: '0' },
      MRAD,
      'calibrated',
      BOUNDS
    );
    expect(moved).toEqual({
      shape: {
        kind: 'polygon',
        vertices: [
          [10, 10],
          [40, 12],
          [32, 20]
        ]
      }
    });
    const off = applyGeometry(
      polygon,
      { ...geometryTexts(polygon, MRAD, 'px'), y2: '60' },
      MRAD,
      'px',
      BOUNDS
    );
    expect('problem' in off && off.problem).toMatch(
      /y2 must lie on the frame, between 0 px and 47 px, not 60 px/
    );
  });
});

/** A smooth image with structure in both directions. */
function testImage(width: number, height: number): IImage {
  const data = new Float64Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      data[y * width + x] = Math.sin(x / 3) * 40 + (y * y) / 7 + ((x * y) % 5);
    }
  }
  return { width, height, data };
}

describe('a line profile with a width', () => {
  const image = testImage(40, 30);

  it('is the line itself at width 1', () => {
    const line = bandProfile(image, [3, 4], [30, 20], 1);
    expect(Array.from(line.values)).toEqual(
      Array.from(lineProfile(image, [3, 4], [30, 20]).values)
    );
  });

  it('averages across the band as scipy.ndimage.map_coordinates does', () => {
    const cases: [number[], number[], number][] = [
      [[5, 6], [33, 21], 5],
      [[20, 25], [22.5, 3.25], 4],
      [[4.5, 15], [35, 15], 7]
    ];
    for (const [p0, p1, width] of cases) {
      const ours = bandProfile(
        image,
        p0 as [number, number],
        p1 as [number, number],
        width
      );
      const reference = JSON.parse(
        python(
          [
            'import json, sys',
            'import numpy as np',
            'from scipy.ndimage import map_coordinates',
            'case = json.load(sys.stdin)',
            'image = np.array(case["data"]).reshape(case["height"], case["width"])',
            'p0, p1, w = np.array(case["p0"]), np.array(case["p1"]), case["width_px"]',
            'n = int(np.ceil(np.hypot(*(p1 - p0)))) + 1',
            't = np.linspace(0, 1, n)',
            'along = p0[None, :] + t[:, None] * (p1 - p0)[None, :]',
            'normal = np.array([-(p1 - p0)[1], (p1 - p0)[0]]) / np.hypot(*(p1 - p0))',
            'offsets = np.arange(w) - (w - 1) / 2',
            'points = along[:, None, :] + offsets[None, :, None] * normal[None, None, :]',
            'values = map_coordinates(image, [points[..., 1], points[..., 0]], order=1)',
            'print(json.dumps(values.mean(axis=1).tolist()))'
          ].join('\n'),
          JSON.stringify({
            data: Array.from(image.data),
            width: image.width,
            height: image.height,
            p0,
            p1,
            width_px: width
          })
        )
      ) as number[];
      expect(ours.values.length).toBe(reference.length);
      ours.values.forEach((v, i) => expect(v).toBeCloseTo(reference[i], 9));
    }
  });

  it('leaves out the samples off the image and is NaN where none is on it', () => {
    const edge = bandProfile(image, [0, 10], [0, 20], 3);
    // Across a vertical line at x = 0: x = -1 is off, x = 0 and x = 1 are on.
    const expected = (y: number) =>
      (image.data[y * 40] + image.data[y * 40 + 1]) / 2;
    expect(edge.values[0]).toBeCloseTo(expected(10), 12);
    const off = bandProfile(image, [-5, 10], [-5, 20], 3);
    expect(Array.from(off.values).every(Number.isNaN)).toBe(true);
  });

  it('draws its band half a pixel beyond the outermost samples', () => {
    expect(acrossOffsets(4)).toEqual([-1.5, -0.5, 0.5, 1.5]);
    expect(bandOutline([0, 0], [10, 0], 1)).toBeNull();
    const outline = bandOutline([0, 0], [10, 0], 4)!;
    expect(outline.map(([x, y]) => [x, y + 0])).toEqual([
      [0, -2],
      [10, -2],
      [10, 2],
      [0, 2]
    ]);
  });
});

describe('an exported profile', () => {
  const image = testImage(40, 30);
  const line: [[number, number], [number, number]] = [
    [2, 3],
    [14, 8]
  ];
  const profile = bandProfile(image, line[0], line[1], 3);
  const axes = {
    x: { scale: 0.4, offset: 1, units: 'nm' },
    y: { scale: 0.4, offset: -2, units: 'nm' }
  };
  const table = profileTable(profile, line, 3, axes, 'frame of demo:scan.h5');

  it('has calibrated positions and the values', () => {
    expect(table.columns).toEqual([
      'distance (nm)',
      'x (nm)',
      'y (nm)',
      'value'
    ]);
    expect(table.rows[0]).toEqual([
      0,
      1 + 2 * 0.4,
      -2 + 3 * 0.4,
      profile.values[0]
    ]);
    const last = table.rows[table.rows.length - 1];
    expect(last[0]).toBeCloseTo(Math.hypot(12, 5) * 0.4, 12);
    expect(last[1]).toBeCloseTo(1 + 14 * 0.4, 12);
    expect(table.header.join(' ')).toMatch(/averaged across 3 px/);
  });

  it('reads back with numpy, as CSV and as NPY with named columns', () => {
    const csv = profileCsv(table);
    const bytes = tableNpy(table.columns, table.rows);
    const answer = JSON.parse(
      python(
        [
          'import io, json, sys',
          'import numpy as np',
          'case = json.load(sys.stdin)',
          'csv = np.genfromtxt(io.StringIO(case["csv"]), delimiter=",", names=True)',
          'plain = np.loadtxt(io.StringIO(case["csv"]), delimiter=",")',
          'npy = np.load(io.BytesIO(bytes(case["npy"])))',
          'print(json.dumps({"csv_names": list(csv.dtype.names), "npy_names": list(npy.dtype.names),',
          '  "csv": [list(map(float, r)) for r in csv], "npy": [list(map(float, r)) for r in npy],',
          '  "plain": plain.tolist()}))'
        ].join('\n'),
        JSON.stringify({ csv, npy: Array.from(bytes) })
      )
    );
    // numpy's genfromtxt makes names identifiers; np.load keeps them as written.
    expect(answer.csv_names).toEqual(['distance_nm', 'x_nm', 'y_nm', 'value']);
    expect(answer.npy_names).toEqual(table.columns);
    expect(answer.npy).toEqual(table.rows);
    expect(answer.csv).toEqual(table.rows);
    expect(answer.plain).toEqual(table.rows);
  });

  it('writes a UTF-8 header for names numpy 1.0 headers cannot hold', () => {
    const bytes = tableNpy(['r (μm)', 'value'], [[1.5, 2]]);
    expect(bytes[6]).toBe(3);
    const names = JSON.parse(
      python(
        'import io, json, sys; import numpy as np; a = np.load(io.BytesIO(bytes(json.load(sys.stdin)))); print(json.dumps([list(a.dtype.names), a.tolist()]))',
        JSON.stringify(Array.from(bytes))
      )
    );
    expect(names).toEqual([['r (μm)', 'value'], [[1.5, 2]]]);
  });
});

describe('the profile width and the stack choice in the view state', () => {
  const geometry = {
    nav: [4, 6] as [number, number],
    sig: [8, 8] as [number, number]
  };

  it('are declared by the served contract, with the same limit', () => {
    const schema = servedContract().schema as any;
    expect(schema.properties.lineWidth.maximum).toBe(MAX_PROFILE_WIDTH);
    const state = {
      ...defaultViewState(geometry),
      lineWidth: 9,
      stack: 'images'
    };
    expect(serverVerdict(state)).toBeNull();
    expect(
      serverVerdict({ ...state, lineWidth: MAX_PROFILE_WIDTH + 1 })
    ).not.toBeNull();
  });

  it('read back from stored JSON, anything odd taking the default', () => {
    expect(
      readViewState({ lineWidth: 7, stack: 'scan' }, geometry)
    ).toMatchObject({
      lineWidth: 7,
      stack: 'scan'
    });
    expect(
      readViewState({ lineWidth: 0.5, stack: 'cube' }, geometry)
    ).toMatchObject({
      lineWidth: 1,
      stack: null
    });
  });
});

function info(
  shape: number[],
  navRank: number,
  units: string[] = [],
  metadata: Record<string, unknown> = {}
): IDatasetInfo {
  return {
    format: 'npy',
    dataset: null,
    shape,
    dtype: '<f4',
    nav_shape: shape.slice(0, navRank),
    sig_shape: shape.slice(navRank),
    chunks: null,
    nbytes: 0,
    axes: shape.map((size, i) => ({
      name: null,
      size,
      scale: 1,
      offset: 0,
      units: units[i] ?? null,
      navigate: i < navRank
    })),
    metadata
  };
}

describe('which viewer a dataset opens in', () => {
  it('is the image viewer for a 2-D array and the 4-D one for a scan', () => {
    expect(dataKind(info([64, 48], 0))).toBe('image');
    expect(dataKind(info([4, 5, 16, 16], 2))).toBe('scan');
    expect(dataKind(info([2, 3, 4, 8, 8], 3))).toBe('scan');
    expect(dataKind(info([100], 0))).toBe('scan');
  });

  it('is a stack for images in real-space units, a scan for diffraction frames', () => {
    expect(dataKind(info([10, 32, 32], 1, ['', 'nm', 'nm']))).toBe('stack');
    expect(dataKind(info([10, 32, 32], 1, ['s', 'Å', 'Å']))).toBe('stack');
    expect(dataKind(info([10, 32, 32], 1, ['nm', 'mrad', 'mrad']))).toBe(
      'scan'
    );
    expect(dataKind(info([10, 32, 32], 1, ['nm', '1/nm', '1/nm']))).toBe(
      'scan'
    );
    const pyxem = {
      metadata: { Signal: { signal_type: 'electron_diffraction' } }
    };
    expect(declaredStack(info([10, 32, 32], 1, ['', 'nm', 'nm'], pyxem))).toBe(
      'scan'
    );
    // Undeclared (a plain .npy): a scan, until the user says otherwise.
    expect(dataKind(info([40, 32, 32], 1))).toBe('scan');
    expect(dataKind(info([40, 32, 32], 1), 'images')).toBe('stack');
    expect(dataKind(info([10, 32, 32], 1, ['', 'nm', 'nm']), 'scan')).toBe(
      'scan'
    );
    expect(planeCount(info([40, 32, 32], 1))).toBe(40);
    expect(planeCount(info([32, 32], 0))).toBe(1);
  });

  it('is a stack for a format whose frames are pictures, uncalibrated too', () => {
    const tiff = {
      ...info([7, 33, 17], 1),
      format: 'tiff',
      frame_kind: 'image'
    };
    expect(declaredStack(tiff)).toBe('images');
    expect(dataKind(tiff)).toBe('stack');
    expect(dataKind(tiff, 'scan')).toBe('scan');
    expect(dataKind({ ...tiff, shape: [33, 17], nav_shape: [] })).toBe('image');
  });
});

describe('the calibration an editor shows', () => {
  const metadata = { x: { scale: 0.4, offset: 0, units: 'nm' } };

  it('is the metadata’s until the user gives their own', () => {
    expect(shownCalibration(null, metadata)).toEqual({
      scale: 0.4,
      units: 'nm',
      origin: 'metadata'
    });
    expect(shownCalibration({ scale: 2, units: 'Å' }, metadata)).toEqual({
      scale: 2,
      units: 'Å',
      origin: 'user'
    });
    expect(shownCalibration(null, undefined)).toEqual({
      scale: null,
      units: '',
      origin: 'none'
    });
  });
});
