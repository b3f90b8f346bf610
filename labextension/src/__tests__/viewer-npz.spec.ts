import { INDArray } from '../viewer/npy';
import { parseNpz } from '../viewer/npz';
import {
  base64Bytes,
  COMPRESSED_NPZ,
  MIXED_ENTRIES_END,
  MIXED_NPZ,
  SERVER_NPZ,
  STREAMED_NPZ,
  ZIP64_DIRECTORY
} from './npzfixtures';

/** An array's values as plain numbers (NaN kept). */
function values(array: INDArray | undefined): number[] {
  return Array.from(array!.data as ArrayLike<number | bigint>, Number);
}

/** Offsets of a 4-byte little-endian signature in `bytes`. */
function signatures(bytes: Uint8Array, signature: number): number[] {
  const view = new DataView(bytes.buffer);
  const found: number[] = [];
  for (let at = 0; at + 4 <= bytes.length; at++) {
    if (view.getUint32(at, true) === signature) {
      found.push(at);
    }
  }
  return found;
}

describe('parseNpz', () => {
  it('reads every array of the server answer, by field name, in order', () => {
    const arrays = parseNpz(base64Bytes(SERVER_NPZ));
    expect(Array.from(arrays.keys())).toEqual([
      'magnitude',
      'shift_y',
      'shift_x'
    ]);
    const shiftY = arrays.get('shift_y')!;
    expect(shiftY.shape).toEqual([2, 3]);
    expect(shiftY.dtype).toBe('float32');
    expect(values(shiftY)).toEqual([0, -1, 2, NaN, 1.5, 0]);
    expect(values(arrays.get('shift_x'))).toEqual([1, 0, -2, NaN, 0, 0.5]);
  });

  it('takes sizes from the directory, not from the 0xFFFFFFFF local headers numpy writes', () => {
    const bytes = new Uint8Array(base64Bytes(SERVER_NPZ));
    const view = new DataView(bytes.buffer);
    const locals = signatures(bytes, 0x04034b50);
    expect(locals).toHaveLength(3);
    // The case the parser exists for: numpy's force_zip64 local headers.
    for (const at of locals) {
      expect(view.getUint32(at + 18, true)).toBe(0xffffffff);
      expect(view.getUint32(at + 22, true)).toBe(0xffffffff);
    }
    expect(parseNpz(bytes.buffer).size).toBe(3);
  });

  it('reads several element types, shapes and a positional array', () => {
    const arrays = parseNpz(base64Bytes(MIXED_NPZ));
    expect(Array.from(arrays.keys())).toEqual([
      'counts',
      'mask',
      'half',
      'big',
      'scalar',
      'cube',
      'arr_0'
    ]);
    const summary: Record<string, unknown> = {};
    arrays.forEach((array, name) => {
      summary[name] = [array.dtype, array.shape, values(array)];
    });
    expect(summary).toEqual({
      counts: ['uint16', [2, 2], [1, 65535, 7, 0]],
      mask: ['bool', [3], [1, 0, 1]],
      half: ['float16', [2], [1.5, -2]],
      big: ['float64', [2], [0.25, 1e300]],
      scalar: ['float64', [], [3.5]],
      cube: ['uint8', [2, 2, 2], [0, 1, 2, 3, 4, 5, 6, 7]],
      arr_0: ['int64', [3], [-1, 0, 1]]
    });
  });

  it('reads an archive written without seeking (sizes in data descriptors)', () => {
    const arrays = parseNpz(base64Bytes(STREAMED_NPZ));
    expect(values(arrays.get('ramp'))).toEqual([0, 0.25, 0.5, 0.75, 1]);
  });

  it('reads ZIP64 end records and directory entries', () => {
    const entries = new Uint8Array(
      base64Bytes(MIXED_NPZ),
      0,
      MIXED_ENTRIES_END
    );
    const directory = new Uint8Array(base64Bytes(ZIP64_DIRECTORY));
    const bytes = new Uint8Array(entries.length + directory.length);
    bytes.set(entries);
    bytes.set(directory, entries.length);
    expect(signatures(bytes, 0x06064b50)).toHaveLength(1);
    const arrays = parseNpz(bytes.buffer);
    expect(Array.from(arrays.keys())).toEqual(
      Array.from(parseNpz(base64Bytes(MIXED_NPZ)).keys())
    );
    expect(values(arrays.get('big'))).toEqual([0.25, 1e300]);
    expect(values(arrays.get('arr_0'))).toEqual([-1, 0, 1]);
  });

  it('refuses a compressed archive and says what to write instead', () => {
    expect(() => parseNpz(base64Bytes(COMPRESSED_NPZ))).toThrow(
      /'a\.npy' is compressed \(np\.savez_compressed\).*np\.savez/
    );
  });

  it('refuses bytes cut short, wherever they end', () => {
    const bytes = base64Bytes(SERVER_NPZ);
    for (const keep of [
      0,
      3,
      4,
      100,
      bytes.byteLength / 2,
      bytes.byteLength - 1
    ]) {
      expect(() => parseNpz(bytes.slice(0, keep))).toThrow(
        keep >= 4 ? /^Truncated \.npz file/ : /^Not a \.npz file/
      );
    }
  });

  it('refuses an archive whose middle is missing', () => {
    const bytes = new Uint8Array(base64Bytes(SERVER_NPZ));
    const holed = new Uint8Array(bytes.length - 40);
    holed.set(bytes.subarray(0, 200));
    holed.set(bytes.subarray(240), 200);
    expect(() => parseNpz(holed.buffer)).toThrow(/\.npz file/);
  });

  it('refuses data that is not a ZIP archive', () => {
    const text = new TextEncoder().encode('{"error": "not an archive"}');
    expect(() => parseNpz(text.buffer)).toThrow(
      'Not a .npz file: the bytes are not a ZIP archive.'
    );
  });

  it('names the entry whose array cannot be read', () => {
    const bytes = new Uint8Array(base64Bytes(STREAMED_NPZ));
    // Turn the stored array's header to Fortran order, which the viewer cannot show.
    const header = new TextDecoder('latin1').decode(bytes);
    const at = header.indexOf("'fortran_order': False");
    bytes.set(new TextEncoder().encode("'fortran_order': True "), at);
    expect(() => parseNpz(bytes.buffer)).toThrow(
      /^The \.npz entry 'ramp\.npy': Fortran-ordered \.npy arrays are not supported/
    );
  });

  it('refuses an entry that is not a .npy array', () => {
    const bytes = new Uint8Array(base64Bytes(STREAMED_NPZ));
    // Rename ramp.npy to ramp.txt in the directory (the name the parser trusts).
    const view = new DataView(bytes.buffer);
    const central = signatures(bytes, 0x02014b50)[0];
    const nameAt = central + 46 + view.getUint16(central + 28, true) - 3;
    bytes.set(new TextEncoder().encode('txt'), nameAt);
    expect(() => parseNpz(bytes.buffer)).toThrow(
      "The .npz entry 'ramp.txt' is not a .npy array"
    );
  });
});
