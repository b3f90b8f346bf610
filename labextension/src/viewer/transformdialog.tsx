/**
 * "Transform…": a chain of the transformations the server declares, written as a
 * new dataset by a job. The dialog lists them for the open dataset (those that
 * cannot run on it disabled, with the server's reason), takes steps one after
 * another, each with a form made from its parameters' JSON Schema (moved up or
 * down, removed), shows the quote of the chain (`POST jobs?dry_run=1`: bytes read
 * and written, time, where it leaves the quota) or the server's refusal as it is
 * said, with its hint, picks the output (a writable repository and a path named
 * after the source and its steps), and submits the job, which the viewer and the
 * Jobs section then follow.
 */
import { showErrorMessage } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import {
  caretDownIcon,
  caretUpIcon,
  closeIcon,
  LabIcon
} from '@jupyterlab/ui-components';
import React, { useEffect, useId, useRef, useState } from 'react';

import {
  IJob,
  IJobDryRun,
  IOperationInfo,
  IReductionJobRequest,
  IRepository,
  RemotemError
} from '../api';
import {
  explainNoWritableRepository,
  askForm,
  quotaRefusal,
  Refusals,
  useBlockedAccept,
  useDryRun
} from '../dialogs';
import { formatShape } from '../format';
import { useTranslation } from '../i18n';
import {
  ChoiceField,
  ErrorMessage,
  PathField,
  targetChoices
} from '../widgets';
import { saveTargets } from './outputs';
import type { ViewerModel } from './model';
import type { ISource } from './state';
import {
  IStep,
  IStepField,
  newStep,
  quoteLines,
  readChain,
  readStep,
  StepEntry,
  stepFields,
  transformations,
  transformPath,
  transformRequest
} from './transform';

/** What the dialog holds: the steps, and where the new dataset goes. */
export interface ITransformValue {
  steps: IStep[];
  repository: string;
  path: string;
  /** Replace a file of that name. */
  overwrite: boolean;
}

/** Asks the server what the job would cost and whether it fits the quota. */
export type TransformQuote = (
  request: IReductionJobRequest,
  signal: AbortSignal
) => Promise<IJobDryRun>;

export interface ITransformFormProps {
  source: ISource;
  /** The dataset's shape, said beside its name. */
  shape?: number[] | null;
  /** What `GET operations` answered for the dataset. */
  operations: IOperationInfo[];
  /** The repositories the dataset may be written to. */
  repositories: IRepository[];
  initial: ITransformValue;
  /** The server's refusal of the last submission. */
  error: RemotemError | null;
  quote: TransformQuote | null;
  onChange: (value: ITransformValue) => void;
}

/** The operations the steps name, in order. */
function operationsOf(steps: ReadonlyArray<IStep>): string[] {
  return steps.map(step => step.operation);
}

/** What a field takes, in words, for the message of a field typed wrong. */
function expected(field: IStepField, trans: TranslationBundle): string {
  switch (field.kind) {
    case 'list':
      return trans.__('a list: JSON, or values separated by commas');
    case 'json':
      return trans.__('a JSON value');
    case 'integer':
    case 'number': {
      const what =
        field.kind === 'integer'
          ? trans.__('a whole number')
          : trans.__('a number');
      if (field.minimum !== null && field.maximum !== null) {
        return trans.__('%1 from %2 to %3', what, field.minimum, field.maximum);
      }
      if (field.minimum !== null) {
        return trans.__('%1 ≥ %2', what, field.minimum);
      }
      if (field.maximum !== null) {
        return trans.__('%1 ≤ %2', what, field.maximum);
      }
      return what;
    }
    default:
      return trans.__('one of the values offered');
  }
}

