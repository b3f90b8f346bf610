/**
 * The navigation mode of any reduction the server declares (`GET operations`): those
 * whose result holds an image over the scan (one value per position, one plane per
 * index such as a component, or a colour per position) appear in the viewer, with a
 * form made from their parameters' JSON Schema. A reduction added on the server shows
 * here without a change to the viewer. Pure functions only.
 */
import type {
  IOperationDim,
  IOperationInfo,
  IOperationOutput,
  IParameterSchema
} from '../api';

/** Reductions with a navigation mode of their own (detectors, sum, centre of mass). */
const OWN_MODES: ReadonlySet<string> = new Set(['virtual_detector', 'com']);

/** The reduction behind the navigation image, its parameters and the array shown. */
export interface IOperationChoice {
  name: string;
  params: Record<string, unknown>;
  field: string;
  /** The parameters the operation requires (the request waits until they are given). */
  required: string[];
  /**
   * The plane shown of an array with an index axis (the component of a
   * decomposition's scores); absent: the first. The frame panel's array shows the
   * same plane: component k's frame beside its scores.
   */
  index?: number;
  /**
   * An array of the operation per detector pixel the frame panel shows instead of the
   * frame at the cursor (a decomposition's components, its mean frame); absent: the frame.
   */
  frameField?: string;
}

/** One field of an operation's form. */
export interface IFormField {
  name: string;
  kind: 'number' | 'integer' | 'boolean' | 'choice';
  /** The field may be left empty (null: the server's default). */
  nullable: boolean;
  required: boolean;
  description: string;
  unit: string | null;
  /** A choice's values as text (what the select shows) ... */
  options: string[];
  /** ... and as declared (numbers stay numbers): what the request sends. */
  values: unknown[];
  minimum: number | null;
  maximum: number | null;
}

/** The JSON types a parameter's schema allows. */
export function types(schema: IParameterSchema): string[] {
  const type = schema.type;
  return Array.isArray(type) ? type : type ? [type] : [];
}

/**
 * What every form field says of its parameter, whatever its kind: from its schema
 * (nullable, description, unit, its enum as choices, its bounds).
 */
export function fieldBase(
  name: string,
  p: IParameterSchema,
  required: boolean
): Omit<IFormField, 'kind'> {
  const bound = (value: unknown) => (typeof value === 'number' ? value : null);
  return {
    name,
    nullable: types(p).includes('null'),
    required,
    description: p.description ?? '',
    unit: p['x-unit'] ?? null,
    options: Array.isArray(p.enum) ? p.enum.map(String) : [],
    values: Array.isArray(p.enum) ? [...p.enum] : [],
    minimum: bound(p.minimum ?? p.exclusiveMinimum),
    maximum: bound(p.maximum ?? p.exclusiveMaximum)
  };
}

/**
 * The index axis of an output over the scan or the frame with one further axis that is
 * an index of separate results (components, detectors): the viewer shows one plane of
 * it at a time. Null for a plain image, a colour output (its planes are red, green and
 * blue, shown together) and an axis of coordinates (a profile is no image).
 */
export function planeAxis(output: IOperationOutput): IOperationDim | null {
  const dims = output.dims ?? [];
  return (output.place === 'scan' || output.place === 'frame') &&
    !output.colour &&
    dims.length === 1 &&
    dims[0].index
    ? dims[0]
    : null;
}

/**
 * The coordinate axis of a profile per scan position (intensity over radius, one
 * curve per sector): an output over the scan whose last axis is a coordinate and whose
 * other further axes are indexes. The viewer shows one ring of it over the scan (the
 * mean over the indexes) and the curve at the cursor. Null for anything else.
 */
export function profileAxis(output: IOperationOutput): IOperationDim | null {
  const dims = output.dims ?? [];
  const last = dims[dims.length - 1];
  return output.place === 'scan' &&
    !output.colour &&
    last &&
    !last.index &&
    dims.slice(0, -1).every(dim => dim.index)
    ? last
    : null;
}

/**
 * The single output of `operation` holding the coordinates of the profile axis of its
 * output `name` (the radius of each ring), or null.
 */
export function profileCoordinates(
  operation: IOperationInfo,
  name: string
): string | null {
  const shown = outputOf(operation, name);
  const axis = shown ? profileAxis(shown) : null;
  const coordinate = axis?.coordinate
    ? outputOf(operation, axis.coordinate)
    : null;
  return coordinate?.place === 'single' ? coordinate.name : null;
}

/** Whether an output holds its own colours: red, green and blue along its last axis. */
export function isColourOutput(output: IOperationOutput | null): boolean {
  return !!output?.colour && (output.dims ?? []).length > 0;
}

/**
 * The arrays of an operation that are images of the scan: one value per scan position,
 * one plane per index (one component of several), one ring of a profile per position,
 * or a colour per position.
 */
export function scanImages(operation: IOperationInfo): string[] {
  return (operation.outputs ?? [])
    .filter(
      output =>
        output.place === 'scan' &&
        (!(output.dims ?? []).length ||
          planeAxis(output) !== null ||
          profileAxis(output) !== null ||
          (isColourOutput(output) && (output.dims ?? []).length === 1))
    )
    .map(output => output.name);
}

