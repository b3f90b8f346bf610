/**
 * The frame of the viewer's small line plots (a line profile, a 1-D scan): the value
 * range at the left, the plot in an SVG that scales to its box, and the ends of the
 * horizontal axis below.
 */
import React from 'react';

export interface IPlotFrameProps {
  /** Plot area in SVG user units. */
  width: number;
  height: number;
  /** The SVG path of the line. */
  path: string;
  /** Labels of the top and bottom of the value axis, and of the far end of the other. */
  ymax: React.ReactNode;
  ymin: React.ReactNode;
  xmax: React.ReactNode;
  /** Attributes of the SVG (its class, role, label, event handlers). */
  svg: React.SVGProps<SVGSVGElement>;
  /** The `data-testid` of the line. */
  lineTestId: string;
  /** Drawn under the line (e.g. a shaded range). */
  below?: React.ReactNode;
  /** Drawn over the line (e.g. a cursor). */
  above?: React.ReactNode;
}

export function PlotFrame(props: IPlotFrameProps): JSX.Element {
  const { width, height } = props;
  return (
    <>
      <div className="jp-RemotemViewer-profileAxisY">
        {props.ymax}
        {props.ymin}
      </div>
      <div className="jp-RemotemViewer-profileBody">
        <svg
          {...props.svg}
          viewBox={`0 0 ${width} ${height}`}
          preserveAspectRatio="none"
        >
          <rect
            className="jp-RemotemViewer-profileFrame"
            x={0}
            y={0}
            width={width}
            height={height}
          />
          {props.below}
          <path
            className="jp-RemotemViewer-profileLine"
            data-testid={props.lineTestId}
            d={props.path}
            vectorEffect="non-scaling-stroke"
          />
          {props.above}
        </svg>
        <div className="jp-RemotemViewer-profileAxisX">
          <span>0</span>
          {props.xmax}
        </div>
      </div>
    </>
  );
}
