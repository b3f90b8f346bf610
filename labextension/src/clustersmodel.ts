/**
 * The Clusters section's pure logic (no JupyterLab runtime imports, so it is unit-testable):
 * the "New cluster…" form's fields, the request bodies, a cluster's summary line.
 *
 * The options and their limits are the server's declaration (`GET clusters/options`):
 * nothing here names an option's bounds, so a ceiling the administrator changes shows in
 * the form without a change here.
 */
import { formatBytes, formatMoney } from './format';

/** One option of `GET clusters/options`. */
export interface IClusterOption {
  name: string;
  label: string;
  type: 'integer' | 'number';
  default: number | null;
  minimum: number;
  /** This server's ceiling. */
  maximum: number;
  unit: string;
  help: string;
  /** `null` is a value (the adapt bounds: null means a fixed size). */
  nullable: boolean;
}

/** The answer of `GET clusters/options`. */
export interface IClusterOptions {
  options: IClusterOption[];
  clusters_per_user: number;
  backend: string;
}

export type ClusterState =
  'starting' | 'running' | 'unreachable' | 'stopped' | string;

/** A cluster as `GET clusters` describes it (never its address or credentials). */
export interface ICluster {
  id: string;
  backend: string;
  state: ClusterState;
  options: Record<string, number | null>;
  adaptive: boolean;
  started: string;
  stopped: string | null;
  stopped_reason: string | null;
  idle_s: number;
  workers: number;
  cores: number;
  memory_bytes: number;
  memory_used_bytes: number;
  tasks: number;
  dashboard_link: string | null;
  /** With prices set: what its cores and memory cost per hour. */
  cost_per_hour?: { amount: number; currency: string } | null;
}

/** One input of the form, from an option. */
export interface IClusterField {
  name: string;
  label: string;
  /** The `<input type="number">` step: 1 for whole numbers. */
  step: number | 'any';
  min: number;
  max: number;
  unit: string;
  help: string;
  /** Empty means "not set" (allowed only when the option is nullable). */
  optional: boolean;
  /** What the input shows at first ('' for a null default). */
  initial: string;
}

/** The form's inputs, one per served option, in the served order. */
export function clusterFields(served: IClusterOptions): IClusterField[] {
  return served.options.map(option => ({
    name: option.name,
    label: option.label,
    step: option.type === 'integer' ? 1 : 'any',
    min: option.minimum,
    max: option.maximum,
    unit: option.unit,
    help: option.help,
    optional: option.nullable,
    initial: option.default === null ? '' : String(option.default)
  }));
}

/** What the form shows at first: each option's default. */
export function initialValues(served: IClusterOptions): Record<string, string> {
  const values: Record<string, string> = {};
  for (const field of clusterFields(served)) {
    values[field.name] = field.initial;
  }
  return values;
}

/**
 * The problem with one typed value, or null: a number, whole where declared, within the
 * served minimum and this server's maximum (the server checks again).
 */
export function fieldProblem(
  option: IClusterOption,
  typed: string
): string | null {
  const text = typed.trim();
  if (text === '') {
    return option.nullable ? null : `${option.label}: a number is needed.`;
  }
  const value = Number(text);
  if (!Number.isFinite(value)) {
    return `${option.label}: '${text}' is not a number.`;
  }
  if (option.type === 'integer' && !Number.isInteger(value)) {
    return `${option.label}: a whole number is needed.`;
  }
  const unit = option.unit ? ` ${option.unit}` : '';
  if (value < option.minimum) {
    return `${option.label}: at least ${option.minimum}${unit}.`;
  }
  if (value > option.maximum) {
    return `${option.label}: at most ${option.maximum}${unit} on this server.`;
  }
  return null;
}

/** The first problem of the typed values, or null when the form may be sent. */
export function formProblem(
  served: IClusterOptions,
  typed: Record<string, string>
): string | null {
  for (const option of served.options) {
    const problem = fieldProblem(option, typed[option.name] ?? '');
    if (problem) {
      return problem;
    }
  }
  return null;
}

/**
 * The body of `POST clusters`: every option typed, as a number; an empty optional one is
 * left out (the server's default), so a fixed-size cluster sends no adapt bounds.
 */
export function startBody(
  served: IClusterOptions,
  typed: Record<string, string>
): Record<string, number> {
  const body: Record<string, number> = {};
  for (const option of served.options) {
    const text = (typed[option.name] ?? '').trim();
    if (text !== '') {
      body[option.name] = Number(text);
    }
  }
  return body;
}

/** The body of `PATCH clusters/{id}` that scales to a fixed size. */
export function scaleBody(workers: number): { workers: number } {
  return { workers };
}

/** The body of `PATCH clusters/{id}` that adapts between two sizes. */
export function adaptBody(
  minimum: number,
  maximum: number
): { adapt_minimum: number; adapt_maximum: number } {
  return { adapt_minimum: minimum, adapt_maximum: maximum };
}

/** Whether the cluster can change (a stopped one only shows why it stopped). */
export function isLive(cluster: ICluster): boolean {
  return cluster.state === 'starting' || cluster.state === 'running';
}

/** Whether the list must be polled: something may still change on its own. */
export function needsPolling(clusters: ICluster[] | null): boolean {
  return (clusters ?? []).some(isLive);
}

/**
 * One line about a cluster: its state, then workers, cores, memory used of the total and
 * tasks running ("running · 2 workers · 2 cores · 0 B of 4.00 GiB · 0 tasks").
 */
export function clusterSummary(cluster: ICluster): string {
  const parts: string[] = [cluster.state];
  if (cluster.state === 'stopped') {
    if (cluster.stopped_reason) {
      parts.push(cluster.stopped_reason);
    }
    return parts.join(' · ');
  }
  const plural = (count: number, one: string, many: string) =>
    `${count} ${count === 1 ? one : many}`;
  parts.push(plural(cluster.workers, 'worker', 'workers'));
  if (cluster.adaptive) {
    parts.push(
      `adapts ${cluster.options.adapt_minimum ?? 0}–${cluster.options.adapt_maximum}`
    );
  }
  parts.push(plural(cluster.cores, 'core', 'cores'));
  parts.push(
    `${formatBytes(cluster.memory_used_bytes)} of ${formatBytes(cluster.memory_bytes)}`
  );
  parts.push(plural(cluster.tasks, 'task', 'tasks'));
  if (cluster.cost_per_hour) {
    const { amount, currency } = cluster.cost_per_hour;
    parts.push(`${formatMoney(amount, currency)}/h`);
  }
  return parts.join(' · ');
}

/** The short name of a cluster shown in the list and in a job's details. */
export function clusterName(id: string): string {
  return id.slice(0, 8);
}
