/**
 * Declared reductions as navigation modes: the viewer's list and forms come from the
 * server's declarations (`GET operations`), so a new reduction needs no viewer change.
 */
import React from 'react';
import { act } from 'react';

import type { IOperationInfo } from '../api';
import { OperationForm } from '../viewer/OperationForm';
import {
  defaultChoice,
  formFields,
  IOperationChoice,
  navigationOperations
} from '../viewer/operationmode';
import {
  defaultViewState,
  IGeometry,
  navigationRequest,
  readViewState
} from '../viewer/state';
import {
  servedOperation as served,
  servedOperations,
  serverVerdict
} from './servedcontract';
import { createRoot, IRoot } from './reactroot';

const geometry: IGeometry = { nav: [8, 10], sig: [32, 32] };
const source = { repository: 'demo', path: 'scan.h5', dataset: null };

describe('the modes the server declares', () => {
  it('are the reductions answering one value per scan position, besides the viewer’s own', () => {
    const names = navigationOperations(servedOperations()).map(op => op.name);
    expect(names).toEqual(
      expect.arrayContaining(['fem', 'crystallinity', 'blobs'])
    );
    for (const own of [
      'virtual_detector',
      'com',
      'pick',
      'frame_stats',
      'direct_beam'
    ]) {
      expect(names).not.toContain(own);
    }
    // A profile per position (scan × sector × radius): one ring of it over the scan.
    expect(names).toContain('radial_profile');
  });

  it('leave out those that run a function sent from a notebook', () => {
    const map = served('map');
    expect(map.takes_code).toBe(true);
    expect(map.outputs?.map(output => output.place)).toEqual(['scan']);
    const names = navigationOperations(servedOperations()).map(op => op.name);
    expect(names).not.toContain('map');
    expect(names).not.toContain('apply');
    expect(
      navigationOperations([{ ...map, name: 'copy_of_map', takes_code: false }])
    ).toHaveLength(1);
  });

  it('include an operation the server declares at runtime, with its form', () => {
    const toy: IOperationInfo = {
      name: 'toy_brightness',
      kind: 'reduction',
      description: 'A toy',
      available: true,
      reason: null,
      parameters: {
        type: 'object',
        properties: {
          gain: { type: 'number', default: 2, minimum: 0, 'x-unit': 'counts' },
          clip: { type: 'boolean', default: false },
          how: { enum: ['max', 'mean'], default: 'mean' },
          mask: { type: 'array' }
        }
      },
      outputs: [
        { name: 'brightness', place: 'scan', description: 'b', dims: [] },
        { name: 'frame', place: 'frame', description: 'f', dims: [] }
      ],
      primary: 'frame'
    };
    expect(
      navigationOperations([...servedOperations(), toy]).map(op => op.name)
    ).toContain('toy_brightness');
    expect(navigationOperations([{ ...toy, available: false }])).toEqual([]);
    const fields = formFields(toy);
    expect(fields.map(f => [f.name, f.kind])).toEqual([
      ['gain', 'number'],
      ['clip', 'boolean'],
      ['how', 'choice']
    ]);
    expect(fields[0].unit).toBe('counts');
    // The primary is a frame: the image shown is the first one over the scan.
    expect(defaultChoice(toy)).toEqual({
      name: 'toy_brightness',
      params: { gain: 2, clip: false, how: 'mean' },
      field: 'brightness',
      required: []
    });
  });

  it('make forms from the declared schema: types, units, ranges, required', () => {
    const blobs = formFields(served('blobs'));
    const radius = blobs.find(f => f.name === 'radius')!;
    expect([radius.kind, radius.required, radius.unit]).toEqual([
      'number',
      true,
      'px'
    ]);
    const peaks = blobs.find(f => f.name === 'n_peaks')!;
    expect([peaks.kind, peaks.minimum, peaks.maximum]).toEqual([
      'integer',
      1,
      256
    ]);
    expect(blobs.find(f => f.name === 'min_distance')!.nullable).toBe(true);
  });
});

