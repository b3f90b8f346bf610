import {
  containsPixel,
  defaultShape,
  dragShape,
  fromServerSpec,
  handles,
  hitTest,
  nudgeShape,
  Shape,
  SHAPE_KINDS,
  shapeLabel,
  toServerSpec
} from '../viewer/geometry';

/**
 * Masks made by the server (`jupyter_remotem.kernels.masks.from_spec`) for a
 * 7 × 8 frame, rows separated by spaces, '1' for a pixel inside the detector.
 */
const SERVER_MASKS: [Record<string, unknown>, string][] = [
  [
    { shape: 'disk', cx: 3, cy: 3, r: 2 },
    '00000000 00010000 00111000 01111100 00111000 00010000 00000000'
  ],
  [
    { shape: 'disk', cx: 3.5, cy: 2.5, r: 1.5 },
    '00000000 00000000 00011000 00011000 00000000 00000000 00000000'
  ],
  [
    { shape: 'ring', cx: 3, cy: 3, ri: 1, ro: 2 },
    '00000000 00010000 00101000 01000100 00101000 00010000 00000000'
  ],
  [
    { shape: 'ring', cx: 4, cy: 3, ri: 0, ro: 1 },
    '00000000 00000000 00001000 00010100 00001000 00000000 00000000'
  ],
  [
    { shape: 'rectangle', x: 1, y: 2, width: 3, height: 2 },
    '00000000 00000000 01111000 01111000 01111000 00000000 00000000'
  ],
  [
    { shape: 'rectangle', x: 1.7, y: 0.2, width: 2.5, height: 1.9 },
    '01111000 01111000 01111000 00000000 00000000 00000000 00000000'
  ],
  [
    { shape: 'rectangle', x: -3, y: -2, width: 5, height: 4 },
    '11100000 11100000 11100000 00000000 00000000 00000000 00000000'
  ],
  [
    { shape: 'rectangle', x: 2, y: 2, width: 0, height: 3 },
    '00000000 00000000 00000000 00000000 00000000 00000000 00000000'
  ],
  [
    { shape: 'point', cx: 2.9, cy: 4.2 },
    '00000000 00000000 00000000 00000000 00100000 00000000 00000000'
  ],
  [
    { shape: 'point', cx: -0.5, cy: 1 },
    '00000000 00000000 00000000 00000000 00000000 00000000 00000000'
  ],
  [
    {
      shape: 'polygon',
      vertices: [
        [1, 1],
        [6, 1],
        [6, 5],
        [1, 5]
      ]
    },
    '00000000 01111100 01111100 01111100 01111100 00000000 00000000'
  ],
  [
    {
      shape: 'polygon',
      vertices: [
        [0.5, 0.5],
        [6.5, 3],
        [0.5, 5.5]
      ]
    },
    '00000000 01000000 01111000 01111110 01111000 01000000 00000000'
  ],
  [
    {
      shape: 'polygon',
      vertices: [
        [1, 1],
        [5, 5],
        [5, 1],
        [1, 5]
      ]
    },
    '00000000 00000000 01001000 01111000 01001000 00000000 00000000'
  ]
];

function maskOf(shape: Shape, height: number, width: number): string[] {
  const rows: string[] = [];
  for (let y = 0; y < height; y++) {
    let row = '';
    for (let x = 0; x < width; x++) {
      row += containsPixel(shape, x, y) ? '1' : '0';
    }
    rows.push(row);
  }
  return rows;
}

const bounds = { width: 64, height: 48 };

