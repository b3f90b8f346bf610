/**
 * Colour outputs and planes of an index axis, from the server's declarations: an
 * output declared `colour` (a decomposition's `rgb`) is drawn in its own colours, and
 * an output over the scan with one index axis (the components of `scores`) gets a
 * selector of the plane shown. Nothing here names the decomposition's outputs in the
 * viewer's code: toy declarations behave the same.
 */
import React from 'react';
import { act } from 'react';

import type {
  IMetaResponse,
  IOperationInfo,
  IReductionRequest,
  RemotemAPI
} from '../api';
import { ViewerModel } from '../viewer/model';
import { OperationForm } from '../viewer/OperationForm';
import { ScanPlot } from '../viewer/ScanPlot';
import {
  choicePlaneAxis,
  defaultChoice,
  frameImages,
  IOperationChoice,
  isColourOutput,
  navigationOperations,
  outputOf,
  planeAxis,
  profileAxis,
  profileCoordinates,
  readOperationChoice,
  scanImages,
  showsColour
} from '../viewer/operationmode';
import {
  colourBrightness,
  colourPixels,
  fullColour,
  planeChoices,
  profileAt,
  profileImage,
  usablePlane
} from '../viewer/planes';
import {
  defaultViewState,
  frameRequest,
  IGeometry,
  navigationRequest,
  readViewState
} from '../viewer/state';
import { createRoot, IRoot } from './reactroot';
import {
  servedContract,
  servedOperation as served,
  servedOperations,
  serverVerdict
} from './servedcontract';

const geometry: IGeometry = { nav: [4, 6], sig: [8, 8] };
const source = { repository: 'demo', path: 'scan.h5', dataset: null };

/** A reduction declared at run time: a colour output and a stack of planes. */
const TOY: IOperationInfo = {
  name: 'toy_tint',
  kind: 'reduction',
  description: 'A toy',
  available: true,
  reason: null,
  parameters: { type: 'object', properties: {} },
  outputs: [
    {
      name: 'tint',
      place: 'scan',
      description: 'red, green, blue',
      dims: [{ name: 'channel', unit: null, index: true }],
      colour: true
    },
    {
      name: 'layers',
      place: 'scan',
      description: 'one image per layer',
      dims: [{ name: 'layer', unit: null, index: true }]
    },
    {
      name: 'profile',
      place: 'scan',
      description: 'a profile per position',
      dims: [{ name: 'radius', unit: 'px', index: false }]
    }
  ],
  primary: 'tint'
};

describe('declared colour outputs and index axes', () => {
  it('mark only what the server declares colour', () => {
    const colour: string[] = [];
    for (const op of servedOperations()) {
      for (const output of op.outputs ?? []) {
        if (isColourOutput(output)) {
          colour.push(`${op.name}.${output.name}`);
        }
      }
    }
    expect(colour).toEqual(['decomposition.rgb']);
  });

  it('offer the decomposition as a navigation mode, its scores and its colours as images', () => {
    const decomposition = served('decomposition');
    expect(
      navigationOperations(servedOperations()).map(op => op.name)
    ).toContain('decomposition');
    expect(scanImages(decomposition)).toEqual(['scores', 'rgb']);
    expect(planeAxis(outputOf(decomposition, 'scores')!)?.name).toBe(
      'component'
    );
    // Its channels are shown together, not picked one at a time.
    expect(planeAxis(outputOf(decomposition, 'rgb')!)).toBeNull();
    // A profile per position: one ring of it is an image of the scan, with the
    // coordinates of its rings in another output.
    const radial = served('radial_profile');
    expect(scanImages(radial)).toEqual(['profile']);
    expect(profileAxis(outputOf(radial, 'profile')!)?.name).toBe('radius');
    expect(planeAxis(outputOf(radial, 'profile')!)).toBeNull();
    expect(profileCoordinates(radial, 'profile')).toBe('radius');
  });

  it('work from any declaration, not from names', () => {
    expect(scanImages(TOY)).toEqual(['tint', 'layers', 'profile']);
    expect(profileAxis(outputOf(TOY, 'profile')!)?.name).toBe('radius');
    // Declared without coordinates: its bins are plotted by index.
    expect(profileCoordinates(TOY, 'profile')).toBeNull();
    expect(planeAxis(outputOf(TOY, 'layers')!)?.name).toBe('layer');
    expect(planeAxis(outputOf(TOY, 'profile')!)).toBeNull();
    const tint = defaultChoice(TOY);
    expect(tint.field).toBe('tint');
    expect(showsColour([TOY], tint)).toBe(true);
    expect(showsColour([TOY], { ...tint, field: 'layers' })).toBe(false);
    // Before the declarations arrive nothing is drawn as colours.
    expect(showsColour(null, tint)).toBe(false);
    expect(
      showsColour(servedOperations(), {
        ...defaultChoice(served('decomposition')),
        field: 'rgb'
      })
    ).toBe(true);
  });
});