describe('mode operation', () => {
  it('asks nothing until the required parameters are given, then the declared reduction', () => {
    const choice = defaultChoice(served('fem'));
    expect(choice).toEqual({
      name: 'fem',
      params: {},
      field: 'std',
      required: ['ri', 'ro']
    });
    const state = {
      ...defaultViewState(geometry),
      mode: 'operation' as const,
      operation: choice
    };
    expect(navigationRequest(source, state, geometry)).toBeNull();
    const given = {
      ...state,
      operation: {
        ...choice,
        params: { ri: 2, ro: 9, cx: null },
        field: 'mean'
      }
    };
    const plan = navigationRequest(source, given, geometry)!;
    expect(plan.request.operation).toBe('fem');
    expect(plan.request.params).toEqual({ ri: 2, ro: 9 });
    expect(plan.fields).toEqual(['mean']);
  });

  it('survives a reload and follows the served view contract', () => {
    const operation: IOperationChoice = {
      name: 'crystallinity',
      params: { r_in: 2, r_out: 8 },
      field: 'crystallinity',
      required: ['r_in', 'r_out']
    };
    const view = {
      ...defaultViewState(geometry),
      mode: 'operation' as const,
      operation
    };
    const restored = readViewState(JSON.parse(JSON.stringify(view)), geometry);
    expect(restored.mode).toBe('operation');
    expect(restored.operation).toEqual(operation);
    expect(serverVerdict(view)).toBeNull();
    // Without an operation to show, the mode falls back.
    expect(readViewState({ mode: 'operation' }, geometry).mode).toBe(
      'detector'
    );
  });
});

describe('the form', () => {
  let container: HTMLDivElement;
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

  function type(id: string, text: string) {
    const input = container.querySelector<HTMLInputElement>(
      `[data-testid="${id}"]`
    )!;
    const setter = Object.getOwnPropertyDescriptor(
      HTMLInputElement.prototype,
      'value'
    )!.set!;
    act(() => {
      setter.call(input, text);
      input.dispatchEvent(new Event('input', { bubbles: true }));
    });
    act(() => {
      input.dispatchEvent(
        new KeyboardEvent('keydown', { bubbles: true, key: 'Enter' })
      );
    });
    return input;
  }

  it('commits typed numbers, reverts what the parameter cannot take, and says what is missing', () => {
    const operation = served('fem');
    let choice = defaultChoice(operation);
    const draw = () =>
      act(() =>
        root.render(
          <OperationForm
            operation={operation}
            choice={choice}
            onChange={next => {
              choice = next;
              draw();
            }}
          />
        )
      );
    draw();
    expect(
      container.querySelector('[data-testid="operation-missing"]')!.textContent
    ).toMatch(/ri, ro/);
    type('operation-param-ri', '3');
    expect(choice.params.ri).toBe(3);
    // ri takes no negative number: the field goes back to 3.
    const ri = type('operation-param-ri', '-1');
    expect(choice.params.ri).toBe(3);
    expect(ri.value).toBe('3');
    type('operation-param-ro', '12.5');
    expect(choice.params.ro).toBe(12.5);
    expect(
      container.querySelector('[data-testid="operation-missing"]')
    ).toBeNull();
    // Two images of the scan: the array shown is chosen too.
    const field = container.querySelector<HTMLSelectElement>(
      '[data-testid="operation-field"]'
    )!;
    expect(Array.from(field.options).map(o => o.value)).toEqual([
      'std',
      'mean'
    ]);
  });

  it('sends a declared choice as declared: a number stays a number', () => {
    const operation: IOperationInfo = {
      name: 'toy_order',
      kind: 'reduction',
      description: 'A toy',
      available: true,
      reason: null,
      parameters: {
        type: 'object',
        properties: { order: { enum: [0, 1, 3], default: 1 } }
      },
      outputs: [{ name: 'value', place: 'scan', description: 'v', dims: [] }],
      primary: 'value'
    };
    let choice = defaultChoice(operation);
    const draw = () =>
      act(() =>
        root.render(
          <OperationForm
            operation={operation}
            choice={choice}
            onChange={next => {
              choice = next;
              draw();
            }}
          />
        )
      );
    draw();
    const select = container.querySelector<HTMLSelectElement>(
      '[data-testid="operation-param-order"]'
    )!;
    expect(select.value).toBe('1');
    act(() => {
      select.value = '3';
      select.dispatchEvent(new Event('change', { bubbles: true }));
    });
    expect(choice.params.order).toBe(3);
    expect(select.value).toBe('3');
  });
});