describe('containsPixel', () => {
  it.each(SERVER_MASKS)('matches the server mask of %j', (spec, mask) => {
    expect(maskOf(fromServerSpec(spec), 7, 8).join(' ')).toBe(mask);
  });

  it('includes the disk edge d == r and excludes beyond', () => {
    const disk: Shape = { kind: 'disk', cx: 10, cy: 10, r: 5 };
    expect(containsPixel(disk, 15, 10)).toBe(true);
    expect(containsPixel(disk, 13, 14)).toBe(true); // 3-4-5 triangle
    expect(containsPixel(disk, 16, 10)).toBe(false);
  });

  it('opens the ring on its inner edge and closes it on the outer one', () => {
    const ring: Shape = { kind: 'ring', cx: 10, cy: 10, ri: 3, ro: 5 };
    expect(containsPixel(ring, 13, 10)).toBe(false);
    expect(containsPixel(ring, 14, 10)).toBe(true);
    expect(containsPixel(ring, 15, 10)).toBe(true);
    expect(containsPixel(ring, 10, 10)).toBe(false);
  });

  it('makes a disk of ri and a ring from ri tile the disk of ro', () => {
    const inner: Shape = { kind: 'disk', cx: 4.5, cy: 5, r: 2.5 };
    const ring: Shape = { kind: 'ring', cx: 4.5, cy: 5, ri: 2.5, ro: 4 };
    const outer: Shape = { kind: 'disk', cx: 4.5, cy: 5, r: 4 };
    for (let y = 0; y < 12; y++) {
      for (let x = 0; x < 12; x++) {
        const a = containsPixel(inner, x, y);
        const b = containsPixel(ring, x, y);
        expect(a && b).toBe(false);
        expect(a || b).toBe(containsPixel(outer, x, y));
      }
    }
  });

  it('covers both edges of a rectangle', () => {
    const rect: Shape = { kind: 'rectangle', x: 2, y: 3, width: 3, height: 1 };
    expect(containsPixel(rect, 2, 3)).toBe(true);
    expect(containsPixel(rect, 5, 4)).toBe(true);
    expect(containsPixel(rect, 6, 4)).toBe(false);
    expect(containsPixel(rect, 1, 3)).toBe(false);
    expect(containsPixel(rect, 3, 5)).toBe(false);
  });
});

describe('server specifications', () => {
  it('round-trips every kind', () => {
    for (const kind of SHAPE_KINDS) {
      const shape = defaultShape(kind, 64, 48);
      const spec = toServerSpec(shape);
      expect(spec.shape).toBe(kind);
      expect(fromServerSpec(JSON.parse(JSON.stringify(spec)))).toEqual(shape);
    }
  });

  it('writes the keys the server expects', () => {
    expect(toServerSpec({ kind: 'ring', cx: 1, cy: 2, ri: 3, ro: 4 })).toEqual({
      shape: 'ring',
      cx: 1,
      cy: 2,
      ri: 3,
      ro: 4
    });
    expect(
      toServerSpec({
        kind: 'polygon',
        vertices: [
          [0, 0],
          [4, 0],
          [0, 3]
        ]
      })
    ).toEqual({
      shape: 'polygon',
      vertices: [
        [0, 0],
        [4, 0],
        [0, 3]
      ]
    });
  });

  it.each([
    [{ shape: 'ellipse', cx: 1 }, /Unknown shape/],
    [{ shape: 'disk', cx: 1, cy: 2 }, /"r"/],
    [{ shape: 'disk', cx: 1, cy: 2, r: -1 }, /negative/],
    [{ shape: 'disk', cx: '1', cy: 2, r: 1 }, /"cx"/],
    [{ shape: 'ring', cx: 1, cy: 2, ri: 5, ro: 3 }, /inner radius/],
    [{ shape: 'rectangle', x: 0, y: 0, width: 2 }, /"height"/],
    [
      {
        shape: 'polygon',
        vertices: [
          [0, 0],
          [1, 1]
        ]
      },
      /three/
    ],
    [
      {
        shape: 'polygon',
        vertices: [[0, 0], [1, 1], [2]]
      },
      /not an \[x, y\] pair/
    ],
    [{ shape: 'point', cx: NaN, cy: 0 }, /finite/]
  ])('refuses %j', (spec, message) => {
    expect(() => fromServerSpec(spec as Record<string, unknown>)).toThrow(
      message
    );
  });
});

