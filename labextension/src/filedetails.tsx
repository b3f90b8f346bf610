/**
 * The details of a selected file that is not an array: what it is, its size and date, a
 * thumbnail for a picture, and (for a job's result) how it was made, as a metadata tree.
 */
import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import React, { useEffect, useMemo, useState } from 'react';

import { IEntry, IProvenance, isAbort, RemotemAPI, RemotemError } from './api';
import { isPicture, OpenRoute, openRoute } from './fileroutes';
import { formatBytes, formatDate } from './format';
import { useTranslation } from './i18n';
import { MetadataTree } from './metatree';
import { isRetryable } from './retry';
import { ErrorMessage, FactsTable } from './widgets';

/** Largest picture shown as a thumbnail in the details, in bytes. */
const THUMBNAIL_BYTES = 8 * 1024 * 1024;

/** What a file is, in words, from where it opens. */
export function kindLabel(
  route: OpenRoute | null,
  trans: TranslationBundle
): string {
  if (!route) {
    return trans.__('Folder');
  }
  if (route.kind === 'viewer') {
    return trans.__('Saved result (opens in the dataset viewer)');
  }
  switch (route.factory) {
    case 'Image':
      return trans.__('Picture');
    case 'JSON':
      return trans.__('JSON');
    case 'CSVTable':
      return trans.__('Table (comma-separated)');
    case 'TSVTable':
      return trans.__('Table (tab-separated)');
    default:
      return trans.__('Text');
  }
}

interface IFileDetailsProps {
  api: RemotemAPI;
  repository: string;
  entry: IEntry;
}

export function FileDetails(props: IFileDetailsProps): JSX.Element {
  const { api, repository, entry } = props;
  const trans = useTranslation();
  const route = openRoute(entry);
  const [provenance, setProvenance] = useState<IProvenance | null>(null);
  const [error, setError] = useState<RemotemError | null>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    if (!entry.result) {
      return;
    }
    const controller = new AbortController();
    setError(null);
    api
      .getMeta(repository, entry.path, null, controller.signal)
      .then(meta => setProvenance(meta.provenance ?? null))
      .catch(reason => {
        if (!isAbort(reason) && !controller.signal.aborted) {
          setError(RemotemError.from(reason));
        }
      });
    return () => controller.abort();
  }, [api, repository, entry.path, entry.result, attempt]);

  const rows: [string, string, string][] = [
    ['kind', trans.__('Kind'), kindLabel(route, trans)],
    ['size', trans.__('Size'), formatBytes(entry.size)],
    ['modified', trans.__('Modified'), formatDate(entry.modified, entry.mtime)],
    ['format', trans.__('Format'), entry.format ?? ''],
    [
      'result',
      trans.__('Made by'),
      entry.result
        ? trans.__('%1 job %2', entry.result.operation, entry.result.job_id)
        : ''
    ]
  ];
  const properties = useMemo(() => {
    const all: Record<string, unknown> = {
      name: entry.name,
      path: entry.path,
      repository,
      type: entry.type,
      size: entry.size,
      modified: entry.modified,
      format: entry.format,
      result: entry.result,
      provenance
    };
    // What the server did not say is left out, not shown as "null".
    return Object.keys(all)
      .filter(key => all[key] !== null && all[key] !== undefined)
      .reduce<Record<string, unknown>>((kept, key) => {
        kept[key] = all[key];
        return kept;
      }, {});
  }, [entry, repository, provenance]);
  const name = entry.name || entry.path;
  return (
    <div
      className="jp-remotem-details-body jp-remotem-file-details"
      data-path={entry.path}
    >
      <div
        className="jp-remotem-details-title"
        title={`${repository}:${entry.path}`}
      >
        {name}
      </div>
      {isPicture(entry.name) &&
        !/\.tiff?$/i.test(entry.name) &&
        (entry.size ?? 0) <= THUMBNAIL_BYTES && (
          <Thumbnail api={api} repository={repository} entry={entry} />
        )}
      <FactsTable rows={rows} />
      {error && (
        <ErrorMessage
          error={error}
          onRetry={
            isRetryable(error) ? () => setAttempt(n => n + 1) : undefined
          }
        />
      )}
      <MetadataTree metadata={properties} label={trans.__('Properties')} />
    </div>
  );
}

/** A picture file, drawn small. Object URLs are revoked when it goes. */
function Thumbnail(props: {
  api: RemotemAPI;
  repository: string;
  entry: IEntry;
}): JSX.Element | null {
  const { api, repository, entry } = props;
  const trans = useTranslation();
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    const controller = new AbortController();
    let made: string | null = null;
    ServerConnection.makeRequest(
      api.downloadUrl(repository, entry.path),
      { method: 'GET', signal: controller.signal },
      api.serverSettings
    )
      .then(response => (response.ok ? response.blob() : null))
      .then(blob => {
        if (blob && !controller.signal.aborted) {
          made = URL.createObjectURL(blob);
          setUrl(made);
        }
      })
      .catch(() => undefined);
    return () => {
      controller.abort();
      if (made) {
        URL.revokeObjectURL(made);
      }
    };
  }, [api, repository, entry.path]);
  if (!url) {
    return null;
  }
  return (
    <div className="jp-remotem-preview-frame jp-remotem-thumbnail">
      <img src={url} alt={trans.__('Picture %1', entry.name)} />
    </div>
  );
}
