/**
 * Remote or local: when a dataset is small enough to copy next to the notebooks, or a
 * repository is slow enough that each pass over it takes noticeably longer than a
 * local read would, say so with the numbers, and offer the copy. The server decides
 * (`GET advice`, from the speed each pass and copy really reached); this shows it,
 * asking again each time a pass has finished. Also the operations the server cannot
 * run on this dataset.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import React, { useEffect, useState } from 'react';

import { IAdvice, IOperationInfo, ITimed, RemotemAPI } from '../api';
import { formatBytes } from '../format';
import { useTranslation } from '../i18n';
import { formatDuration } from '../jobstate';
import type { DataKind } from './imagemode';

/**
 * "~12 s", or "under a second".
 */
function roughly(trans: TranslationBundle, seconds: number): string {
  return seconds < 1
    ? trans.__('under a second')
    : `~${formatDuration(seconds)}`;
}

/** How a figure was obtained, in words, for the tooltip. */
function basisText(trans: TranslationBundle, timed: ITimed): string {
  switch (timed.basis) {
    case 'measured':
      return trans.__('measured on recent passes');
    case 'history':
      return trans.__('measured on earlier jobs');
    case 'probe':
      return trans.__('estimated from a short speed test');
    case 'function':
      return trans.__('your function, timed on the first frame');
    default:
      return trans.__('a rough estimate: nothing measured yet');
  }
}

/**
 * The advice in words for data shown as `kind`: whole sentences, for the
 * translators. `pass` and `copy` are rough times, null when not known.
 */
function adviceSentence(
  trans: TranslationBundle,
  kind: DataKind,
  size: string,
  pass: string | null,
  copy: string | null
): string {
  if (pass === null) {
    switch (kind) {
      case 'image':
        return trans.__(
          'This %1 image is small enough to copy to your notebook folder.',
          size
        );
      case 'stack':
        return trans.__(
          'This %1 image stack is small enough to copy to your notebook folder.',
          size
        );
      default:
        return trans.__(
          'This %1 scan is small enough to copy to your notebook folder.',
          size
        );
    }
  }
  if (copy === null) {
    switch (kind) {
      case 'image':
        return trans.__('Reading this %1 image remotely takes %2.', size, pass);
      case 'stack':
        return trans.__(
          'Reading this %1 image stack remotely takes %2 per pass.',
          size,
          pass
        );
      default:
        return trans.__(
          'Reading this %1 scan remotely takes %2 per pass.',
          size,
          pass
        );
    }
  }
  switch (kind) {
    case 'image':
      return trans.__(
        'Reading this %1 image remotely takes %2; copying it to your notebook folder would take %3 once.',
        size,
        pass,
        copy
      );
    case 'stack':
      return trans.__(
        'Reading this %1 image stack remotely takes %2 per pass; copying it to your notebook folder would take %3 once.',
        size,
        pass,
        copy
      );
    default:
      return trans.__(
        'Reading this %1 scan remotely takes %2 per pass; copying it to your notebook folder would take %3 once.',
        size,
        pass,
        copy
      );
  }
}

/**
 * The sentence (and its tooltip) for the server's advice on data shown as `kind`,
 * or null when there is nothing worth saying.
 */
export function adviceText(
  trans: TranslationBundle,
  advice: IAdvice | null,
  kind: DataKind = 'scan'
): { text: string; title: string } | null {
  if (!advice || !advice.applies || (!advice.offer_copy && !advice.slower)) {
    return null;
  }
  const remote = advice.remote;
  const copy = advice.copy;
  const known = (timed: ITimed | null | undefined) =>
    timed?.seconds === null || timed?.seconds === undefined
      ? null
      : roughly(trans, timed.seconds);
  const pass = known(remote);
  const text = adviceSentence(
    trans,
    kind,
    formatBytes(advice.bytes),
    pass,
    pass === null ? null : known(copy)
  );
  if (pass === null || !remote) {
    return { text, title: '' };
  }
  const title = [
    trans.__('Pass: %1', basisText(trans, remote)),
    copy ? trans.__('copy: %1', basisText(trans, copy)) : ''
  ]
    .filter(Boolean)
    .join('; ');
  return { text, title };
}

/**
 * The remote-versus-local remark and the "Copy here" button. `settled` turns true
 * when a pass has finished: the advice is asked for again then, with that pass
 * measured.
 */
export function RemoteHint(props: {
  api: RemotemAPI;
  repository: string;
  path: string;
  dataset: string | null;
  /** What the viewer shows the data as, for the words. */
  kind: DataKind;
  settled: boolean;
  onCopy: (home: string) => void;
  copying: boolean;
}): JSX.Element | null {
  const trans = useTranslation();
  const { api, repository, path, dataset, settled } = props;
  const [advice, setAdvice] = useState<IAdvice | null>(null);
  useEffect(() => {
    if (!settled) {
      return;
    }
    const controller = new AbortController();
    api
      .getAdvice(repository, path, dataset, controller.signal)
      .then(setAdvice)
      .catch(() => undefined); // no advice is better than a wrong one
    return () => controller.abort();
  }, [api, repository, path, dataset, settled]);
  const shown = adviceText(trans, advice, props.kind);
  if (!advice || !shown) {
    return null;
  }
  const home = advice.home;
  return (
    <div
      className="jp-remotem-viewer-hint"
      data-slower={advice.slower}
      data-basis={advice.remote?.basis ?? ''}
      role="note"
      title={shown.title}
    >
      <span className="jp-remotem-viewer-hint-text">
        {advice.slower && (
          <strong>{trans.__('Remote processing is slower here. ')}</strong>
        )}
        {shown.text}
      </span>
      {advice.offer_copy && home && (
        <button
          className="jp-Button jp-mod-styled jp-mod-reject jp-remotem-viewer-copy-here"
          disabled={props.copying}
          title={trans.__('Copy the dataset into %1 as a job', home)}
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
