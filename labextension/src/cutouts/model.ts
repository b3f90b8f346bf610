/**
 * The Sky cutouts panel's pure parts: what `remotem/api/cutouts/...` answers, the form's
 * choices taken from the server's declared parameters (never a second list here), the
 * requests built from the form, the text of refusals, and the rows of a batch's manifest.
 * No widgets, so unit-testable; refusals are the API's own errors (`RemotemError`).
 */

import { RemotemError } from '../api';

/** One declared request parameter (`GET cutouts/parameters`). */
export interface ICutoutParameter {
  name: string;
  type: string;
  description: string;
  aliases: string[];
  soda: boolean;
  default: string | null;
  choices: string[];
  example: string;
}

/** What `GET cutouts/parameters` serves. */
export interface ICutoutSchema {
  parameters: ICutoutParameter[];
  units: string[];
  formats: string[];
  cmaps: string[];
  picture_max_edge: number;
  max_side_deg: number;
}

/**
 * A survey's footprint index as its listing tells it: `never` until a first index job has
 * completed (its cutouts answer 503 `index_pending` meanwhile), `refreshing` while a job
 * re-reads an index that was built (cutouts keep answering from it), `current` otherwise.
 */
export interface ISurveyIndex {
  state: 'current' | 'refreshing' | 'never' | string;
  job: string | null;
  indexed_at: string | null;
  /** Why the last index job failed, when it did. */
  error?: { code?: string; message?: string } | null;
  /** How far the running index job is, when the listing says. */
  progress?: { done?: number; total?: number; fraction?: number } | null;
}

/** A survey the user may use (`GET cutouts/surveys`). */
export interface ISurvey {
  name: string;
  description?: string;
  bands: string[];
  pixscale?: number | null;
  realtime_pixels?: number;
  footprint?: {
    tiles?: number;
    centre?: { ra: number; dec: number };
  };
  /** Names of the planes beside the science image a FITS cutout may carry (`planes`). */
  planes?: string[];
  index?: ISurveyIndex;
}

/** What the form holds, as typed. */
export interface ICutoutForm {
  survey: string;
  ra: string;
  dec: string;
  size: string;
  unit: string;
  bands: string[];
  algorithm: string;
  format: string;
  stretch: string;
  cmap: string;
  /** algorithm=resample: arcsec per output pixel ('' for the survey's own). */
  pixscale: string;
  /** algorithm=resample: degrees east of north ('' for the declared default). */
  rotation: string;
  /** algorithm=resample: one of the declared choices. */
  interpolation: string;
  /** FITS: the survey's planes to add beside the science image. */
  planes: string[];
}

/** A batch's quote as a 413 carries it (`details.quote`). */
export interface ICutoutQuote {
  pixels?: number;
  work?: number;
  shape?: number[];
  bands?: string[];
  tiles?: string[];
  bytes?: number;
  [key: string]: unknown;
}

/** The call a 413 proposes instead (`details.batch`). */
export interface IBatchCall {
  method: string;
  url: string;
  body: IBatchBody;
}

/** The body of `POST cutouts/jobs`. */
export interface IBatchBody {
  defaults: Record<string, string | number>;
  positions?: { id: string; ra: number; dec: number }[];
  table?: { repository: string; path: string };
}

/** What a refusal of the cutouts API adds: a 413's quote and the batch call to make instead. */
export interface ICutoutDetails {
  quote?: ICutoutQuote;
  batch?: IBatchCall | null;
  allowed?: number;
  [key: string]: unknown;
}

/** A refusal of the cutouts API, with what the server said to do about it (its `details` typed). */
export class CutoutError extends RemotemError {
  declare readonly details: ICutoutDetails;

  constructor(
    message: string,
    status: number,
    code: string,
    hint: string | null,
    details: ICutoutDetails = {}
  ) {
    super(message, status, code, hint, details);
    this.name = 'CutoutError';
  }

  /** The same refusal, as the cutouts panel reads it. */
  static of(error: RemotemError): CutoutError {
    return new CutoutError(
      error.message,
      error.status,
      error.code,
      error.hint,
      error.details
    );
  }

  /** The error of a failed answer: `{"error": {code, message, hint, details}}`, or its status line. */
  static fromBody(
    status: number,
    statusText: string,
    text: string
  ): CutoutError {
    return CutoutError.of(RemotemError.fromText(status, statusText, text));
  }
}

/** The declared parameter `name`; throws when the server does not declare it. */
export function declared(
  schema: ICutoutSchema,
  name: string
): ICutoutParameter {
  const found = schema.parameters.find(p => p.name === name);
  if (!found) {
    throw new Error(`The server declares no cutout parameter '${name}'.`);
  }
  return found;
}

