/**
 * Reading NumPy `.npz` bytes, the answer of `POST reductions?format=npz`: every
 * result array of one reduction in one response, so that a view needing several
 * of them (the CoM colour wheel needs both shifts) costs the server one pass.
 *
 * An `.npz` is a ZIP archive of `<name>.npy` entries. `np.savez` stores them
 * uncompressed but writes ZIP64 local headers whose sizes read 0xFFFFFFFF (the
 * real sizes follow in an extra field, or in a data descriptor after the data
 * when the writer could not seek back), so sizes and offsets are taken from the
 * central directory, which is authoritative, and never from the local headers.
 */
import { INDArray, parseNpy } from './npy';

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const ZIP64_END_LOCATOR = 0x07064b50;
const ZIP64_END_OF_CENTRAL_DIRECTORY = 0x06064b50;
const ZIP64_EXTRA = 0x0001;
/** A 16- or 32-bit field that says "see the ZIP64 record". */
const MAX_16 = 0xffff;
const MAX_32 = 0xffffffff;
const END_RECORD_SIZE = 22;
const ZIP64_LOCATOR_SIZE = 20;
const CENTRAL_HEADER_SIZE = 46;
const LOCAL_HEADER_SIZE = 30;
const STORED = 0;
const ENCRYPTED_FLAG = 0x0001;

/**
 * Where the central directory lies and how many entries it lists.
 */
interface IDirectory {
  count: number;
  offset: number;
  size: number;
}

/**
 * One entry of the central directory.
 */
interface IEntryRecord {
  name: string;
  method: number;
  flags: number;
  size: number;
  localOffset: number;
}

/**
 * Parse the bytes of a `.npz` file into its arrays, by name without `.npy`
 * (`np.savez(f, a, b=b)` gives `arr_0` and `b`), in archive order.
 *
 * Compressed archives (`np.savez_compressed`), truncated bytes and anything that
 * is not a ZIP archive of `.npy` files are refused with an Error that says which.
 */
export function parseNpz(buffer: ArrayBuffer): Map<string, INDArray> {
  const view = new DataView(buffer);
  const directory = readDirectory(view);
  const arrays = new Map<string, INDArray>();
  let at = directory.offset;
  for (let i = 0; i < directory.count; i++) {
    const entry = readEntryRecord(view, at);
    at = entry.next;
    const name = arrayName(entry.record.name);
    if (arrays.has(name)) {
      throw new Error(`Malformed .npz file: the array '${name}' occurs twice.`);
    }
    arrays.set(
      name,
      parseEntry(entry.record.name, entryBytes(buffer, view, entry.record))
    );
  }
  return arrays;
}

/**
 * One entry's array; its errors name the entry.
 */
function parseEntry(name: string, bytes: ArrayBuffer): INDArray {
  try {
    return parseNpy(bytes);
  } catch (reason) {
    throw new Error(`The .npz entry '${name}': ${(reason as Error).message}`);
  }
}

/**
 * Find the end record (and, when its fields overflowed, the ZIP64 end record).
 */
function readDirectory(view: DataView): IDirectory {
  const end = findEndRecord(view);
  if (end < 0) {
    throw new Error(
      isZipStart(view)
        ? 'Truncated .npz file: the ZIP directory at its end is missing.'
        : 'Not a .npz file: the bytes are not a ZIP archive.'
    );
  }
  const count = view.getUint16(end + 10, true);
  const size = view.getUint32(end + 12, true);
  const offset = view.getUint32(end + 16, true);
  const locator = end - ZIP64_LOCATOR_SIZE;
  const overflowed = count === MAX_16 || size === MAX_32 || offset === MAX_32;
  if (
    locator >= 0 &&
    view.getUint32(locator, true) === ZIP64_END_LOCATOR &&
    overflowed
  ) {
    return readZip64Directory(view, uint64(view, locator + 8));
  }
  if (offset + size > end) {
    throw new Error(
      'Truncated .npz file: the ZIP directory points past the data that arrived.'
    );
  }
  return { count, offset, size };
}

function readZip64Directory(view: DataView, at: number): IDirectory {
  if (
    at + 56 > view.byteLength ||
    view.getUint32(at, true) !== ZIP64_END_OF_CENTRAL_DIRECTORY
  ) {
    throw new Error(
      'Malformed .npz file: the ZIP64 end record is not where its locator says.'
    );
  }
  const directory = {
    count: uint64(view, at + 32),
    size: uint64(view, at + 40),
    offset: uint64(view, at + 48)
  };
  if (directory.offset + directory.size > at) {
    throw new Error(
      'Truncated .npz file: the ZIP directory points past the data that arrived.'
    );
  }
  return directory;
}

/**
 * The offset of the end-of-central-directory record, searched backwards past a
 * trailing archive comment of up to 64 KiB; -1 when there is none.
 */
