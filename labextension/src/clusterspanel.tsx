/**
 * The Clusters section of the remotem sidebar: the user's Dask clusters with their state
 * and a summary, a dashboard link, Scale / Adapt / Stop, and a "New cluster…" form built
 * from the options the server declares. It asks the server only while it is open, and
 * polls only while a cluster may still change on its own (starting or running).
 */
import { TranslationBundle } from '@jupyterlab/translation';
import {
  caretDownIcon,
  caretRightIcon,
  refreshIcon
} from '@jupyterlab/ui-components';
import React, { useCallback, useEffect, useState } from 'react';

import { FoldingSection } from './foldingsection';
import { RemotemAPI, RemotemError } from './api';
import { ClustersAPI } from './clustersapi';
import {
  adaptBody,
  clusterFields,
  clusterName,
  clusterSummary,
  formProblem,
  ICluster,
  IClusterOptions,
  initialValues,
  isLive,
  needsPolling,
  scaleBody,
  startBody
} from './clustersmodel';
import { TranslationContext, useTranslation } from './i18n';
import { ErrorMessage, IconButton } from './widgets';

/** How often the list is asked for while a cluster is starting or running. */
export const CLUSTERS_POLL_INTERVAL = 3_000;

function NewClusterForm(props: {
  served: IClusterOptions;
  onStart: (body: Record<string, number>) => Promise<void>;
  onCancel: () => void;
}): JSX.Element {
  const trans = useTranslation();
  const { served } = props;
  const [typed, setTyped] = useState(() => initialValues(served));
  const [starting, setStarting] = useState(false);
  const problem = formProblem(served, typed);
  return (
    <form
      className="jp-remotem-cluster-form"
      aria-label={trans.__('New cluster')}
      onSubmit={event => {
        event.preventDefault();
        if (problem || starting) {
          return;
        }
        setStarting(true);
        void props
          .onStart(startBody(served, typed))
          .finally(() => setStarting(false));
      }}
    >
      {clusterFields(served).map(field => (
        <label
          key={field.name}
          className="jp-remotem-cluster-field"
          title={field.help}
        >
          <span>
            {field.label}
            {field.unit ? ` (${field.unit})` : ''}
          </span>
          <input
            type="number"
            name={field.name}
            min={field.min}
            max={field.max}
            step={field.step}
            placeholder={field.optional ? trans.__('not set') : ''}
            value={typed[field.name] ?? ''}
            onChange={event => {
              const value = event.currentTarget.value;
              setTyped(old => ({ ...old, [field.name]: value }));
            }}
          />
          <span className="jp-remotem-note">
            {trans.__('%1 to %2', field.min, field.max)}
          </span>
        </label>
      ))}
      {problem && <div className="jp-remotem-cluster-problem">{problem}</div>}
      <div className="jp-remotem-cluster-form-buttons">
        <button
          type="submit"
          className="jp-Button jp-mod-accept jp-remotem-cluster-start"
          disabled={problem !== null || starting}
        >
          {starting ? trans.__('Starting…') : trans.__('Start')}
        </button>
        <button
          type="button"
          className="jp-Button jp-mod-minimal"
          onClick={props.onCancel}
        >
          {trans.__('Cancel')}
        </button>
      </div>
    </form>
  );
}

