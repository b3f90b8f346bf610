/**
 * Tags and notes on the selected file, in its details: those the caller may see, with
 * their author and who sees them; add a tag or a note for yourself, a group or every
 * reader of the repository; delete your own. They live in the catalog, never in the file.
 */
import { closeIcon } from '@jupyterlab/ui-components';
import React, { useCallback, useEffect, useState } from 'react';

import { isAbort, RemotemError } from '../api';
import { useTranslation } from '../i18n';
import { ChoiceField, ErrorMessage, IconButton, Spinner } from '../widgets';
import {
  draftProblem,
  sortedAnnotations,
  visibilityChoices,
  visibilityText
} from './annotationrows';
import { CatalogAPI } from './catalogapi';
import { annotationRequest } from './request';
import {
  AnnotationKind,
  AnnotationVisibility,
  IAnnotation,
  IEntryTarget
} from './types';

/**
 * Mount it with a `key` per entry, so another entry starts from a clean state.
 */
export function AnnotationsEditor(props: {
  catalog: CatalogAPI;
  target: IEntryTarget;
}): JSX.Element {
  const { catalog, target } = props;
  const trans = useTranslation();
  const [items, setItems] = useState<IAnnotation[] | null>(null);
  const [error, setError] = useState<RemotemError | null>(null);
  const [attempt, setAttempt] = useState(0);
  const [kind, setKind] = useState<AnnotationKind>('tag');
  const [value, setValue] = useState('');
  const [visibility, setVisibility] = useState<AnnotationVisibility>('private');
  const [group, setGroup] = useState('');
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    const controller = new AbortController();
    catalog
      .annotations(target, controller.signal)
      .then(found => {
        setItems(found);
        setError(null);
      })
      .catch(reason => {
        if (!isAbort(reason)) {
          setError(RemotemError.from(reason));
        }
      });
    return () => controller.abort();
  }, [catalog, target.repository, target.path, target.dataset, attempt]);

  const reload = useCallback(() => setAttempt(n => n + 1), []);

  const problem = draftProblem(value, visibility, group, trans);
  const add = async () => {
    if (problem || saving) {
      return;
    }
    setSaving(true);
    try {
      await catalog.annotate(
        annotationRequest(target, kind, value, visibility, group)
      );
      setValue('');
      setError(null);
      reload();
    } catch (reason) {
      setError(RemotemError.from(reason));
    } finally {
      setSaving(false);
    }
  };

  const remove = async (annotation: IAnnotation) => {
    try {
      await catalog.deleteAnnotation(annotation.id);
      setError(null);
    } catch (reason) {
      setError(RemotemError.from(reason));
    }
    reload();
  };

  return (
    <section
      className="jp-remotem-annotations"
      aria-label={trans.__('Tags and notes')}
    >
      <h3 className="jp-remotem-annotations-title">
        {trans.__('Tags and notes')}
      </h3>
      {items === null && !error && <Spinner label={trans.__('Loading…')} />}
      {items !== null && items.length === 0 && (
        <div className="jp-remotem-note">
          {trans.__('No tags or notes yet.')}
        </div>
      )}
      {items !== null && items.length > 0 && (
        <ul className="jp-remotem-annotation-list">
          {sortedAnnotations(items).map(annotation => (
            <li
              key={annotation.id}
              className="jp-remotem-annotation"
              data-kind={annotation.kind}
              data-value={annotation.value}
              data-visibility={annotation.visibility}
            >
              <span
                className={
                  annotation.kind === 'tag'
                    ? 'jp-remotem-annotation-tag'
                    : 'jp-remotem-annotation-note'
                }
              >
                {annotation.value}
              </span>
              <span className="jp-remotem-annotation-who">
                {trans.__(
                  '%1 · %2',
                  annotation.author,
                  visibilityText(annotation, trans)
                )}
              </span>
              {annotation.mine && (
                <IconButton
                  icon={closeIcon}
                  className="jp-remotem-annotation-delete"
                  label={trans.__('Delete %1', annotation.value)}
                  title={trans.__('Delete %1', annotation.value)}
                  onClick={() => void remove(annotation)}
                />
              )}
            </li>
          ))}
        </ul>
      )}
      {error && <ErrorMessage error={error} onRetry={reload} />}
      <form
        className="jp-remotem-annotation-form"
        onSubmit={event => {
          event.preventDefault();
          void add();
        }}
      >
        <ChoiceField<AnnotationKind>
          label={trans.__('Add')}
          className="jp-remotem-annotation-kind"
          value={kind}
          options={[
            { value: 'tag', label: trans.__('Tag') },
            { value: 'note', label: trans.__('Note') }
          ]}
          onChange={setKind}
        />
        <label className="jp-remotem-field jp-remotem-annotation-value-field">
          <span>{kind === 'tag' ? trans.__('Tag') : trans.__('Note')}</span>
          {kind === 'tag' ? (
            <input
              className="jp-mod-styled jp-remotem-annotation-value"
              type="text"
              spellCheck={false}
              value={value}
              onChange={event => setValue(event.target.value)}
            />
          ) : (
            <textarea
              className="jp-mod-styled jp-remotem-annotation-value"
              rows={2}
              value={value}
              onChange={event => setValue(event.target.value)}
            />
          )}
        </label>
        <ChoiceField<AnnotationVisibility>
          label={trans.__('Who sees it')}
          className="jp-remotem-annotation-visibility"
          value={visibility}
          options={visibilityChoices(trans)}
          onChange={setVisibility}
        />
        {visibility === 'group' && (
          <label className="jp-remotem-field">
            <span>{trans.__('Group')}</span>
            <input
              className="jp-mod-styled jp-remotem-annotation-group"
              type="text"
              value={group}
              onChange={event => setGroup(event.target.value)}
            />
          </label>
        )}
        <button
          type="submit"
          className="jp-Button jp-mod-styled jp-mod-accept jp-remotem-annotation-add"
          disabled={problem !== null || saving}
          title={problem ?? undefined}
        >
          {kind === 'tag' ? trans.__('Add tag') : trans.__('Add note')}
        </button>
      </form>
    </section>
  );
}
