/**
 * Zoom and pan of an image inside a view: `screen = image * scale + offset`,
 * where image coordinates put pixel centres at integer indices (pixel `i`
 * spans `i - 0.5 .. i + 0.5`), the convention of the detector geometry.
 */
import { Point } from './geometry';

export interface IViewport {
  /** Screen pixels per image pixel. */
  scale: number;
  offsetX: number;
  offsetY: number;
}

/** Default zoom limits: from 1/1000 to 256 screen pixels per image pixel. */
export const ZOOM_LIMITS = { min: 1e-3, max: 256 };

/**
 * The whole image, as large as fits, centred in the view.
 */
export function fitViewport(
  imageW: number,
  imageH: number,
  viewW: number,
  viewH: number
): IViewport {
  const w = Math.max(1, imageW);
  const h = Math.max(1, imageH);
  const scale = Math.max(
    ZOOM_LIMITS.min,
    Math.min(Math.max(1, viewW) / w, Math.max(1, viewH) / h)
  );
  return {
    scale,
    offsetX: (viewW - w * scale) / 2 + 0.5 * scale,
    offsetY: (viewH - h * scale) / 2 + 0.5 * scale
  };
}

export function screenToImage(v: IViewport, p: Point): Point {
  return [(p[0] - v.offsetX) / v.scale, (p[1] - v.offsetY) / v.scale];
}

export function imageToScreen(v: IViewport, p: Point): Point {
  return [p[0] * v.scale + v.offsetX, p[1] * v.scale + v.offsetY];
}

/**
 * The integer pixel under an image position (nearest pixel centre).
 */
export function pixelAt(p: Point): Point {
  return [Math.round(p[0]), Math.round(p[1])];
}

/**
 * Zoom by `factor` keeping the image point under the screen point `anchor`
 * where it is (the cursor position for wheel zoom).
 */
export function zoomAt(
  v: IViewport,
  factor: number,
  anchor: Point,
  limits: { min: number; max: number } = ZOOM_LIMITS
): IViewport {
  const scale = Math.min(Math.max(v.scale * factor, limits.min), limits.max);
  const [ix, iy] = screenToImage(v, anchor);
  return {
    scale,
    offsetX: anchor[0] - ix * scale,
    offsetY: anchor[1] - iy * scale
  };
}

export function panBy(v: IViewport, dx: number, dy: number): IViewport {
  return { ...v, offsetX: v.offsetX + dx, offsetY: v.offsetY + dy };
}
