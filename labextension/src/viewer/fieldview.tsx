/**
 * The centre-of-mass shift field as a colour wheel (hue = direction, brightness =
 * length). The display core draws scalar images through colour maps; a field is
 * already coloured, so this small view draws its RGBA pixels as they are, keeps
 * them square, marks the current position, and picks positions on click and drag.
 */
import React, { useEffect, useRef } from 'react';

import { Point } from './geometry';

/** Arrow keys move the marker by one position (ten with Shift). */
const ARROWS: Record<string, [number, number]> = {
  ArrowLeft: [-1, 0],
  ArrowRight: [1, 0],
  ArrowUp: [0, -1],
  ArrowDown: [0, 1]
};

/** About how many canvas pixels the longer side is drawn with. */
const DRAWN_SIZE = 512;

export function FieldView(props: {
  pixels: Uint8ClampedArray;
  width: number;
  height: number;
  marker: Point | null;
  onPick: (p: Point, final: boolean) => void;
  label: string;
}): JSX.Element {
  const { pixels, width, height, marker } = props;
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const dragging = useRef(false);

  useEffect(() => {
    const canvas = canvasRef.current;
    const context = canvas?.getContext('2d');
    if (!canvas || !context) {
      return;
    }
    // Drawn a few canvas pixels per scan position, so that the marker can be thin.
    const zoom = Math.max(1, Math.floor(DRAWN_SIZE / Math.max(width, height)));
    const source = document.createElement('canvas');
    source.width = width;
    source.height = height;
    source
      .getContext('2d')
      ?.putImageData(
        new ImageData(new Uint8ClampedArray(pixels), width, height),
        0,
        0
      );
    canvas.width = width * zoom;
    canvas.height = height * zoom;
    context.imageSmoothingEnabled = false;
    context.drawImage(source, 0, 0, canvas.width, canvas.height);
    if (marker) {
      const x = (marker[0] + 0.5) * zoom;
      const y = (marker[1] + 0.5) * zoom;
      context.strokeStyle = 'rgba(255, 255, 255, 0.9)';
      context.lineWidth = 1;
      context.strokeRect(x - zoom, y - zoom, 2 * zoom, 2 * zoom);
    }
  }, [pixels, width, height, marker]);

  const pixelOf = (event: React.PointerEvent<HTMLCanvasElement>): Point => {
    const box = event.currentTarget.getBoundingClientRect();
    // The canvas keeps its aspect ratio inside its box (object-fit: contain).
    const scale = Math.min(box.width / width, box.height / height);
    const left = box.left + (box.width - width * scale) / 2;
    const top = box.top + (box.height - height * scale) / 2;
    const x = Math.floor((event.clientX - left) / scale);
    const y = Math.floor((event.clientY - top) / scale);
    return [
      Math.min(width - 1, Math.max(0, x)),
      Math.min(height - 1, Math.max(0, y))
    ];
  };

  return (
    <canvas
      ref={canvasRef}
      className="jp-remotem-viewer-field"
      data-testid="field-canvas"
      role="img"
      tabIndex={0}
      aria-label={props.label}
      onKeyDown={event => {
        const step = ARROWS[event.key];
        if (step && marker) {
          event.preventDefault();
          const size = event.shiftKey ? 10 : 1;
          props.onPick(
            [
              Math.min(width - 1, Math.max(0, marker[0] + step[0] * size)),
              Math.min(height - 1, Math.max(0, marker[1] + step[1] * size))
            ],
            true
          );
        }
      }}
      onPointerDown={event => {
        dragging.current = true;
        event.currentTarget.setPointerCapture(event.pointerId);
        props.onPick(pixelOf(event), false);
      }}
      onPointerMove={event => {
        if (dragging.current) {
          props.onPick(pixelOf(event), false);
        }
      }}
      onPointerUp={event => {
        if (dragging.current) {
          dragging.current = false;
          props.onPick(pixelOf(event), true);
        }
      }}
    />
  );
}
