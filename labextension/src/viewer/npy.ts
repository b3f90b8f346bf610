/**
 * Reading NumPy `.npy` bytes, the binary answer of `GET data` and of
 * `POST reductions?format=npy`, without a round trip through JSON (which
 * would cost a nested list per pixel and lose NaN).
 */

/**
 * A typed n-dimensional array in C (row-major) order.
 */
export interface INDArray {
  shape: number[];
  /** NumPy's name of the element type: 'float32', 'uint16', 'bool', ... */
  dtype: string;
  data:
    | Float32Array
    | Float64Array
    | Int8Array
    | Uint8Array
    | Int16Array
    | Uint16Array
    | Int32Array
    | Uint32Array
    | BigInt64Array
    | BigUint64Array;
}

/**
 * A 2-D image of numbers, row-major (`data[y * width + x]`); NaN marks missing pixels.
 */
export interface IImage {
  width: number;
  height: number;
  data: Float64Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

type TypedArrayConstructor = {
  new (
    buffer: ArrayBuffer,
    byteOffset?: number,
    length?: number
  ): INDArray['data'];
  BYTES_PER_ELEMENT: number;
};

/**
 * Element types by their `kind + itemsize` code, with the DataView getter
 * used when the bytes must be swapped or copied.
 */
const TYPES: Record<
  string,
  { name: string; array: TypedArrayConstructor; getter: string }
> = {
  b1: { name: 'bool', array: Uint8Array, getter: 'getUint8' },
  i1: { name: 'int8', array: Int8Array, getter: 'getInt8' },
  u1: { name: 'uint8', array: Uint8Array, getter: 'getUint8' },
  i2: { name: 'int16', array: Int16Array, getter: 'getInt16' },
  u2: { name: 'uint16', array: Uint16Array, getter: 'getUint16' },
  i4: { name: 'int32', array: Int32Array, getter: 'getInt32' },
  u4: { name: 'uint32', array: Uint32Array, getter: 'getUint32' },
  i8: { name: 'int64', array: BigInt64Array, getter: 'getBigInt64' },
  u8: { name: 'uint64', array: BigUint64Array, getter: 'getBigUint64' },
  f4: { name: 'float32', array: Float32Array, getter: 'getFloat32' },
  f8: { name: 'float64', array: Float64Array, getter: 'getFloat64' }
};

/**
 * Parse the bytes of a `.npy` file (format versions 1, 2 and 3).
 *
 * Little-, big- and no-endian (`<`, `>`, `|`) element types are accepted;
 * half floats are widened to float32. Fortran-ordered, structured, complex
 * and object arrays are refused with an Error that says so.
 */
export function parseNpy(buffer: ArrayBuffer): INDArray {
  const bytes = new Uint8Array(buffer);
  if (
    bytes.length < 10 ||
    MAGIC.some((value, index) => bytes[index] !== value)
  ) {
    throw new Error(
      'Not a .npy file: the magic string "\\x93NUMPY" is missing.'
    );
  }
  const major = bytes[6];
  const view = new DataView(buffer);
  let headerLength: number;
  let headerStart: number;
  if (major === 1) {
    headerLength = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) {
      throw new Error('Truncated .npy file: the header length is missing.');
    }
    headerLength = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw new Error(`Unsupported .npy format version ${major}.`);
  }
  const dataStart = headerStart + headerLength;
  if (dataStart > bytes.length) {
    throw new Error('Truncated .npy file: the header is incomplete.');
  }
  const decoder = new TextDecoder(major === 3 ? 'utf-8' : 'latin1');
  const header = decoder.decode(bytes.subarray(headerStart, dataStart));
  const { descr, fortranOrder, shape } = parseHeader(header);
  if (fortranOrder) {
    throw new Error(
      'Fortran-ordered .npy arrays are not supported; save the array in C order (np.ascontiguousarray).'
    );
  }
  const size = shape.reduce((a, b) => a * b, 1);
  const data = decodeElements(buffer, dataStart, descr, size);
  return { shape, dtype: data.dtype, data: data.values };
}

function parseHeader(header: string): {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
} {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shape) {
    if (/'descr'\s*:\s*\[/.test(header)) {
      throw new Error(
        'Structured .npy arrays (record dtypes) are not supported.'
      );
    }
    throw new Error(`Malformed .npy header: ${header.trim()}`);
  }
  const dims = shape[1]
    .split(',')
    .map(part => part.trim())
    .filter(part => part.length > 0)
    .map(part => {
      const value = Number(part.replace(/L$/, ''));
      if (!Number.isInteger(value) || value < 0) {
        throw new Error(`Malformed .npy shape: (${shape[1]}).`);
      }
      return value;
    });
  return { descr: descr[1], fortranOrder: fortran[1] === 'True', shape: dims };
}

