/**
 * The steps of the viewer's "Transform…" dialog (pure, so unit-testable): the
 * transformations the server declares (`GET operations`, kind "transformation"), one
 * form per step made from its parameters' JSON Schema, and the job that writes the
 * chain as a new dataset (`POST jobs`: the last step is the job's operation, the
 * earlier ones its `pipeline`, which the server applies lazily on the way). Nothing
 * here names a transformation: one added on the server shows with its form, and
 * what the server refuses (a step that cannot be chained, a parameter out of range)
 * is its own 400, said in the dialog as it is.
 */
import type { TranslationBundle } from '@jupyterlab/translation';

import type {
  IJobDryRun,
  IOperationInfo,
  IParameterSchema,
  IReductionJobRequest
} from '../api';
import { formatBytes, formatMoney } from '../format';
import { formatDuration } from '../jobstate';
import { formatBytesOf, formatHours } from '../quota';
import { parseNumber } from './NumberField';
import { fieldBase, formFields, IFormField, types } from './operationmode';
import { folderOf, nameOf } from './outputs';
import type { ISource } from './state';

/**
 * What a field of a step takes: the scalar kinds of the reductions' forms, a list
 * (typed as JSON, or as comma-separated values), any JSON value, or text.
 */
export type StepFieldKind = IFormField['kind'] | 'list' | 'json' | 'text';

/** One field of a step's form. */
export interface IStepField extends Omit<IFormField, 'kind'> {
  kind: StepFieldKind;
}

/**
 * What the user gave a field: the text typed, the index of the chosen value (as
 * text; '' for none), or whether a box is ticked.
 */
export type StepEntry = string | boolean;

/** One step of a chain, as the dialog holds it. */
export interface IStep {
  /** Stays with the step when others are removed or moved (React's key). */
  key: number;
  operation: string;
  entries: Record<string, StepEntry>;
}

/** A step read from its form. */
export interface IReadStep {
  operation: string;
  /** The parameters given (those left empty take the server's defaults). */
  params: Record<string, unknown>;
  /** Fields whose text is not what they take. */
  invalid: string[];
  /** Required fields left empty. */
  missing: string[];
}

/** The transformations the server declares, in its order (those that cannot run too). */
export function transformations(
  operations: ReadonlyArray<IOperationInfo> | null
): IOperationInfo[] {
  return (operations ?? []).filter(
    operation => operation.kind === 'transformation'
  );
}

/** The form of a step: one field per parameter the transformation declares, in its order. */
export function stepFields(operation: IOperationInfo): IStepField[] {
  const scalar = new Map(formFields(operation).map(f => [f.name, f]));
  const required = new Set(operation.parameters?.required ?? []);
  const fields: IStepField[] = [];
  for (const [name, p] of Object.entries(
    operation.parameters?.properties ?? {}
  )) {
    const values = Array.isArray(p.enum) ? p.enum : [];
    const base = scalar.get(name);
    if (base) {
      fields.push({ ...base, values });
      continue;
    }
    const kinds = types(p);
    const kind: StepFieldKind = kinds.includes('array')
      ? 'list'
      : kinds.includes('string') && kinds.length === 1
        ? 'text'
        : 'json';
    // Lists, text and objects: no choices or bounds of their own.
    fields.push({
      ...fieldBase(name, p, required.has(name)),
      kind,
      options: [],
      values,
      minimum: null,
      maximum: null
    });
  }
  return fields;
}

/** What a field shows first: the declared default (empty without one). */
function initialEntry(field: IStepField, schema: IParameterSchema): StepEntry {
  const value = schema.default;
  if (field.kind === 'boolean') {
    return value === true;
  }
  if (value === undefined || value === null) {
    return '';
  }
  switch (field.kind) {
    case 'choice': {
      const index = field.values.findIndex(v => v === value);
      return index >= 0 ? String(index) : '';
    }
    case 'number':
    case 'integer':
      return typeof value === 'number' ? String(value) : '';
    case 'text':
      return typeof value === 'string' ? value : '';
    default:
      return JSON.stringify(value);
  }
}

/** A step of `operation` added anew: its form holds the declared defaults. */
export function newStep(operation: IOperationInfo, key: number): IStep {
  const properties = operation.parameters?.properties ?? {};
  const entries: Record<string, StepEntry> = {};
  for (const field of stepFields(operation)) {
    entries[field.name] = initialEntry(field, properties[field.name] ?? {});
  }
  return { key, operation: operation.name, entries };
}

/** A list typed as JSON ("[2, 2]") or as its items ("2, 2"), or undefined. */
function parseList(text: string): unknown[] | null | undefined {
  for (const candidate of [text, `[${text}]`]) {
    try {
      const value = JSON.parse(candidate);
      if (value === null || Array.isArray(value)) {
        return value;
      }
    } catch {
      // not JSON: try the next reading
    }
  }
  return undefined;
}

/** What a field holds when its text is not what it takes. */
const INVALID = Symbol('invalid');

/**
 * The value of one field: undefined when left empty (the server's default), or
 * INVALID when the text is not what the field takes.
 */
