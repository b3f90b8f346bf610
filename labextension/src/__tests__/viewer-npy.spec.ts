import { parseNpy, toImage } from '../viewer/npy';

/**
 * The bytes of a .npy file with the given header fields and raw data,
 * padded as numpy pads them (total header a multiple of 64 bytes).
 */
function npy(
  descr: string,
  shape: number[],
  body: Uint8Array,
  options: { version?: number; fortran?: boolean; pad?: number } = {}
): ArrayBuffer {
  const version = options.version ?? 1;
  const shapeText =
    shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const fortran = options.fortran ? 'True' : 'False';
  let header = `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shapeText}, }`;
  const prefix = version === 1 ? 10 : 12;
  const align = options.pad ?? 64;
  const total = Math.ceil((prefix + header.length + 1) / align) * align;
  header = header.padEnd(total - prefix - 1) + '\n';
  const bytes = new Uint8Array(total + body.length);
  bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(bytes.buffer);
  if (version === 1) {
    view.setUint16(8, header.length, true);
  } else {
    view.setUint32(8, header.length, true);
  }
  for (let i = 0; i < header.length; i++) {
    bytes[prefix + i] = header.charCodeAt(i);
  }
  bytes.set(body, total);
  return bytes.buffer;
}

function base64(text: string): ArrayBuffer {
  return Uint8Array.from(atob(text), c => c.charCodeAt(0)).buffer;
}

