/**
 * Detector and ROI shapes in image pixel coordinates, as drawn over an image
 * and as sent to the server.
 *
 * The pixel rules are the server's (`jupyter_remotem/kernels/masks.py`):
 * pixel centres sit at integer indices `[x, y]`; a disk holds the pixels at
 * distance `d <= r`, a ring those with `ri < d <= ro`, a rectangle the columns
 * `trunc(x) .. trunc(x + width)` and rows `trunc(y) .. trunc(y + height)`
 * inclusive, a point the pixel `[floor(cx), floor(cy)]`, a polygon the
 * centres inside it by the even-odd rule.
 */

export type Point = [number, number];

export type Shape =
  | { kind: 'disk'; cx: number; cy: number; r: number }
  | { kind: 'ring'; cx: number; cy: number; ri: number; ro: number }
  | { kind: 'rectangle'; x: number; y: number; width: number; height: number }
  | { kind: 'point'; cx: number; cy: number }
  | { kind: 'polygon'; vertices: Point[] };

export type ShapeKind = Shape['kind'];

export const SHAPE_KINDS: ReadonlyArray<ShapeKind> = [
  'disk',
  'ring',
  'rectangle',
  'point',
  'polygon'
];

/** The area shapes may occupy: an image of `width × height` pixels. */
export interface IBounds {
  width: number;
  height: number;
}

/** Smallest radius a drag can leave a disk or ring with. */
export const MIN_RADIUS = 0.5;

/** Smallest gap a drag leaves between the inner and outer radius of a ring. */
export const MIN_RING_WIDTH = 0.5;

/**
 * A shape of `kind` centred in a `width × height` image, sized to be seen and
 * grabbed: a disk of 1/8 of the shorter side, a ring from 1/6 to 1/3, a
 * rectangle and a diamond-shaped polygon of about a quarter.
 */
export function defaultShape(
  kind: ShapeKind,
  width: number,
  height: number
): Shape {
  const cx = Math.floor(width / 2);
  const cy = Math.floor(height / 2);
  const side = Math.max(1, Math.min(width, height));
  const round = (v: number) => Math.max(MIN_RADIUS, Math.round(v * 2) / 2);
  switch (kind) {
    case 'disk':
      return { kind, cx, cy, r: round(side / 8) };
    case 'ring': {
      const ri = round(side / 6);
      return {
        kind,
        cx,
        cy,
        ri,
        ro: Math.max(ri + MIN_RING_WIDTH, round(side / 3))
      };
    }
    case 'rectangle': {
      const w = Math.max(1, Math.round(width / 4));
      const h = Math.max(1, Math.round(height / 4));
      return {
        kind,
        x: Math.max(0, cx - Math.floor(w / 2)),
        y: Math.max(0, cy - Math.floor(h / 2)),
        width: w,
        height: h
      };
    }
    case 'point':
      return { kind, cx, cy };
    case 'polygon': {
      const r = Math.max(1, Math.round(side / 4));
      return {
        kind,
        vertices: [
          [cx, cy - r],
          [cx + r, cy],
          [cx, cy + r],
          [cx - r, cy]
        ]
      };
    }
  }
  throw new Error(`Unknown shape kind '${kind as string}'.`);
}

/**
 * The JSON the server expects in `params.detectors` or `roi`.
 */
export function toServerSpec(shape: Shape): Record<string, unknown> {
  switch (shape.kind) {
    case 'disk':
      return { shape: 'disk', cx: shape.cx, cy: shape.cy, r: shape.r };
    case 'ring':
      return {
        shape: 'ring',
        cx: shape.cx,
        cy: shape.cy,
        ri: shape.ri,
        ro: shape.ro
      };
    case 'rectangle':
      return {
        shape: 'rectangle',
        x: shape.x,
        y: shape.y,
        width: shape.width,
        height: shape.height
      };
    case 'point':
      return { shape: 'point', cx: shape.cx, cy: shape.cy };
    case 'polygon':
      return {
        shape: 'polygon',
        vertices: shape.vertices.map(([x, y]) => [x, y])
      };
  }
}