describe('defaultShape', () => {
  it('centres a visible shape inside the image', () => {
    for (const kind of SHAPE_KINDS) {
      const shape = defaultShape(kind, 64, 48);
      let inside = 0;
      for (let y = 0; y < 48; y++) {
        for (let x = 0; x < 64; x++) {
          inside += containsPixel(shape, x, y) ? 1 : 0;
        }
      }
      expect(inside).toBeGreaterThan(0);
      expect(containsPixel(shape, 32, 24) || kind === 'ring').toBe(true);
    }
  });

  it('keeps a ring open and a rectangle at least one pixel for tiny images', () => {
    const ring = defaultShape('ring', 2, 2) as Extract<Shape, { kind: 'ring' }>;
    expect(ring.ri).toBeLessThan(ring.ro);
    const rect = defaultShape('rectangle', 1, 1) as Extract<
      Shape,
      { kind: 'rectangle' }
    >;
    expect(rect.width).toBeGreaterThanOrEqual(1);
  });
});

describe('handles and hitTest', () => {
  const ring: Shape = { kind: 'ring', cx: 20, cy: 20, ri: 5, ro: 10 };

  it('lists move first, then the resize grips', () => {
    expect(handles(ring).map(h => h.id)).toEqual(['move', 'ri', 'ro']);
    expect(
      handles({ kind: 'rectangle', x: 0, y: 0, width: 4, height: 2 }).map(
        h => h.id
      )
    ).toEqual(['move', 'nw', 'ne', 'sw', 'se']);
    expect(
      handles({
        kind: 'polygon',
        vertices: [
          [0, 0],
          [4, 0],
          [0, 4]
        ]
      }).map(h => h.id)
    ).toEqual(['move', 'v0', 'v1', 'v2']);
  });

  it('finds grips within the tolerance, the body, or nothing', () => {
    expect(hitTest(ring, [30.5, 20], 1)).toBe('ro');
    expect(hitTest(ring, [20, 15.4], 1)).toBe('ri');
    expect(hitTest(ring, [20.5, 20.5], 1)).toBe('move');
    expect(hitTest(ring, [27, 20], 1)).toBe('body');
    expect(hitTest(ring, [23, 20], 1)).toBeNull(); // in the hole
    expect(hitTest(ring, [40, 40], 1)).toBeNull();
  });

  it('puts rectangle corners on the outer edges of the covered pixels', () => {
    const rect: Shape = { kind: 'rectangle', x: 2, y: 3, width: 4, height: 2 };
    expect(hitTest(rect, [1.5, 2.5], 0.1)).toBe('nw');
    expect(hitTest(rect, [6.5, 5.5], 0.1)).toBe('se');
    expect(hitTest(rect, [3, 4], 0.1)).toBe('body');
    expect(hitTest(rect, [8, 4], 0.1)).toBeNull();
  });

  it('tests polygon bodies with the even-odd rule', () => {
    const triangle: Shape = {
      kind: 'polygon',
      vertices: [
        [0, 0],
        [10, 0],
        [0, 10]
      ]
    };
    expect(hitTest(triangle, [2, 2], 0.5)).toBe('body');
    expect(hitTest(triangle, [8, 8], 0.5)).toBeNull();
    expect(hitTest(triangle, [10.2, 0], 0.5)).toBe('v1');
  });
});