describe('parseNpy', () => {
  it('reads little-endian float32 in C order', () => {
    const values = new Float32Array([1, 2.5, -3, NaN, 5, 6]);
    const array = parseNpy(npy('<f4', [2, 3], new Uint8Array(values.buffer)));
    expect(array.shape).toEqual([2, 3]);
    expect(array.dtype).toBe('float32');
    expect(array.data).toBeInstanceOf(Float32Array);
    expect(Array.from(array.data as Float32Array)).toEqual([
      1,
      2.5,
      -3,
      NaN,
      5,
      6
    ]);
  });

  it('reads the integer types', () => {
    const cases: [string, string, ArrayLike<number>, any][] = [
      ['|u1', 'uint8', [0, 255, 7], Uint8Array],
      ['|i1', 'int8', [-128, 127, 0], Int8Array],
      ['<i2', 'int16', [-32768, 12345, -1], Int16Array],
      ['<u2', 'uint16', [65535, 0, 4096], Uint16Array],
      ['<i4', 'int32', [-2147483648, 1, 99], Int32Array],
      ['<u4', 'uint32', [4294967295, 3, 0], Uint32Array]
    ];
    for (const [descr, name, values, Type] of cases) {
      const typed = new Type(values);
      const array = parseNpy(npy(descr, [3], new Uint8Array(typed.buffer)));
      expect(array.dtype).toBe(name);
      expect(array.data).toBeInstanceOf(Type);
      expect(Array.from(array.data as any)).toEqual(Array.from(values));
    }
  });

  it('reads 64-bit integers as BigInt arrays and images as numbers', () => {
    const typed = new BigInt64Array([BigInt(-5), BigInt(2) ** BigInt(40)]);
    const array = parseNpy(npy('<i8', [2], new Uint8Array(typed.buffer)));
    expect(array.dtype).toBe('int64');
    expect(array.data).toBeInstanceOf(BigInt64Array);
    expect(Array.from(toImage(array).data)).toEqual([-5, 2 ** 40]);
    const unsigned = new BigUint64Array([BigInt(7)]);
    expect(
      parseNpy(npy('<u8', [1], new Uint8Array(unsigned.buffer))).dtype
    ).toBe('uint64');
  });

  it('swaps big-endian data', () => {
    const body = new Uint8Array(8);
    const view = new DataView(body.buffer);
    view.setInt16(0, -2, false);
    view.setInt16(2, 300, false);
    view.setFloat32(4, 1.25, false);
    const ints = parseNpy(npy('>i2', [2], body.subarray(0, 4)));
    expect(Array.from(ints.data as Int16Array)).toEqual([-2, 300]);
    const floats = parseNpy(npy('>f4', [1], body.subarray(4)));
    expect(Array.from(floats.data as Float32Array)).toEqual([1.25]);
  });

  it('reads files written by numpy: big-endian float64, version 2, bool', () => {
    // np.lib.format.write_array(f, np.array([[1.5, -2, nan], [inf, 0.25, 7]], dtype='>f8'))
    const big = parseNpy(
      base64(
        'k05VTVBZAQB2AHsnZGVzY3InOiAnPmY4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAo/+AAAAAAAAMAAAAAAAAAAf/gAAAAAAAB/8AAAAAAAAD/QAAAAAAAAQBwAAAAAAAA='
      )
    );
    expect(big.shape).toEqual([2, 3]);
    expect(big.dtype).toBe('float64');
    expect(Array.from(big.data as Float64Array)).toEqual([
      1.5,
      -2,
      NaN,
      Infinity,
      0.25,
      7
    ]);
    // write_array(f, np.arange(6, dtype='<u2').reshape(2, 3), version=(2, 0))
    const v2 = parseNpy(
      base64(
        'k05VTVBZAgB0AAAAeydkZXNjcic6ICc8dTInLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAEAAgADAAQABQA='
      )
    );
    expect(v2.shape).toEqual([2, 3]);
    expect(Array.from(v2.data as Uint16Array)).toEqual([0, 1, 2, 3, 4, 5]);
    // write_array(f, np.array([True, False, True]))
    const flags = parseNpy(
      base64(
        'k05VTVBZAQB2AHsnZGVzY3InOiAnfGIxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoBAAE='
      )
    );
    expect(flags.dtype).toBe('bool');
    expect(Array.from(flags.data as Uint8Array)).toEqual([1, 0, 1]);
  });

  it('reads version 3 headers and misaligned data', () => {
    const values = new Float64Array([3.5, -1]);
    const v3 = parseNpy(
      npy('<f8', [2], new Uint8Array(values.buffer), { version: 3 })
    );
    expect(Array.from(v3.data as Float64Array)).toEqual([3.5, -1]);
    // A header padded to 11 bytes puts the float64 data off its alignment.
    const odd = parseNpy(
      npy('<f8', [2], new Uint8Array(values.buffer), { pad: 11 })
    );
    expect(Array.from(odd.data as Float64Array)).toEqual([3.5, -1]);
  });

  it('widens half floats', () => {
    // 1.0, -2.0, 0.5, inf, nan as IEEE half precision
    const halves = new Uint16Array([0x3c00, 0xc000, 0x3800, 0x7c00, 0x7e00]);
    const array = parseNpy(npy('<f2', [5], new Uint8Array(halves.buffer)));
    expect(array.dtype).toBe('float16');
    expect(Array.from(array.data as Float32Array)).toEqual([
      1,
      -2,
      0.5,
      Infinity,
      NaN
    ]);
  });

  it('reads scalars and empty arrays', () => {
    const scalar = parseNpy(
      npy('<f8', [], new Uint8Array(new Float64Array([42]).buffer))
    );
    expect(scalar.shape).toEqual([]);
    expect(Array.from(scalar.data as Float64Array)).toEqual([42]);
    const empty = parseNpy(npy('<f4', [0, 3], new Uint8Array(0)));
    expect(empty.shape).toEqual([0, 3]);
    expect(empty.data.length).toBe(0);
  });

  it('refuses bad magic, Fortran order, unsupported types and truncation', () => {
    const good = npy('<f4', [2], new Uint8Array(8));
    const bad = new Uint8Array(good.slice(0));
    bad[1] = 0x58;
    expect(() => parseNpy(bad.buffer)).toThrow(/magic/);
    expect(() =>
      parseNpy(npy('<f4', [2, 2], new Uint8Array(16), { fortran: true }))
    ).toThrow(/Fortran/);
    expect(() => parseNpy(npy('<c8', [1], new Uint8Array(8)))).toThrow(
      /Unsupported .npy element type '<c8'/
    );
    expect(() => parseNpy(npy('<f4', [4], new Uint8Array(8)))).toThrow(
      /Truncated/
    );
    const future = new Uint8Array(good.slice(0));
    future[6] = 9;
    expect(() => parseNpy(future.buffer)).toThrow(/version 9/);
    expect(() => parseNpy(new ArrayBuffer(4))).toThrow(/magic/);
  });
});

describe('toImage', () => {
  const array = (shape: number[], values: number[]) => ({
    shape,
    dtype: 'float64',
    data: new Float64Array(values)
  });

  it('keeps 2-D arrays row-major', () => {
    const image = toImage(array([2, 3], [0, 1, 2, 3, 4, 5]));
    expect([image.width, image.height]).toEqual([3, 2]);
    expect(image.data[1 * 3 + 2]).toBe(5);
  });

  it('picks one channel of a (h, w, k) stack', () => {
    // Two detectors over a 2 × 2 scan: value = 10 * pixel + detector.
    const values = [0, 1, 10, 11, 20, 21, 30, 31];
    expect(Array.from(toImage(array([2, 2, 2], values), 1).data)).toEqual([
      1, 11, 21, 31
    ]);
    expect(Array.from(toImage(array([2, 2, 2], values)).data)).toEqual([
      0, 10, 20, 30
    ]);
    expect(() => toImage(array([2, 2, 2], values), 2)).toThrow(/Channel 2/);
  });

  it('makes a 1-D array one row high and refuses 4-D arrays', () => {
    const line = toImage(array([4], [1, 2, 3, 4]));
    expect([line.width, line.height]).toEqual([4, 1]);
    expect(() => toImage(array([1, 1, 1, 1], [0]))).toThrow(/4-D/);
  });
});
