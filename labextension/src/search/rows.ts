/**
 * How a hit reads in the result list (no JupyterLab imports, so unit-testable).
 */
import { TranslationBundle } from '@jupyterlab/translation';

import { formatBytes, formatShape } from '../format';
import { ISearchHit } from './types';

/** One row of the result list. */
export interface IHitRow {
  /** Unique in a result list: the repository, the path and the array. */
  key: string;
  /** The file's name, with the array inside it when the hit is one. */
  name: string;
  repository: string;
  path: string;
  shape: string;
  format: string;
  size: string;
  /** Why the entry could not be read, for an unreadable one (greyed, never opened). */
  unreadable: string | null;
  /** The tooltip: where it is, and what it is. */
  title: string;
}

/** The key of a hit in a result list. */
export function hitKey(hit: ISearchHit): string {
  return `${hit.repository}\u0000${hit.path}\u0000${hit.dataset ?? ''}`;
}

export function hitRow(hit: ISearchHit, trans: TranslationBundle): IHitRow {
  const name = hit.dataset ? `${hit.name} ${hit.dataset}` : hit.name;
  const shape = formatShape(hit.shape);
  const unreadable =
    hit.status === 'unreadable'
      ? hit.reason || trans.__('The file could not be read.')
      : null;
  const where = `${hit.repository}:${hit.path}${hit.dataset ? ` ${hit.dataset}` : ''}`;
  const what = [
    shape,
    hit.dtype ?? '',
    hit.format ?? '',
    formatBytes(hit.size)
  ].filter(part => part !== '');
  const title = [where, what.join(', '), unreadable ?? '']
    .filter(part => part !== '')
    .join('\n');
  return {
    key: hitKey(hit),
    name,
    repository: hit.repository,
    path: hit.path,
    shape,
    format: hit.format ?? '',
    size: formatBytes(hit.size),
    unreadable,
    title
  };
}

/** "3 of 120 entries" beside the list. */
export function totalText(
  shown: number,
  total: number,
  trans: TranslationBundle
): string {
  if (shown >= total) {
    return trans._n('%1 entry', '%1 entries', total);
  }
  return trans._n('%2 of %1 entry', '%2 of %1 entries', total, shown);
}
