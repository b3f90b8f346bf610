/**
 * Pure formatting helpers (no JupyterLab imports, so they are unit-testable).
 */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/**
 * Human-readable byte count with binary prefixes: 0 B, 1023 B, 1.0 KiB, 41.2 GiB.
 */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !isFinite(bytes) || bytes < 0) {
    return '';
  }
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) {
    return `${value} B`;
  }
  const digits = value < 10 ? 2 : value < 100 ? 1 : 0;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

/**
 * A short local date/time: "2024-05-03 14:07" from an ISO string or epoch seconds.
 */
export function formatDate(
  iso: string | null | undefined,
  mtime?: number | null
): string {
  let date: Date | null = null;
  if (iso) {
    date = new Date(iso);
  } else if (mtime !== null && mtime !== undefined) {
    date = new Date(mtime * 1000);
  }
  if (!date || isNaN(date.getTime())) {
    return '';
  }
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}`
  );
}

/**
 * "128 × 128 × 256 × 256" from [128, 128, 256, 256]; "" for null.
 */
export function formatShape(
  shape: ReadonlyArray<number> | null | undefined
): string {
  if (!shape) {
    return '';
  }
  return shape.length === 0 ? 'scalar' : shape.join(' × ');
}

/**
 * Encode every segment of a slash-separated path, keeping the separators.
 * Leading, trailing and repeated slashes are dropped.
 */
export function encodePath(path: string): string {
  return path
    .split('/')
    .filter(segment => segment.length > 0)
    .map(encodeURIComponent)
    .join('/');
}

/**
 * Tooltip text for a repository speed measurement.
 */
export function describeSpeed(speed: {
  class: string;
  latency_ms: number | null;
  throughput_mb_s: number | null;
  measured_at: string | null;
}): string {
  if (speed.class === 'unknown' || !speed.measured_at) {
    return 'Speed not measured yet';
  }
  const parts: string[] = [];
  if (speed.latency_ms !== null && speed.latency_ms !== undefined) {
    parts.push(
      `latency ${speed.latency_ms.toFixed(speed.latency_ms < 10 ? 1 : 0)} ms`
    );
  }
  if (speed.throughput_mb_s !== null && speed.throughput_mb_s !== undefined) {
    parts.push(
      `throughput ${speed.throughput_mb_s.toFixed(speed.throughput_mb_s < 10 ? 1 : 0)} MB/s`
    );
  }
  const when = formatDate(speed.measured_at);
  const label =
    { green: 'Fast', yellow: 'Moderate', red: 'Slow' }[speed.class] ??
    speed.class;
  return `${label}: ${parts.join(', ')}${when ? ` (measured ${when})` : ''}`;
}

/**
 * A name split for an ellipsis in its middle: the head (which may be cut) and the tail
 * (kept whole, so that 'scan_2024-05-03_grain_B_…_4.h5' still shows which of a series it
 * is and its extension). Short names are all head.
 */
export function splitForMiddleEllipsis(
  name: string,
  tailLength = 10
): [string, string] {
  if (name.length <= 12) {
    return [name, ''];
  }
  const tail = Math.min(tailLength, name.length - 4);
  return [name.slice(0, -tail), name.slice(-tail)];
}

/**
 * An amount of money in its currency, to the cent ("12.35 EUR"); below a cent, with
 * the digits that say it ("0.0042 EUR"), so that a small job does not show as free.
 */
export function formatMoney(amount: number, currency: string): string {
  const shown =
    amount !== 0 && Math.abs(amount) < 0.01
      ? amount.toPrecision(2)
      : amount.toFixed(2);
  return `${shown} ${currency}`;
}