function ClusterRow(props: {
  cluster: ICluster;
  served: IClusterOptions | null;
  onChange: (id: string, body: Record<string, number>) => Promise<void>;
  onStop: (id: string) => Promise<void>;
}): JSX.Element {
  const trans = useTranslation();
  const { cluster, served } = props;
  const bound = (name: string) =>
    served?.options.find(option => option.name === name);
  const [workers, setWorkers] = useState(String(cluster.workers));
  const [low, setLow] = useState(String(cluster.options.adapt_minimum ?? 0));
  const [high, setHigh] = useState(
    String(
      cluster.options.adapt_maximum ?? bound('adapt_maximum')?.maximum ?? 1
    )
  );
  const [busy, setBusy] = useState(false);
  const live = isLive(cluster);
  const act = (work: () => Promise<void>) => {
    setBusy(true);
    void work().finally(() => setBusy(false));
  };
  return (
    <li
      className="jp-remotem-cluster"
      data-cluster-id={cluster.id}
      data-state={cluster.state}
      data-workers={cluster.workers}
    >
      <div className="jp-remotem-cluster-head">
        <code className="jp-remotem-cluster-name" title={cluster.id}>
          {clusterName(cluster.id)}
        </code>
        <span className="jp-remotem-cluster-summary">
          {clusterSummary(cluster)}
        </span>
        {cluster.dashboard_link && (
          <a
            className="jp-remotem-cluster-dashboard"
            href={cluster.dashboard_link}
            target="_blank"
            rel="noopener noreferrer"
          >
            {trans.__('Dashboard')}
          </a>
        )}
      </div>
      {live && (
        <div className="jp-remotem-cluster-actions">
          <input
            type="number"
            className="jp-remotem-cluster-scale-workers"
            aria-label={trans.__('Workers')}
            min={bound('workers')?.minimum}
            max={bound('workers')?.maximum}
            step={1}
            value={workers}
            onChange={event => setWorkers(event.currentTarget.value)}
          />
          <button
            className="jp-Button jp-mod-minimal jp-remotem-cluster-scale"
            disabled={busy || workers.trim() === ''}
            title={trans.__('Run this many workers (a fixed size)')}
            onClick={() =>
              act(() => props.onChange(cluster.id, scaleBody(Number(workers))))
            }
          >
            {trans.__('Scale')}
          </button>
          <input
            type="number"
            className="jp-remotem-cluster-adapt-minimum"
            aria-label={trans.__('Adapt: fewest workers')}
            min={bound('adapt_minimum')?.minimum}
            max={bound('adapt_minimum')?.maximum}
            step={1}
            value={low}
            onChange={event => setLow(event.currentTarget.value)}
          />
          <input
            type="number"
            className="jp-remotem-cluster-adapt-maximum"
            aria-label={trans.__('Adapt: most workers')}
            min={bound('adapt_maximum')?.minimum}
            max={bound('adapt_maximum')?.maximum}
            step={1}
            value={high}
            onChange={event => setHigh(event.currentTarget.value)}
          />
          <button
            className="jp-Button jp-mod-minimal jp-remotem-cluster-adapt"
            disabled={busy || low.trim() === '' || high.trim() === ''}
            title={trans.__('Grow and shrink with the work between the two')}
            onClick={() =>
              act(() =>
                props.onChange(cluster.id, adaptBody(Number(low), Number(high)))
              )
            }
          >
            {trans.__('Adapt')}
          </button>
          <button
            className="jp-Button jp-mod-minimal jp-mod-warn jp-remotem-cluster-stop"
            disabled={busy}
            onClick={() => act(() => props.onStop(cluster.id))}
          >
            {trans.__('Stop')}
          </button>
        </div>
      )}
    </li>
  );
}

/**
 * The section's content: header (folds it), the list, the form.
 */
