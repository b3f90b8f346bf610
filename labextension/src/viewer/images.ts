/**
 * Image helpers of the viewer's own: spreading a coarse (subsampled) answer over the
 * full scan, so that coordinates mean the same before and after the exact answer
 * arrives, and the colour-wheel picture of a vector field (hue = direction,
 * brightness = length), as the server's CoM preview draws it.
 */
import type { IImage } from './npy';

/**
 * Expand an image computed on every `step`-th scan position to `width` × `height`:
 * each computed value covers the block of positions it stands for.
 */
export function expandCoarse(
  image: IImage,
  step: number,
  width: number,
  height: number
): IImage {
  if (step <= 1 && image.width === width && image.height === height) {
    return image;
  }
  const data = new Float64Array(width * height);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(image.height - 1, Math.floor(y / step));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(image.width - 1, Math.floor(x / step));
      data[y * width + x] = image.data[sy * image.width + sx];
    }
  }
  return { width, height, data };
}

/**
 * The scan step of an answer the server did not label: how many scan rows each of
 * its rows stands for.
 */
export function inferStep(answerHeight: number, scanHeight: number): number {
  if (answerHeight <= 0 || answerHeight >= scanHeight) {
    return 1;
  }
  return Math.ceil(scanHeight / answerHeight);
}

/**
 * RGB of a hue in [0, 1) at full saturation and value `v`.
 */
function hsvToRgb(h: number, v: number): [number, number, number] {
  const i = Math.floor(h * 6) % 6;
  const f = h * 6 - Math.floor(h * 6);
  const p = 0;
  const q = v * (1 - f);
  const t = v * f;
  switch (i) {
    case 0:
      return [v, t, p];
    case 1:
      return [q, v, p];
    case 2:
      return [p, v, t];
    case 3:
      return [p, q, v];
    case 4:
      return [t, p, v];
    default:
      return [v, p, q];
  }
}

/**
 * RGBA pixels of a vector field: the direction of (x, y) as hue, its length relative
 * to the largest finite one as brightness; NaN pixels are transparent.
 */
export function colourWheel(y: IImage, x: IImage): Uint8ClampedArray {
  const n = y.width * y.height;
  const out = new Uint8ClampedArray(n * 4);
  let longest = 0;
  for (let i = 0; i < n; i++) {
    const length = Math.hypot(x.data[i], y.data[i]);
    if (isFinite(length) && length > longest) {
      longest = length;
    }
  }
  for (let i = 0; i < n; i++) {
    const dx = x.data[i];
    const dy = y.data[i];
    if (!isFinite(dx) || !isFinite(dy)) {
      continue;
    }
    const hue = (Math.atan2(dy, dx) / (2 * Math.PI) + 1) % 1;
    const value = longest > 0 ? Math.hypot(dx, dy) / longest : 0;
    const [r, g, b] = hsvToRgb(hue, value);
    out[i * 4] = Math.round(r * 255);
    out[i * 4 + 1] = Math.round(g * 255);
    out[i * 4 + 2] = Math.round(b * 255);
    out[i * 4 + 3] = 255;
  }
  return out;
}

/**
 * The legend of `colourWheel`: a disc of `size` × `size` pixels whose every
 * point is the vector from the centre to it (x to the right, y down, as on the
 * image), coloured by the very function that colours the field; transparent
 * outside the disc.
 */
export function wheelLegend(size: number): Uint8ClampedArray {
  const n = Math.max(1, Math.round(size));
  const centre = (n - 1) / 2;
  // The rim passes through pixel centres, so that it is at full brightness.
  const radius = centre;
  const x = new Float64Array(n * n);
  const y = new Float64Array(n * n);
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < n; col++) {
      const dx = col - centre;
      const dy = row - centre;
      const inside = Math.hypot(dx, dy) <= radius;
      x[row * n + col] = inside ? dx : NaN;
      y[row * n + col] = inside ? dy : NaN;
    }
  }
  return colourWheel(
    { width: n, height: n, data: y },
    { width: n, height: n, data: x }
  );
}
