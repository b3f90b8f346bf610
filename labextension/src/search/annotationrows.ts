/**
 * How tags and notes read in the details panel (no JupyterLab imports, so unit-testable).
 */
import { TranslationBundle } from '@jupyterlab/translation';

import { AnnotationVisibility, IAnnotation } from './types';

/** The choices of who sees a new tag or note, in the order they are offered. */
export function visibilityChoices(
  trans: TranslationBundle
): { value: AnnotationVisibility; label: string }[] {
  return [
    { value: 'private', label: trans.__('Only me') },
    { value: 'group', label: trans.__('A group of mine') },
    { value: 'readers', label: trans.__('Everyone who may read it') }
  ];
}

/** Who sees an annotation, in words: "only its author", "group stem-lab", "all readers". */
export function visibilityText(
  annotation: Pick<IAnnotation, 'visibility' | 'group'>,
  trans: TranslationBundle
): string {
  switch (annotation.visibility) {
    case 'private':
      return trans.__('private');
    case 'group':
      return trans.__('group %1', annotation.group ?? '');
    case 'readers':
      return trans.__('all readers');
    default:
      return annotation.visibility;
  }
}

/** The tags first (by value), then the notes (oldest first). */
export function sortedAnnotations(annotations: IAnnotation[]): IAnnotation[] {
  const tags = annotations
    .filter(a => a.kind === 'tag')
    .sort((a, b) => a.value.localeCompare(b.value) || a.id - b.id);
  const notes = annotations
    .filter(a => a.kind !== 'tag')
    .sort((a, b) => a.id - b.id);
  return [...tags, ...notes];
}

/** Why a new tag or note cannot be added yet, or null when it can. */
export function draftProblem(
  value: string,
  visibility: AnnotationVisibility,
  group: string,
  trans: TranslationBundle
): string | null {
  if (value.trim() === '') {
    return trans.__('Write the tag or the note first.');
  }
  if (visibility === 'group' && group.trim() === '') {
    return trans.__('Name the group that sees it.');
  }
  return null;
}
