/**
 * Label colours: a distinct colour per label, 0 (background) transparent. The same
 * colours paint the slice panes and the 3-D pane. Pure, so unit-testable.
 */

/** An RGBA colour, each channel 0–255. */
export type RGBA = [number, number, number, number];

/** The golden angle in turns: successive labels get hues as far apart as possible. */
const GOLDEN = 0.618033988749895;

/** An HSV colour (all in [0, 1]) as RGB 0–255. */
export function hsvToRgb(
  h: number,
  s: number,
  v: number
): [number, number, number] {
  const i = Math.floor(h * 6);
  const f = h * 6 - i;
  const p = v * (1 - s);
  const q = v * (1 - f * s);
  const t = v * (1 - (1 - f) * s);
  const [r, g, b] = [
    [v, t, p],
    [q, v, p],
    [p, v, t],
    [p, q, v],
    [t, p, v],
    [v, p, q]
  ][((i % 6) + 6) % 6];
  return [Math.round(r * 255), Math.round(g * 255), Math.round(b * 255)];
}

/**
 * The colour of one label: transparent for 0, else a hue stepped by the golden
 * angle, with saturation and value varied so that neighbouring labels differ too.
 */
export function labelColour(label: number): RGBA {
  if (label === 0 || !isFinite(label)) {
    return [0, 0, 0, 0];
  }
  const n = Math.abs(Math.round(label));
  const hue = (n * GOLDEN) % 1;
  const saturation = 0.55 + (0.35 * ((n * 7) % 3)) / 2;
  const value = 0.75 + 0.25 * ((n * 5) % 2);
  return [...hsvToRgb(hue, saturation, value), 255];
}

/**
 * A niivue label colour map (`R, G, B, A, I` lists) for the labels present; labels in
 * `translucent` (a matrix that would hide what it holds) get the alpha `faint`.
 */
export function niivueLabelMap(
  labels: ReadonlyArray<number>,
  translucent: ReadonlySet<number> = new Set(),
  faint = 12
): {
  R: number[];
  G: number[];
  B: number[];
  A: number[];
  I: number[];
  labels: string[];
} {
  const sorted = [...new Set(labels.map(Math.round))].sort((a, b) => a - b);
  const map = {
    R: [] as number[],
    G: [] as number[],
    B: [] as number[],
    A: [] as number[],
    I: [] as number[],
    labels: [] as string[]
  };
  for (const label of sorted) {
    const [r, g, b, a] = labelColour(label);
    map.R.push(r);
    map.G.push(g);
    map.B.push(b);
    map.A.push(a && translucent.has(label) ? faint : a);
    map.I.push(label);
    map.labels.push(String(label));
  }
  return map;
}

/** The distinct values of a typed array of labels, ascending. */
export function distinctLabels(values: ArrayLike<number>): number[] {
  const seen = new Set<number>();
  for (let i = 0; i < values.length; i++) {
    seen.add(values[i]);
  }
  return [...seen].sort((a, b) => a - b);
}

/**
 * The labels that fill more than `share` of the labelled (non-zero) voxels: the
 * matrix or embedding of a segmentation, which the 3-D pane shows faintly so that
 * the regions inside it stay visible.
 */
export function dominantLabels(
  values: ArrayLike<number>,
  share = 0.3
): Set<number> {
  const counts = new Map<number, number>();
  let labelled = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value !== 0) {
      counts.set(value, (counts.get(value) ?? 0) + 1);
      labelled++;
    }
  }
  return new Set(
    [...counts].filter(([, n]) => n > share * labelled).map(([label]) => label)
  );
}

/**
 * A 256-entry RGB table (the server's colour maps, `GET views`) as a niivue colour
 * map, opacity rising with the value from a quarter of the range, so that the
 * background and low intensities stay clear in 3-D.
 */
export function niivueColormap(lut: Uint8Array): {
  R: number[];
  G: number[];
  B: number[];
  A: number[];
  I: number[];
} {
  const map = {
    R: [] as number[],
    G: [] as number[],
    B: [] as number[],
    A: [] as number[],
    I: [] as number[]
  };
  for (let i = 0; i < 256; i++) {
    map.R.push(lut[3 * i]);
    map.G.push(lut[3 * i + 1]);
    map.B.push(lut[3 * i + 2]);
    map.A.push(Math.round((Math.max(0, i - 64) * 128) / 191)); // the lowest quarter clear
    map.I.push(i);
  }
  return map;
}
