/**
 * The form of a declared reduction shown as the navigation image (mode 'operation'):
 * one field per parameter of its JSON Schema, and the array shown when it answers
 * several images of the scan. Values are committed on Enter or when a field loses
 * focus; an empty field is the server's default (or, when required, still to give).
 */
import React, { useEffect, useState } from 'react';

import type { IOperationInfo } from '../api';
import { useTranslation } from '../i18n';
import { parseNumber } from './NumberField';
import {
  formFields,
  IFormField,
  IOperationChoice,
  missingParameters,
  outputOf,
  scanImages
} from './operationmode';
import { formatValue } from './scalebar';

function ParameterInput(props: {
  field: IFormField;
  value: unknown;
  onCommit: (value: unknown) => void;
}): JSX.Element {
  const { field, value, onCommit } = props;
  const trans = useTranslation();
  const shown = typeof value === 'number' ? formatValue(value) : '';
  const [text, setText] = useState(shown);
  useEffect(() => setText(shown), [shown]);
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
          value={typeof value === 'string' ? value : ''}
          onChange={event => onCommit(event.target.value || null)}
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
  const commit = () => {
    if (text.trim() === '') {
      onCommit(null);
      return;
    }
    const number = parseNumber(
      text,
      field.minimum ?? -Infinity,
      field.maximum ?? Infinity
    );
    if (
      number === null ||
      (field.kind === 'integer' && !Number.isInteger(number))
    ) {
      setText(shown); // not a value the parameter takes: back to the last one
    } else {
      onCommit(number);
    }
  };
  return (
    <label title={title}>
      {label}
      <input
        className={
          'jp-mod-styled jp-RemotemViewer-number' +
          (field.required && value === undefined ? ' jp-mod-missing' : '')
        }
        type="text"
        inputMode="decimal"
        aria-label={label}
        aria-required={field.required}
        data-testid={`operation-param-${field.name}`}
        placeholder={field.required ? '' : trans.__('default')}
        value={text}
        onChange={event => setText(event.target.value)}
        onBlur={commit}
        onKeyDown={event => {
          if (event.key === 'Enter') {
            commit();
          }
        }}
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
