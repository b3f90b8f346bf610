/**
 * Whether "Retry" is worth offering for an error. An unsupported format, an unreadable
 * file, a missing file or a bad request answers the same the next time, so it is shown
 * without "Retry"; anything else (a lost connection, a busy server, a refusal that may
 * lift) may go the next time. No JupyterLab imports, so unit-testable.
 */

/** Error codes that say the file or the request itself is the problem. */
const FINAL_CODES = new Set([
  'unsupported_format',
  'unreadable_file',
  'not_found',
  'bad_parameter',
  'forbidden',
  'outside_repository',
  'too_large'
]);

export function isRetryable(error: { status: number; code: string }): boolean {
  if (FINAL_CODES.has(error.code)) {
    return false;
  }
  // A bare 4xx with no code of ours (a proxy's answer) is final too, but for time-outs
  // and rate limits.
  if (
    error.code.startsWith('http_4') &&
    error.status !== 408 &&
    error.status !== 429
  ) {
    return false;
  }
  return true;
}
