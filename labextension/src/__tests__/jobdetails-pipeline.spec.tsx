import React from 'react';
import { act } from 'react';

import { PipelineSteps, pipelineSteps } from '../jobdetails';
import { job } from './jobfixtures';
import { createRoot, IRoot } from './reactroot';

/** The progress a pipeline job's worker reports (jupyter_remotem/pipeline/durable.py). */
const progress = {
  done: 17,
  total: 30,
  store: 'repository:results/cells',
  steps: [
    {
      step: 'select_cell',
      kind: 'in memory',
      total: 10,
      done: 4,
      skipped: 0,
      failed: 1,
      pending: 5
    },
    {
      step: 'normalize_cell',
      kind: 'target',
      total: 10,
      done: 3,
      skipped: 5,
      failed: 0,
      pending: 2
    },
    {
      step: 'project_cell',
      kind: 'target',
      total: 10,
      done: 2,
      skipped: 5,
      failed: 1,
      pending: 2
    }
  ]
};

const pipeline = job({
  id: 'p1',
  kind: 'pipeline',
  phase: 'EXECUTING',
  progress: progress as any
});

describe('a pipeline job in the job details', () => {
  let container: HTMLElement;
  let root: IRoot;

  beforeEach(() => {
    container = document.createElement('div');
    document.body.appendChild(container);
    root = createRoot(container);
  });

  afterEach(() => {
    act(() => root.unmount());
    container.remove();
  });

  it('reads the steps and the store from the progress', () => {
    const found = pipelineSteps(pipeline);
    expect(found?.store).toBe('repository:results/cells');
    expect(
      found?.steps.map(s => [s.step, s.done, s.skipped, s.failed, s.pending])
    ).toEqual([
      ['select_cell', 4, 0, 1, 5],
      ['normalize_cell', 3, 5, 0, 2],
      ['project_cell', 2, 5, 1, 2]
    ]);
  });

  it('is nothing for other jobs, for a pipeline not reported yet, and ignores bad counts', () => {
    expect(
      pipelineSteps(job({ kind: 'reduction', progress: progress as any }))
    ).toBeNull();
    expect(pipelineSteps(job({ kind: 'pipeline', progress: null }))).toBeNull();
    const odd = pipelineSteps(
      job({
        kind: 'pipeline',
        progress: {
          steps: [
            { step: 's', done: -3, skipped: 'x', failed: NaN, pending: 2 },
            { nostep: 1 }
          ]
        } as any
      })
    );
    expect(odd?.steps).toEqual([
      {
        step: 's',
        kind: 'target',
        total: 0,
        done: 0,
        skipped: 0,
        failed: 0,
        pending: 2
      }
    ]);
    expect(odd?.store).toBeNull();
  });

  it('shows each step with done, skipped, failed and pending, and the store', () => {
    act(() => root.render(<PipelineSteps job={pipeline} />));
    const section = container.querySelector('[data-section="pipeline"]');
    expect(section).not.toBeNull();
    expect(
      section?.querySelector('.jp-remotem-job-pipeline-store')?.textContent
    ).toBe('Store: repository:results/cells');
    const headers = Array.from(section!.querySelectorAll('thead th')).map(
      th => th.textContent
    );
    expect(headers).toEqual(['Step', 'Done', 'Skipped', 'Failed', 'Pending']);
    const rows = Array.from(section!.querySelectorAll('tbody tr'));
    expect(rows.map(r => r.getAttribute('data-step'))).toEqual([
      'select_cell',
      'normalize_cell',
      'project_cell'
    ]);
    const normalize = rows[1];
    expect(
      Array.from(normalize.querySelectorAll('td')).map(td => [
        td.getAttribute('data-count'),
        td.textContent
      ])
    ).toEqual([
      ['done', '3'],
      ['skipped', '5'],
      ['failed', '0'],
      ['pending', '2']
    ]);
    expect(rows[0].getAttribute('data-kind')).toBe('in memory');
    expect(rows.map(r => r.getAttribute('data-failed'))).toEqual([
      'true',
      'false',
      'true'
    ]);
  });

  it('renders nothing for a job that is not a pipeline', () => {
    act(() => root.render(<PipelineSteps job={job({ kind: 'copy' })} />));
    expect(container.innerHTML).toBe('');
  });
});