describe('the plane shown', () => {
  const scores: IOperationChoice = {
    ...defaultChoice(served('decomposition')),
    index: 2
  };

  it('is the channel of the navigation request, and survives a reload', () => {
    expect(scores.field).toBe('scores');
    const state = {
      ...defaultViewState(geometry),
      mode: 'operation' as const,
      operation: scores
    };
    const plan = navigationRequest(source, state, geometry)!;
    expect(plan.fields).toEqual(['scores']);
    expect(plan.channel).toBe(2);
    const restored = readViewState(JSON.parse(JSON.stringify(state)), geometry);
    expect(restored.operation?.index).toBe(2);
    expect(serverVerdict(state)).toBeNull();
    // A malformed index is the first plane.
    expect(readOperationChoice({ ...scores, index: -1 })?.index ?? 0).toBe(0);
    expect(readOperationChoice({ ...scores, index: 1.5 })?.index ?? 0).toBe(0);
    expect(
      serverVerdict({ ...state, operation: { ...scores, index: -1 } })
    ).toMatch(/index/);
  });

  it('falls back to the first when the answer has fewer planes', () => {
    expect(usablePlane(2, 3)).toBe(2);
    expect(usablePlane(5, 3)).toBe(0);
    expect(usablePlane(-1, 3)).toBe(0);
    expect(planeChoices(4, 1)).toEqual([0, 1, 2, 3]);
    // Before an answer: the chosen plane is offered anyway.
    expect(planeChoices(null, 2)).toEqual([0, 1, 2]);
  });
});

describe('colour pixels', () => {
  const plane = (values: number[]) => ({
    width: values.length,
    height: 1,
    data: Float64Array.from(values)
  });

  it('draw 8-bit colours as they are, opaque', () => {
    expect(fullColour('uint8')).toBe(255);
    const rgba = colourPixels(
      [plane([0, 200]), plane([10, 255]), plane([128, 3])],
      255
    );
    expect(Array.from(rgba)).toEqual([0, 10, 128, 255, 200, 255, 3, 255]);
  });

  it('stretch floats from 0..1, clip beyond, and make NaN black', () => {
    expect(fullColour('float64')).toBe(1);
    const rgba = colourPixels(
      [plane([0.5, 2, NaN]), plane([-1, 0.2, 1]), null],
      1
    );
    expect(Array.from(rgba)).toEqual([
      128, 0, 0, 255, 255, 51, 0, 255, 0, 255, 0, 255
    ]);
    expect(
      Array.from(colourBrightness([plane([3, 0]), plane([0, 6])]).data)
    ).toEqual([1.5, 3]);
  });
});

