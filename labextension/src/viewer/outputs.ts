/**
 * Names, endings and places of saved results (pure, so unit-testable).
 */
import type { IPictureOptions, IRepository, OutputFormat } from '../api';
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
  /** The user chose to replace the file of that name. */
  replace?: boolean;
  /** Size, scale bar and colour bar of a PNG (`view.picture`). */
  picture?: IPictureOptions;
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

/** The folder part of `path` ("" at the top), with its trailing slash. */
export function folderOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash >= 0 ? path.slice(0, slash + 1) : '';
}

/** The name part of `path`. */
export function nameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/**
 * `path` with the name of `suggested` (its folder kept) and the ending of `format`:
 * what the path becomes when another result is chosen.
 */
export function renamed(
  path: string,
  suggested: string,
  format: OutputFormat
): string {
  return withEnding(folderOf(path) + nameOf(suggested), format);
}

/** Where the last save went: a repository and a folder in it. */
export interface ISavePlace {
  repository: string;
  folder: string;
}

const PLACE_KEY = 'jupyter-remotem:last-save-place';

/**
 * The repository and folder of the last save, kept in the browser (across reloads
 * and viewers), or null.
 */
export function lastSavePlace(
  storage: Storage | null = safeStorage()
): ISavePlace | null {
  try {
    const raw = storage?.getItem(PLACE_KEY);
    const place = raw ? (JSON.parse(raw) as Partial<ISavePlace>) : null;
    return place &&
      typeof place.repository === 'string' &&
      typeof place.folder === 'string'
      ? { repository: place.repository, folder: place.folder }
      : null;
  } catch {
    return null;
  }
}

/** Remember where a save went (its repository and the folder of `path`). */
export function rememberSavePlace(
  repository: string,
  path: string,
  storage: Storage | null = safeStorage()
): void {
  try {
    storage?.setItem(
      PLACE_KEY,
      JSON.stringify({ repository, folder: folderOf(path) })
    );
  } catch {
    // No storage (private mode, quota): the next save starts beside the dataset.
  }
}

/**
 * The first value of a save dialog: `initial`, moved to the last save's repository
 * and folder when that repository is still among `targets`.
 */
export function placedInitial(
  initial: ISaveValue,
  targets: IRepository[],
  place: ISavePlace | null
): ISaveValue {
  if (place && targets.some(t => t.name === place.repository)) {
    return {
      ...initial,
      repository: place.repository,
      path: place.folder + nameOf(initial.path)
    };
  }
  return targets.some(t => t.name === initial.repository)
    ? initial
    : { ...initial, repository: targets[0]?.name ?? '' };
}

function safeStorage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}