/** The choices of a declared parameter (colormaps come from the schema's `cmaps`). */
export function choicesOf(schema: ICutoutSchema, name: string): string[] {
  if (name === 'cmap') {
    return schema.cmaps?.length
      ? schema.cmaps
      : [String(declared(schema, 'cmap').default)];
  }
  return declared(schema, name).choices;
}

/** A declared parameter's default as text ('' when it has none). */
export function defaultOf(schema: ICutoutSchema, name: string): string {
  const value = declared(schema, name).default;
  return value === null || value === undefined ? '' : String(value);
}

/** The form for `survey`, every choice at its declared default, centred on the survey. */
export function initialForm(
  schema: ICutoutSchema,
  survey: ISurvey
): ICutoutForm {
  const centre = survey.footprint?.centre;
  return {
    survey: survey.name,
    ra: centre ? round(centre.ra, 5) : '',
    dec: centre ? round(centre.dec, 5) : '',
    size: '64',
    unit: schema.units.includes('pix') ? 'pix' : schema.units[0],
    bands: survey.bands.slice(0, 1),
    algorithm: defaultOf(schema, 'algorithm'),
    format: defaultOf(schema, 'format'),
    stretch: defaultOf(schema, 'stretch'),
    cmap: defaultOf(schema, 'cmap'),
    pixscale: '',
    rotation: '',
    interpolation: defaultOf(schema, 'interpolation'),
    planes: []
  };
}

/** Whether the form's algorithm takes pixscale, rotation and interpolation. */
export function isResample(form: Pick<ICutoutForm, 'algorithm'>): boolean {
  return form.algorithm === 'resample';
}

/** Whether the server declares parameter `name` (one added later may not be there yet). */
export function declares(schema: ICutoutSchema, name: string): boolean {
  return schema.parameters.some(p => p.name === name);
}

/**
 * The planes a FITS cutout of `survey` may add: the survey's, when the server declares the
 * `planes` parameter (none otherwise, and none for a picture).
 */
export function planesOf(
  schema: ICutoutSchema,
  survey: ISurvey | undefined,
  format: string
): string[] {
  if (format !== 'fits' || !declares(schema, 'planes')) {
    return [];
  }
  return survey?.planes ?? [];
}

/** The survey's pixel scale as the pixscale field's placeholder (arcsec/px), '' when unknown. */
export function pixscalePlaceholder(survey: ISurvey | undefined): string {
  return survey?.pixscale ? String(survey.pixscale) : '';
}

function round(value: number, digits: number): string {
  return String(Number(value.toFixed(digits)));
}

/**
 * An angle typed as degrees (`150.25`) or sexagesimal (`10:01:00`, `10h01m00s`, `10 01 00`
 * for right ascension in hours; `+02:00:30`, `2d00m30s` for declination in degrees).
 * Answers degrees, or null when the text is no angle.
 */
