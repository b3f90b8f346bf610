/**
 * Remote or local: when a dataset is small enough to copy next to the notebooks, or a
 * repository is slow enough that each pass over it takes noticeably longer than a
 * local read would, say so with the numbers (from the measured repository speeds),
 * and offer the copy. Also the operations the server cannot run on this dataset.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import React from 'react';

import { IOperationInfo, IRepository } from '../api';
import { formatBytes } from '../format';
import { useTranslation } from '../i18n';
import { formatDuration } from '../jobstate';

/** Datasets up to this size are offered a copy into the notebook folder. */
export const COPY_OFFER_BYTES = 2 * 1024 ** 3;

/** A remote pass this much slower than a local one is worth mentioning. */
export const SLOWER_FACTOR = 2;

/** Passes shorter than this are not worth a remark, in seconds. */
export const NOTICEABLE_S = 1;

export interface IRemoteAdvice {
  /** Seconds one pass over the dataset takes where it is (null: speed unknown). */
  remoteS: number | null;
  /** Seconds a copy into the home repository takes. */
  copyS: number | null;
  /** Seconds a pass would take once it is local. */
  localS: number | null;
  /** Offer copying it next to the notebooks. */
  offerCopy: boolean;
  /** Remote passes are noticeably slower than local ones would be. */
  slower: boolean;
}

function seconds(
  bytes: number,
  mbPerS: number | null | undefined
): number | null {
  return mbPerS && mbPerS > 0 ? bytes / (mbPerS * 1e6) : null;
}

/**
 * Compare reading `bytes` from `repository` with copying them to `home` once and
 * reading them there. Null when the data already is in the home repository or there
 * is none.
 */
export function remoteAdvice(
  bytes: number,
  repository: IRepository | undefined,
  home: IRepository | undefined
): IRemoteAdvice | null {
  if (!repository || !home || repository.name === home.name) {
    return null;
  }
  const remoteS = seconds(bytes, repository.speed?.throughput_mb_s);
  const localS = seconds(bytes, home.speed?.throughput_mb_s);
  // A copy reads remotely and writes locally: the slower side sets its pace.
  const copyS =
    remoteS === null
      ? null
      : localS === null
        ? remoteS
        : Math.max(remoteS, localS);
  const slower =
    remoteS !== null &&
    remoteS >= NOTICEABLE_S &&
    (localS === null || remoteS > SLOWER_FACTOR * localS);
  return {
    remoteS,
    copyS,
    localS,
    offerCopy: bytes <= COPY_OFFER_BYTES,
    slower
  };
}

/**
 * "~12 s", or "under a second".
 */
function roughly(trans: TranslationBundle, seconds: number): string {
  return seconds < 1
    ? trans.__('under a second')
    : `~${formatDuration(seconds)}`;
}

/**
 * The remote-versus-local remark and the "Copy here" button.
 */
export function RemoteHint(props: {
  bytes: number;
  repositories: IRepository[] | null;
  repository: string;
  onCopy: (home: IRepository) => void;
  copying: boolean;
}): JSX.Element | null {
  const trans = useTranslation();
  const repositories = props.repositories ?? [];
  const home = repositories.find(r => r.home);
  const repository = repositories.find(r => r.name === props.repository);
  const advice = remoteAdvice(props.bytes, repository, home);
  if (!advice || !home || (!advice.offerCopy && !advice.slower)) {
    return null;
  }
  const size = formatBytes(props.bytes);
  let text: string;
  if (advice.remoteS !== null && advice.copyS !== null) {
    text = trans.__(
      'Reading this %1 scan remotely takes %2 per pass; copying it to your notebook folder would take %3 once.',
      size,
      roughly(trans, advice.remoteS),
      roughly(trans, advice.copyS)
    );
  } else {
    text = trans.__(
      'This %1 scan is small enough to copy to your notebook folder.',
      size
    );
  }
  return (
    <div
      className="jp-remotem-viewer-hint"
      data-slower={advice.slower}
      role="note"
    >
      <span className="jp-remotem-viewer-hint-text">
        {advice.slower && (
          <strong>{trans.__('Remote processing is slower here. ')}</strong>
        )}
        {text}
      </span>
      {advice.offerCopy && (
        <button
          className="jp-Button jp-mod-styled jp-mod-reject jp-remotem-viewer-copy-here"
          disabled={props.copying}
          title={trans.__('Copy the dataset into %1 as a job', home.name)}
          onClick={() => props.onCopy(home)}
        >
          {trans.__('Copy to notebook folder')}
        </button>
      )}
    </div>
  );
}

/**
 * The operations that cannot run remotely on this dataset, with the server's reason.
 */
export function UnavailableOperations(props: {
  operations: IOperationInfo[] | null;
}): JSX.Element | null {
  const trans = useTranslation();
  const unavailable = (props.operations ?? []).filter(
    op => op.kind === 'reduction' && !op.available
  );
  if (!unavailable.length) {
    return null;
  }
  const contact = unavailable.find(op => op.contact)?.contact ?? null;
  return (
    <div className="jp-remotem-viewer-unavailable">
      <ul aria-label={trans.__('Operations not available here')}>
        {unavailable.map(op => (
          <li key={op.name} data-operation={op.name}>
            <strong>{op.name}</strong>
            {': '}
            {op.reason ?? trans.__('not available for this dataset')}
          </li>
        ))}
      </ul>
      {contact && (
        <div className="jp-remotem-viewer-contact">
          {trans.__('To have these run remotely, ask ')}
          <ContactLink contact={contact} />
        </div>
      )}
    </div>
  );
}

/**
 * A contact as a link where it is one: an e-mail address or a web address; else plain text.
 */
export function ContactLink(props: { contact: string }): JSX.Element {
  const { contact } = props;
  const href = /^https?:\/\//.test(contact)
    ? contact
    : /^[^\s@]+@[^\s@]+$/.test(contact)
      ? `mailto:${contact}`
      : null;
  return href ? (
    <a href={href} target="_blank" rel="noopener noreferrer">
      {contact}
    </a>
  ) : (
    <span>{contact}</span>
  );
}

/**
 * Why an operation cannot run on this dataset, or null when it can (or nobody said).
 */
export function unavailableReason(
  operations: IOperationInfo[] | null,
  name: string
): string | null {
  const op = operations?.find(o => o.name === name);
  if (!op || op.available) {
    return null;
  }
  return op.reason ?? 'Not available for this dataset.';
}
