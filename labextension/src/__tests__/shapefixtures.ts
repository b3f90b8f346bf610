/**
 * Shapes several test files use: a triangle detector on a 64 × 48 frame.
 */
import { Shape } from '../viewer/geometry';

/** A triangle well inside a 64 × 48 frame, vertices in pixels. */
export const TRIANGLE: Shape = {
  kind: 'polygon',
  vertices: [
    [10, 10],
    [40, 12],
    [25, 30]
  ]
};