function findEndRecord(view: DataView): number {
  const last = view.byteLength - END_RECORD_SIZE;
  const first = Math.max(0, last - MAX_16);
  for (let at = last; at >= first; at--) {
    if (
      view.getUint32(at, true) === END_OF_CENTRAL_DIRECTORY &&
      at + END_RECORD_SIZE + view.getUint16(at + 20, true) === view.byteLength
    ) {
      return at;
    }
  }
  return -1;
}

function isZipStart(view: DataView): boolean {
  return view.byteLength >= 4 && view.getUint32(0, true) === LOCAL_HEADER;
}

/**
 * Read the central directory entry at `at`; `next` is where the following one starts.
 */
function readEntryRecord(
  view: DataView,
  at: number
): { record: IEntryRecord; next: number } {
  if (
    at + CENTRAL_HEADER_SIZE > view.byteLength ||
    view.getUint32(at, true) !== CENTRAL_HEADER
  ) {
    throw new Error(
      'Malformed or truncated .npz file: the ZIP directory is not where its end record says.'
    );
  }
  const nameLength = view.getUint16(at + 28, true);
  const extraLength = view.getUint16(at + 30, true);
  const commentLength = view.getUint16(at + 32, true);
  const nameStart = at + CENTRAL_HEADER_SIZE;
  const extraStart = nameStart + nameLength;
  const next = extraStart + extraLength + commentLength;
  if (next > view.byteLength) {
    throw new Error(
      'Malformed .npz file: an entry of the ZIP directory is cut short.'
    );
  }
  const name = new TextDecoder('utf-8').decode(
    new Uint8Array(view.buffer, view.byteOffset + nameStart, nameLength)
  );
  // ZIP64: each 32-bit field that reads 0xFFFFFFFF comes, in this order, as a
  // 64-bit value of the ZIP64 extra field.
  const wide = zip64Fields(view, extraStart, extraLength);
  const pick = (value: number): number =>
    value === MAX_32 ? (wide.shift() ?? missingZip64(name)) : value;
  const compressedSize = view.getUint32(at + 20, true);
  // Read only to keep the order of the ZIP64 values; a stored entry's bytes are
  // its compressed size.
  pick(view.getUint32(at + 24, true));
  const size = pick(compressedSize);
  const localOffset = pick(view.getUint32(at + 42, true));
  return {
    record: {
      name,
      method: view.getUint16(at + 10, true),
      flags: view.getUint16(at + 8, true),
      size,
      localOffset
    },
    next
  };
}

/**
 * The 64-bit values of an extra block's ZIP64 field, in order (none when absent).
 */
function zip64Fields(view: DataView, start: number, length: number): number[] {
  let at = start;
  while (at + 4 <= start + length) {
    const id = view.getUint16(at, true);
    const size = view.getUint16(at + 2, true);
    if (id === ZIP64_EXTRA) {
      const values: number[] = [];
      for (let i = 0; i + 8 <= size; i += 8) {
        values.push(uint64(view, at + 4 + i));
      }
      return values;
    }
    at += 4 + size;
  }
  return [];
}

function missingZip64(name: string): never {
  throw new Error(
    `Malformed .npz file: the ZIP64 sizes of '${name}' are missing.`
  );
}

/**
 * The `.npy` bytes of an entry, checked to be stored, plain and complete.
 */
function entryBytes(
  buffer: ArrayBuffer,
  view: DataView,
  entry: IEntryRecord
): ArrayBuffer {
  if (entry.flags & ENCRYPTED_FLAG) {
    throw new Error(
      `Encrypted .npz entries are not supported ('${entry.name}').`
    );
  }
  if (entry.method !== STORED) {
    throw new Error(
      `The .npz entry '${entry.name}' is compressed (np.savez_compressed); only uncompressed archives (np.savez) can be read.`
    );
  }
  const at = entry.localOffset;
  if (
    at + LOCAL_HEADER_SIZE > view.byteLength ||
    view.getUint32(at, true) !== LOCAL_HEADER
  ) {
    throw new Error(
      `Malformed .npz file: the data of '${entry.name}' is not where the ZIP directory says.`
    );
  }
  const start =
    at +
    LOCAL_HEADER_SIZE +
    view.getUint16(at + 26, true) +
    view.getUint16(at + 28, true);
  if (start + entry.size > view.byteLength) {
    throw new Error(
      `Truncated .npz file: the data of '${entry.name}' is cut short.`
    );
  }
  // A copy of its own: the typed arrays parseNpy makes then start aligned.
  return buffer.slice(start, start + entry.size);
}

/**
 * The array's name: the entry's name without `.npy`.
 */
function arrayName(entryName: string): string {
  if (!entryName.endsWith('.npy')) {
    throw new Error(
      `The .npz entry '${entryName}' is not a .npy array; only archives written by np.savez can be read.`
    );
  }
  return entryName.slice(0, -'.npy'.length);
}

/**
 * A little-endian 64-bit unsigned integer, refused beyond what a Number holds exactly.
 */
function uint64(view: DataView, at: number): number {
  const value = view.getBigUint64(at, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new Error(
      'Malformed .npz file: a ZIP64 size or offset is too large.'
    );
  }
  return Number(value);
}
