/**
 * The viewer's "Transform…" dialog against the transformations the server really
 * declares (`GET operations`, asked from the project's Python): the steps offered,
 * a form per step made from its schema, the `POST jobs` body of a chain (which the
 * server accepts), the quote, and a 400 of the server said as it is, with its hint.
 */
import React from 'react';
import { act } from 'react';

import {
  IJobDryRun,
  IOperationInfo,
  IReductionJobRequest,
  IRepository,
  RemotemError
} from '../api';
import { QUOTE_DELAY } from '../dialogs';
import {
  IStep,
  newStep,
  readChain,
  readStep,
  stepFields,
  transformations,
  transformPath,
  transformRequest
} from '../viewer/transform';
import {
  ITransformValue,
  TransformForm,
  TransformQuote
} from '../viewer/transformdialog';
import { createRoot, IRoot } from './reactroot';
import {
  servedJobRefusal,
  servedOperation as served,
  servedOperations
} from './servedcontract';

// JupyterLab's dialogs and icons load web components jest cannot parse; the form
// under test shows no dialog of its own, and its icons need not draw.
jest.mock('@jupyterlab/apputils', () => ({
  Dialog: {},
  showDialog: jest.fn(),
  showErrorMessage: jest.fn()
}));
jest.mock('@jupyterlab/ui-components', () => {
  const icon = () => ({ react: () => null });
  return {
    ReactWidget: class {},
    caretUpIcon: icon(),
    caretDownIcon: icon(),
    closeIcon: icon()
  };
});

const source = { repository: 'demo', path: 'scans/scan.h5', dataset: null };
const repositories: IRepository[] = [
  {
    name: 'demo',
    description: 'Demo scans',
    writable: true,
    protocol: 'file',
    speed: {} as IRepository['speed']
  },
  {
    name: 'notebooks',
    description: '',
    writable: true,
    protocol: 'file',
    speed: {} as IRepository['speed'],
    home: true
  }
];

/** A dry run's answer, as `POST jobs?dry_run=1` gives it. */
const dryRun: IJobDryRun = {
  quote: {
    seconds: 12.5,
    bytes_read: 12_582_912,
    bytes_written: 1_572_864,
    throughput_bytes_s: 1e6,
    basis: 'default'
  },
  kind: 'transformation',
  quota: {
    fits: true,
    reason: null,
    limits: { storage_bytes: 20_000_000, compute_hours: 5, period_days: 30 },
    usage: {
      storage_bytes: 1_000_000,
      results: 1,
      compute_hours: 0.5,
      reserved_bytes: 0,
      reserved_hours: 0
    },
    remaining: { storage_bytes: 19_000_000, compute_hours: 4.5 }
  }
};

/** `Object.fromEntries`, which the tests' TypeScript library does not declare. */
function fromEntries<T>(pairs: [string, T][]): Record<string, T> {
  const record: Record<string, T> = {};
  for (const [key, item] of pairs) {
    record[key] = item;
  }
  return record;
}

/** The quote of a dry run, refused as the server refuses the body. */
function servedQuote(): jest.Mock<
  ReturnType<TransformQuote>,
  Parameters<TransformQuote>
> {
  return jest.fn(
    async (request: IReductionJobRequest, _signal: AbortSignal) => {
      const refusal = servedJobRefusal(request);
      if (refusal) {
        throw new RemotemError(
          refusal.message,
          refusal.status,
          refusal.code,
          refusal.hint
        );
      }
      return dryRun;
    }
  );
}