describe('the form of an array with an index axis', () => {
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

  it('picks a component among as many as the answer holds; colours have no selector', () => {
    const operation = served('decomposition');
    let choice = defaultChoice(operation);
    const draw = () =>
      act(() =>
        root.render(
          <OperationForm
            operation={operation}
            choice={choice}
            planes={choice.field === 'scores' ? 5 : 3}
            onChange={next => {
              choice = next;
              draw();
            }}
          />
        )
      );
    draw();
    const select = () =>
      container.querySelector<HTMLSelectElement>(
        '[data-testid="operation-plane"]'
      );
    expect(select()!.getAttribute('aria-label')).toBe('component');
    expect(Array.from(select()!.options).map(o => o.value)).toEqual([
      '0',
      '1',
      '2',
      '3',
      '4'
    ]);
    act(() => {
      select()!.value = '3';
      select()!.dispatchEvent(new Event('change', { bubbles: true }));
    });
    expect(choice.index).toBe(3);
    const field = container.querySelector<HTMLSelectElement>(
      '[data-testid="operation-field"]'
    )!;
    act(() => {
      field.value = 'rgb';
      field.dispatchEvent(new Event('change', { bubbles: true }));
    });
    expect(choice.field).toBe('rgb');
    expect(select()).toBeNull();
  });
});

describe('a 1-D scan in colour', () => {
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

  const draw = (colours: Uint8ClampedArray | null) =>
    act(() =>
      root.render(
        <ScanPlot
          values={Float64Array.from([1, 2, 3])}
          index={0}
          range={null}
          onPick={() => undefined}
          label="plot"
          colours={colours}
        />
      )
    );

  it('shows its colours as a strip of one pixel per index', () => {
    draw(new Uint8ClampedArray(3 * 4).fill(255));
    const strip = container.querySelector<HTMLCanvasElement>(
      '[data-testid="scan-plot-colours"]'
    );
    expect(strip?.width).toBe(3);
    // Colours that do not fit the scan are not drawn.
    draw(new Uint8ClampedArray(2 * 4));
    expect(
      container.querySelector('[data-testid="scan-plot-colours"]')
    ).toBeNull();
    draw(null);
    expect(
      container.querySelector('[data-testid="scan-plot-colours"]')
    ).toBeNull();
  });
});

