/**
 * A small line plot of a line profile, with its value range and length.
 */
import React from 'react';

import { useTranslation } from '../i18n';
import { PlotFrame } from './PlotFrame';
import { profilePath } from './profile';
import { formatValue } from './scalebar';

/** Plot area in SVG user units; the SVG scales to its box. */
const WIDTH = 300;
const HEIGHT = 100;

export interface IProfilePlotProps {
  profile: { distance: Float64Array; values: Float64Array } | null;
  /** Units of the distance axis (default: px). */
  units?: string;
  /** What the curve is, for screen readers (default: a line profile). */
  label?: string;
}

export function ProfilePlot(props: IProfilePlotProps): JSX.Element {
  const trans = useTranslation();
  const { profile } = props;
  if (!profile || profile.values.length === 0) {
    return (
      <div className="jp-RemotemViewer-profile" data-testid="profile-plot">
        <div className="jp-RemotemViewer-profileEmpty">
          {trans.__('Draw a line on the image to see its profile.')}
        </div>
      </div>
    );
  }
  const { path, xmax, ymin, ymax } = profilePath(profile, WIDTH, HEIGHT);
  const units = props.units || 'px';
  return (
    <div className="jp-RemotemViewer-profile" data-testid="profile-plot">
      <PlotFrame
        width={WIDTH}
        height={HEIGHT}
        path={path}
        ymax={<span data-testid="profile-ymax">{formatValue(ymax)}</span>}
        ymin={<span data-testid="profile-ymin">{formatValue(ymin)}</span>}
        xmax={
          <span data-testid="profile-length">
            {formatValue(xmax)} {units}
          </span>
        }
        lineTestId="profile-line"
        svg={{
          className: 'jp-RemotemViewer-profileSvg',
          role: 'img',
          'aria-label': trans.__(
            '%1, %2 samples, values from %3 to %4',
            props.label ?? trans.__('Line profile'),
            profile.values.length,
            formatValue(ymin),
            formatValue(ymax)
          )
        }}
      />
    </div>
  );
}