/** One field of a step's form; every keystroke is kept (Enter submits the dialog). */
function StepParameter(props: {
  field: IStepField;
  entry: StepEntry | undefined;
  invalid: boolean;
  onChange: (entry: StepEntry) => void;
}): JSX.Element {
  const { field, entry, invalid, onChange } = props;
  const trans = useTranslation();
  const messageId = useId();
  const label = field.unit ? `${field.name} (${field.unit})` : field.name;
  const title =
    field.description +
    (field.required ? '' : trans.__(' — may be left empty'));
  const testId = `transform-param-${field.name}`;
  if (field.kind === 'boolean') {
    return (
      <label className="jp-remotem-check" title={field.description}>
        <input
          type="checkbox"
          data-testid={testId}
          checked={entry === true}
          onChange={event => onChange(event.target.checked)}
        />
        {label}
      </label>
    );
  }
  if (field.kind === 'choice') {
    const value = typeof entry === 'string' ? entry : '';
    return (
      <label className="jp-remotem-field" title={title}>
        <span>{label}</span>
        <select
          className="jp-remotem-select"
          data-testid={testId}
          aria-required={field.required}
          value={value}
          onChange={event => onChange(event.target.value)}
        >
          {(!field.required || value === '') && (
            <option value="" disabled={field.required}>
              {field.required ? trans.__('Choose…') : trans.__('default')}
            </option>
          )}
          {field.values.map((option, index) => (
            <option key={index} value={String(index)}>
              {String(option)}
            </option>
          ))}
        </select>
      </label>
    );
  }
  return (
    <label className="jp-remotem-field" title={title}>
      <span>{label}</span>
      <input
        className="jp-mod-styled jp-remotem-transform-input"
        type="text"
        spellCheck={false}
        inputMode={
          field.kind === 'number' || field.kind === 'integer'
            ? 'decimal'
            : undefined
        }
        data-testid={testId}
        aria-required={field.required}
        aria-invalid={invalid}
        aria-describedby={invalid ? messageId : undefined}
        placeholder={field.required ? '' : trans.__('default')}
        value={typeof entry === 'string' ? entry : ''}
        onChange={event => onChange(event.target.value)}
      />
      {invalid && (
        <span id={messageId} className="jp-remotem-transform-invalid">
          {trans.__('%1 takes %2.', field.name, expected(field, trans))}
        </span>
      )}
    </label>
  );
}

/** A step's small button: an icon, named for screen readers. */
function StepButton(props: {
  icon: LabIcon;
  action: string;
  label: string;
  disabled?: boolean;
  onClick: () => void;
}): JSX.Element {
  return (
    <button
      type="button"
      className="jp-Button jp-mod-minimal jp-remotem-transform-step-button"
      data-action={props.action}
      aria-label={props.label}
      title={props.label}
      disabled={props.disabled}
      onClick={props.onClick}
    >
      <props.icon.react tag="span" />
    </button>
  );
}

/** Where focus goes after the steps changed: a step's field or button, or the picker. */
interface IFocusTarget {
  key: number | null;
  action: string | null;
}