function numberField(
  spec: Record<string, unknown>,
  key: string,
  kind: string,
  length = false
): number {
  const value = spec[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new Error(`The ${kind} needs a finite number "${key}".`);
  }
  if (length && value < 0) {
    throw new Error(`"${key}" of the ${kind} must not be negative.`);
  }
  return value;
}

/**
 * A shape from server JSON (a stored request or view); throws an Error naming
 * the problem for anything the server would refuse.
 */
export function fromServerSpec(spec: Record<string, unknown>): Shape {
  if (!spec || typeof spec !== 'object') {
    throw new Error('A shape must be a JSON object.');
  }
  const kind = spec.shape;
  switch (kind) {
    case 'disk':
      return {
        kind,
        cx: numberField(spec, 'cx', kind),
        cy: numberField(spec, 'cy', kind),
        r: numberField(spec, 'r', kind, true)
      };
    case 'ring': {
      const ri = numberField(spec, 'ri', kind, true);
      const ro = numberField(spec, 'ro', kind, true);
      if (ri > ro) {
        throw new Error(
          `The ring's inner radius (${ri}) is larger than its outer radius (${ro}).`
        );
      }
      return {
        kind,
        cx: numberField(spec, 'cx', kind),
        cy: numberField(spec, 'cy', kind),
        ri,
        ro
      };
    }
    case 'rectangle':
      return {
        kind,
        x: numberField(spec, 'x', kind),
        y: numberField(spec, 'y', kind),
        width: numberField(spec, 'width', kind, true),
        height: numberField(spec, 'height', kind, true)
      };
    case 'point':
      return {
        kind,
        cx: numberField(spec, 'cx', kind),
        cy: numberField(spec, 'cy', kind)
      };
    case 'polygon': {
      const raw = spec.vertices;
      if (!Array.isArray(raw) || raw.length < 3) {
        throw new Error('A polygon needs at least three [x, y] vertices.');
      }
      const vertices = raw.map(vertex => {
        if (
          !Array.isArray(vertex) ||
          vertex.length !== 2 ||
          !vertex.every(c => typeof c === 'number' && Number.isFinite(c))
        ) {
          throw new Error(
            `Polygon vertex ${JSON.stringify(vertex)} is not an [x, y] pair.`
          );
        }
        return [vertex[0], vertex[1]] as Point;
      });
      return { kind, vertices };
    }
  }
  throw new Error(
    `Unknown shape ${JSON.stringify(kind)}: expected one of ${SHAPE_KINDS.join(', ')}.`
  );
}

/**
 * The covered pixel span of a rectangle, as the server truncates it:
 * `[x0, x1] × [y0, y1]` inclusive (may reach outside the image).
 */
export function rectangleSpan(shape: Extract<Shape, { kind: 'rectangle' }>): {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
} {
  const [ax, bx] = [shape.x, shape.x + shape.width].sort((a, b) => a - b);
  const [ay, by] = [shape.y, shape.y + shape.height].sort((a, b) => a - b);
  return {
    x0: Math.trunc(ax),
    x1: Math.trunc(bx),
    y0: Math.trunc(ay),
    y1: Math.trunc(by)
  };
}

/**
 * Whether the pixel centred at integer `(x, y)` belongs to the shape's mask,
 * by exactly the server's rules.
 */
export function containsPixel(shape: Shape, x: number, y: number): boolean {
  switch (shape.kind) {
    case 'disk': {
      const d2 = (x - shape.cx) ** 2 + (y - shape.cy) ** 2;
      return d2 <= shape.r * shape.r;
    }
    case 'ring': {
      const d2 = (x - shape.cx) ** 2 + (y - shape.cy) ** 2;
      return d2 <= shape.ro * shape.ro && !(d2 <= shape.ri * shape.ri);
    }
    case 'rectangle': {
      if (shape.width === 0 || shape.height === 0) {
        return false;
      }
      const { x0, x1, y0, y1 } = rectangleSpan(shape);
      return x >= x0 && x <= x1 && y >= y0 && y <= y1;
    }
    case 'point':
      return x === Math.floor(shape.cx) && y === Math.floor(shape.cy);
    case 'polygon':
      return insidePolygon(shape.vertices, x, y);
  }
}

