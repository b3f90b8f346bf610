import {
  distinctLabels,
  dominantLabels,
  hsvToRgb,
  labelColour,
  niivueColormap,
  niivueLabelMap
} from '../volume/labels';
import { NIFTI_OFFSET, niftiBytes, niftiCompatible } from '../volume/nifti';
import {
  boxAround,
  boxText,
  clampVoxel,
  crosshairOn,
  fitBox,
  paintPlane,
  paneAspect,
  paneSize,
  VOLUME_AXES,
  voxelAt
} from '../volume/planes';

/** A (z, y, x) array in C order whose value at (z, y, x) is 100z + 10y + x. */
function coded(shape: [number, number, number]): number[] {
  const values: number[] = [];
  for (let z = 0; z < shape[0]; z++) {
    for (let y = 0; y < shape[1]; y++) {
      for (let x = 0; x < shape[2]; x++) {
        values.push(100 * z + 10 * y + x);
      }
    }
  }
  return values;
}

/** numpy's `take(array, index, axis)` of a C-order (z, y, x) array, row-major. */
function take(
  values: number[],
  shape: [number, number, number],
  axis: number,
  index: number
): number[] {
  const out: number[] = [];
  const [nz, ny, nx] = shape;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        if ([z, y, x][axis] === index) {
          out.push(values[(z * ny + y) * nx + x]);
        }
      }
    }
  }
  return out;
}

describe('orthogonal panes', () => {
  const shape: [number, number, number] = [3, 4, 5];
  const values = coded(shape);

  it('maps a pane pixel to the voxel numpy puts there', () => {
    VOLUME_AXES.forEach((axis, position) => {
      const [width, height] = paneSize(axis, shape);
      const index = shape[position] - 1;
      const plane = take(values, shape, position, index);
      expect(plane.length).toBe(width * height);
      const at: [number, number, number] = [1, 2, 3];
      at[position] = index;
      for (let row = 0; row < height; row++) {
        for (let col = 0; col < width; col++) {
          const [z, y, x] = voxelAt(axis, at, col, row);
          expect(100 * z + 10 * y + x).toBe(plane[row * width + col]);
          // and the crosshair of that voxel falls on the same pixel
          expect(crosshairOn(axis, [z, y, x])).toEqual([col, row]);
        }
      }
    });
  });

  it('keeps voxels inside and gives panes their physical proportions', () => {
    expect(clampVoxel([-3, 2.6, 99], shape)).toEqual([0, 3, 4]);
    expect(paneAspect('z', shape, [1, 1, 1])).toBeCloseTo(5 / 4);
    expect(paneAspect('y', shape, [2, 1, 1])).toBeCloseTo(5 / 6);
    expect(paneAspect('x', shape, [1, 0.5, 1])).toBeCloseTo(2 / 3);
  });

  it('fits a pane in its area and centres it', () => {
    expect(fitBox(200, 100, 1)).toEqual({
      left: 50,
      top: 0,
      width: 100,
      height: 100
    });
    expect(fitBox(100, 300, 2)).toEqual({
      left: 0,
      top: 125,
      width: 100,
      height: 50
    });
  });

  it('puts a refine box around the crosshair, inside the volume', () => {
    expect(boxAround([1, 50, 98], 8, [3, 100, 100])).toEqual([
      [0, 3],
      [42, 58],
      [84, 100]
    ]);
    expect(
      boxText([
        [0, 3],
        [42, 58],
        [84, 100]
      ])
    ).toBe('0:3,42:58,84:100');
  });
});

describe('painting planes', () => {
  it('maps intensities through the table within the limits, NaN transparent', () => {
    const lut = new Uint8Array(256 * 3);
    for (let i = 0; i < 256; i++) {
      lut.set([i, 255 - i, 7], 3 * i);
    }
    const values = [-1, 0, 5, 10, 20, NaN];
    const rgba = paintPlane(values, {
      kind: 'intensity',
      lut,
      min: 0,
      max: 10
    });
    const reds = values.map((_, i) => rgba[4 * i]);
    expect(reds).toEqual([0, 0, 128, 255, 255, 0]);
    expect(rgba[4 * 2 + 1]).toBe(255 - 128);
    expect(values.map((_, i) => rgba[4 * i + 3])).toEqual([
      255, 255, 255, 255, 255, 0
    ]);
  });

  it('paints each label in its own colour and 0 transparent', () => {
    const values = Uint16Array.from([0, 3, 3, 10, 0, 65535]);
    const rgba = paintPlane(values, { kind: 'labels' });
    const pixel = (i: number) => Array.from(rgba.slice(4 * i, 4 * i + 4));
    expect(pixel(0)).toEqual([0, 0, 0, 0]);
    expect(pixel(1)).toEqual(pixel(2));
    expect(pixel(1)).toEqual(labelColour(3));
    expect(pixel(3)).not.toEqual(pixel(1));
    expect(pixel(5)[3]).toBe(255);
  });
});