export function TransformForm(props: ITransformFormProps): JSX.Element {
  const { source, operations } = props;
  const trans = useTranslation();
  const [value, setValue] = useState<ITransformValue>(props.initial);
  useEffect(() => props.onChange(value), [value]);
  const offered = transformations(operations);
  const [picked, setPicked] = useState<string>(
    () => offered.find(op => op.available)?.name ?? ''
  );
  const pickedOperation = offered.find(op => op.name === picked) ?? null;
  const focus = useRef<IFocusTarget | null>(null);

  // The steps changed: the path follows while it is still the one offered.
  const setSteps = (change: (steps: IStep[]) => IStep[]) =>
    setValue(current => {
      const steps = change(current.steps);
      const offeredPath = transformPath(
        source.path,
        operationsOf(current.steps)
      );
      return {
        ...current,
        steps,
        path:
          current.path.trim() === offeredPath
            ? transformPath(source.path, operationsOf(steps))
            : current.path
      };
    });

  const add = () => {
    if (!pickedOperation?.available) {
      return;
    }
    const key = Math.max(0, ...value.steps.map(step => step.key)) + 1;
    focus.current = { key, action: null };
    setSteps(steps => [...steps, newStep(pickedOperation, key)]);
  };
  const move = (index: number, by: number) => {
    const key = value.steps[index].key;
    focus.current = { key, action: by < 0 ? 'up' : 'down' };
    setSteps(steps => {
      const next = [...steps];
      const [step] = next.splice(index, 1);
      next.splice(index + by, 0, step);
      return next;
    });
  };
  const remove = (index: number) => {
    const after = value.steps[index + 1] ?? value.steps[index - 1] ?? null;
    focus.current = { key: after?.key ?? null, action: 'remove' };
    setSteps(steps => steps.filter((_, i) => i !== index));
  };
  const setEntry = (index: number, name: string, entry: StepEntry) =>
    setSteps(steps =>
      steps.map((step, i) =>
        i === index
          ? { ...step, entries: { ...step.entries, [name]: entry } }
          : step
      )
    );

  const chain = readChain(operations, value.steps);
  const path = value.path.trim();
  const request =
    chain && value.repository && path
      ? transformRequest(source, chain, {
          repository: value.repository,
          path,
          overwrite: value.overwrite
        })
      : null;
  const { quote } = props;
  const { dryRun, error: quoteError } = useDryRun(
    request && quote ? signal => quote(request, signal) : null,
    JSON.stringify(request)
  );
  const refusal = quotaRefusal(dryRun);
  // The name is taken: replace it (ticked), or take the free name offered.
  const taken =
    dryRun?.target?.exists && !value.overwrite ? dryRun.target : null;
  const incomplete = value.steps.findIndex(step => {
    const operation = operations.find(op => op.name === step.operation);
    if (!operation) {
      return true;
    }
    const read = readStep(operation, step);
    return read.invalid.length > 0 || read.missing.length > 0;
  });
  const blocked = !value.steps.length
    ? trans.__('Add a step first.')
    : incomplete >= 0
      ? trans.__('Complete step %1 first.', incomplete + 1)
      : !value.repository || !path
        ? trans.__('Choose where to write the new dataset.')
        : quoteError?.status === 400
          ? quoteError.message
          : taken
            ? trans.__('%1 exists: replace it, or choose another name.', path)
            : (refusal?.reason ?? null);
  const form = useBlockedAccept<HTMLDivElement>(blocked);

  // Focus follows the step added, moved or removed (keyboard users stay in place).
  useEffect(() => {
    const target = focus.current;
    focus.current = null;
    const node = form.current;
    if (!target || !node) {
      return;
    }
    const step =
      target.key === null
        ? null
        : node.querySelector(`[data-step-key="${target.key}"]`);
    const candidates = step
      ? [
          ...(target.action
            ? [`[data-action="${target.action}"]:not(:disabled)`]
            : ['input, select']),
          '[data-action]:not(:disabled)'
        ]
      : ['.jp-remotem-transform-pick'];
    for (const selector of candidates) {
      const element = (step ?? node).querySelector<HTMLElement>(selector);
      if (element) {
        element.focus();
        return;
      }
    }
  }, [value.steps]);

  return (
    <div className="jp-remotem-transform-form" ref={form}>
      <div className="jp-remotem-transform-source">
        <span>{trans.__('Transform')}</span>{' '}
        <code>{`${source.repository}:${source.path}`}</code>
        {source.dataset ? ` ${source.dataset}` : ''}
        {props.shape ? ` (${formatShape(props.shape)})` : ''}
      </div>
      <div className="jp-remotem-transform-add">
        <label className="jp-remotem-field">
          <span>{trans.__('Transformation')}</span>
          <select
            className="jp-remotem-select jp-remotem-transform-pick"
            data-testid="transform-pick"
            value={picked}
            onChange={event => setPicked(event.target.value)}
          >
            {!offered.some(op => op.available) && (
              <option value="" disabled>
                {trans.__('None can run on this dataset')}
              </option>
            )}
            {offered.map(op => (
              <option
                key={op.name}
                value={op.name}
                disabled={!op.available}
                title={op.available ? op.description : (op.reason ?? '')}
              >
                {op.available
                  ? op.name
                  : trans.__(
                      '%1 — unavailable: %2',
                      op.name,
                      op.reason ?? trans.__('not on this dataset')
                    )}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          className="jp-Button jp-mod-styled jp-remotem-transform-add-step"
          disabled={!pickedOperation?.available}
          onClick={add}
        >
          {trans.__('Add step')}
        </button>
      </div>
      {pickedOperation && (
        <div className="jp-remotem-note jp-remotem-transform-about">
          {pickedOperation.available
            ? pickedOperation.description
            : pickedOperation.reason}
        </div>
      )}
      {value.steps.length === 0 ? (
        <div className="jp-remotem-note jp-remotem-transform-empty">
          {trans.__(
            'Add the steps in the order they are done; each works on what the one before made.'
          )}
        </div>
      ) : (
        <ol
          className="jp-remotem-transform-steps"
          aria-label={trans.__('Steps')}
        >
          {value.steps.map((step, index) => {
            const operation =
              operations.find(op => op.name === step.operation) ?? null;
            const fields = operation ? stepFields(operation) : [];
            const read = operation ? readStep(operation, step) : null;
            return (
              <li
                key={step.key}
                className="jp-remotem-transform-step"
                data-step-key={step.key}
                data-operation={step.operation}
              >
                <fieldset>
                  <legend title={operation?.description}>
                    {trans.__('Step %1: %2', index + 1, step.operation)}
                  </legend>
                  <div className="jp-remotem-transform-step-body">
                    {fields.map(field => (
                      <StepParameter
                        key={field.name}
                        field={field}
                        entry={step.entries[field.name]}
                        invalid={!!read?.invalid.includes(field.name)}
                        onChange={entry => setEntry(index, field.name, entry)}
                      />
                    ))}
                    {operation && fields.length === 0 && (
                      <span className="jp-remotem-note">
                        {trans.__('No parameters.')}
                      </span>
                    )}
                    <div className="jp-remotem-transform-step-actions">
                      <StepButton
                        icon={caretUpIcon}
                        action="up"
                        label={trans.__('Move step %1 up', index + 1)}
                        disabled={index === 0}
                        onClick={() => move(index, -1)}
                      />
                      <StepButton
                        icon={caretDownIcon}
                        action="down"
                        label={trans.__('Move step %1 down', index + 1)}
                        disabled={index === value.steps.length - 1}
                        onClick={() => move(index, 1)}
                      />
                      <StepButton
                        icon={closeIcon}
                        action="remove"
                        label={trans.__('Remove step %1', index + 1)}
                        onClick={() => remove(index)}
                      />
                    </div>
                  </div>
                  {read && read.missing.length > 0 && (
                    <div
                      className="jp-remotem-transform-missing"
                      data-testid="transform-missing"
                    >
                      {trans.__('Give %1.', read.missing.join(', '))}
                    </div>
                  )}
                  {!operation && (
                    <div className="jp-remotem-transform-missing">
                      {trans.__(
                        'The server no longer declares %1: remove this step.',
                        step.operation
                      )}
                    </div>
                  )}
                </fieldset>
              </li>
            );
          })}
        </ol>
      )}
      <fieldset className="jp-remotem-transform-output">
        <legend>{trans.__('New dataset')}</legend>
        <div className="jp-remotem-transform-where">
          <ChoiceField
            label={trans.__('Repository')}
            className="jp-remotem-transform-repository"
            value={value.repository}
            options={targetChoices(trans, props.repositories)}
            onChange={repository =>
              setValue(current => ({ ...current, repository }))
            }
          />
          <PathField
            label={trans.__('Path (HDF5)')}
            className="jp-remotem-transform-path"
            value={value.path}
            onChange={path => setValue(current => ({ ...current, path }))}
          />
        </div>
        <label className="jp-remotem-check">
          <input
            type="checkbox"
            className="jp-remotem-transform-overwrite"
            checked={value.overwrite}
            onChange={event =>
              setValue(current => ({
                ...current,
                overwrite: event.target.checked
              }))
            }
          />
          {trans.__('Replace a file of that name')}
        </label>
        {taken && (
          <p className="jp-remotem-transform-taken" role="status">
            {trans.__('%1 exists in %2.', path, value.repository)}{' '}
            {taken.free_path && (
              <button
                type="button"
                className="jp-mod-styled jp-mod-reject"
                data-testid="transform-free-name"
                onClick={() =>
                  setValue(current => ({
                    ...current,
                    path: taken.free_path ?? current.path
                  }))
                }
              >
                {trans.__('Use %1', taken.free_path)}
              </button>
            )}
          </p>
        )}
      </fieldset>
      <div
        className="jp-remotem-transform-quote"
        data-testid="transform-quote"
        aria-live="polite"
      >
        {dryRun && (
          <dl>
            {quoteLines(dryRun, trans).map(([label, text]) => (
              <React.Fragment key={label}>
                <dt>{label}</dt>
                <dd>{text}</dd>
              </React.Fragment>
            ))}
          </dl>
        )}
        {quoteError && <ErrorMessage error={quoteError} />}
      </div>
      <Refusals
        refusal={refusal}
        error={props.error}
        edited={value !== props.initial}
      />
    </div>
  );
}

/** The form's body; the transformation picker has the focus first. */

/**
 * Ask for a chain of transformations of `source` and where to write it, and
 * submit the job with `submit`. Server refusals reopen the dialog with their
 * message. Resolves with the job, or null when cancelled.
 */
export async function askToTransform(options: {
  trans: TranslationBundle;
  source: ISource;
  shape?: number[] | null;
  operations: IOperationInfo[];
  repositories: IRepository[];
  quote: TransformQuote;
  submit: (request: IReductionJobRequest) => Promise<IJob>;
}): Promise<IJob | null> {
  const { trans, source, operations } = options;
  const targets = saveTargets(options.repositories);
  if (!targets.length) {
    await explainNoWritableRepository(trans);
    return null;
  }
  // Beside the dataset when its repository is writable, else the notebook folder.
  const own = targets.find(repository => repository.name === source.repository);
  let value: ITransformValue = {
    steps: [],
    repository: (own ?? targets[0]).name,
    path: transformPath(source.path, []),
    overwrite: false
  };
  let error: RemotemError | null = null;
  for (;;) {
    const props = {
      source,
      shape: options.shape ?? null,
      operations,
      repositories: targets,
      initial: value,
      error,
      quote: options.quote
    };
    const answer = await askForm<ITransformValue>({
      trans,
      title: trans.__('Transform…'),
      accept: trans.__('Transform'),
      value,
      form: onChange => <TransformForm {...props} onChange={onChange} />,
      className: 'jp-remotem-transform-dialog',
      focus: '.jp-remotem-transform-pick'
    });
    if (!answer) {
      return null;
    }
    value = answer;
    const chain = readChain(operations, value.steps);
    const path = value.path.trim();
    if (!chain) {
      error = new RemotemError(
        value.steps.length
          ? trans.__('Give every step what it needs.')
          : trans.__('Add a step first.'),
        0,
        'invalid',
        null
      );
      continue;
    }
    if (!value.repository || !path) {
      error = new RemotemError(
        trans.__('Choose where to write the new dataset.'),
        0,
        'invalid',
        null
      );
      continue;
    }
    try {
      return await options.submit(
        transformRequest(source, chain, {
          repository: value.repository,
          path,
          overwrite: value.overwrite
        })
      );
    } catch (reason) {
      error = RemotemError.from(reason);
    }
  }
}

/**
 * "Transform…" of the dataset a viewer computes on: the dialog, with the operations
 * and repositories the viewer read (asked again when it could not), the quote from
 * `POST jobs?dry_run=1`, and the job handed to the viewer, which follows it.
 */
export async function transformDataset(
  model: ViewerModel,
  trans: TranslationBundle
): Promise<IJob | null> {
  const source = model.source;
  if (!source) {
    return null;
  }
  let operations: IOperationInfo[];
  let repositories: IRepository[];
  try {
    [operations, repositories] = await Promise.all([
      model.operations ??
        model.api.listOperations({
          repository: source.repository,
          path: source.path,
          dataset: source.dataset
        }),
      model.repositories?.length
        ? model.repositories
        : model.api.listRepositories()
    ]);
  } catch (reason) {
    const error = RemotemError.from(reason);
    await showErrorMessage(
      trans.__('Cannot transform'),
      [error.message, error.hint].filter(Boolean).join(' ')
    );
    return null;
  }
  return askToTransform({
    trans,
    source,
    shape: model.dataset?.shape ?? null,
    operations,
    repositories,
    quote: (request, signal) => model.api.quoteJob(request, signal),
    submit: request => model.runJob(request)
  });
}
