/**
 * The "Dataset" part of the details panel: whether the selected file or folder is a dataset,
 * whose, in which state, who may read it, what it came from and what was derived from it —
 * with the actions its owner and writers need (Register…, Close, Share…, Verify).
 */
import { showDialog, Dialog } from '@jupyterlab/apputils';
import React, { useCallback, useEffect, useState } from 'react';

import { IEntry, isAbort, RemotemAPI, RemotemError } from './api';
import {
  DatasetsAPI,
  IDataset,
  IDatasetType,
  ILineage,
  ILineageNode
} from './datasetsapi';
import {
  grantsLabel,
  grantsOf,
  IShareForm,
  shareForm,
  verificationLabel
} from './datasetgrants';
import { askForm, useFormValue } from './dialogs';
import { formatDate } from './format';
import { useTranslation } from './i18n';
import { isFinal } from './jobstate';
import { ChoiceField, ErrorMessage, FactsTable, PathField } from './widgets';

/** How often a close or verify job is asked how it stands, in ms. */
const POLL_MS = 500;

interface IRegistrationForm {
  name: string;
  type: string;
  description: string;
}

export function RegisteredDataset(props: {
  api: RemotemAPI;
  repository: string;
  entry: IEntry;
  /** The tree should show the new mark. */
  onChanged: () => void;
  /** Show a dataset of the lineage in the tree. */
  onReveal: (repository: string, path: string) => void;
}): JSX.Element {
  const { api, repository, entry, onChanged, onReveal } = props;
  const trans = useTranslation();
  const [datasets] = useState(() => new DatasetsAPI(api));
  const [dataset, setDataset] = useState<IDataset | null>(null);
  const [lineage, setLineage] = useState<ILineage | null>(null);
  const [types, setTypes] = useState<IDatasetType[]>([]);
  const [error, setError] = useState<RemotemError | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [serial, setSerial] = useState(0);
  const id = dataset?.id ?? null;

  useEffect(() => {
    const controller = new AbortController();
    datasets
      .types(controller.signal)
      .then(setTypes)
      .catch(() => undefined);
    // Asked by place, not from the tree's entry: that may be older than a registration.
    const found = id
      ? datasets.get(id, controller.signal)
      : datasets.at(repository, entry.path, controller.signal);
    found
      .then(async shown => {
        setDataset(shown);
        setLineage(
          shown ? await datasets.lineage(shown.id, controller.signal) : null
        );
      })
      .catch(reason => {
        if (!isAbort(reason) && !controller.signal.aborted) {
          setError(RemotemError.from(reason));
        }
      });
    return () => controller.abort();
  }, [datasets, repository, entry.path, id, serial]);

  const act = useCallback(
    async (label: string, work: () => Promise<unknown>) => {
      setBusy(label);
      setError(null);
      try {
        await work();
        setSerial(value => value + 1);
        onChanged();
      } catch (reason) {
        if (!isAbort(reason)) {
          setError(RemotemError.from(reason));
        }
      } finally {
        setBusy(null);
      }
    },
    [onChanged]
  );

  const runJob = async (action: 'close' | 'verify') => {
    if (!dataset) {
      return;
    }
    let job = await datasets.run(dataset.id, action);
    while (!isFinal(job.phase)) {
      await new Promise(resolve => setTimeout(resolve, POLL_MS));
      job = await api.getJob(job.id);
    }
    if (job.phase !== 'COMPLETED') {
      throw new RemotemError(
        job.error?.message ??
          trans.__('The %1 job ended in %2.', action, job.phase),
        409,
        job.error?.code ?? 'job_failed',
        null
      );
    }
  };

  const register = async () => {
    const value = await askForm<IRegistrationForm>({
      trans,
      title: trans.__('Register %1 as a dataset', entry.name),
      accept: trans.__('Register'),
      value: { name: entry.name, type: '', description: '' },
      className: 'jp-remotem-register-dialog',
      form: onChange => (
        <RegistrationFields
          types={types}
          onChange={onChange}
          name={entry.name}
        />
      )
    });
    if (!value) {
      return;
    }
    await act('register', async () => {
      const made = await datasets.register({
        repository,
        path: entry.path,
        name: value.name,
        description: value.description,
        ...(value.type ? { type: value.type } : {})
      });
      setDataset(made);
    });
  };

  const share = async () => {
    if (!dataset) {
      return;
    }
    const value = await askForm<IShareForm>({
      trans,
      title: trans.__('Share “%1”', dataset.name),
      accept: trans.__('Share'),
      value: shareForm(dataset.grants ?? []),
      className: 'jp-remotem-share-dialog',
      form: onChange => (
        <ShareFields
          initial={shareForm(dataset.grants ?? [])}
          onChange={onChange}
        />
      )
    });
    if (value) {
      await act('share', () => datasets.share(dataset.id, grantsOf(value)));
    }
  };

  const close = async () => {
    if (!dataset) {
      return;
    }
    const answer = await showDialog({
      title: trans.__('Close “%1”?', dataset.name),
      body: trans.__(
        'Every file gets its size and SHA-256 recorded; after that nothing in it can be changed, moved or deleted here. Closed datasets stay closed.'
      ),
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.warnButton({ label: trans.__('Close dataset') })
      ]
    });
    if (answer.button.accept) {
      await act('close', () => runJob('close'));
    }
  };

  const typeLabel = (name: string) =>
    types.find(kind => kind.name === name)?.label ?? name;
  const node = (nodeId: string) =>
    lineage?.nodes.find(candidate => candidate.id === nodeId);

  if (!id || !dataset) {
    return (
      <section className="jp-remotem-dataset-info" data-registered="false">
        <h3>{trans.__('Dataset')}</h3>
        <p className="jp-remotem-note">
          {trans.__(
            'Not a dataset. Register it to own it, share it and close it.'
          )}
        </p>
        <button
          className="jp-Button jp-mod-styled jp-mod-reject jp-remotem-register"
          disabled={busy !== null}
          onClick={() => void register()}
        >
          {trans.__('Register as dataset…')}
        </button>
        {error && <ErrorMessage error={error} />}
      </section>
    );
  }
  const mayChange = dataset.role !== 'read';
  const rows: [string, string, string][] = [
    ['name', trans.__('Name'), dataset.name],
    ['type', trans.__('Type'), typeLabel(dataset.type)],
    ['owner', trans.__('Owner'), dataset.owner],
    [
      'state',
      trans.__('State'),
      dataset.state === 'closed'
        ? trans.__('closed %1', formatDate(dataset.closed, null))
        : trans.__('open')
    ],
    ['verified', trans.__('Verified'), verificationLabel(dataset, trans)],
    [
      'grants',
      trans.__('Shared with'),
      dataset.grants ? grantsLabel(dataset.grants, trans) : ''
    ],
    ['description', trans.__('Description'), dataset.description]
  ];
  return (
    <section
      className="jp-remotem-dataset-info"
      data-registered="true"
      data-state={dataset.state}
    >
      <h3>{trans.__('Dataset')}</h3>
      <FactsTable rows={rows} />
      <LineageLinks
        label={trans.__('Derived from')}
        kind="parents"
        nodes={dataset.parents.map(node)}
        onReveal={onReveal}
      />
      <LineageLinks
        label={trans.__('Derived datasets')}
        kind="children"
        nodes={dataset.children.map(node)}
        onReveal={onReveal}
      />
      <div className="jp-remotem-dataset-actions">
        {mayChange && dataset.state === 'open' && (
          <button
            className="jp-Button jp-mod-styled jp-mod-reject jp-remotem-close-dataset"
            disabled={busy !== null}
            onClick={() => void close()}
          >
            {busy === 'close' ? trans.__('Closing…') : trans.__('Close…')}
          </button>
        )}
        {dataset.role === 'owner' && (
          <button
            className="jp-Button jp-mod-styled jp-mod-reject jp-remotem-share-dataset"
            disabled={busy !== null}
            onClick={() => void share()}
          >
            {trans.__('Share…')}
          </button>
        )}
        {dataset.state === 'closed' && (
          <button
            className="jp-Button jp-mod-styled jp-mod-reject jp-remotem-verify-dataset"
            disabled={busy !== null}
            onClick={() => void act('verify', () => runJob('verify'))}
          >
            {busy === 'verify' ? trans.__('Verifying…') : trans.__('Verify')}
          </button>
        )}
      </div>
      {error && <ErrorMessage error={error} />}
    </section>
  );
}