/**
 * Even-odd test with half-open edge straddling (`y0 <= py < y1`), the rule of
 * the server's polygon masks, so a point on a shared vertex counts once.
 */
export function insidePolygon(
  vertices: ReadonlyArray<Point>,
  px: number,
  py: number
): boolean {
  if (vertices.length < 3) {
    return false;
  }
  let inside = false;
  for (let i = 0; i < vertices.length; i++) {
    const [x0, y0] = vertices[i];
    const [x1, y1] = vertices[(i + 1) % vertices.length];
    if (y0 === y1) {
      continue;
    }
    if (y0 <= py !== y1 <= py) {
      const xCross = x0 + ((py - y0) * (x1 - x0)) / (y1 - y0);
      if (px < xCross) {
        inside = !inside;
      }
    }
  }
  return inside;
}

/**
 * A grip on a shape: `id` names what dragging it changes.
 */
export interface IHandle {
  id: string;
  at: Point;
  cursor: string;
}

/**
 * The drawn outline of a rectangle: the outer edges of its covered pixels.
 */
export function rectangleOutline(
  shape: Extract<Shape, { kind: 'rectangle' }>
): { left: number; top: number; right: number; bottom: number } {
  const { x0, x1, y0, y1 } = rectangleSpan(shape);
  return { left: x0 - 0.5, top: y0 - 0.5, right: x1 + 0.5, bottom: y1 + 0.5 };
}

/**
 * The grips of a shape: `move` at its centre, then the resize grips (the
 * radius on the right of a disk, the inner radius above and the outer radius
 * right of a ring, the corners of a rectangle, every polygon vertex `v<i>`).
 */
export function handles(shape: Shape): IHandle[] {
  switch (shape.kind) {
    case 'disk':
      return [
        { id: 'move', at: [shape.cx, shape.cy], cursor: 'move' },
        { id: 'r', at: [shape.cx + shape.r, shape.cy], cursor: 'ew-resize' }
      ];
    case 'ring':
      return [
        { id: 'move', at: [shape.cx, shape.cy], cursor: 'move' },
        { id: 'ri', at: [shape.cx, shape.cy - shape.ri], cursor: 'ns-resize' },
        { id: 'ro', at: [shape.cx + shape.ro, shape.cy], cursor: 'ew-resize' }
      ];
    case 'rectangle': {
      const { left, top, right, bottom } = rectangleOutline(shape);
      return [
        {
          id: 'move',
          at: [(left + right) / 2, (top + bottom) / 2],
          cursor: 'move'
        },
        { id: 'nw', at: [left, top], cursor: 'nwse-resize' },
        { id: 'ne', at: [right, top], cursor: 'nesw-resize' },
        { id: 'sw', at: [left, bottom], cursor: 'nesw-resize' },
        { id: 'se', at: [right, bottom], cursor: 'nwse-resize' }
      ];
    }
    case 'point':
      return [{ id: 'move', at: [shape.cx, shape.cy], cursor: 'move' }];
    case 'polygon':
      return [
        { id: 'move', at: centroid(shape.vertices), cursor: 'move' },
        ...shape.vertices.map((at, i) => ({
          id: `v${i}`,
          at: [at[0], at[1]] as Point,
          cursor: 'crosshair'
        }))
      ];
  }
}

function centroid(vertices: ReadonlyArray<Point>): Point {
  let sx = 0;
  let sy = 0;
  for (const [x, y] of vertices) {
    sx += x;
    sy += y;
  }
  const n = Math.max(1, vertices.length);
  return [sx / n, sy / n];
}

