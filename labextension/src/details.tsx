/**
 * The details of a selected dataset: metadata, internal arrays, the file's own metadata as
 * a searchable tree, and a preview of the kinds the server says apply to the data.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import React, { useEffect, useState } from 'react';

import {
  IArrayInfo,
  IAxis,
  IDatasetInfo,
  IMetaResponse,
  IPreviewChoice,
  isAbort,
  PreviewKind,
  RemotemAPI,
  RemotemError
} from './api';
import { formatBytes, formatShape } from './format';
import { useTranslation } from './i18n';
import { MetadataTree } from './metatree';
import { isRetryable } from './retry';
import { ErrorMessage, FactsTable, Spinner } from './widgets';

/** Requested edge length of preview images, in pixels. */
const PREVIEW_SIZE = 256;

interface IDetailsProps {
  api: RemotemAPI;
  repository: string;
  path: string;
}

/**
 * Details of one dataset. Mount it with a `key` per (repository, path) so that
 * selecting another dataset starts from a clean state.
 */
export function DatasetDetails(props: IDetailsProps): JSX.Element {
  const { api, repository, path } = props;
  const trans = useTranslation();
  // The internal array chosen by the user; null means the server's default.
  const [dataset, setDataset] = useState<string | null>(null);
  const [meta, setMeta] = useState<IMetaResponse | null>(null);
  const [arrays, setArrays] = useState<IArrayInfo[] | null>(null);
  const [metaError, setMetaError] = useState<RemotemError | null>(null);
  const [metaLoading, setMetaLoading] = useState(true);
  const [metaAttempt, setMetaAttempt] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    setMetaLoading(true);
    setMetaError(null);
    api
      .getMeta(repository, path, dataset, controller.signal)
      .then(response => {
        setMeta(response);
        if (response.arrays && response.arrays.length) {
          setArrays(response.arrays);
        }
        setMetaLoading(false);
      })
      .catch(reason => {
        if (!isAbort(reason)) {
          setMeta(null);
          setMetaError(RemotemError.from(reason));
          setMetaLoading(false);
        }
      });
    return () => controller.abort();
  }, [api, repository, path, dataset, metaAttempt]);

  const name = path.split('/').pop() || path;
  const current = dataset ?? meta?.dataset?.dataset ?? null;

  return (
    <div className="jp-remotem-details-body" data-path={path}>
      <div className="jp-remotem-details-title" title={`${repository}:${path}`}>
        {name}
      </div>
      {arrays && arrays.length > 1 && (
        <label className="jp-remotem-array-select">
          <span>{trans.__('Array')}</span>
          <select
            className="jp-remotem-select"
            value={current ?? ''}
            onChange={event => setDataset(event.target.value)}
          >
            {current === null && (
              <option value="">{trans.__('(choose)')}</option>
            )}
            {arrays.map(array => (
              <option
                key={array.path}
                value={array.path}
                disabled={array.outside_repository === true}
                title={array.reason ?? array.file ?? undefined}
              >
                {arrayLabel(array, trans)}
              </option>
            ))}
          </select>
        </label>
      )}
      {meta?.dataset && (meta.previews ?? []).length > 0 && (
        <Preview
          api={api}
          repository={repository}
          path={path}
          dataset={dataset}
          kinds={meta.previews!}
        />
      )}
      <section className="jp-remotem-meta" aria-busy={metaLoading}>
        {metaLoading && <Spinner label={trans.__('Reading metadata…')} />}
        {metaError && (
          <ErrorMessage
            error={metaError}
            onRetry={
              isRetryable(metaError)
                ? () => setMetaAttempt(n => n + 1)
                : undefined
            }
          />
        )}
        {meta?.dataset && <MetadataTable dataset={meta.dataset} />}
        {meta && !meta.dataset && !metaLoading && (
          <div className="jp-remotem-note">
            {trans.__('This file holds no array that can be shown.')}
          </div>
        )}
        {meta?.dataset && meta.dataset.axes?.length > 0 && (
          <AxesTable axes={meta.dataset.axes} />
        )}
        {meta?.dataset && (
          <MetadataTree
            metadata={meta.dataset.metadata ?? {}}
            label={trans.__('File metadata')}
          />
        )}
      </section>
    </div>
  );
}

/** One array of a file in the array selector; one whose data is outside the repository says so. */
export function arrayLabel(
  array: IArrayInfo,
  trans: TranslationBundle
): string {
  if (array.outside_repository) {
    return `${array.path}  ${trans.__('(points outside the repository)')}`;
  }
  const linked = array.file ? `  → ${array.file}` : '';
  return `${array.path}  ${formatShape(array.shape)}  ${array.dtype ?? ''}${linked}`;
}