/** The datasets a dataset came from, or that came from it: each one shown in the tree on a click. */
function LineageLinks(props: {
  label: string;
  kind: string;
  nodes: (ILineageNode | undefined)[];
  onReveal: (repository: string, path: string) => void;
}): JSX.Element | null {
  const nodes = props.nodes.filter((node): node is ILineageNode => !!node);
  if (!nodes.length) {
    return null;
  }
  return (
    <div className="jp-remotem-lineage" data-kind={props.kind}>
      <span>{props.label}</span>
      <ul>
        {nodes.map(node => (
          <li key={node.id}>
            <button
              className="jp-remotem-lineage-node jp-Button jp-mod-minimal"
              data-dataset={node.id}
              title={`${node.repository}:${node.path} (${node.state})`}
              onClick={() => props.onReveal(node.repository, node.path)}
            >
              {node.name}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

function RegistrationFields(props: {
  types: IDatasetType[];
  name: string;
  onChange: (value: IRegistrationForm) => void;
}): JSX.Element {
  const trans = useTranslation();
  const [value, change] = useFormValue<IRegistrationForm>(
    { name: props.name, type: '', description: '' },
    props.onChange
  );
  return (
    <>
      <PathField
        label={trans.__('Name')}
        className="jp-remotem-dataset-name"
        value={value.name}
        onChange={name => change({ name })}
      />
      <ChoiceField
        label={trans.__('Type')}
        className="jp-remotem-dataset-type"
        value={value.type}
        options={[
          { value: '', label: trans.__('Recognise it') },
          ...props.types.map(kind => ({ value: kind.name, label: kind.label }))
        ]}
        onChange={type => change({ type })}
      />
      <PathField
        label={trans.__('Description')}
        className="jp-remotem-dataset-description"
        value={value.description}
        onChange={description => change({ description })}
      />
    </>
  );
}

function ShareFields(props: {
  initial: IShareForm;
  onChange: (value: IShareForm) => void;
}): JSX.Element {
  const trans = useTranslation();
  const [value, change] = useFormValue(props.initial, props.onChange);
  return (
    <>
      <PathField
        label={trans.__('Readers (user names)')}
        className="jp-remotem-share-readers"
        value={value.readers}
        onChange={readers => change({ readers })}
      />
      <PathField
        label={trans.__('Writers (user names)')}
        className="jp-remotem-share-writers"
        value={value.writers}
        onChange={writers => change({ writers })}
      />
      <PathField
        label={trans.__('Groups')}
        className="jp-remotem-share-groups"
        value={value.groups}
        onChange={groups => change({ groups })}
      />
      <ChoiceField
        label={trans.__('Groups may')}
        className="jp-remotem-share-group-role"
        value={value.groupRole}
        options={[
          { value: 'read', label: trans.__('read') },
          { value: 'write', label: trans.__('read and write') }
        ]}
        onChange={groupRole => change({ groupRole })}
      />
    </>
  );
}
