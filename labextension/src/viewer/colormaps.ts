/**
 * Colour maps as 256-entry RGB lookup tables: the server's one list
 * (`jupyter_remotem/render.py`), served by `GET views` with its tables, so that
 * the canvas and a picture saved from it use the same colours. Until the list
 * is installed (`installColormaps`, done by the viewer model when it loads),
 * only gray is known.
 */

/** A colour map's name, as the server's list spells it (e.g. 'viridis'). */
export type ColormapName = string;

/** One offered map, as `GET views` serves it (`lut`: 256 RGB colours as hex). */
export interface IServedColormap {
  name: string;
  label: string;
  diverging: boolean;
  cyclic?: boolean;
  lut: string;
}

export interface IColormapEntry {
  name: ColormapName;
  label: string;
  diverging: boolean;
}

/* eslint-disable jupyter/no-untranslated-string */
const GRAY: IColormapEntry = { name: 'gray', label: 'Gray', diverging: false };
/* eslint-enable jupyter/no-untranslated-string */

/**
 * The maps offered, in menu order (the server's order). Diverging maps suit
 * signed data centred on zero. Labels are the maps' proper names, shown
 * untranslated. Replaced in place by `installColormaps`.
 */
export const COLORMAPS: IColormapEntry[] = [GRAY];

const tables = new Map<ColormapName, Uint8Array>([['gray', grayTable()]]);

/**
 * Take the server's colour maps (the answer of `GET views`). Malformed entries
 * are skipped; gray is always there.
 */
export function installColormaps(served: ReadonlyArray<IServedColormap>): void {
  const entries: IColormapEntry[] = [];
  for (const map of served) {
    const lut = parseTable(map.lut);
    if (!lut || typeof map.name !== 'string' || !map.name) {
      continue;
    }
    tables.set(map.name, lut);
    entries.push({
      name: map.name,
      label: typeof map.label === 'string' ? map.label : map.name,
      diverging: map.diverging === true
    });
  }
  if (!entries.some(entry => entry.name === 'gray')) {
    entries.unshift(GRAY);
  }
  COLORMAPS.splice(0, COLORMAPS.length, ...entries);
  packedListeners.forEach(listener => listener());
}

/** Called when the tables change (caches built from them go stale). */
export const packedListeners: Array<() => void> = [];

/**
 * The lookup table of a colour map: 256 × RGB bytes, entry 0 for the lowest
 * value; gray for a name the server did not offer. Do not modify it.
 */
export function colormapLUT(name: ColormapName): Uint8Array {
  return tables.get(name) ?? tables.get('gray')!;
}

/**
 * Whether a name is one of the offered colour maps (for restoring saved state).
 */
export function isColormapName(name: unknown): name is ColormapName {
  return COLORMAPS.some(entry => entry.name === name);
}

/**
 * A CSS `linear-gradient` showing the map from left (low) to right (high),
 * for the swatch next to the colour map menu.
 */
export function colormapGradient(name: ColormapName, stops = 8): string {
  const lut = colormapLUT(name);
  const parts: string[] = [];
  for (let i = 0; i < stops; i++) {
    const k = Math.round((i / (stops - 1)) * 255) * 3;
    parts.push(`rgb(${lut[k]}, ${lut[k + 1]}, ${lut[k + 2]})`);
  }
  return `linear-gradient(to right, ${parts.join(', ')})`;
}

function parseTable(hex: unknown): Uint8Array | null {
  if (typeof hex !== 'string' || !/^[0-9a-fA-F]{1536}$/.test(hex)) {
    return null;
  }
  const lut = new Uint8Array(768);
  for (let i = 0; i < 768; i++) {
    lut[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  }
  return lut;
}

function grayTable(): Uint8Array {
  const lut = new Uint8Array(768);
  for (let i = 0; i < 256; i++) {
    lut.fill(i, i * 3, i * 3 + 3);
  }
  return lut;
}
