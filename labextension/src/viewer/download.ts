/**
 * Saving bytes made in the browser (an exported profile) to the user's computer, as a
 * download of the page: no round trip to the server.
 */

/** Offer `data` as a file named `name` of type `type`. */
export function downloadBytes(
  name: string,
  data: BlobPart,
  type: string
): void {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.style.display = 'none';
  document.body.appendChild(link);
  link.click();
  link.remove();
  // The download has its own copy once it started; the URL may go.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/** A file name from a dataset path and what it holds: "scan-profile.csv". */
export function exportName(path: string, what: string, ending: string): string {
  const base = path.split('/').pop() ?? 'data';
  const stem = base.replace(/\.[^.]*$/, '') || 'data';
  return `${stem}-${what}.${ending}`;
}
