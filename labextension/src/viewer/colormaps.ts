/**
 * Colour maps as 256-entry RGB lookup tables, built by linear interpolation
 * between a few anchor colours: 17 even samples of the published matplotlib
 * maps (within a few levels of the full tables) and the ColorBrewer
 * RdBu scheme.
 */

export type ColormapName =
  'gray' | 'viridis' | 'magma' | 'inferno' | 'cividis' | 'coolwarm' | 'RdBu';

/**
 * The maps offered, in menu order. Diverging maps suit signed data centred on
 * zero (centre-of-mass shifts, divergence, curl). The labels are the maps'
 * proper names and are shown untranslated.
 */
/* eslint-disable jupyter/no-untranslated-string */
export const COLORMAPS: ReadonlyArray<{
  name: ColormapName;
  label: string;
  diverging: boolean;
}> = [
  { name: 'gray', label: 'Gray', diverging: false },
  { name: 'viridis', label: 'Viridis', diverging: false },
  { name: 'magma', label: 'Magma', diverging: false },
  { name: 'inferno', label: 'Inferno', diverging: false },
  { name: 'cividis', label: 'Cividis', diverging: false },
  { name: 'coolwarm', label: 'Cool–warm', diverging: true },
  { name: 'RdBu', label: 'Red–blue', diverging: true }
];
/* eslint-enable jupyter/no-untranslated-string */

/** Evenly spaced anchor colours from the low end (0) to the high end (1). */
const ANCHORS: Record<ColormapName, string[]> = {
  gray: ['000000', 'ffffff'],
  viridis: [
    '440154',
    '48186a',
    '472d7b',
    '424086',
    '3b528b',
    '33638d',
    '2c728e',
    '26828e',
    '21918c',
    '1fa088',
    '28ae80',
    '3fbc73',
    '5ec962',
    '84d44b',
    'addc30',
    'd8e219',
    'fde725'
  ],
  magma: [
    '000004',
    '0a0822',
    '1d1147',
    '36106b',
    '51127c',
    '6a1c81',
    '832681',
    '9c2e7f',
    'b73779',
    'd0416f',
    'e75263',
    'f56b5c',
    'fc8961',
    'fea772',
    'fec488',
    'fde2a3',
    'fcfdbf'
  ],
  inferno: [
    '000004',
    '0b0724',
    '210c4a',
    '3d0965',
    '57106e',
    '71196e',
    '8a226a',
    'a32c61',
    'bc3754',
    'd24644',
    'e45a31',
    'f1731d',
    'f98e09',
    'fcac11',
    'f9cb35',
    'f2ea69',
    'fcffa4'
  ],
  cividis: [
    '00224e',
    '002e6a',
    '1a386f',
    '32436d',
    '434e6c',
    '535a6d',
    '61656f',
    '6f7073',
    '7d7c78',
    '8c8878',
    '9b9476',
    'aba072',
    'bcae6c',
    'cdbb63',
    'dec958',
    'f0d846',
    'fee838'
  ],
  coolwarm: [
    '3b4cc0',
    '4e68d8',
    '6282ea',
    '779af7',
    '8db0fe',
    'a3c2fe',
    'b9d0f9',
    'ccd9ed',
    'dddcdc',
    'ecd3c5',
    'f5c4ac',
    'f7b093',
    'f4987a',
    'eb7d62',
    'dd5f4b',
    'ca3b37',
    'b40426'
  ],
  RdBu: [
    '67001f',
    'b2182b',
    'd6604d',
    'f4a582',
    'fddbc7',
    'f7f7f7',
    'd1e5f0',
    '92c5de',
    '4393c3',
    '2166ac',
    '053061'
  ]
};

const cache = new Map<ColormapName, Uint8Array>();

/**
 * The lookup table of a colour map: 256 × RGB bytes, entry 0 for the lowest
 * value. Tables are built once and shared; do not modify them.
 */
export function colormapLUT(name: ColormapName): Uint8Array {
  let lut = cache.get(name);
  if (!lut) {
    const anchors = ANCHORS[name];
    if (!anchors) {
      throw new Error(`Unknown colour map '${name}'.`);
    }
    lut = interpolate(anchors.map(parseHex));
    cache.set(name, lut);
  }
  return lut;
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

function parseHex(hex: string): [number, number, number] {
  return [
    parseInt(hex.slice(0, 2), 16),
    parseInt(hex.slice(2, 4), 16),
    parseInt(hex.slice(4, 6), 16)
  ];
}

function interpolate(anchors: [number, number, number][]): Uint8Array {
  const lut = new Uint8Array(256 * 3);
  const segments = anchors.length - 1;
  for (let i = 0; i < 256; i++) {
    const position = (i / 255) * segments;
    const k = Math.min(Math.floor(position), segments - 1);
    const t = position - k;
    for (let c = 0; c < 3; c++) {
      lut[i * 3 + c] = Math.round(
        anchors[k][c] + (anchors[k + 1][c] - anchors[k][c]) * t
      );
    }
  }
  return lut;
}