describe('the steps and their forms', () => {
  it('are the transformations the server declares, every parameter with a field', () => {
    const offered = transformations(servedOperations());
    const names = offered.map(op => op.name);
    expect(names).toEqual(
      expect.arrayContaining(['crop', 'bin', 'rotate', 'fft'])
    );
    expect(names).not.toContain('com');
    for (const operation of offered) {
      // None left out: lists (bin's factors, crop's ranges) are typed as JSON or "2, 2".
      expect(stepFields(operation).map(field => field.name)).toEqual(
        Object.keys(operation.parameters?.properties ?? {})
      );
    }
    const kinds = fromEntries(
      stepFields(served('bin')).map(
        field => [field.name, field.kind] as [string, string]
      )
    );
    expect(kinds).toEqual({ nav: 'list', sig: 'list', reduce: 'choice' });
  });

  it('start from the declared defaults and read back typed values as the schema types them', () => {
    const bin = served('bin');
    const step = newStep(bin, 1);
    // reduce's default is the index of "mean" among its values.
    const reduce = stepFields(bin).find(field => field.name === 'reduce')!;
    expect(reduce.values[Number(step.entries.reduce)]).toBe('mean');
    expect(readStep(bin, step)).toEqual({
      operation: 'bin',
      params: { reduce: 'mean' },
      invalid: [],
      missing: []
    });
    const typed = (sig: string) =>
      readStep(bin, { ...step, entries: { ...step.entries, sig } });
    expect(typed('2, 2').params.sig).toEqual([2, 2]);
    expect(typed('[2, 2]').params.sig).toEqual([2, 2]);
    expect(typed('2, ').invalid).toEqual(['sig']);

    // A choice of integers answers integers, not their text.
    const rotate = served('rotate');
    const turn = newStep(rotate, 2);
    expect(readStep(rotate, turn).missing).toEqual(['quarter_turns']);
    expect(
      readStep(rotate, { ...turn, entries: { quarter_turns: '0' } }).params
    ).toEqual({ quarter_turns: 1 });

    const filter = served('fourier_filter');
    const band = newStep(filter, 3);
    expect(
      readStep(filter, { ...band, entries: { ...band.entries, r_out: '-1' } })
        .invalid
    ).toEqual(['r_out']);
  });

  it('make a job the server accepts: the last step is its operation, the others its pipeline', () => {
    const steps: IStep[] = [
      { ...newStep(served('rotate'), 1), entries: { quarter_turns: '0' } },
      {
        ...newStep(served('bin'), 2),
        entries: { nav: '', sig: '2, 2', reduce: '0' }
      }
    ];
    const chain = readChain(servedOperations(), steps)!;
    const request = transformRequest(source, chain, {
      repository: 'demo',
      path: transformPath(source.path, ['rotate', 'bin'])
    });
    expect(request).toEqual({
      repository: 'demo',
      path: 'scans/scan.h5',
      dataset: null,
      operation: 'bin',
      params: { sig: [2, 2], reduce: 'mean' },
      pipeline: [{ operation: 'rotate', params: { quarter_turns: 1 } }],
      output: {
        repository: 'demo',
        path: 'scans/scan_rotate_bin.h5',
        format: 'hdf5'
      },
      priority: 0
    });
    expect(servedJobRefusal(request)).toBeNull();
    // A step still to be given holds the chain back.
    expect(
      readChain(servedOperations(), [newStep(served('rotate'), 3)])
    ).toBeNull();
    expect(transformPath('scan.h5', [])).toBe('scan_transformed.h5');
  });
});