export function parseAngle(text: string, kind: 'ra' | 'dec'): number | null {
  const clean = text.trim();
  if (!clean) {
    return null;
  }
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(clean)) {
    return Number(clean);
  }
  const match = clean.match(
    /^([-+])?\s*(\d+)\s*(?:[:hHdD°\s])\s*(\d+)\s*(?:[:mM'′\s])\s*(\d+\.?\d*)\s*[sS"″]?$/
  );
  if (!match) {
    return null;
  }
  const [, sign, a, b, c] = match;
  const minutes = Number(b);
  const seconds = Number(c);
  if (minutes >= 60 || seconds >= 60) {
    return null;
  }
  const value = Number(a) + minutes / 60 + seconds / 3600;
  if (kind === 'ra') {
    return sign === '-' ? null : value * 15;
  }
  return sign === '-' ? -value : value;
}

/** Why the form cannot make a request yet (null when it can). */
export function formProblem(form: ICutoutForm): string | null {
  const ra = parseAngle(form.ra, 'ra');
  const dec = parseAngle(form.dec, 'dec');
  if (ra === null) {
    return 'Right ascension: degrees (150.25) or hh:mm:ss (10:01:00).';
  }
  if (dec === null) {
    return 'Declination: degrees (2.5) or ±dd:mm:ss (+02:30:00).';
  }
  if (!(Number(form.size) > 0)) {
    return 'Size: a number larger than zero.';
  }
  if (!form.bands.length) {
    return 'Pick at least one band.';
  }
  if (isResample(form)) {
    if (form.pixscale.trim() && !(Number(form.pixscale) > 0)) {
      return 'Pixel scale: arcsec per pixel, a number larger than zero.';
    }
    if (form.rotation.trim() && !Number.isFinite(Number(form.rotation))) {
      return 'Rotation: degrees east of north, a number.';
    }
  }
  return null;
}

/** Whether a format is a picture (only pictures take a stretch and a colormap). */
export function isPicture(format: string): boolean {
  return format === 'png' || format === 'jpg';
}

/**
 * The parameters of the form's cutout, every name one the server declares: position,
 * size and bands always; each choice only when it is not the declared default.
 * `overrides` replace form values (the preview asks for a PNG whatever the format).
 */
export function cutoutParameters(
  schema: ICutoutSchema,
  form: ICutoutForm,
  overrides: Partial<Pick<ICutoutForm, 'format'>> & {
    max_edge?: number;
  } = {}
): Record<string, string> {
  const problem = formProblem(form);
  if (problem) {
    throw new Error(problem);
  }
  const format = overrides.format ?? form.format;
  const values: Record<string, string> = {
    survey: form.survey,
    ra: String(parseAngle(form.ra, 'ra')),
    dec: String(parseAngle(form.dec, 'dec')),
    size: `${Number(form.size)}${form.unit}`,
    bands: form.bands.join(',')
  };
  const choices: [string, string][] = [
    ['algorithm', form.algorithm],
    ['format', format]
  ];
  if (isResample(form)) {
    // Typed numbers are sent as typed (set, not defaulted); the interpolation like any choice.
    for (const name of ['pixscale', 'rotation'] as const) {
      if (form[name].trim()) {
        values[name] = String(Number(form[name]));
      }
    }
    choices.push(['interpolation', form.interpolation]);
  }
  if (format === 'fits' && form.planes.length && declares(schema, 'planes')) {
    values.planes = form.planes.join(','); // FITS only: a picture shows the science image
  }
  if (isPicture(format)) {
    choices.push(['stretch', form.stretch]);
    if (form.bands.length === 1) {
      choices.push(['cmap', form.cmap]);
    }
    if (overrides.max_edge !== undefined) {
      choices.push(['max_edge', String(overrides.max_edge)]);
    }
  }
  for (const [name, value] of choices) {
    if (value && value !== defaultOf(schema, name)) {
      values[name] = value;
    }
  }
  for (const name of Object.keys(values)) {
    declared(schema, name); // a name the server does not declare is a bug here, not a request
  }
  return values;
}

/** The preview's parameters: a PNG at most `edge` pixels wide. */
export function previewParameters(
  schema: ICutoutSchema,
  form: ICutoutForm,
  edge = 512
): Record<string, string> {
  return cutoutParameters(schema, form, { format: 'png', max_edge: edge });
}

/** Longest the preview waits for a survey's first index before showing the 503 itself, in ms. */
export const INDEX_WAIT_MS = 5 * 60 * 1000;
/** When a 503 names no Retry-After, the listing is asked again after this, in ms. */
export const INDEX_POLL_FALLBACK_MS = 2000;

/** Whether a refusal is the 503 of a survey whose index is still being built. */
export function isIndexPending(error: CutoutError | null): boolean {
  return !!error && error.status === 503 && error.code === 'index_pending';
}

/**
 * When to ask the listing again after an `index_pending` refusal: its Retry-After (the 503
 * carries it as `details.retry_after`, in seconds, beside the header), in ms.
 */
export function retryAfterMs(error: CutoutError): number {
  const seconds = Number(error.details.retry_after);
  return Number.isFinite(seconds) && seconds > 0
    ? seconds * 1000
    : INDEX_POLL_FALLBACK_MS;
}

/** What the preview does next while a survey's first index is built. */
export type IndexStep =
  | { action: 'retry' }
  | { action: 'poll'; afterMs: number }
  | { action: 'refuse' };

/**
 * After an `index_pending` refusal and a new listing of the survey's `index`: retry the
 * preview once the index exists, ask the listing again after the Retry-After while a job
 * builds it, and show the refusal when no job will (the last one failed) or after `limitMs`.
 */
export function nextIndexStep(
  refusal: CutoutError,
  index: ISurveyIndex | undefined,
  waitedMs: number,
  limitMs = INDEX_WAIT_MS
): IndexStep {
  if (index && index.state !== 'never') {
    return { action: 'retry' };
  }
  if (index && !index.job && index.error) {
    return { action: 'refuse' };
  }
  const afterMs = retryAfterMs(refusal);
  if (waitedMs + afterMs > limitMs) {
    return { action: 'refuse' };
  }
  return { action: 'poll', afterMs };
}

/** `Indexing the survey's tiles… 5 of 12 files` (the progress only when the listing has it). */
export function indexingText(index: ISurveyIndex | undefined): string {
  const text = "Indexing the survey's tiles…";
  const progress = index?.progress;
  if (!progress) {
    return text;
  }
  if (typeof progress.total === 'number' && progress.total > 0) {
    return `${text} ${progress.done ?? 0} of ${progress.total} files`;
  }
  if (typeof progress.fraction === 'number') {
    return `${text} ${Math.round(progress.fraction * 100)}%`;
  }
  return text;
}

/** How far the index job is, 0 to 1, or null when the listing does not say. */
export function indexFraction(index: ISurveyIndex | undefined): number | null {
  const progress = index?.progress;
  if (!progress) {
    return null;
  }
  if (typeof progress.fraction === 'number') {
    return progress.fraction;
  }
  if (typeof progress.total === 'number' && progress.total > 0) {
    return (progress.done ?? 0) / progress.total;
  }
  return null;
}

/**
 * The body of `POST cutouts/jobs` for a table of positions (CSV with `id, ra, dec`):
 * the form's parameters without its position are every row's defaults.
 */
export function tableBatch(
  schema: ICutoutSchema,
  form: ICutoutForm,
  place: string
): IBatchBody {
  const table = parsePlace(place);
  if (!table) {
    throw new Error(
      'The table is repository:path, e.g. notebooks:positions.csv.'
    );
  }
  const parameters = cutoutParameters(schema, { ...form, ra: '0', dec: '0' });
  delete parameters.ra;
  delete parameters.dec;
  return { defaults: parameters, table };
}

/** `repository:path` split, or null. */
export function parsePlace(
  text: string
): { repository: string; path: string } | null {
  const at = text.indexOf(':');
  const repository = text.slice(0, at).trim();
  const path = text
    .slice(at + 1)
    .trim()
    .replace(/^\/+/, '');
  return at > 0 && repository && path ? { repository, path } : null;
}

/** The lines a refusal is shown as: what, what to do, and for a 413 the quote. */
export function errorLines(error: CutoutError): {
  message: string;
  hint: string | null;
  quote: string | null;
} {
  return {
    message: error.message,
    hint: error.hint,
    quote: error.status === 413 ? quoteText(error.details) : null
  };
}

/** A 413's quote in words: `Quote: 3000×3000 px × 1 band = 9,000,000 pixels (limit 4,000,000).` */
export function quoteText(details: CutoutError['details']): string | null {
  const quote = details.quote;
  if (!quote) {
    return null;
  }
  const parts: string[] = [];
  const shape = quote.shape ?? [];
  const bands = quote.bands?.length ?? 1;
  const count = (n: number) => n.toLocaleString('en-US');
  if (shape.length === 2) {
    parts.push(
      `${shape[1]}×${shape[0]} px × ${bands} band${bands === 1 ? '' : 's'}`
    );
  }
  if (typeof quote.pixels === 'number') {
    parts.push(`= ${count(quote.pixels)} pixels`);
  }
  if (typeof quote.work === 'number') {
    parts.push(`(${count(quote.work)} units of work)`);
  }
  let text = `Quote: ${parts.join(' ')}`.trim();
  if (typeof details.allowed === 'number') {
    text += ` (real-time limit ${count(details.allowed)})`;
  }
  return `${text}.`;
}

/** One row of a batch's manifest, as the panel's table shows it. */
export interface IManifestRow {
  id: string;
  status: string;
  file: string;
  error: string;
  band: string;
}

/** The rows of `GET cutouts/jobs/{id}/manifest?format=json` (anything else: none). */
export function manifestRows(document: unknown): IManifestRow[] {
  const rows = (document as { rows?: unknown })?.rows;
  if (!Array.isArray(rows)) {
    return [];
  }
  const text = (value: unknown) =>
    value === null || value === undefined ? '' : String(value);
  return rows
    .filter(row => row && typeof row === 'object')
    .map((row: Record<string, unknown>) => ({
      id: text(row.id),
      status: text(row.status),
      file: text(row.file),
      error: text(row.error),
      band: text(row.band)
    }));
}

/** `3 ok, 1 failed` of manifest rows. */
export function manifestSummary(rows: IManifestRow[]): string {
  const counts = new Map<string, number>();
  for (const row of rows) {
    counts.set(row.status, (counts.get(row.status) ?? 0) + 1);
  }
  return [...counts.entries()].map(([s, n]) => `${n} ${s}`).join(', ');
}