export function ClustersView(props: {
  api: ClustersAPI;
  collapsed: boolean;
  onToggle: () => void;
}): JSX.Element {
  const { api, collapsed } = props;
  const trans = useTranslation();
  const [served, setServed] = useState<IClusterOptions | null>(null);
  const [clusters, setClusters] = useState<ICluster[] | null>(null);
  const [error, setError] = useState<RemotemError | null>(null);
  const [formOpen, setFormOpen] = useState(false);

  const refresh = useCallback(async () => {
    try {
      setClusters(await api.list());
      setError(null);
    } catch (reason) {
      setError(RemotemError.from(reason));
    }
  }, [api]);

  // Options and list on opening.
  useEffect(() => {
    if (collapsed) {
      return;
    }
    if (!served) {
      api
        .options()
        .then(setServed)
        .catch(reason => setError(RemotemError.from(reason)));
    }
    void refresh();
  }, [collapsed]);

  // Polls only while open and something may change.
  const polling = !collapsed && needsPolling(clusters);
  useEffect(() => {
    if (!polling) {
      return;
    }
    const timer = window.setInterval(
      () => void refresh(),
      CLUSTERS_POLL_INTERVAL
    );
    return () => window.clearInterval(timer);
  }, [polling, refresh]);

  /** Runs a change, then shows the list as it is now (or the refusal). */
  const run = useCallback(
    async (work: () => Promise<unknown>) => {
      setError(null);
      try {
        await work();
      } catch (reason) {
        setError(RemotemError.from(reason));
        return;
      } finally {
        await refresh();
      }
    },
    [refresh]
  );

  const live = (clusters ?? []).filter(isLive).length;
  const Caret = collapsed ? caretRightIcon : caretDownIcon;
  return (
    <div className="jp-remotem-panel jp-remotem-clusters-panel">
      <div className="jp-remotem-toolbar jp-remotem-clusters-toolbar">
        <button
          className="jp-remotem-clusters-toggle"
          aria-expanded={!collapsed}
          aria-controls="jupyter-remotem-clusters-list"
          title={
            collapsed ? trans.__('Show clusters') : trans.__('Hide clusters')
          }
          onClick={props.onToggle}
        >
          <Caret.react tag="span" className="jp-remotem-caret" />
          <h2 className="jp-remotem-heading">{trans.__('Clusters')}</h2>
          {live > 0 && (
            <span
              className="jp-remotem-badge jp-remotem-clusters-count"
              title={trans._n('%1 live cluster', '%1 live clusters', live)}
            >
              {live}
            </span>
          )}
        </button>
        <IconButton
          icon={refreshIcon}
          className="jp-remotem-clusters-refresh"
          title={trans.__('Refresh clusters')}
          label={trans.__('Refresh clusters')}
          onClick={() => void refresh()}
        />
      </div>
      <div
        className="jp-remotem-clusters-body"
        id="jupyter-remotem-clusters-list"
        hidden={collapsed}
      >
        {error && <ErrorMessage error={error} />}
        {clusters && clusters.length === 0 && (
          <div className="jp-remotem-note">{trans.__('No clusters.')}</div>
        )}
        {clusters && clusters.length > 0 && (
          <ul className="jp-remotem-clusters-list">
            {clusters.map(cluster => (
              <ClusterRow
                key={cluster.id}
                cluster={cluster}
                served={served}
                onChange={(id, body) => run(() => api.change(id, body))}
                onStop={id => run(() => api.stop(id))}
              />
            ))}
          </ul>
        )}
        {served &&
          (formOpen ? (
            <NewClusterForm
              served={served}
              onCancel={() => setFormOpen(false)}
              onStart={body =>
                run(async () => {
                  await api.start(body);
                  setFormOpen(false);
                })
              }
            />
          ) : (
            <button
              className="jp-Button jp-mod-minimal jp-remotem-cluster-new"
              onClick={() => setFormOpen(true)}
            >
              {trans.__('New cluster…')}
            </button>
          ))}
      </div>
    </div>
  );
}

/**
 * The Clusters section: folds to its header, folded at first (nothing asked until opened).
 */
export class ClustersSection extends FoldingSection {
  constructor(
    api: RemotemAPI,
    private _trans: TranslationBundle
  ) {
    super(
      'jupyter-remotem:clusters',
      'jp-remotem-clusters-area',
      _trans.__('Clusters'),
      true
    );
    this._api = new ClustersAPI(api);
  }

  render(): JSX.Element {
    return (
      <TranslationContext.Provider value={this._trans}>
        <ClustersView
          api={this._api}
          collapsed={this.collapsed}
          onToggle={() => this.setCollapsed(!this.collapsed)}
        />
      </TranslationContext.Provider>
    );
  }

  private _api: ClustersAPI;
}