/**
 * What is under `p`: a handle id (resize grips win over `move`), `'body'`
 * when `p` is on the shape, or null. `tolerance` is in image pixels (the
 * caller converts its screen tolerance with the zoom).
 */
export function hitTest(
  shape: Shape,
  p: Point,
  tolerance: number
): string | null {
  const near = (at: Point) =>
    Math.hypot(at[0] - p[0], at[1] - p[1]) <= tolerance;
  const grips = handles(shape);
  for (const handle of grips.slice(1)) {
    if (near(handle.at)) {
      return handle.id;
    }
  }
  if (near(grips[0].at)) {
    return grips[0].id;
  }
  switch (shape.kind) {
    case 'disk':
      return Math.hypot(p[0] - shape.cx, p[1] - shape.cy) <= shape.r + tolerance
        ? 'body'
        : null;
    case 'ring': {
      const d = Math.hypot(p[0] - shape.cx, p[1] - shape.cy);
      return d >= shape.ri - tolerance && d <= shape.ro + tolerance
        ? 'body'
        : null;
    }
    case 'rectangle': {
      const { left, top, right, bottom } = rectangleOutline(shape);
      return p[0] >= left - tolerance &&
        p[0] <= right + tolerance &&
        p[1] >= top - tolerance &&
        p[1] <= bottom + tolerance
        ? 'body'
        : null;
    }
    case 'point':
      return null;
    case 'polygon':
      return insidePolygon(shape.vertices, p[0], p[1]) ? 'body' : null;
  }
}

const clamp = (v: number, lo: number, hi: number) =>
  Math.min(Math.max(v, lo), Math.max(lo, hi));

/** Round to the nearest half pixel: centres and radii stay readable. */
const half = (v: number) => Math.round(v * 2) / 2;

/**
 * Move a shape by `(dx, dy)` image pixels, as far as the bounds allow: a
 * centre stays on the image, a rectangle or polygon keeps all of itself on it
 * (when it fits).
 */
export function nudgeShape(
  shape: Shape,
  dx: number,
  dy: number,
  bounds: IBounds
): Shape {
  const maxX = bounds.width - 1;
  const maxY = bounds.height - 1;
  switch (shape.kind) {
    case 'disk':
    case 'ring':
    case 'point':
      return {
        ...shape,
        cx: clamp(shape.cx + dx, 0, maxX),
        cy: clamp(shape.cy + dy, 0, maxY)
      };
    case 'rectangle': {
      const { x0, x1, y0, y1 } = rectangleSpan(shape);
      const mx = clamp(dx, -x0, maxX - x1);
      const my = clamp(dy, -y0, maxY - y1);
      return { ...shape, x: shape.x + mx, y: shape.y + my };
    }
    case 'polygon': {
      const xs = shape.vertices.map(v => v[0]);
      const ys = shape.vertices.map(v => v[1]);
      const mx = clamp(dx, -Math.min(...xs), maxX - Math.max(...xs));
      const my = clamp(dy, -Math.min(...ys), maxY - Math.max(...ys));
      return {
        ...shape,
        vertices: shape.vertices.map(([x, y]) => [x + mx, y + my] as Point)
      };
    }
  }
}

/**
 * The shape after dragging handle `handleId` (or `'body'`) from `from` to
 * `to`. Pass the shape as it was when the drag started and the pointer
 * position at the start, not incremental steps: results are snapped (half
 * pixels for centres and radii, whole pixels for rectangles and points) and
 * incremental snapping would swallow slow drags.
 *
 * Invariants kept: `r >= 0.5`, `ri + 0.5 <= ro`, rectangle width and height
 * `>= 1`, centres, corners and vertices on the image.
 */