/** `.npy` bytes (version 1) of `data` in `shape`, of numpy type `descr`. */
function npyBytes(
  descr: string,
  shape: number[],
  data: Uint8Array | Float64Array
): ArrayBuffer {
  const text = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}), }`;
  const headerLength = Math.ceil((10 + text.length + 1) / 64) * 64 - 10;
  const header = text.padEnd(headerLength - 1) + '\n';
  const bytes = new Uint8Array(10 + headerLength + data.byteLength);
  bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(bytes.buffer).setUint16(8, headerLength, true);
  bytes.set(
    Array.from(header, c => c.charCodeAt(0)),
    10
  );
  bytes.set(new Uint8Array(data.buffer), 10 + headerLength);
  return bytes.buffer;
}

/** Position (y, x), plane c of a decomposition's answer. */
const rgbAt = (y: number, x: number, c: number) => (y * 40 + x * 5 + c) % 256;
const scoreAt = (y: number, x: number, c: number) => y * 100 + x + c * 1000;
/** Detector pixel (y, x) of component c. */
const componentAt = (y: number, x: number, c: number) => -(y * 8 + x) - c * 0.5;

function decompositionServer(asked: string[]): RemotemAPI {
  const meta: IMetaResponse = {
    repository: 'demo',
    path: 'scan.h5',
    entry: {
      name: 'scan.h5',
      path: 'scan.h5',
      type: 'file',
      size: 1,
      mtime: null,
      modified: null,
      format: 'hdf5',
      dataset: true
    },
    arrays: null,
    dataset: {
      format: 'hdf5',
      dataset: '/frames',
      shape: [4, 6, 8, 8],
      dtype: '<u2',
      nav_shape: [4, 6],
      sig_shape: [8, 8],
      chunks: null,
      nbytes: 4 * 6 * 8 * 8 * 2,
      axes: [],
      metadata: {}
    }
  };
  const api = {
    getViewContract: async () => servedContract(),
    getMeta: async () => meta,
    listRepositories: async () => [],
    listOperations: async () => servedOperations(),
    getData: async () => npyBytes('<f8', [8, 8], new Float64Array(64).fill(1)),
    reduceNpy: async (request: IReductionRequest, field?: string | null) => {
      asked.push(`${request.operation}.${field}`);
      if (field === 'components') {
        const frames: number[] = [];
        for (let y = 0; y < 8; y++) {
          for (let x = 0; x < 8; x++) {
            for (let c = 0; c < 3; c++) {
              frames.push(componentAt(y, x, c));
            }
          }
        }
        const buffer = npyBytes('<f8', [8, 8, 3], Float64Array.from(frames));
        return { buffer, step: 1, elapsedS: 0.01 };
      }
      const values: number[] = [];
      for (let y = 0; y < 4; y++) {
        for (let x = 0; x < 6; x++) {
          for (let c = 0; c < 3; c++) {
            values.push(field === 'rgb' ? rgbAt(y, x, c) : scoreAt(y, x, c));
          }
        }
      }
      const buffer =
        field === 'rgb'
          ? npyBytes('|u1', [4, 6, 3], Uint8Array.from(values))
          : npyBytes('<f8', [4, 6, 3], Float64Array.from(values));
      return { buffer, step: 1, elapsedS: 0.01 };
    }
  };
  return api as unknown as RemotemAPI;
}

function when(model: ViewerModel, predicate: () => boolean): Promise<void> {
  return new Promise(resolve => {
    const check = () => {
      if (predicate()) {
        model.changed.disconnect(check);
        resolve();
      }
    };
    model.changed.connect(check);
    check();
  });
}

describe('the navigation image of a decomposition', () => {
  const restored = (field: string, index?: number, frameField?: string) => ({
    mode: 'operation',
    operation: {
      name: 'decomposition',
      params: { components: 3 },
      field,
      required: [],
      ...(index === undefined ? {} : { index }),
      ...(frameField === undefined ? {} : { frameField })
    }
  });

  it('draws the rgb in its own colours, once the declarations say so', async () => {
    const asked: string[] = [];
    const model = new ViewerModel(
      decompositionServer(asked),
      source,
      restored('rgb')
    );
    await model.load();
    await when(model, () => model.navigation.colour && !model.navigation.busy);
    expect(asked).toContain('decomposition.rgb');
    const rgba = model.navigation.field!;
    expect(rgba.length).toBe(4 * 6 * 4);
    // Position (y=2, x=3): its red, green and blue as sent, opaque.
    const i = (2 * 6 + 3) * 4;
    expect(Array.from(rgba.slice(i, i + 4))).toEqual([
      rgbAt(2, 3, 0),
      rgbAt(2, 3, 1),
      rgbAt(2, 3, 2),
      255
    ]);
    model.dispose();
  });

  it('shows the chosen component of the scores, and another without asking again', async () => {
    const asked: string[] = [];
    const model = new ViewerModel(
      decompositionServer(asked),
      source,
      restored('scores', 2)
    );
    await model.load();
    await when(
      model,
      () =>
        !!model.navigation.image &&
        model.navigation.exact &&
        !model.navigation.busy
    );
    const nav = model.navigation;
    expect(nav.colour).toBe(false);
    expect(nav.planes).toBe(3);
    expect(nav.image!.data[2 * 6 + 3]).toBe(scoreAt(2, 3, 2));
    const asks = asked.length;
    model.update({ operation: { ...model.state!.operation!, index: 1 } });
    expect(model.navigation.image!.data[2 * 6 + 3]).toBe(scoreAt(2, 3, 1));
    expect(asked.length).toBe(asks);
    model.dispose();
  });

  it('reads out red, green and blue beside the brightness of a colour pixel', async () => {
    const model = new ViewerModel(
      decompositionServer([]),
      source,
      restored('rgb')
    );
    await model.load();
    await when(model, () => model.navigation.colour && !model.navigation.busy);
    const { channels, image } = model.navigation;
    expect(channels.map(c => c.label)).toEqual(['R', 'G', 'B']);
    const i = 2 * 6 + 3;
    expect(channels.map(c => c.image.data[i])).toEqual([
      rgbAt(2, 3, 0),
      rgbAt(2, 3, 1),
      rgbAt(2, 3, 2)
    ]);
    expect(image!.data[i]).toBeCloseTo(
      (rgbAt(2, 3, 0) + rgbAt(2, 3, 1) + rgbAt(2, 3, 2)) / 3
    );
    model.dispose();
  });

  it('shows in the frame panel the component whose scores the navigation shows', async () => {
    const asked: string[] = [];
    const model = new ViewerModel(
      decompositionServer(asked),
      source,
      restored('scores', 1, 'components')
    );
    await model.load();
    await when(model, () => !!model.frame.image && !model.frame.busy);
    expect(asked).toContain('decomposition.components');
    const frame = model.frame.image!;
    expect([frame.width, frame.height]).toEqual([8, 8]);
    expect(frame.data[5 * 8 + 2]).toBe(componentAt(5, 2, 1));
    // Another component: the frame follows the plane of the navigation.
    model.update({ operation: { ...model.state!.operation!, index: 2 } });
    await when(
      model,
      () =>
        !model.frame.busy && model.frame.image?.data[0] === componentAt(0, 0, 2)
    );
    // Back to the frame at the cursor: read as it is.
    model.update({
      operation: { ...model.state!.operation!, frameField: undefined }
    });
    await when(
      model,
      () => !model.frame.busy && model.frame.image?.data[0] === 1
    );
    model.dispose();
  });
});

describe('arrays per detector pixel', () => {
  it('are the frames the frame panel can show, from the declarations', () => {
    const decomposition = served('decomposition');
    expect(frameImages(decomposition)).toEqual(['components', 'mean']);
    expect(planeAxis(outputOf(decomposition, 'components')!)?.name).toBe(
      'component'
    );
    expect(planeAxis(outputOf(decomposition, 'mean')!)).toBeNull();
    // The colours have no plane selector of their own; the components lend theirs.
    const rgb = { ...defaultChoice(decomposition), field: 'rgb' };
    expect(choicePlaneAxis(decomposition, rgb)).toBeNull();
    expect(
      choicePlaneAxis(decomposition, { ...rgb, frameField: 'components' })?.name
    ).toBe('component');
    expect(frameImages(TOY)).toEqual([]);
  });

  it('are asked of the navigation reduction at its plane, and survive a reload', () => {
    const choice: IOperationChoice = {
      ...defaultChoice(served('decomposition')),
      index: 2,
      frameField: 'components'
    };
    const state = {
      ...defaultViewState(geometry),
      mode: 'operation' as const,
      operation: choice
    };
    const plan = frameRequest(source, state)!;
    expect(plan.request.operation).toBe('decomposition');
    expect(plan.field).toBe('components');
    expect(plan.channel).toBe(2);
    expect(plan.request.roi).toBeNull();
    // A scan region still shows its statistic of the frames.
    const roi = {
      kind: 'rectangle' as const,
      x: 0,
      y: 0,
      width: 2,
      height: 2
    };
    expect(frameRequest(source, { ...state, roi })!.request.operation).toBe(
      'frame_stats'
    );
    const restored = readViewState(JSON.parse(JSON.stringify(state)), geometry);
    expect(restored.operation?.frameField).toBe('components');
    expect(serverVerdict(state)).toBeNull();
    expect(readOperationChoice({ ...choice, frameField: 7 })?.frameField).toBe(
      undefined
    );
  });
});

describe('a profile per scan position', () => {
  // (height 2, width 3, sectors 2, bins 4): value y*1000 + x*100 + s*10 + b, with NaN
  // for sector 1 of bin 2 everywhere and for both sectors of bin 3 at (x 1, y 0).
  const shape = [2, 3, 2, 4];
  const value = (y: number, x: number, s: number, b: number) =>
    (b === 2 && s === 1) || (b === 3 && x === 1 && y === 0)
      ? NaN
      : y * 1000 + x * 100 + s * 10 + b;
  const data = new Float64Array(2 * 3 * 2 * 4);
  let i = 0;
  for (let y = 0; y < 2; y++) {
    for (let x = 0; x < 3; x++) {
      for (let s = 0; s < 2; s++) {
        for (let b = 0; b < 4; b++) {
          data[i++] = value(y, x, s, b);
        }
      }
    }
  }
  const array = { shape, dtype: '<f8', data };
  /** The reference: the mean of the sectors that have a value. */
  const mean = (y: number, x: number, b: number) => {
    const given = [0, 1].map(s => value(y, x, s, b)).filter(v => !isNaN(v));
    return given.length ? given.reduce((a, v) => a + v, 0) / given.length : NaN;
  };

  it('shows one bin over the scan as the mean of its sectors, NaN left out', () => {
    for (let b = 0; b < 4; b++) {
      const image = profileImage(array, b);
      expect([image.width, image.height]).toEqual([3, 2]);
      for (let y = 0; y < 2; y++) {
        for (let x = 0; x < 3; x++) {
          const got = image.data[y * 3 + x];
          const want = mean(y, x, b);
          if (isNaN(want)) {
            expect(got).toBeNaN();
          } else {
            expect(got).toBeCloseTo(want, 10);
          }
        }
      }
    }
  });

  it('gives the curve at a position', () => {
    const curve = Array.from(profileAt(array, 1, 0));
    expect(curve.slice(0, 3)).toEqual([0, 1, 2].map(b => mean(0, 1, b)));
    expect(curve[3]).toBeNaN();
    expect(Array.from(profileAt(array, 2, 1))).toEqual(
      [0, 1, 2, 3].map(b => mean(1, 2, b))
    );
  });

  it('is drawn by the model with the radii of its rings as its axis', async () => {
    const asked: string[] = [];
    const radii = Float64Array.from([0.5, 1.5, 2.5, 3.5]);
    const profile = new Float64Array(4 * 6 * 2 * 4);
    for (let p = 0; p < 24; p++) {
      for (let k = 0; k < 8; k++) {
        profile[p * 8 + k] = p * 10 + (k % 4);
      }
    }
    const server = decompositionServer([]) as any;
    server.reduceNpz = async (request: IReductionRequest) => {
      asked.push(request.operation);
      return {
        arrays: new Map([
          ['profile', { shape: [4, 6, 2, 4], dtype: '<f8', data: profile }],
          ['radius', { shape: [4], dtype: '<f8', data: radii }]
        ]),
        step: 1,
        elapsedS: 0.01
      };
    };
    const model = new ViewerModel(server as RemotemAPI, source, {
      mode: 'operation',
      cursor: [3, 2],
      operation: {
        name: 'radial_profile',
        params: {},
        field: 'profile',
        required: [],
        index: 2
      }
    });
    await model.load();
    await when(
      model,
      () => !!model.navigation.profile && !model.navigation.busy
    );
    expect(asked).toContain('radial_profile');
    const nav = model.navigation;
    expect(nav.planes).toBe(4);
    // Ring 2 over the scan; the curve at (x 3, y 2) over the radii, in pixels.
    expect(nav.image!.data[2 * 6 + 3]).toBe((2 * 6 + 3) * 10 + 2);
    expect(Array.from(nav.profile!.distance)).toEqual(Array.from(radii));
    expect(Array.from(nav.profile!.values)).toEqual(
      [0, 1, 2, 3].map(b => (2 * 6 + 3) * 10 + b)
    );
    expect(nav.profile!.units).toBe('px');
    // The cursor moves: the curve follows without asking again.
    const asks = asked.length;
    model.update({ cursor: [0, 1] });
    expect(model.navigation.profile!.values[1]).toBe(6 * 10 + 1);
    expect(asked.length).toBe(asks);
    model.dispose();
  });
});
