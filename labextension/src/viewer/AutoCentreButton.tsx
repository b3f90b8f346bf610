/**
 * "Find centre": puts the CoM reference centre on the direct beam of the mean frame,
 * as LiberTEM's GUI does; says why when the server cannot.
 */
import React, { useEffect, useRef, useState } from 'react';

import { isAbort, IOperationInfo, RemotemAPI, RemotemError } from '../api';
import { useTranslation } from '../i18n';
import { DIRECT_BEAM, findDirectBeam, IBeam } from './autocentre';
import { unavailableReason } from './hints';
import type { ISource } from './state';

export function AutoCentreButton(props: {
  api: RemotemAPI;
  source: ISource;
  operations: IOperationInfo[] | null;
  onCentre: (beam: IBeam) => void;
}): JSX.Element {
  const trans = useTranslation();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const controller = useRef<AbortController | null>(null);
  useEffect(() => () => controller.current?.abort(), []);
  const reason = unavailableReason(props.operations, DIRECT_BEAM);
  const find = async () => {
    controller.current?.abort();
    const current = new AbortController();
    controller.current = current;
    setBusy(true);
    setError(null);
    try {
      const beam = await findDirectBeam(
        props.api,
        props.source,
        current.signal
      );
      props.onCentre(beam);
    } catch (failure) {
      if (!isAbort(failure)) {
        setError(RemotemError.from(failure).message);
      }
    } finally {
      if (controller.current === current) {
        setBusy(false);
      }
    }
  };
  return (
    <>
      <button
        className="jp-Button jp-mod-minimal jp-remotem-viewer-auto-centre"
        disabled={busy || reason !== null}
        aria-busy={busy}
        title={
          reason ??
          trans.__(
            'Put the centre on the direct beam: the brightest disk of the mean frame'
          )
        }
        onClick={() => void find()}
      >
        {busy ? trans.__('Finding centre…') : trans.__('Find centre')}
      </button>
      {error && (
        <span className="jp-remotem-viewer-field-problem" role="alert">
          {error}
        </span>
      )}
    </>
  );
}