function decodeElements(
  buffer: ArrayBuffer,
  offset: number,
  descr: string,
  size: number
): { dtype: string; values: INDArray['data'] } {
  const match = /^([<>|=]?)([biuf])(\d+)$/.exec(descr);
  if (!match) {
    throw new Error(
      `Unsupported .npy element type '${descr}': only booleans, integers and real floats can be shown.`
    );
  }
  const [, order, kind, itemsizeText] = match;
  const itemsize = Number(itemsizeText);
  const needed = offset + size * itemsize;
  if (needed > buffer.byteLength) {
    throw new Error(
      `Truncated .npy file: ${size} elements of ${itemsize} bytes need ${needed} bytes, got ${buffer.byteLength}.`
    );
  }
  const littleEndian = order !== '>';
  if (kind === 'f' && itemsize === 2) {
    return {
      dtype: 'float16',
      values: decodeHalf(buffer, offset, size, littleEndian)
    };
  }
  const type = TYPES[`${kind}${itemsize}`];
  if (!type) {
    throw new Error(`Unsupported .npy element type '${descr}'.`);
  }
  const swap = itemsize > 1 && littleEndian !== hostIsLittleEndian();
  if (!swap && offset % itemsize === 0) {
    return { dtype: type.name, values: new type.array(buffer, offset, size) };
  }
  // Misaligned or foreign byte order: copy element by element.
  const values = new type.array(new ArrayBuffer(size * itemsize));
  const view = new DataView(buffer, offset, size * itemsize);
  const get = (view as any)[type.getter].bind(view) as (
    at: number,
    little?: boolean
  ) => number | bigint;
  for (let i = 0; i < size; i++) {
    (values as any)[i] = get(i * itemsize, littleEndian);
  }
  return { dtype: type.name, values };
}

function decodeHalf(
  buffer: ArrayBuffer,
  offset: number,
  size: number,
  littleEndian: boolean
): Float32Array {
  const view = new DataView(buffer, offset, size * 2);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const h = view.getUint16(i * 2, littleEndian);
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >> 10) & 0x1f;
    const fraction = h & 0x3ff;
    if (exponent === 0) {
      out[i] = sign * fraction * 2 ** -24;
    } else if (exponent === 0x1f) {
      out[i] = fraction ? NaN : sign * Infinity;
    } else {
      out[i] = sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
    }
  }
  return out;
}

function hostIsLittleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

/**
 * One 2-D image out of an array: a 2-D array as it is, channel `index` of a
 * 3-D `(height, width, k)` array (virtual detectors answer `nav_shape + (k,)`),
 * a 1-D array as an image one row high, a scalar as a single pixel.
 */
export function toImage(array: INDArray, index = 0): IImage {
  const { shape, data } = array;
  let height: number;
  let width: number;
  let channels = 1;
  if (shape.length === 0) {
    height = width = 1;
  } else if (shape.length === 1) {
    height = 1;
    width = shape[0];
  } else if (shape.length === 2) {
    [height, width] = shape;
  } else if (shape.length === 3) {
    [height, width, channels] = shape;
    if (!Number.isInteger(index) || index < 0 || index >= channels) {
      throw new Error(
        `Channel ${index} does not exist: the array has ${channels} channel(s).`
      );
    }
  } else {
    throw new Error(
      `Cannot show a ${shape.length}-D array (shape ${shape.join(' × ')}) as an image.`
    );
  }
  const out = new Float64Array(width * height);
  const big = data instanceof BigInt64Array || data instanceof BigUint64Array;
  for (let i = 0; i < out.length; i++) {
    const value = data[i * channels + index];
    out[i] = big ? Number(value as bigint) : (value as number);
  }
  return { width, height, data: out };
}

/**
 * The `.npy` bytes of a table: a 1-D structured array with one little-endian
 * float64 field per column, so `numpy.load` gives named columns
 * (`table['distance (nm)']`). Format 1.0, or 3.0 (a UTF-8 header) when a name
 * needs it; the data starts 64-byte aligned.
 */
export function tableNpy(columns: string[], rows: number[][]): Uint8Array {
  if (rows.some(row => row.length !== columns.length)) {
    throw new Error(`Every row needs ${columns.length} values.`);
  }
  const name = (c: string) =>
    `'${c.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  const descr = columns.map(c => `(${name(c)}, '<f8')`).join(', ');
  const text = `{'descr': [${descr}], 'fortran_order': False, 'shape': (${rows.length},), }`;
  const utf8 = new TextEncoder().encode(text);
  const wide = utf8.length !== text.length;
  const prefix = wide ? 12 : 10;
  const total = Math.ceil((prefix + utf8.length + 1) / 64) * 64;
  const headerLength = total - prefix;
  const bytes = new Uint8Array(total + rows.length * columns.length * 8);
  bytes.set(MAGIC, 0);
  bytes[6] = wide ? 3 : 1;
  bytes[7] = 0;
  const view = new DataView(bytes.buffer);
  if (wide) {
    view.setUint32(8, headerLength, true);
  } else {
    view.setUint16(8, headerLength, true);
  }
  bytes.set(utf8, prefix);
  bytes.fill(0x20, prefix + utf8.length, total - 1);
  bytes[total - 1] = 0x0a;
  let at = total;
  for (const row of rows) {
    for (const v of row) {
      view.setFloat64(at, v, true);
      at += 8;
    }
  }
  return bytes;
}
