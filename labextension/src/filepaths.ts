/**
 * Pure helpers for repository paths ('a/b/c.h5', '' for the root): joining, splitting,
 * checking a new name and finding a free one. No JupyterLab imports, so unit-testable.
 */

/**
 * Join path pieces with '/', dropping empty pieces and stray slashes.
 */
export function joinPath(...parts: string[]): string {
  return parts
    .join('/')
    .split('/')
    .filter(segment => segment.length > 0)
    .join('/');
}

/**
 * The folder holding `path` ('' for something at the root).
 */
export function parentOf(path: string): string {
  const index = path.lastIndexOf('/');
  return index < 0 ? '' : path.slice(0, index);
}

/**
 * The last segment of `path`.
 */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/**
 * A name split before its extension: 'scan.h5' → ['scan', '.h5'], '.hidden' → ['.hidden', ''].
 * Double extensions that belong together ('.tar.gz', '.ome.tiff') stay whole, so a free
 * name is 'data_1.tar.gz', not 'data.tar_1.gz'.
 */
export function splitExtension(name: string): [string, string] {
  const compound = /(\.(?:tar|ome)\.[^.]+)$/i.exec(name);
  if (compound && compound.index > 0) {
    return [name.slice(0, compound.index), compound[1]];
  }
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? [name, ''] : [name.slice(0, dot), name.slice(dot)];
}

/**
 * A name like `name` that is not among `taken`: `name` itself when free, else
 * 'stem_1.ext', 'stem_2.ext'… (no spaces or brackets: these names end up in scripts).
 */
export function freeName(name: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  if (!used.has(name)) {
    return name;
  }
  const [stem, extension] = splitExtension(name);
  // A name that already ends in _N counts on from N.
  const numbered = /^(.*)_(\d+)$/.exec(stem);
  const root = numbered ? numbered[1] : stem;
  let n = numbered ? Number(numbered[2]) + 1 : 1;
  while (used.has(`${root}_${n}${extension}`)) {
    n++;
  }
  return `${root}_${n}${extension}`;
}

/**
 * Why `name` cannot name a new file or folder, or null when it can. The server checks
 * again (the one path rule); this only spares a round trip for the obvious cases.
 */
export function nameProblem(name: string): string | null {
  if (!name.trim()) {
    return 'empty';
  }
  if (name.includes('/') || name.includes('\\')) {
    return 'slash';
  }
  if (name === '.' || name === '..') {
    return 'dots';
  }
  if (utf8Length(name) > 255) {
    return 'long';
  }
  return null;
}

/**
 * The length of `text` in UTF-8 bytes (file systems limit names to 255 of them).
 */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}
