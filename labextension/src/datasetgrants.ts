/**
 * Who may see a dataset and what its last verification found, in words and back: the share
 * dialog's fields from a dataset's grants, the grants from the fields.
 */
import { TranslationBundle } from '@jupyterlab/translation';

import { IDataset, IDatasetGrant } from './datasetsapi';
import { formatDate } from './format';

export interface IShareForm {
  readers: string;
  writers: string;
  groups: string;
  groupRole: 'read' | 'write';
}

/** Names in a comma- or space-separated list. */
function names(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map(name => name.trim())
    .filter(Boolean);
}

/** The share form's fields from the grants a dataset has. */
export function shareForm(grants: IDatasetGrant[]): IShareForm {
  const users = (role: string) =>
    grants
      .filter(g => g.user && g.role === role)
      .map(g => g.user)
      .join(', ');
  const groups = grants.filter(g => g.group);
  return {
    readers: users('read'),
    writers: users('write'),
    groups: groups.map(g => g.group).join(', '),
    groupRole: groups.some(g => g.role === 'write') ? 'write' : 'read'
  };
}

/** The grants a filled share form asks for. */
export function grantsOf(form: IShareForm): IDatasetGrant[] {
  return [
    ...names(form.readers).map(user => ({ user, role: 'read' as const })),
    ...names(form.writers).map(user => ({ user, role: 'write' as const })),
    ...names(form.groups).map(group => ({ group, role: form.groupRole }))
  ];
}

/** Who may read or write, in words. */
export function grantsLabel(
  grants: IDatasetGrant[],
  trans: TranslationBundle
): string {
  if (!grants.length) {
    return trans.__('only the owner');
  }
  return grants
    .map(grant =>
      grant.user
        ? trans.__('%1 (%2)', grant.user, grant.role)
        : trans.__('group %1 (%2)', grant.group ?? '', grant.role)
    )
    .join(', ');
}

/** What the last verification found, in words. */
export function verificationLabel(
  dataset: IDataset,
  trans: TranslationBundle
): string {
  const found = dataset.verification;
  if (!found || !dataset.verified) {
    return '';
  }
  const when = formatDate(dataset.verified, null);
  if (found.intact) {
    return trans.__('intact (%1)', when);
  }
  const parts = [
    found.changed.length ? trans.__('%1 changed', found.changed.length) : '',
    found.missing.length ? trans.__('%1 missing', found.missing.length) : '',
    found.added.length ? trans.__('%1 added', found.added.length) : ''
  ].filter(Boolean);
  return trans.__('%1 (%2)', parts.join(', '), when);
}