export function dragShape(
  shape: Shape,
  handleId: string,
  from: Point,
  to: Point,
  bounds: IBounds
): Shape {
  const dx = to[0] - from[0];
  const dy = to[1] - from[1];
  const maxX = bounds.width - 1;
  const maxY = bounds.height - 1;
  const radiusLimit = Math.max(bounds.width, bounds.height);
  if (handleId === 'move' || handleId === 'body') {
    const snap = shape.kind === 'rectangle' || shape.kind === 'point';
    const moved = nudgeShape(
      shape,
      snap ? Math.round(dx) : half(dx),
      snap ? Math.round(dy) : half(dy),
      bounds
    );
    if (moved.kind === 'point') {
      return { ...moved, cx: Math.round(moved.cx), cy: Math.round(moved.cy) };
    }
    return moved;
  }
  switch (shape.kind) {
    case 'disk':
      if (handleId === 'r') {
        const r = Math.hypot(to[0] - shape.cx, to[1] - shape.cy);
        return { ...shape, r: clamp(half(r), MIN_RADIUS, radiusLimit) };
      }
      break;
    case 'ring': {
      const d = half(Math.hypot(to[0] - shape.cx, to[1] - shape.cy));
      if (handleId === 'ri') {
        const ri = clamp(d, 0, shape.ro - MIN_RING_WIDTH);
        return { ...shape, ri };
      }
      if (handleId === 'ro') {
        const ro = clamp(
          d,
          Math.max(shape.ri + MIN_RING_WIDTH, MIN_RADIUS),
          Math.max(radiusLimit, shape.ri + MIN_RING_WIDTH)
        );
        return { ...shape, ro };
      }
      break;
    }
    case 'rectangle':
      if (['nw', 'ne', 'sw', 'se'].includes(handleId)) {
        return dragCorner(shape, handleId, Math.round(dx), Math.round(dy), {
          maxX,
          maxY
        });
      }
      break;
    case 'polygon': {
      const index = /^v(\d+)$/.exec(handleId);
      if (index && Number(index[1]) < shape.vertices.length) {
        const i = Number(index[1]);
        const vertices = shape.vertices.map(v => [v[0], v[1]] as Point);
        vertices[i] = [
          clamp(half(vertices[i][0] + dx), 0, maxX),
          clamp(half(vertices[i][1] + dy), 0, maxY)
        ];
        return { ...shape, vertices };
      }
      break;
    }
  }
  throw new Error(`A ${shape.kind} has no handle '${handleId}'.`);
}

function dragCorner(
  shape: Extract<Shape, { kind: 'rectangle' }>,
  corner: string,
  dx: number,
  dy: number,
  limits: { maxX: number; maxY: number }
): Shape {
  const { x0, x1, y0, y1 } = rectangleSpan(shape);
  let [left, right, top, bottom] = [x0, x1, y0, y1];
  if (corner.includes('w')) {
    left = clamp(x0 + dx, 0, right - 1);
  } else {
    right = clamp(x1 + dx, left + 1, Math.max(limits.maxX, left + 1));
  }
  if (corner.includes('n')) {
    top = clamp(y0 + dy, 0, bottom - 1);
  } else {
    bottom = clamp(y1 + dy, top + 1, Math.max(limits.maxY, top + 1));
  }
  return {
    kind: 'rectangle',
    x: left,
    y: top,
    width: right - left,
    height: bottom - top
  };
}

const num = (v: number) => String(Math.round(v * 100) / 100);

/**
 * A short description for lists and tooltips, e.g. "ring (32, 32) 12–30 px".
 */
export function shapeLabel(shape: Shape): string {
  switch (shape.kind) {
    case 'disk':
      return `disk (${num(shape.cx)}, ${num(shape.cy)}) r ${num(shape.r)} px`;
    case 'ring':
      return `ring (${num(shape.cx)}, ${num(shape.cy)}) ${num(shape.ri)}–${num(shape.ro)} px`;
    case 'rectangle':
      return `rectangle (${num(shape.x)}, ${num(shape.y)}) ${num(shape.width)} × ${num(shape.height)} px`;
    case 'point':
      return `point (${num(shape.cx)}, ${num(shape.cy)})`;
    case 'polygon':
      return `polygon, ${shape.vertices.length} vertices`;
  }
}
