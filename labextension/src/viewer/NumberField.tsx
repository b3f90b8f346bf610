/**
 * A number entry that lets the user type freely and reports a value only on
 * Enter or when it loses focus, so that half-typed numbers ("1e", "-") never
 * reach the display; text that is not an acceptable number reverts.
 */
import React, { useEffect, useState } from 'react';

import { formatValue } from './scalebar';

export interface INumberFieldProps {
  /** The value shown; null shows an empty field. */
  value: number | null;
  label: string;
  testId: string;
  onCommit: (value: number) => void;
  /** Called when the field is emptied (without it, an empty field reverts). */
  onClear?: () => void;
  /** Accepted range, inclusive (default: any finite number). */
  min?: number;
  max?: number;
  /** Only whole numbers are accepted. */
  integer?: boolean;
  className?: string;
  /** The tooltip (default: the label). */
  title?: string;
  placeholder?: string;
  required?: boolean;
}

/**
 * The number in a field's text, or null when it is not one in [min, max].
 * A typographic minus counts as a minus.
 */
export function parseNumber(
  text: string,
  min = -Infinity,
  max = Infinity
): number | null {
  const trimmed = text.trim().replace('−', '-');
  const value = Number(trimmed);
  return trimmed !== '' &&
    Number.isFinite(value) &&
    value >= min &&
    value <= max
    ? value
    : null;
}

export function NumberField(props: INumberFieldProps): JSX.Element {
  const shown = props.value === null ? '' : formatValue(props.value);
  const [text, setText] = useState(shown);
  useEffect(() => setText(shown), [shown]);
  const commit = () => {
    if (text.trim() === '' && props.onClear) {
      props.onClear();
      return;
    }
    const value = parseNumber(text, props.min, props.max);
    if (value === null || (props.integer && !Number.isInteger(value))) {
      setText(shown);
    } else {
      props.onCommit(value);
    }
  };
  return (
    <input
      className={`jp-mod-styled ${props.className ?? 'jp-RemotemViewer-number'}`}
      type="text"
      inputMode="decimal"
      aria-label={props.label}
      aria-required={props.required}
      title={props.title ?? props.label}
      placeholder={props.placeholder}
      data-testid={props.testId}
      value={text}
      onChange={event => setText(event.target.value)}
      onBlur={commit}
      onKeyDown={event => {
        if (event.key === 'Enter') {
          commit();
        }
      }}
    />
  );
}
