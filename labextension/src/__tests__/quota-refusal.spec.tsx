import React, { act } from 'react';

import { IJobDryRun, RemotemError } from '../api';
import { QuotaRefusal, quotaRefusal, Refusals } from '../dialogs';
import { createRoot } from './reactroot';

// JupyterLab's dialogs load web components jest cannot parse; what is under test
// shows no dialog of its own.
jest.mock('@jupyterlab/apputils', () => ({
  Dialog: {},
  showDialog: jest.fn(),
  showErrorMessage: jest.fn()
}));
jest.mock('@jupyterlab/ui-components', () => ({ ReactWidget: class {} }));

function dryRun(quota: Partial<NonNullable<IJobDryRun['quota']>>): IJobDryRun {
  return {
    quote: {} as IJobDryRun['quote'],
    quota: {
      limits: { storage_bytes: null, compute_hours: null, period_days: 30 },
      usage: {
        storage_bytes: 0,
        results: 0,
        compute_hours: 0,
        reserved_bytes: 0,
        reserved_hours: 0
      },
      remaining: { storage_bytes: null, compute_hours: null },
      fits: true,
      reason: null,
      ...quota
    }
  };
}

function shown(element: JSX.Element): HTMLElement {
  const container = document.createElement('div');
  const root = createRoot(container);
  act(() => root.render(element));
  return container;
}

describe('the quota refusal of a dry run', () => {
  it('is none when the job fits, or without a verdict', () => {
    expect(quotaRefusal(null)).toBeNull();
    expect(quotaRefusal(dryRun({ fits: true }))).toBeNull();
  });

  it('says the budget as the server does: its code, message and hint', () => {
    const refusal = quotaRefusal(
      dryRun({
        fits: false,
        reason: 'The job would cost 12.00 EUR; 3.50 EUR of the budget is left.',
        code: 'budget_exceeded',
        hint: 'GET remotem/api/quota shows the budget and what was spent.'
      })
    );
    expect(refusal).toEqual({
      reason: 'The job would cost 12.00 EUR; 3.50 EUR of the budget is left.',
      code: 'budget_exceeded',
      hint: 'GET remotem/api/quota shows the budget and what was spent.'
    });
    const node = shown(<QuotaRefusal refusal={refusal} />);
    const alert = node.querySelector('[role="alert"]');
    expect(alert?.getAttribute('data-code')).toBe('budget_exceeded');
    expect(node.textContent).toContain('3.50 EUR of the budget is left');
    expect(node.textContent).toContain('shows the budget and what was spent');
    expect(node.textContent).not.toContain('larger quota');
  });

  it('falls back to the storage quota words for a server that sends no code', () => {
    const refusal = quotaRefusal(dryRun({ fits: false, reason: '' }));
    expect(refusal?.code).toBe('quota_exceeded');
    const node = shown(<QuotaRefusal refusal={refusal} />);
    expect(node.textContent).toContain('This job does not fit your quota.');
    expect(node.textContent).toContain('ask for a larger quota');
  });

  it('is said once: a submission refused for the budget hides the dry run', () => {
    const refusal = quotaRefusal(
      dryRun({ fits: false, reason: 'over budget', code: 'budget_exceeded' })
    );
    const error = new RemotemError(
      'over budget (submitted)',
      403,
      'budget_exceeded',
      null
    );
    const node = shown(
      <Refusals refusal={refusal} error={error} edited={false} />
    );
    expect(node.querySelectorAll('[role="alert"]')).toHaveLength(1);
    expect(node.textContent).toContain('over budget (submitted)');
  });
});
