/**
 * The job a viewer started (a save, a copy, or work too large to answer at once):
 * its phase and progress, Cancel while it runs, its result or error once it ended.
 */
import React, { useState } from 'react';

import { IJob, RemotemError } from '../api';
import { useTranslation } from '../i18n';
import {
  formatLocation,
  isActionAllowed,
  isFinal,
  operationLabel,
  operationOf,
  percent,
  progressFraction
} from '../jobstate';
import { ProgressBar } from '../jobsview';
import { ErrorMessage } from '../widgets';

export function JobStatus(props: {
  job: IJob;
  error: RemotemError | null;
  onCancel: () => Promise<void>;
  onDismiss: () => void;
}): JSX.Element {
  const { job } = props;
  const trans = useTranslation();
  const [cancelling, setCancelling] = useState(false);
  const operation = operationLabel(operationOf(job));
  const fraction = progressFraction(job.phase, job.progress);
  const value = percent(fraction);
  const output = job.request.output ?? job.request.target ?? null;
  const final = isFinal(job.phase);
  return (
    <div
      className="jp-remotem-viewer-job"
      data-job-id={job.id}
      data-phase={job.phase}
      role="status"
      aria-live="polite"
    >
      <span className="jp-remotem-viewer-job-title">
        {trans.__('%1 job', operation)}
        {output ? ` → ${formatLocation(output)}` : ''}
      </span>
      <span
        className="jp-remotem-badge jp-remotem-job-phase"
        data-phase={job.phase}
      >
        {job.phase}
      </span>
      {job.phase !== 'ERROR' && job.phase !== 'ABORTED' && (
        <ProgressBar
          fraction={fraction}
          active={job.phase === 'EXECUTING'}
          label={trans.__('Progress of the %1 job', operation)}
        />
      )}
      {value !== null && (
        <span className="jp-remotem-viewer-job-percent">{`${value}%`}</span>
      )}
      {!final && (
        <button
          className="jp-Button jp-mod-minimal jp-mod-warn jp-remotem-viewer-job-cancel"
          disabled={cancelling || !isActionAllowed(job, 'cancel')}
          onClick={() => {
            setCancelling(true);
            void props.onCancel().finally(() => setCancelling(false));
          }}
        >
          {trans.__('Cancel')}
        </button>
      )}
      {final && (
        <button
          className="jp-Button jp-mod-minimal jp-remotem-viewer-job-dismiss"
          title={trans.__('Hide this job')}
          onClick={props.onDismiss}
        >
          {trans.__('Dismiss')}
        </button>
      )}
      {job.error && (
        <ErrorMessage
          error={
            new RemotemError(
              job.error.message,
              0,
              job.error.code ?? job.error.kind,
              job.error.hint ?? null
            )
          }
        />
      )}
      {props.error && <ErrorMessage error={props.error} />}
    </div>
  );
}