describe('label colours', () => {
  it('gives the first hundred labels distinct opaque colours', () => {
    const seen = new Set<string>();
    for (let label = 1; label <= 100; label++) {
      const colour = labelColour(label);
      expect(colour[3]).toBe(255);
      seen.add(colour.join(','));
    }
    expect(seen.size).toBe(100);
    expect(labelColour(0)).toEqual([0, 0, 0, 0]);
  });

  it('converts HSV as the standard formulas do', () => {
    expect(hsvToRgb(0, 1, 1)).toEqual([255, 0, 0]);
    expect(hsvToRgb(1 / 3, 1, 1)).toEqual([0, 255, 0]);
    expect(hsvToRgb(2 / 3, 1, 0.5)).toEqual([0, 0, 128]);
    expect(hsvToRgb(0.5, 0, 0.2)).toEqual([51, 51, 51]);
  });

  it('builds the niivue map of the labels present, the matrix faint', () => {
    const values = [0, 0, 1, 1, 1, 1, 1, 1, 1, 4, 9, 9];
    expect(distinctLabels(values)).toEqual([0, 1, 4, 9]);
    const dominant = dominantLabels(values);
    expect([...dominant]).toEqual([1]);
    const map = niivueLabelMap(distinctLabels(values), dominant, 12);
    expect(map.I).toEqual([0, 1, 4, 9]);
    expect(map.A).toEqual([0, 12, 255, 255]);
    expect([map.R[2], map.G[2], map.B[2]]).toEqual(labelColour(4).slice(0, 3));
  });
});

describe('intensity colour maps in 3-D', () => {
  it('keeps the table and lets opacity rise with the value', () => {
    const lut = new Uint8Array(256 * 3).map((_, i) => (i * 7) % 256);
    const map = niivueColormap(lut);
    expect(map.I).toEqual(Array.from({ length: 256 }, (_, i) => i));
    expect(map.R[10]).toBe(lut[30]);
    expect(map.G[10]).toBe(lut[31]);
    expect(map.B[255]).toBe(lut[767]);
    expect(map.A[0]).toBe(0);
    expect(map.A.every((a, i) => i === 0 || a >= map.A[i - 1])).toBe(true);
  });
});

describe('NIfTI bricks', () => {
  it('writes the header fields NIfTI-1 readers look for, and the voxels after them', () => {
    const data = Uint16Array.from(coded([2, 3, 4]));
    const bytes = niftiBytes(
      { shape: [2, 3, 4], dtype: 'uint16', data },
      [2.5, 0.5, 0.25]
    );
    const view = new DataView(bytes);
    expect(view.getInt32(0, true)).toBe(348);
    const dims = Array.from({ length: 5 }, (_, i) =>
      view.getInt16(40 + 2 * i, true)
    );
    expect(dims).toEqual([3, 4, 3, 2, 1]); // x fastest: (x, y, z)
    expect(view.getInt16(70, true)).toBe(512); // DT_UINT16
    expect(view.getInt16(72, true)).toBe(16);
    const pixdim = [1, 2, 3].map(i => view.getFloat32(76 + 4 * i, true));
    expect(pixdim).toEqual([0.25, 0.5, 2.5]);
    expect(view.getFloat32(108, true)).toBe(NIFTI_OFFSET);
    expect(view.getInt16(254, true)).toBe(1);
    expect(view.getFloat32(280, true)).toBe(0.25); // srow_x[0]
    expect(view.getFloat32(296 + 4, true)).toBe(0.5); // srow_y[1]
    expect(view.getFloat32(312 + 8, true)).toBe(2.5); // srow_z[2]
    expect(String.fromCharCode(...new Uint8Array(bytes, 344, 3))).toBe('n+1');
    expect(bytes.byteLength).toBe(NIFTI_OFFSET + data.byteLength);
    expect(Array.from(new Uint16Array(bytes, NIFTI_OFFSET))).toEqual(
      Array.from(data)
    );
  });

  it('turns types NIfTI readers lack into float32 or int32 without changing values', () => {
    const doubles = niftiCompatible({
      shape: [1, 1, 3],
      dtype: 'float64',
      data: Float64Array.from([0.5, -2, NaN])
    });
    expect(doubles.dtype).toBe('float32');
    expect(Array.from(doubles.data as Float32Array)).toEqual([0.5, -2, NaN]);
    const labels = niftiCompatible({
      shape: [1, 1, 2],
      dtype: 'uint32',
      data: Uint32Array.from([7, 70000])
    });
    expect(labels.dtype).toBe('int32');
    expect(Array.from(labels.data as Int32Array)).toEqual([7, 70000]);
    const kept = {
      shape: [1, 1, 1],
      dtype: 'uint8',
      data: Uint8Array.from([3])
    };
    expect(niftiCompatible(kept)).toBe(kept);
  });
});
