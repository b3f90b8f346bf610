/**
 * `GET repositories/{repo}/volume/{path}`: a downsampled brick, a finer brick of a
 * box, or a full-resolution plane, as NPY voxels with their description in the
 * `X-Remotem-Volume` header.
 */
import { RemotemAPI } from '../api';
import { encodePath } from '../format';
import { INDArray, parseNpy } from '../viewer/npy';

/** What the server says about the voxels it sent. */
export interface IVolumeHeader {
  /** The whole array's shape (z, y, x) and element type. */
  shape: [number, number, number];
  dtype: string;
  axes: Array<{ name: string; scale: number; offset: number; units: string }>;
  array_shape: number[];
  array_dtype: string;
  /** The smallest and largest finite value sent (null when none is finite). */
  range: [number, number] | null;
  view: 'brick' | 'slice';
  /** A brick's box of the array, block sizes and reduction. */
  box?: Array<[number, number]>;
  factors?: [number, number, number];
  method?: 'mean' | 'mode';
  axis?: string;
  index?: number;
}

export interface IVolumeAnswer {
  array: INDArray;
  header: IVolumeHeader;
}

/** Where a volume is: a repository, a path and, for containers, the array inside. */
export interface IVolumeSource {
  repository: string;
  path: string;
  dataset: string | null;
}

/** Fetch voxels of a volume (`params` as the API names them). */
export async function fetchVolume(
  api: RemotemAPI,
  source: IVolumeSource,
  params: Record<string, string | number | boolean | null | undefined>,
  signal?: AbortSignal
): Promise<IVolumeAnswer> {
  const query: Record<string, string> = {};
  for (const [key, value] of Object.entries({
    ...params,
    dataset: source.dataset
  })) {
    if (value !== null && value !== undefined && value !== '') {
      query[key] =
        typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
    }
  }
  const response = await api.request(
    api.url(
      [
        'repositories',
        encodeURIComponent(source.repository),
        'volume',
        encodePath(source.path)
      ],
      query
    ),
    signal
  );
  const header = JSON.parse(
    response.headers.get('X-Remotem-Volume') ?? '{}'
  ) as IVolumeHeader;
  return { array: parseNpy(await response.arrayBuffer()), header };
}
