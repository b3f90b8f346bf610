/**
 * A result saved earlier as the navigation image: which saved files can serve (the
 * user's finished jobs on the viewed dataset), and whether an array fits the scan.
 * A fitting array has the scan's shape, or the scan's shape and one more axis of
 * channels (a virtual-detector result, one plane per detector), which the viewer
 * reads one plane at a time. Pure functions only, so that all of it is unit-testable.
 */
import type { IJob } from '../api';
import { formatShape } from '../format';
import { ISource, parseLocation } from './state';

/** The result formats that hold an array the viewer can read back. */
export const NAVIGABLE_FORMATS: ReadonlyArray<string> = ['npy', 'hdf5', 'hspy'];

/** A saved result offered as navigation image. */
export interface INavCandidate {
  repository: string;
  path: string;
  format: string;
  operation: string;
  /** When the job that wrote it ended (or was created), ISO. */
  date: string | null;
  jobId: string;
}

/**
 * The format of a result file, from the job's word or else the file's ending.
 */
function formatOf(path: string, said: string | null | undefined): string {
  if (said) {
    return said;
  }
  const lower = path.toLowerCase();
  if (lower.endsWith('.npy')) {
    return 'npy';
  }
  if (lower.endsWith('.hspy')) {
    return 'hspy';
  }
  return /\.(h5|hdf5)$/.test(lower) ? 'hdf5' : '';
}

/**
 * The array files that the user's finished reduction jobs on `source` wrote, newest
 * job first (as the server lists them). Sidecars, pictures and TIFFs are left out,
 * and a file written again by a later job (a save over the same name) is offered
 * once, as its newest job.
 */
export function navCandidates(
  jobs: ReadonlyArray<IJob>,
  source: ISource
): INavCandidate[] {
  const candidates: INavCandidate[] = [];
  const offered = new Set<string>();
  for (const job of jobs) {
    const request = job.request ?? {};
    const dataset = request.dataset ?? null;
    if (
      job.phase !== 'COMPLETED' ||
      job.kind !== 'reduction' ||
      request.repository !== source.repository ||
      request.path !== source.path ||
      (dataset !== null && dataset !== source.dataset)
    ) {
      continue;
    }
    for (const result of job.results ?? []) {
      const format = formatOf(result.path, result.format);
      const key = resultLocationText({ ...result, dataset: null });
      if (NAVIGABLE_FORMATS.includes(format) && !offered.has(key)) {
        offered.add(key);
        candidates.push({
          repository: result.repository,
          path: result.path,
          format,
          operation: job.operation ?? request.operation ?? job.kind,
          date: job.ended ?? job.created ?? null,
          jobId: job.id
        });
      }
    }
  }
  return candidates;
}

/**
 * "repository:path" or "repository:path#/internal/array" as typed; null when malformed.
 */
export function parseResultLocation(
  text: string
): { repository: string; path: string; dataset: string | null } | null {
  const hash = text.indexOf('#');
  const location = parseLocation(hash >= 0 ? text.slice(0, hash) : text);
  if (!location) {
    return null;
  }
  const dataset = hash >= 0 ? text.slice(hash + 1).trim() : '';
  return { ...location, dataset: dataset || null };
}

/**
 * A saved result's location as the user types it.
 */
export function resultLocationText(result: {
  repository: string;
  path: string;
  dataset?: string | null;
}): string {
  return `${result.repository}:${result.path}${result.dataset ? `#${result.dataset}` : ''}`;
}

/** How the scan's image lies in a fitting array. */
export type ResultLayout =
  /** The scan's shape exactly. */
  | 'image'
  /** Scan axes, then channels: numpy and HDF5 results of several detectors. */
  | 'channels-last'
  /** Channels, then scan axes: a HyperSpy stack of images. */
  | 'channels-first';

/** A fitting array: how to read the chosen plane of it. */
export interface IResultFit {
  layout: ResultLayout;
  /** The number of planes (1 for an image). */
  channels: number;
  /** The numpy slice of the chosen plane (`GET data?slice=`). */
  slice: string;
}

function sameShape(
  a: ReadonlyArray<number>,
  b: ReadonlyArray<number>
): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}

/**
 * How an array of `shape` (in a file of `format`) serves as the navigation image of
 * a scan of `navShape`, showing plane `channel`; or why it cannot, in words.
 */
export function fitResult(
  shape: ReadonlyArray<number>,
  format: string | null,
  navShape: ReadonlyArray<number>,
  channel: number
): { fit: IResultFit } | { problem: string } {
  const rank = navShape.length;
  const needed = `${formatShape(navShape)} (or ${formatShape(navShape)} × channels)`;
  let layout: ResultLayout | null = null;
  if (rank < 1 || rank > 2) {
    return {
      problem: `A saved result can be the navigation image of a scan with 1 or 2 scan axes; this scan has ${rank}.`
    };
  }
  if (sameShape(shape, navShape)) {
    layout = 'image';
  } else if (
    shape.length === rank + 1 &&
    sameShape(shape.slice(0, rank), navShape)
  ) {
    layout = 'channels-last';
  } else if (
    // HyperSpy writes a stack of detector images with the detectors first.
    format === 'hspy' &&
    shape.length === rank + 1 &&
    sameShape(shape.slice(1), navShape)
  ) {
    layout = 'channels-first';
  }
  if (layout === null) {
    return {
      problem: `This result's shape is ${formatShape(shape)}; the scan's is ${needed}.`
    };
  }
  const channels =
    layout === 'image'
      ? 1
      : layout === 'channels-last'
        ? shape[rank]
        : shape[0];
  if (!Number.isInteger(channel) || channel < 0 || channel >= channels) {
    return {
      problem:
        channels === 1
          ? `This result has one image; channel ${channel} does not exist.`
          : `This result has ${channels} channels (0 to ${channels - 1}); channel ${channel} does not exist.`
    };
  }
  const slice =
    layout === 'image'
      ? '...'
      : layout === 'channels-last'
        ? `...,${channel}`
        : `${channel},...`;
  return { fit: { layout, channels, slice } };
}