describe('the dialog', () => {
  // Each test renders the whole dialog a few times (seconds on a loaded two-core machine).
  jest.setTimeout(30_000);
  let container: HTMLDivElement;
  let root: IRoot;
  let value: ITransformValue;

  const initial: ITransformValue = {
    steps: [],
    repository: 'demo',
    path: transformPath(source.path, []),
    overwrite: false
  };

  beforeEach(() => {
    jest.useFakeTimers();
    container = document.createElement('div');
    document.body.appendChild(container);
    root = createRoot(container);
    value = initial;
  });

  afterEach(() => {
    act(() => root.unmount());
    container.remove();
    jest.useRealTimers();
  });

  function draw(
    operations: IOperationInfo[],
    quote: TransformQuote | null = null,
    error: RemotemError | null = null
  ): void {
    act(() =>
      root.render(
        <TransformForm
          source={source}
          shape={[32, 48, 64, 64]}
          operations={operations}
          repositories={repositories}
          initial={initial}
          error={error}
          quote={quote}
          onChange={next => {
            value = next;
          }}
        />
      )
    );
  }

  function find<T extends Element>(
    selector: string,
    within: Element = container
  ): T {
    const found = within.querySelector<T>(selector);
    if (!found) {
      throw new Error(`nothing matches ${selector}`);
    }
    return found;
  }

  function choose(select: HTMLSelectElement, option: string): void {
    act(() => {
      select.value = option;
      select.dispatchEvent(new Event('change', { bubbles: true }));
    });
  }

  function type(input: HTMLInputElement, text: string): void {
    const setter = Object.getOwnPropertyDescriptor(
      HTMLInputElement.prototype,
      'value'
    )!.set!;
    act(() => {
      setter.call(input, text);
      input.dispatchEvent(new Event('input', { bubbles: true }));
    });
  }

  function addStep(name: string): HTMLLIElement {
    choose(find('[data-testid="transform-pick"]'), name);
    act(() =>
      find<HTMLButtonElement>('.jp-remotem-transform-add-step').click()
    );
    const steps = container.querySelectorAll<HTMLLIElement>(
      '.jp-remotem-transform-step'
    );
    return steps[steps.length - 1];
  }

  /** The quote asked a moment after the last change, and its answer in. */
  async function settle(): Promise<void> {
    await act(async () => {
      jest.advanceTimersByTime(QUOTE_DELAY);
    });
    await act(async () => {
      await Promise.resolve();
    });
  }

  it('lists the transformations, those that cannot run disabled with the server’s reason', () => {
    const reason =
      'it needs 2-D detector frames; this dataset’s frames have shape [64]';
    const operations = servedOperations().map(op =>
      op.name === 'flip' ? { ...op, available: false, reason } : op
    );
    draw(operations);
    const options = Array.from(
      find<HTMLSelectElement>('[data-testid="transform-pick"]').options
    );
    expect(options.map(option => option.value)).toEqual(
      transformations(operations).map(op => op.name)
    );
    const flip = options.find(option => option.value === 'flip')!;
    expect(flip.disabled).toBe(true);
    expect(flip.textContent).toContain(reason);
    expect(options.filter(option => option.disabled)).toEqual([flip]);
    // Nothing added yet: the path offered is the source's name.
    expect(find<HTMLInputElement>('.jp-remotem-transform-path').value).toBe(
      'scans/scan_transformed.h5'
    );
  });

  it('adds steps one after another, each with its form; moves and removes them', () => {
    draw(servedOperations());
    const rotate = addStep('rotate');
    const turns = find<HTMLSelectElement>(
      '[data-testid="transform-param-quarter_turns"]',
      rotate
    );
    expect(
      Array.from(turns.options)
        .filter(option => !option.disabled)
        .map(option => option.textContent)
    ).toEqual(['1', '2', '3']);
    expect(
      find('[data-testid="transform-missing"]', rotate).textContent
    ).toMatch(/quarter_turns/);
    // Focus goes to the new step's first field.
    expect(document.activeElement).toBe(turns);

    const bin = addStep('bin');
    expect(
      Array.from(bin.querySelectorAll('[data-testid^="transform-param-"]')).map(
        element => element.getAttribute('data-testid')
      )
    ).toEqual([
      'transform-param-nav',
      'transform-param-sig',
      'transform-param-reduce'
    ]);
    addStep('transpose');
    const order = () =>
      Array.from(container.querySelectorAll('.jp-remotem-transform-step')).map(
        step => step.getAttribute('data-operation')
      );
    expect(order()).toEqual(['rotate', 'bin', 'transpose']);
    // The path follows the steps while it is the one offered.
    expect(value.path).toBe('scans/scan_rotate_bin_transpose.h5');

    act(() => find<HTMLButtonElement>('[data-action="up"]', bin).click());
    expect(order()).toEqual(['bin', 'rotate', 'transpose']);
    const remove = container.querySelectorAll<HTMLButtonElement>(
      '[data-action="remove"]'
    );
    act(() => remove[2].click());
    expect(order()).toEqual(['bin', 'rotate']);
    expect(value.steps.map(step => step.operation)).toEqual(['bin', 'rotate']);
    expect(value.path).toBe('scans/scan_bin_rotate.h5');
    expect(
      find<HTMLButtonElement>('[data-action="remove"]').getAttribute(
        'aria-label'
      )
    ).toBe('Remove step 1');
  });

  it('asks the quote of the chain with the job it submits, and says it', async () => {
    const quote = servedQuote();
    draw(servedOperations(), quote);
    const rotate = addStep('rotate');
    choose(find('[data-testid="transform-param-quarter_turns"]', rotate), '0');
    const bin = addStep('bin');
    type(find('[data-testid="transform-param-sig"]', bin), '2, 2');
    type(find('[data-testid="transform-param-nav"]', bin), '[2, 2]');
    await settle();
    expect(quote).toHaveBeenCalledTimes(1);
    const request = quote.mock.calls[0][0];
    expect(request).toEqual({
      repository: 'demo',
      path: 'scans/scan.h5',
      dataset: null,
      operation: 'bin',
      params: { nav: [2, 2], sig: [2, 2], reduce: 'mean' },
      pipeline: [
        { operation: 'rotate', params: { quarter_turns: 1, on: 'frame' } }
      ],
      output: {
        repository: 'demo',
        path: 'scans/scan_rotate_bin.h5',
        format: 'hdf5'
      },
      priority: 0
    });
    const shown = find('[data-testid="transform-quote"]');
    const lines = fromEntries(
      Array.from(shown.querySelectorAll('dt')).map(
        dt =>
          [dt.textContent ?? '', dt.nextElementSibling?.textContent ?? ''] as [
            string,
            string
          ]
      )
    );
    expect(Object.keys(lines)).toEqual([
      'Reads',
      'Writes',
      'Time',
      'Storage after this job',
      'Compute after this job'
    ]);
    expect(lines['Time']).toMatch(/^about 1\d s$/);
    expect(lines['Compute after this job']).toBe('0.5 of 5 h');
    expect(shown.querySelector('.jp-remotem-error')).toBeNull();
  });

  it('says when the name is taken and offers the free one, or replacing it', async () => {
    const quote = jest.fn(
      async (request: IReductionJobRequest, _signal: AbortSignal) => ({
        ...dryRun,
        target:
          request.output.path === 'scans/scan_rotate.h5'
            ? { exists: true, free_path: 'scans/scan_rotate-1.h5' }
            : { exists: false, free_path: request.output.path }
      })
    );
    draw(servedOperations(), quote);
    const rotate = addStep('rotate');
    choose(find('[data-testid="transform-param-quarter_turns"]', rotate), '0');
    await settle();
    const taken = find('.jp-remotem-transform-taken');
    expect(taken.textContent).toMatch(/scans\/scan_rotate\.h5 exists in demo/);
    act(() =>
      find<HTMLButtonElement>('[data-testid="transform-free-name"]').click()
    );
    expect(value.path).toBe('scans/scan_rotate-1.h5');
    await settle();
    expect(container.querySelector('.jp-remotem-transform-taken')).toBeNull();
    type(find('input.jp-remotem-transform-path'), 'scans/scan_rotate.h5');
    await settle();
    expect(
      container.querySelector('.jp-remotem-transform-taken')
    ).not.toBeNull();
    act(() =>
      find<HTMLInputElement>('.jp-remotem-transform-overwrite').click()
    );
    expect(value.overwrite).toBe(true);
    expect(container.querySelector('.jp-remotem-transform-taken')).toBeNull();
  });

  it('shows a 400 of the server as it says it, with its hint', async () => {
    const quote = servedQuote();
    draw(servedOperations(), quote);
    const filter = addStep('fourier_filter');
    // The form takes 0 (it is a number ≥ 0); the server wants r_out > 0.
    type(find('[data-testid="transform-param-r_out"]', filter), '0');
    await settle();
    const expected = servedJobRefusal(quote.mock.calls[0][0])!;
    expect(expected.status).toBe(400);
    const error = find('[data-testid="transform-quote"] .jp-remotem-error');
    expect(error.getAttribute('data-code')).toBe(expected.code);
    expect(find('.jp-remotem-error-message', error).textContent).toBe(
      expected.message
    );
    expect(find('.jp-remotem-error-hint', error).textContent).toBe(
      expected.hint
    );
    expect(expected.message).toMatch(/r_out/);

    // Typed right, the refusal goes and the quote comes.
    type(find('[data-testid="transform-param-r_out"]', filter), '8');
    await settle();
    expect(
      container.querySelector(
        '[data-testid="transform-quote"] .jp-remotem-error'
      )
    ).toBeNull();
    expect(
      container.querySelector('[data-testid="transform-quote"] dl')
    ).not.toBeNull();
  });

  it('says the refusal of the last submission until the form is edited', () => {
    const refusal = new RemotemError(
      "'scan_rotate.h5' already exists in repository 'demo'.",
      409,
      'conflict',
      'Choose another output path, or set "overwrite": true in the output.'
    );
    draw(servedOperations(), null, refusal);
    expect(find('.jp-remotem-error-message').textContent).toBe(refusal.message);
    expect(find('.jp-remotem-error-hint').textContent).toBe(refusal.hint);
    act(() =>
      find<HTMLInputElement>('.jp-remotem-transform-overwrite').click()
    );
    expect(value.overwrite).toBe(true);
    expect(container.querySelector('.jp-remotem-error')).toBeNull();
  });
});
