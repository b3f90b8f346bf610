/**
 * The line profile under the images: its plot, the width of the band it averages
 * over, export as CSV or NPY (with calibrated positions) and a close button that
 * removes the line.
 */
import React, { useMemo } from 'react';

import { useTranslation } from '../i18n';
import { imageCalibration } from './calibration';
import { downloadBytes, exportName } from './download';
import { ViewerModel } from './model';
import { IImage, tableNpy } from './npy';
import { NumberField } from './NumberField';
import {
  bandProfile,
  MAX_PROFILE_WIDTH,
  profileCsv,
  profileTable
} from './profile';
import { ProfilePlot } from './ProfilePlot';
import { reciprocalCalibration } from './reciprocal';
import { IViewState } from './state';

export function ProfileSection(props: {
  model: ViewerModel;
  state: IViewState;
  onChange: (patch: Partial<IViewState>) => void;
  /** Remove the line and leave the line tool. */
  onClose: () => void;
}): JSX.Element {
  const { model, state, onChange } = props;
  const trans = useTranslation();
  const onNav = state.lineOn === 'nav';
  const image: IImage | null = onNav
    ? model.navigation.image
    : model.frame.image;
  const line = state.line;
  const width = state.lineWidth;
  const profile = useMemo(
    () => (image && line ? bandProfile(image, line[0], line[1], width) : null),
    [image, line, width]
  );
  const dataset = model.dataset!;
  const realCalibration = imageCalibration(
    dataset,
    onNav ? 'nav' : 'sig',
    onNav ? state.navCalibration : state.frameCalibration
  );
  const fft = onNav ? state.navFft : state.frameFft;
  // The profile of an FFT runs in reciprocal units (1/nm, 1/px), never the frame's mrad.
  const calibration =
    fft && image
      ? reciprocalCalibration(realCalibration, image.width, image.height)
      : realCalibration;
  const scaled =
    profile && calibration
      ? {
          distance: profile.distance.map(d => d * calibration.x.scale),
          values: profile.values
        }
      : profile;
  const table = () => {
    const source = model.source;
    const what = `${onNav ? 'navigation image' : 'frame'}${fft ? ' |FFT|' : ''}`;
    return profileTable(
      profile!,
      line!,
      width,
      calibration,
      `${what} of ${source?.repository}:${source?.path}`
    );
  };
  const path = model.source?.path ?? 'data';
  return (
    <section
      className="jp-remotem-viewer-profile"
      aria-label={trans.__('Line profile')}
      data-width={width}
    >
      <div className="jp-remotem-viewer-profile-tools">
        <label>
          {trans.__('width (px)')}
          <NumberField
            value={width}
            label={trans.__(
              'Width of the band the profile averages across, in pixels'
            )}
            testId="profile-width"
            className="jp-remotem-viewer-number jp-remotem-viewer-profile-width"
            min={1}
            max={MAX_PROFILE_WIDTH}
            onCommit={value => onChange({ lineWidth: Math.round(value) })}
          />
        </label>
        <button
          className="jp-Button jp-mod-minimal jp-remotem-viewer-profile-csv"
          disabled={!profile}
          title={trans.__(
            'Download the profile as CSV: distance, x, y (calibrated) and value'
          )}
          onClick={() =>
            downloadBytes(
              exportName(path, 'profile', 'csv'),
              profileCsv(table()),
              'text/csv'
            )
          }
        >
          {trans.__('CSV')}
        </button>
        <button
          className="jp-Button jp-mod-minimal jp-remotem-viewer-profile-npy"
          disabled={!profile}
          title={trans.__(
            'Download the profile as NPY: a table with named columns distance, x, y (calibrated) and value'
          )}
          onClick={() => {
            const t = table();
            downloadBytes(
              exportName(path, 'profile', 'npy'),
              tableNpy(t.columns, t.rows),
              'application/octet-stream'
            );
          }}
        >
          {trans.__('NPY')}
        </button>
        <button
          className="jp-Button jp-mod-minimal jp-remotem-viewer-profile-close"
          title={trans.__('Remove the line and its profile')}
          aria-label={trans.__('Close the line profile')}
          onClick={props.onClose}
        >
          {'\u00d7'}
        </button>
      </div>
      <ProfilePlot profile={scaled} units={calibration?.x.units || undefined} />
    </section>
  );
}
