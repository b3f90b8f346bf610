/**
 * A brick as a NIfTI-1 file in memory: the format niivue reads, with the block size
 * (voxel spacing) in the header so the 3-D pane keeps the volume's proportions.
 * Pure (no DOM), so unit-testable.
 */
import type { INDArray } from '../viewer/npy';

/** NIfTI-1 `datatype` codes of the element types a brick may have. */
const DATATYPES: Record<string, { code: number; bits: number }> = {
  uint8: { code: 2, bits: 8 },
  int16: { code: 4, bits: 16 },
  int32: { code: 8, bits: 32 },
  float32: { code: 16, bits: 32 },
  int8: { code: 256, bits: 8 },
  uint16: { code: 512, bits: 16 }
};

/** Bytes before the voxels: the 348-byte header and the 4-byte extension flag. */
export const NIFTI_OFFSET = 352;

/**
 * The voxels in a type NIfTI readers share: kept when they have one, else
 * float32 (intensities) or int32 (labels, which must stay whole numbers).
 */
export function niftiCompatible(array: INDArray): INDArray {
  if (array.dtype in DATATYPES) {
    return array;
  }
  const integer = /^u?int/.test(array.dtype);
  const data = integer
    ? Int32Array.from(array.data as ArrayLike<number>, Number)
    : Float32Array.from(array.data as ArrayLike<number>, Number);
  return { shape: array.shape, dtype: integer ? 'int32' : 'float32', data };
}

/**
 * A NIfTI-1 file of a (z, y, x) array (C order, so x varies fastest as NIfTI wants),
 * with `spacing` (z, y, x) as its voxel size and an sform that scales by it.
 */
export function niftiBytes(
  array: INDArray,
  spacing: [number, number, number]
): ArrayBuffer {
  const values = niftiCompatible(array);
  const type = DATATYPES[values.dtype];
  const [nz, ny, nx] = values.shape;
  const [sz, sy, sx] = spacing;
  const dataBytes = values.data.byteLength;
  const buffer = new ArrayBuffer(NIFTI_OFFSET + dataBytes);
  const view = new DataView(buffer);
  view.setInt32(0, 348, true); // sizeof_hdr
  const dims = [3, nx, ny, nz, 1, 1, 1, 1];
  dims.forEach((value, i) => view.setInt16(40 + 2 * i, value, true));
  view.setInt16(70, type.code, true);
  view.setInt16(72, type.bits, true);
  const pixdim = [1, sx, sy, sz, 1, 1, 1, 1];
  pixdim.forEach((value, i) => view.setFloat32(76 + 4 * i, value, true));
  view.setFloat32(108, NIFTI_OFFSET, true); // vox_offset
  view.setFloat32(112, 1, true); // scl_slope
  view.setUint8(123, 2); // xyzt_units: millimetres (niivue's world unit)
  view.setInt16(254, 1, true); // sform_code: scanner
  const rows = [
    [sx, 0, 0, 0],
    [0, sy, 0, 0],
    [0, 0, sz, 0]
  ];
  rows.forEach((row, r) =>
    row.forEach((value, c) =>
      view.setFloat32(280 + 16 * r + 4 * c, value, true)
    )
  );
  'n+1\0'
    .split('')
    .forEach((ch, i) => view.setUint8(344 + i, ch.charCodeAt(0)));
  new Uint8Array(buffer, NIFTI_OFFSET).set(
    new Uint8Array(values.data.buffer, values.data.byteOffset, dataBytes)
  );
  return buffer;
}