function fieldValue(
  field: IStepField,
  entry: StepEntry | undefined
): unknown | typeof INVALID {
  if (field.kind === 'boolean') {
    return entry === true;
  }
  const text = typeof entry === 'string' ? entry.trim() : '';
  if (text === '') {
    return undefined;
  }
  switch (field.kind) {
    case 'choice': {
      const index = Number(text);
      return Number.isInteger(index) &&
        index >= 0 &&
        index < field.values.length
        ? field.values[index]
        : INVALID;
    }
    case 'number':
    case 'integer': {
      const value = parseNumber(
        text,
        field.minimum ?? -Infinity,
        field.maximum ?? Infinity
      );
      return value === null ||
        (field.kind === 'integer' && !Number.isInteger(value))
        ? INVALID
        : value;
    }
    case 'list': {
      const value = parseList(text);
      return value === undefined ? INVALID : (value ?? undefined);
    }
    case 'json':
      try {
        return JSON.parse(text) ?? undefined;
      } catch {
        return INVALID;
      }
    default:
      return entry;
  }
}

/** A step read from its form: its parameters, and what is wrong or missing. */
export function readStep(operation: IOperationInfo, step: IStep): IReadStep {
  const params: Record<string, unknown> = {};
  const invalid: string[] = [];
  const missing: string[] = [];
  for (const field of stepFields(operation)) {
    const value = fieldValue(field, step.entries[field.name]);
    if (value === INVALID) {
      invalid.push(field.name);
    } else if (value === undefined) {
      if (field.required) {
        missing.push(field.name);
      }
    } else {
      params[field.name] = value;
    }
  }
  return { operation: step.operation, params, invalid, missing };
}

/** The chain read from the dialog; null while a step is incomplete or unknown. */
export function readChain(
  operations: ReadonlyArray<IOperationInfo>,
  steps: ReadonlyArray<IStep>
): IReadStep[] | null {
  const read: IReadStep[] = [];
  for (const step of steps) {
    const operation = operations.find(op => op.name === step.operation);
    if (!operation) {
      return null;
    }
    const one = readStep(operation, step);
    if (one.invalid.length || one.missing.length) {
      return null;
    }
    read.push(one);
  }
  return read.length ? read : null;
}

/** Where a transformation job writes its dataset. */
export interface ITransformOutput {
  repository: string;
  path: string;
  /** Replace a file of that name. */
  overwrite?: boolean;
}

/**
 * The body of `POST jobs` writing `steps` of `source` as a new HDF5 dataset: the
 * last step is the job's operation, the earlier ones its pipeline.
 */
export function transformRequest(
  source: ISource,
  steps: ReadonlyArray<Pick<IReadStep, 'operation' | 'params'>>,
  output: ITransformOutput
): IReductionJobRequest {
  if (!steps.length) {
    throw new Error('a transformation job needs at least one step');
  }
  const last = steps[steps.length - 1];
  const earlier = steps.slice(0, -1);
  return {
    repository: source.repository,
    path: source.path,
    dataset: source.dataset,
    operation: last.operation,
    params: { ...last.params },
    ...(earlier.length
      ? {
          pipeline: earlier.map(step => ({
            operation: step.operation,
            params: { ...step.params }
          }))
        }
      : {}),
    output: {
      repository: output.repository,
      path: output.path.trim(),
      format: 'hdf5',
      ...(output.overwrite ? { overwrite: true } : {})
    },
    priority: 0
  };
}

/**
 * The name offered for the new dataset, beside its source: "scan_rotate_bin.h5"
 * for scan.h5 rotated, then binned.
 */
export function transformPath(
  sourcePath: string,
  operations: ReadonlyArray<string>
): string {
  const stem = nameOf(sourcePath).replace(/\.[^.]*$/, '') || 'dataset';
  const tags = operations.length ? operations : ['transformed'];
  const tag = tags.map(name => name.replace(/[^\w-]+/g, '-')).join('_');
  return `${folderOf(sourcePath)}${stem}_${tag}.h5`;
}

/**
 * The quote of a dry run in words, `[label, value]` lines: what the job reads and
 * writes, how long it should take, and where it leaves each limited quota.
 */
export function quoteLines(
  dryRun: IJobDryRun,
  trans: TranslationBundle
): [string, string][] {
  const { quote, quota } = dryRun;
  const lines: [string, string][] = [];
  if (typeof quote.bytes_read === 'number') {
    lines.push([trans.__('Reads'), formatBytes(quote.bytes_read)]);
  }
  if (typeof quote.bytes_written === 'number') {
    lines.push([trans.__('Writes'), formatBytes(quote.bytes_written)]);
  }
  if (typeof quote.seconds === 'number') {
    const time = formatDuration(quote.seconds);
    lines.push([
      trans.__('Time'),
      quote.seconds < 1 ? time : trans.__('about %1', time)
    ]);
  }
  if (quote.cost) {
    lines.push([
      trans.__('Cost'),
      formatMoney(quote.cost.amount, quote.cost.currency)
    ]);
  }
  const storage = quota?.limits?.storage_bytes;
  const leftBytes = quota?.remaining?.storage_bytes;
  if (typeof storage === 'number' && typeof leftBytes === 'number') {
    const after = storage - leftBytes + (quote.bytes_written ?? 0);
    lines.push([
      trans.__('Storage after this job'),
      formatBytesOf(after, storage)
    ]);
  }
  const hours = quota?.limits?.compute_hours;
  const leftHours = quota?.remaining?.compute_hours;
  if (typeof hours === 'number' && typeof leftHours === 'number') {
    const after = hours - leftHours + (quote.seconds ?? 0) / 3600;
    lines.push([
      trans.__('Compute after this job'),
      trans.__('%1 of %2 h', formatHours(after), formatHours(hours))
    ]);
  }
  return lines;
}