/**
 * The arrays of an operation that are images of the frame (one value per detector
 * pixel, or one plane per index): the frame panel can show one of them instead of the
 * frame at the cursor, as a decomposition's components beside their scores.
 */
export function frameImages(operation: IOperationInfo): string[] {
  return (operation.outputs ?? [])
    .filter(
      output =>
        output.place === 'frame' &&
        (!(output.dims ?? []).length || planeAxis(output) !== null)
    )
    .map(output => output.name);
}

/**
 * The index axis the operation form's plane selector moves: that of the array shown
 * over the scan, else that of the array the frame panel shows.
 */
export function choicePlaneAxis(
  operation: IOperationInfo,
  choice: IOperationChoice
): IOperationDim | null {
  const shown = outputOf(operation, choice.field);
  const frame = choice.frameField
    ? outputOf(operation, choice.frameField)
    : null;
  return (
    (shown ? (planeAxis(shown) ?? profileAxis(shown)) : null) ??
    (frame ? planeAxis(frame) : null)
  );
}

/**
 * Whether the navigation image of `choice` is drawn in the colours it holds: its
 * array is declared a colour output by the operation the server serves.
 */
export function showsColour(
  operations: ReadonlyArray<IOperationInfo> | null,
  choice: IOperationChoice | null
): boolean {
  if (!choice) {
    return false;
  }
  const operation = (operations ?? []).find(op => op.name === choice.name);
  return !!operation && isColourOutput(outputOf(operation, choice.field));
}

/** The declaration of one of an operation's outputs. */
export function outputOf(
  operation: IOperationInfo,
  name: string
): IOperationOutput | null {
  return (operation.outputs ?? []).find(output => output.name === name) ?? null;
}

/**
 * The reductions the viewer offers as navigation modes besides its own: those that
 * can run on the dataset and answer an image of the scan, and take no code (a user's
 * function comes from a notebook).
 */
export function navigationOperations(
  operations: ReadonlyArray<IOperationInfo> | null
): IOperationInfo[] {
  return (operations ?? []).filter(
    operation =>
      operation.kind === 'reduction' &&
      operation.available &&
      !operation.takes_code &&
      !OWN_MODES.has(operation.name) &&
      scanImages(operation).length > 0
  );
}

/** The form of an operation: one field per parameter it declares, in its order. */
export function formFields(operation: IOperationInfo): IFormField[] {
  const schema = operation.parameters;
  const required = new Set(schema?.required ?? []);
  const fields: IFormField[] = [];
  for (const [name, p] of Object.entries(schema?.properties ?? {})) {
    const kinds = types(p);
    const kind: IFormField['kind'] | null = Array.isArray(p.enum)
      ? 'choice'
      : kinds.includes('integer')
        ? 'integer'
        : kinds.includes('number')
          ? 'number'
          : kinds.includes('boolean')
            ? 'boolean'
            : null;
    if (kind === null) {
      continue; // lists and objects (detectors, masks) need an editor of their own
    }
    fields.push({ ...fieldBase(name, p, required.has(name)), kind });
  }
  return fields;
}

/** An operation chosen anew: its declared defaults, its primary array (or the first image). */
export function defaultChoice(operation: IOperationInfo): IOperationChoice {
  const params: Record<string, unknown> = {};
  for (const [name, p] of Object.entries(
    operation.parameters?.properties ?? {}
  )) {
    if (p.default !== undefined && p.default !== null) {
      params[name] = p.default;
    }
  }
  const images = scanImages(operation);
  const primary = operation.primary ?? null;
  return {
    name: operation.name,
    params,
    field: primary && images.includes(primary) ? primary : images[0],
    required: [...(operation.parameters?.required ?? [])]
  };
}

/** The required parameters still to be given: the request waits for them. */
export function missingParameters(choice: IOperationChoice): string[] {
  return choice.required.filter(
    name => choice.params[name] === undefined || choice.params[name] === null
  );
}

/** The parameters without the empty ones (the server fills in its defaults). */
export function requestParams(
  params: Record<string, unknown>
): Record<string, unknown> {
  const given: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== '') {
      given[name] = value;
    }
  }
  return given;
}

/** A choice read back from untrusted JSON (the layout store, a saved view), or null. */
export function readOperationChoice(value: unknown): IOperationChoice | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return null;
  }
  const v = value as Record<string, unknown>;
  if (typeof v.name !== 'string' || !v.name || typeof v.field !== 'string') {
    return null;
  }
  const params =
    typeof v.params === 'object' &&
    v.params !== null &&
    !Array.isArray(v.params)
      ? (v.params as Record<string, unknown>)
      : {};
  const required = Array.isArray(v.required)
    ? v.required.filter((name): name is string => typeof name === 'string')
    : [];
  const index = v.index;
  return {
    name: v.name,
    params: { ...params },
    field: v.field,
    required,
    ...(typeof index === 'number' && Number.isInteger(index) && index > 0
      ? { index }
      : {}),
    ...(typeof v.frameField === 'string' && v.frameField
      ? { frameField: v.frameField }
      : {})
  };
}

/** The plane of `choice` shown (0 when it names none). */
export function shownPlane(choice: IOperationChoice | null): number {
  const index = choice?.index;
  return typeof index === 'number' && Number.isInteger(index) && index >= 0
    ? index
    : 0;
}
