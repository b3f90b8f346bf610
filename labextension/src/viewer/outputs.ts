/**
 * Names, endings and places of saved results (pure, so unit-testable).
 */
import type { IRepository, OutputFormat } from '../api';
import type { SaveWhat } from './model';

/** Output formats offered, with their file endings. */
export const OUTPUT_FORMATS: ReadonlyArray<{
  format: OutputFormat;
  ending: string;
}> = [
  { format: 'hdf5', ending: '.h5' },
  { format: 'hspy', ending: '.hspy' },
  { format: 'npy', ending: '.npy' },
  { format: 'tiff', ending: '.tif' },
  { format: 'png', ending: '.png' }
];

export interface ISaveValue {
  repository: string;
  path: string;
  format: OutputFormat;
  what: SaveWhat;
}

/**
 * `path` with the ending of `format` in place of a known ending (or added).
 */
export function withEnding(path: string, format: OutputFormat): string {
  const ending =
    OUTPUT_FORMATS.find(f => f.format === format)?.ending ?? `.${format}`;
  const known = /\.(h5|hdf5|hspy|npy|tif|tiff|png)$/i;
  return known.test(path) ? path.replace(known, ending) : path + ending;
}

/**
 * A name for a result beside its dataset: "scan-ring.h5" for a ring on scan.h5.
 */
export function suggestedPath(
  datasetPath: string,
  label: string,
  format: OutputFormat
): string {
  const slash = datasetPath.lastIndexOf('/');
  const folder = slash >= 0 ? datasetPath.slice(0, slash + 1) : '';
  const name = datasetPath.slice(slash + 1).replace(/\.[^.]*$/, '');
  const tag = label.replace(/[^\w-]+/g, '-').replace(/^-+|-+$/g, '');
  return withEnding(`${folder}${name}${tag ? `-${tag}` : ''}`, format);
}

/**
 * Writable repositories, the one beside the user's notebooks first.
 */
export function saveTargets(repositories: IRepository[]): IRepository[] {
  return repositories
    .filter(repository => repository.writable)
    .sort((a, b) => Number(!!b.home) - Number(!!a.home));
}
