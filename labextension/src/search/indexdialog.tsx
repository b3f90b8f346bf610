/**
 * "Index…": which repository to index for the catalog (the selected one, or all those
 * shown), each as a job of the Jobs section.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import React, { useState } from 'react';

import { IJob } from '../api';
import { askForm } from '../dialogs';
import { useTranslation } from '../i18n';
import { ChoiceField } from '../widgets';
import { CatalogAPI } from './catalogapi';

/** The choice that indexes every repository shown. */
export const ALL_REPOSITORIES = '';

/**
 * The repositories a choice indexes: the one chosen, or all of them.
 */
export function repositoriesToIndex(
  choice: string,
  repositories: string[]
): string[] {
  return choice === ALL_REPOSITORIES ? repositories : [choice];
}

/**
 * Ask which repositories to index (`selected` first), then start one index job for each;
 * resolves with the jobs, none when the user cancelled. A refusal rejects.
 */
export async function indexRepositories(
  catalog: CatalogAPI,
  repositories: string[],
  selected: string | null,
  trans: TranslationBundle
): Promise<IJob[]> {
  if (!repositories.length) {
    return [];
  }
  const initial =
    selected !== null && repositories.includes(selected)
      ? selected
      : ALL_REPOSITORIES;
  const options = [
    ...repositories.map(name => ({ value: name, label: name })),
    {
      value: ALL_REPOSITORIES,
      label: trans._n(
        'The repository shown',
        'All %1 repositories shown',
        repositories.length
      )
    }
  ];
  const answer = await askForm<string>({
    trans,
    title: trans.__('Index for search'),
    accept: trans.__('Index'),
    value: initial,
    form: onChange => (
      <IndexForm initial={initial} options={options} onChange={onChange} />
    ),
    className: 'jp-remotem-index-dialog'
  });
  if (answer === null) {
    return [];
  }
  const jobs: IJob[] = [];
  for (const name of repositoriesToIndex(answer, repositories)) {
    jobs.push(await catalog.index(name));
  }
  return jobs;
}

function IndexForm(props: {
  initial: string;
  options: { value: string; label: string }[];
  onChange: (value: string) => void;
}): JSX.Element {
  const trans = useTranslation();
  const [value, setValue] = useState(props.initial);
  return (
    <div className="jp-remotem-search-form">
      <p className="jp-remotem-note">
        {trans.__(
          'Indexing reads the metadata of every file and a sample of its frames, as a job of the Jobs section; a second run reads only what changed.'
        )}
      </p>
      <ChoiceField<string>
        label={trans.__('Repository')}
        className="jp-remotem-index-repository"
        value={value}
        options={props.options}
        onChange={next => {
          setValue(next);
          props.onChange(next);
        }}
      />
    </div>
  );
}
