/**
 * The uploads list under the repository tree: each upload's progress, speed and time
 * left, and what can be done about it (cancel, resume, replace or keep both after the
 * server said the file exists). Shown only while there are uploads.
 */
import React from 'react';

import { formatBytes } from './format';
import { useSignalVersion } from './signalversion';
import { useTranslation } from './i18n';
import { IUploadItem, UploadsModel } from './uploads';
import { isExists } from './uploadplan';
import { ErrorMessage } from './widgets';

/**
 * "3 s", "4 min", "2 h 5 min": a coarse time left.
 */
export function formatEta(seconds: number | null): string {
  if (seconds === null || !isFinite(seconds)) {
    return '';
  }
  const s = Math.round(seconds);
  if (s < 60) {
    return `${s} s`;
  }
  if (s < 3600) {
    return `${Math.round(s / 60)} min`;
  }
  const h = Math.floor(s / 3600);
  return `${h} h ${Math.round((s - h * 3600) / 60)} min`;
}

function UploadRow(props: {
  model: UploadsModel;
  item: IUploadItem;
}): JSX.Element {
  const { model, item } = props;
  const trans = useTranslation();
  const percent = item.total ? Math.floor((item.sent / item.total) * 100) : 100;
  const parts = [
    trans.__('%1 of %2', formatBytes(item.sent), formatBytes(item.total))
  ];
  if (item.state === 'uploading' && item.speed !== null) {
    parts.push(trans.__('%1/s', formatBytes(item.speed)));
  }
  if (item.state === 'uploading' && item.eta !== null) {
    parts.push(trans.__('%1 left', formatEta(item.eta)));
  }
  const stateLabel: Record<IUploadItem['state'], string> = {
    queued: trans.__('waiting'),
    uploading: trans.__('uploading'),
    interrupted: trans.__(
      'interrupted: resumes when the network is back, or with Resume'
    ),
    refused: trans.__('refused'),
    failed: trans.__('failed'),
    done: trans.__('done'),
    cancelled: trans.__('cancelled')
  };
  const button = (action: string, label: string, onClick: () => void) => (
    <button
      className="jp-Button jp-mod-minimal jp-remotem-upload-action"
      data-action={action}
      onClick={onClick}
    >
      {label}
    </button>
  );
  const active = item.state === 'queued' || item.state === 'uploading';
  return (
    <li
      className="jp-remotem-upload"
      data-state={item.state}
      data-repo={item.repository}
      data-path={item.path}
      data-resumed-from={item.resumedFrom ?? undefined}
      data-job-id={item.jobId ?? undefined}
      title={`${item.repository}:${item.path}`}
    >
      <div className="jp-remotem-upload-head">
        <span className="jp-remotem-upload-name">{item.path}</span>
        <span className="jp-remotem-upload-state">
          {stateLabel[item.state]}
        </span>
      </div>
      {item.state !== 'refused' && item.state !== 'cancelled' && (
        <progress
          className="jp-remotem-upload-progress"
          max={100}
          value={percent}
          aria-valuenow={percent}
          aria-label={trans.__('Uploaded %1%', percent)}
        />
      )}
      <div className="jp-remotem-upload-figures">{parts.join(' · ')}</div>
      {item.error && <ErrorMessage error={item.error} />}
      <div className="jp-remotem-upload-actions">
        {isExists(item.error) && item.state === 'refused' && (
          <>
            {button('replace', trans.__('Replace'), () => model.replace(item))}
            {button('keep-both', trans.__('Keep both'), () => {
              void model.keepBoth(item);
            })}
          </>
        )}
        {(item.state === 'interrupted' || item.state === 'failed') &&
          button('resume', trans.__('Resume'), () => model.resume(item))}
        {(active || item.state === 'interrupted' || item.state === 'failed') &&
          button('cancel', trans.__('Cancel'), () => {
            void model.cancel(item);
          })}
        {!active &&
          item.state !== 'interrupted' &&
          button('dismiss', trans.__('Dismiss'), () => model.dismiss(item))}
      </div>
    </li>
  );
}

export function UploadsView(props: {
  model: UploadsModel;
}): JSX.Element | null {
  const { model } = props;
  const trans = useTranslation();
  useSignalVersion(model.changed);
  const items = model.items;
  if (!items.length) {
    return null;
  }
  const finished = items.some(item => item.state === 'done');
  return (
    <section
      className="jp-remotem-uploads"
      aria-label={trans.__('Uploads')}
      aria-live="polite"
    >
      <div className="jp-remotem-uploads-header">
        <h3 className="jp-remotem-uploads-title">{trans.__('Uploads')}</h3>
        {finished && (
          <button
            className="jp-Button jp-mod-minimal jp-remotem-uploads-clear"
            onClick={() => model.clearFinished()}
          >
            {trans.__('Clear finished')}
          </button>
        )}
      </div>
      <ul className="jp-remotem-upload-list">
        {items.map(item => (
          <UploadRow key={item.id} model={model} item={item} />
        ))}
      </ul>
    </section>
  );
}