function MetadataTable(props: { dataset: IDatasetInfo }): JSX.Element {
  const d = props.dataset;
  const trans = useTranslation();
  const rows: [string, string, string][] = [
    ['format', trans.__('Format'), d.format],
    ['dataset', trans.__('Array'), d.dataset ?? ''],
    ['shape', trans.__('Shape'), formatShape(d.shape)],
    [
      'dtype',
      trans.__('Data type'),
      d.dtype_name ? `${d.dtype_name} (${d.dtype})` : d.dtype
    ],
    ['nav_shape', trans.__('Navigation'), formatShape(d.nav_shape)],
    ['sig_shape', trans.__('Signal'), formatShape(d.sig_shape)],
    ['nbytes', trans.__('Size'), formatBytes(d.nbytes)],
    [
      'chunks',
      trans.__('Chunks'),
      d.chunks ? formatShape(d.chunks) : trans.__('contiguous')
    ]
  ];
  return <FactsTable rows={rows} />;
}

function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined) {
    return '';
  }
  return Number.isInteger(value)
    ? String(value)
    : String(Number(value.toPrecision(4)));
}

function AxesTable(props: { axes: IAxis[] }): JSX.Element {
  const trans = useTranslation();
  return (
    <table className="jp-remotem-axes-table">
      <caption>{trans.__('Axes')}</caption>
      <thead>
        <tr>
          <th>{trans.__('Name')}</th>
          <th>{trans.__('Size')}</th>
          <th>{trans.__('Scale')}</th>
          <th>{trans.__('Offset')}</th>
          <th>{trans.__('Kind')}</th>
        </tr>
      </thead>
      <tbody>
        {props.axes.map((axis, index) => (
          <tr key={index}>
            <td>{axis.name ?? trans.__('axis %1', index)}</td>
            <td>{axis.size}</td>
            <td>
              {formatNumber(axis.scale)} {axis.units ?? ''}
            </td>
            <td>
              {formatNumber(axis.offset)}{' '}
              {axis.offset !== null ? (axis.units ?? '') : ''}
            </td>
            <td>
              {axis.navigate === null
                ? ''
                : axis.navigate
                  ? trans.__('nav')
                  : trans.__('sig')}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

interface IPreviewProps {
  api: RemotemAPI;
  repository: string;
  path: string;
  dataset: string | null;
  /** The previews that apply, the default first (from the metadata). */
  kinds: IPreviewChoice[];
}

/**
 * A preview image with a kind selector. Object URLs are revoked when replaced.
 */
function Preview(props: IPreviewProps): JSX.Element {
  const { api, repository, path, dataset, kinds } = props;
  const trans = useTranslation();
  const [chosen, setKind] = useState<PreviewKind>(kinds[0].kind);
  // Another array of the file may offer other kinds: fall back to its default.
  const kind = kinds.some(k => k.kind === chosen) ? chosen : kinds[0].kind;
  const [image, setImage] = useState<{ url: string; kind: PreviewKind } | null>(
    null
  );
  const [error, setError] = useState<RemotemError | null>(null);
  const [loading, setLoading] = useState(true);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    setError(null);
    api
      .getPreview(
        repository,
        path,
        kind,
        { dataset, size: PREVIEW_SIZE },
        controller.signal
      )
      .then(blob => {
        if (controller.signal.aborted) {
          return;
        }
        setImage({ url: URL.createObjectURL(blob), kind });
        setLoading(false);
      })
      .catch(reason => {
        if (!isAbort(reason) && !controller.signal.aborted) {
          setImage(null);
          setError(RemotemError.from(reason));
          setLoading(false);
        }
      });
    return () => controller.abort();
  }, [api, repository, path, dataset, kind, attempt]);

  // Revoke each object URL once it is replaced or the preview goes away.
  useEffect(() => {
    return () => {
      if (image) {
        URL.revokeObjectURL(image.url);
      }
    };
  }, [image]);

  const label = kinds.find(k => k.kind === kind)?.title ?? kind;
  return (
    <section
      className="jp-remotem-preview"
      aria-busy={loading}
      data-loading={loading}
    >
      <div
        className="jp-remotem-kinds"
        role="radiogroup"
        aria-label={trans.__('Preview kind')}
      >
        {kinds.map(k => (
          <button
            key={k.kind}
            className={
              'jp-remotem-kind' + (k.kind === kind ? ' jp-mod-active' : '')
            }
            data-kind={k.kind}
            role="radio"
            aria-checked={k.kind === kind}
            title={k.title}
            onClick={() => setKind(k.kind)}
          >
            {k.label}
          </button>
        ))}
      </div>
      <div className="jp-remotem-preview-frame">
        {image && !error && (
          <img
            src={image.url}
            data-kind={image.kind}
            alt={trans.__('%1 of %2', label, path)}
            className={loading ? 'jp-mod-stale' : ''}
          />
        )}
        {loading && (
          <div className="jp-remotem-preview-overlay">
            <Spinner label={trans.__('Computing preview…')} />
          </div>
        )}
        {error && (
          <ErrorMessage
            error={error}
            onRetry={
              isRetryable(error) ? () => setAttempt(n => n + 1) : undefined
            }
          />
        )}
      </div>
    </section>
  );
}
