/**
 * The form of a declared reduction shown as the navigation image (mode 'operation'):
 * one field per parameter of its JSON Schema, and the array shown when it answers
 * several images of the scan. Values are committed on Enter or when a field loses
 * focus; an empty field is the server's default (or, when required, still to give).
 */
import React from 'react';

import type { IOperationInfo } from '../api';
import { useTranslation } from '../i18n';
import { NumberField } from './NumberField';
import {
  formFields,
  IFormField,
  IOperationChoice,
  missingParameters,
  outputOf,
  scanImages
} from './operationmode';

function ParameterInput(props: {
  field: IFormField;
  value: unknown;
  onCommit: (value: unknown) => void;
}): JSX.Element {
  const { field, value, onCommit } = props;
  const trans = useTranslation();
  const label = field.unit ? `${field.name} (${field.unit})` : field.name;
  const title =
    field.description + (field.required ? '' : ' — may be left empty');
  if (field.kind === 'boolean') {
    return (
      <label title={field.description}>
        <input
          type="checkbox"
          data-testid={`operation-param-${field.name}`}
          checked={value === true}
          onChange={event => onCommit(event.target.checked)}
        />
        {field.name}
      </label>
    );
  }
  if (field.kind === 'choice') {
    return (
      <label title={field.description}>
        {label}
        <select
          className="jp-remotem-select"
          data-testid={`operation-param-${field.name}`}
          value={value === null || value === undefined ? '' : String(value)}
          onChange={event => {
            const chosen = field.options.indexOf(event.target.value);
            onCommit(chosen < 0 ? null : field.values[chosen]);
          }}
        >
          {!field.required && <option value="">—</option>}
          {field.options.map(option => (
            <option key={option} value={option}>
              {option}
            </option>
          ))}
        </select>
      </label>
    );
  }
  return (
    <label title={title}>
      {label}
      <NumberField
        value={typeof value === 'number' ? value : null}
        label={label}
        title={title}
        testId={`operation-param-${field.name}`}
        min={field.minimum ?? undefined}
        max={field.maximum ?? undefined}
        integer={field.kind === 'integer'}
        required={field.required}
        placeholder={field.required ? '' : trans.__('default')}
        onCommit={onCommit}
        onClear={() => onCommit(null)}
      />
    </label>
  );
}

export function OperationForm(props: {
  operation: IOperationInfo;
  choice: IOperationChoice;
  onChange: (choice: IOperationChoice) => void;
}): JSX.Element {
  const { operation, choice, onChange } = props;
  const trans = useTranslation();
  const images = scanImages(operation);
  const missing = missingParameters(choice);
  return (
    <fieldset
      className="jp-remotem-viewer-group jp-remotem-viewer-operation"
      data-operation={operation.name}
    >
      <legend title={operation.description}>{operation.name}</legend>
      {images.length > 1 && (
        <select
          className="jp-remotem-select"
          aria-label={trans.__('Array shown')}
          data-testid="operation-field"
          value={choice.field}
          title={outputOf(operation, choice.field)?.description}
          onChange={event => onChange({ ...choice, field: event.target.value })}
        >
          {images.map(name => (
            <option
              key={name}
              value={name}
              title={outputOf(operation, name)?.description}
            >
              {name}
            </option>
          ))}
        </select>
      )}
      {formFields(operation).map(field => (
        <ParameterInput
          key={field.name}
          field={field}
          value={choice.params[field.name]}
          onCommit={value =>
            onChange({
              ...choice,
              params: { ...choice.params, [field.name]: value }
            })
          }
        />
      ))}
      {missing.length > 0 && (
        <span
          className="jp-remotem-viewer-hint"
          data-testid="operation-missing"
        >
          {trans.__('Give %1 to compute the image.', missing.join(', '))}
        </span>
      )}
    </fieldset>
  );
}
