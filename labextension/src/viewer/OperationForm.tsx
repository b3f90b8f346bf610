/**
 * The form of a declared reduction shown as the navigation image (mode 'operation'):
 * one field per parameter of its JSON Schema, the array shown when it answers
 * several images of the scan, and the plane shown of an array with an index axis
 * (which component of a decomposition's scores). Values are committed on Enter or when a field loses
 * focus; an empty field is the server's default (or, when required, still to give).
 */
import React from 'react';

import type { IOperationDim, IOperationInfo } from '../api';
import { useTranslation } from '../i18n';
import { NumberField } from './NumberField';
import {
  choicePlaneAxis,
  formFields,
  IFormField,
  IOperationChoice,
  missingParameters,
  outputOf,
  scanImages,
  shownPlane
} from './operationmode';
import { planeChoices } from './planes';

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

/**
 * Which plane of an array with an index axis is shown (a component of the scores,
 * a peak): the axis's name and its planes, as many as the answer holds.
 */
function PlaneSelect(props: {
  axis: IOperationDim;
  index: number;
  planes: number | null;
  onChange: (index: number) => void;
}): JSX.Element {
  const { axis, index } = props;
  return (
    <label title={axis.description || axis.name}>
      {axis.name}
      <select
        className="jp-remotem-select"
        aria-label={axis.name}
        data-testid="operation-plane"
        value={index}
        onChange={event => props.onChange(Number(event.target.value))}
      >
        {planeChoices(props.planes, index).map(i => (
          <option key={i} value={i}>
            {i}
          </option>
        ))}
      </select>
    </label>
  );
}

export function OperationForm(props: {
  operation: IOperationInfo;
  choice: IOperationChoice;
  onChange: (choice: IOperationChoice) => void;
  /** Planes of the answer along the shown array's index axis, once answered. */
  planes?: number | null;
}): JSX.Element {
  const { operation, choice, onChange } = props;
  const trans = useTranslation();
  const images = scanImages(operation);
  const missing = missingParameters(choice);
  const axis = choicePlaneAxis(operation, choice);
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
          onChange={event =>
            onChange({ ...choice, field: event.target.value, index: 0 })
          }
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
      {axis && (
        <PlaneSelect
          axis={axis}
          index={shownPlane(choice)}
          planes={props.planes ?? null}
          onChange={index => onChange({ ...choice, index })}
        />
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
