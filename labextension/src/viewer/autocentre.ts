/**
 * The automatic CoM centre: the server's `direct_beam` operation finds the brightest
 * disk of the mean frame (the way previews place their bright field), and the viewer
 * puts the reference centre there.
 */
import { IReductionRequest, RemotemAPI, RemotemError } from '../api';
import { parseNpy } from './npy';
import type { ISource } from './state';

/** The operation that answers `[cx, cy, r]` of the direct beam. */
export const DIRECT_BEAM = 'direct_beam';

/** Centre and radius of the direct beam, in frame pixels. */
export interface IBeam {
  cx: number;
  cy: number;
  r: number;
}

/**
 * The direct beam of `source`'s mean frame: of every frame when that is quick
 * enough, else (refused as too large for an interactive answer) of a subsampled
 * scan, which finds the same beam.
 */
export async function findDirectBeam(
  api: RemotemAPI,
  source: ISource,
  signal?: AbortSignal
): Promise<IBeam & { coarse: boolean }> {
  const request: IReductionRequest = {
    repository: source.repository,
    path: source.path,
    dataset: source.dataset,
    operation: DIRECT_BEAM,
    params: {},
    roi: null
  };
  let coarse = false;
  let answer: ArrayBuffer;
  try {
    answer = (await api.reduceNpy(request, 'beam', signal)).buffer;
  } catch (reason) {
    if (!(reason instanceof RemotemError) || reason.status !== 413) {
      throw reason;
    }
    coarse = true;
    answer = (await api.reduceNpy({ ...request, coarse: true }, 'beam', signal))
      .buffer;
  }
  const beam = parseNpy(answer);
  if (beam.data.length !== 3) {
    throw new RemotemError(
      'The server answered no direct beam [cx, cy, r].',
      0,
      'bad_answer',
      null
    );
  }
  const [cx, cy, r] = Array.from(beam.data as Float64Array, Number);
  return { cx, cy, r, coarse };
}