describe('dragShape', () => {
  it('moves a disk by the pointer offset, snapped to half pixels', () => {
    const disk: Shape = { kind: 'disk', cx: 10, cy: 10, r: 4 };
    expect(dragShape(disk, 'body', [10, 10], [13.3, 8.8], bounds)).toEqual({
      kind: 'disk',
      cx: 13.5,
      cy: 9,
      r: 4
    });
  });

  it('keeps centres on the image', () => {
    const disk: Shape = { kind: 'disk', cx: 10, cy: 10, r: 4 };
    const moved = dragShape(disk, 'move', [10, 10], [-50, 500], bounds);
    expect(moved).toMatchObject({ cx: 0, cy: 47 });
  });

  it('keeps radii positive and rings open', () => {
    const disk: Shape = { kind: 'disk', cx: 10, cy: 10, r: 4 };
    expect(dragShape(disk, 'r', [14, 10], [10, 10], bounds)).toMatchObject({
      r: 0.5
    });
    expect(dragShape(disk, 'r', [14, 10], [16, 10], bounds)).toMatchObject({
      r: 6
    });
    const ring: Shape = { kind: 'ring', cx: 20, cy: 20, ri: 5, ro: 10 };
    const inner = dragShape(ring, 'ri', [20, 15], [20, 0], bounds);
    expect(inner).toMatchObject({ ri: 9.5, ro: 10 });
    const outer = dragShape(ring, 'ro', [30, 20], [21, 20], bounds);
    expect(outer).toMatchObject({ ri: 5, ro: 5.5 });
    const grown = dragShape(ring, 'ro', [30, 20], [32, 20], bounds);
    expect(grown).toMatchObject({ ri: 5, ro: 12 });
  });

  it('resizes rectangles by their corners, at least one pixel, inside the image', () => {
    const rect: Shape = {
      kind: 'rectangle',
      x: 10,
      y: 10,
      width: 5,
      height: 5
    };
    expect(dragShape(rect, 'se', [15.5, 15.5], [18.5, 12.5], bounds)).toEqual({
      kind: 'rectangle',
      x: 10,
      y: 10,
      width: 8,
      height: 2
    });
    expect(dragShape(rect, 'nw', [9.5, 9.5], [30, 30], bounds)).toEqual({
      kind: 'rectangle',
      x: 14,
      y: 14,
      width: 1,
      height: 1
    });
    expect(dragShape(rect, 'ne', [15.5, 9.5], [100, -100], bounds)).toEqual({
      kind: 'rectangle',
      x: 10,
      y: 0,
      width: 53,
      height: 15
    });
  });

  it('moves rectangles whole pixels and keeps them inside', () => {
    const rect: Shape = {
      kind: 'rectangle',
      x: 10,
      y: 10,
      width: 5,
      height: 5
    };
    expect(dragShape(rect, 'body', [12, 12], [14.4, 11.6], bounds)).toEqual({
      ...rect,
      x: 12,
      y: 10
    });
    const moved = dragShape(rect, 'body', [12, 12], [200, 200], bounds);
    expect(moved).toEqual({ ...rect, x: 58, y: 42 });
    for (let y = 0; y < 48; y++) {
      expect(containsPixel(moved, 63, y)).toBe(y >= 42);
    }
  });

  it('moves a polygon vertex without touching the others', () => {
    const polygon: Shape = {
      kind: 'polygon',
      vertices: [
        [0, 0],
        [10, 0],
        [0, 10]
      ]
    };
    expect(dragShape(polygon, 'v1', [10, 0], [12.2, 3.9], bounds)).toEqual({
      kind: 'polygon',
      vertices: [
        [0, 0],
        [12, 4],
        [0, 10]
      ]
    });
  });

  it('refuses handles the shape does not have', () => {
    const disk: Shape = { kind: 'disk', cx: 10, cy: 10, r: 4 };
    expect(() => dragShape(disk, 'ro', [0, 0], [1, 1], bounds)).toThrow(
      /no handle 'ro'/
    );
  });
});

describe('nudgeShape', () => {
  it('moves by the step and stops at the border', () => {
    const point: Shape = { kind: 'point', cx: 1, cy: 5 };
    expect(nudgeShape(point, -1, 0, bounds)).toEqual({ ...point, cx: 0 });
    expect(nudgeShape(point, -10, 0, bounds)).toEqual({ ...point, cx: 0 });
    const polygon: Shape = {
      kind: 'polygon',
      vertices: [
        [60, 0],
        [62, 0],
        [60, 2]
      ]
    };
    expect(nudgeShape(polygon, 10, 1, bounds)).toEqual({
      kind: 'polygon',
      vertices: [
        [61, 1],
        [63, 1],
        [61, 3]
      ]
    });
  });
});

describe('shapeLabel', () => {
  it('describes each kind briefly', () => {
    expect(shapeLabel({ kind: 'ring', cx: 32, cy: 32, ri: 12, ro: 30 })).toBe(
      'ring (32, 32) 12–30 px'
    );
    expect(shapeLabel({ kind: 'disk', cx: 31.5, cy: 32, r: 8 })).toBe(
      'disk (31.5, 32) r 8 px'
    );
    expect(
      shapeLabel({ kind: 'rectangle', x: 1, y: 2, width: 3, height: 4 })
    ).toBe('rectangle (1, 2) 3 × 4 px');
  });
});
