import {
  IJob,
  IMetaResponse,
  IReductionRequest,
  IRepository,
  RemotemAPI,
  RemotemError
} from '../api';
import { ViewerModel } from '../viewer/model';
import { INDArray } from '../viewer/npy';
import { servedContract } from './servedcontract';

/** `.npy` bytes (version 1, little-endian float64) of `values` in `shape`. */
function float64Npy(shape: number[], values: number[]): ArrayBuffer {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  const text = `{'descr': '<f8', 'fortran_order': False, 'shape': (${dims}), }`;
  const headerLength = Math.ceil((10 + text.length + 1) / 64) * 64 - 10;
  const header = text.padEnd(headerLength - 1) + '\n';
  const bytes = new Uint8Array(10 + headerLength + values.length * 8);
  bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(bytes.buffer).setUint16(8, headerLength, true);
  bytes.set(
    Array.from(header, c => c.charCodeAt(0)),
    10
  );
  new Float64Array(bytes.buffer, 10 + headerLength).set(values);
  return bytes.buffer;
}

const NAV = [4, 6];
const SIG = [8, 8];

function meta(path: string, extra: Partial<IMetaResponse> = {}): IMetaResponse {
  return {
    repository: 'demo',
    path,
    entry: {
      name: path,
      path,
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
      shape: [...NAV, ...SIG],
      dtype: '<u2',
      nav_shape: NAV,
      sig_shape: SIG,
      chunks: null,
      nbytes: 4 * 6 * 8 * 8 * 2,
      axes: [],
      metadata: {}
    },
    ...extra
  };
}

interface IAsked {
  request: IReductionRequest;
  field: string | null | undefined;
  format: 'npy' | 'npz';
  signal?: AbortSignal;
}

/**
 * The scan as a reduction of `request` reads it: every `step`-th position when
 * coarse, each position's value made by `valueAt`.
 */
function scanValues(
  request: IReductionRequest,
  channels: number,
  valueAt: (y: number, x: number, channel: number) => number
): { shape: number[]; values: number[]; step: number } {
  const step = request.coarse ? 2 : 1;
  const [ny, nx] = NAV.map(n => Math.ceil(n / step));
  const values: number[] = [];
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      for (let c = 0; c < Math.max(1, channels); c++) {
        values.push(valueAt(y * step, x * step, c));
      }
    }
  }
  return { shape: channels ? [ny, nx, channels] : [ny, nx], values, step };
}

/**
 * The REST API as the server answers it, at the network boundary: reductions of a
 * scan whose every position holds its index, subsampled when asked coarse.
 */
class ServerDouble {
  asked: IAsked[] = [];
  submitted: unknown[] = [];
  metas: Record<string, IMetaResponse> = { 'scan.h5': meta('scan.h5') };
  /** Reductions answer this instead (e.g. a 413) when set. */
  refuse: ((asked: IAsked) => RemotemError | null) | null = null;

  api = {
    getViewContract: async () => servedContract(),
    getMeta: async (_repo: string, path: string) => {
      const answer = this.metas[path];
      if (!answer) {
        throw new RemotemError('Not found.', 404, 'not_found', null);
      }
      return answer;
    },
    listRepositories: async () => [],
    listOperations: async () => [],
    getData: async () => float64Npy(SIG, new Array(64).fill(1)),
    reduceNpy: async (
      request: IReductionRequest,
      field?: string | null,
      signal?: AbortSignal
    ) => {
      this._ask({ request, field, format: 'npy', signal });
      const k =
        request.operation === 'virtual_detector'
          ? (request.params.detectors as unknown[]).length
          : 0;
      const { shape, values, step } = scanValues(
        request,
        k,
        (y, x, c) => y * 100 + x + c * 1000
      );
      return { buffer: float64Npy(shape, values), step, elapsedS: 0.01 };
    },
    /** A CoM whose shift at each position is the position itself. */
    reduceNpz: async (request: IReductionRequest, signal?: AbortSignal) => {
      this._ask({ request, field: null, format: 'npz', signal });
      const fields: [string, (y: number, x: number) => number][] = [
        ['magnitude', Math.hypot],
        ['shift_y', y => y],
        ['shift_x', (_, x) => x]
      ];
      const arrays = new Map<string, INDArray>();
      let step = 1;
      for (const [name, valueAt] of fields) {
        if (this.withoutField.includes(name)) {
          continue;
        }
        const scan = scanValues(request, 0, valueAt);
        step = scan.step;
        arrays.set(name, {
          shape: scan.shape,
          dtype: 'float64',
          data: Float64Array.from(scan.values)
        });
      }
      return { arrays, primary: 'magnitude', step, elapsedS: 0.01 };
    },
    submitJob: async (request: unknown) => {
      this.submitted.push(request);
      return {
        id: 'j1',
        phase: 'COMPLETED',
        kind: 'reduction',
        request,
        created: null
      } as unknown as IJob;
    }
  };

  get model(): RemotemAPI {
    return this.api as unknown as RemotemAPI;
  }

  /** Fields the `.npz` answers leave out. */
  withoutField: string[] = [];

  private _ask(asked: IAsked): void {
    this.asked.push(asked);
    const refusal = this.refuse?.(asked);
    if (refusal) {
      throw refusal;
    }
  }
}

function viewerOf(
  server: ServerDouble,
  path: string,
  restored?: unknown
): ViewerModel {
  return new ViewerModel(
    server.model,
    { repository: 'demo', path, dataset: null },
    restored
  );
}

/** Resolve once `predicate` holds after the model changed. */
function when(model: ViewerModel, predicate: () => boolean): Promise<void> {
  return new Promise(resolve => {
    if (predicate()) {
      resolve();
      return;
    }
    const check = () => {
      if (predicate()) {
        model.changed.disconnect(check);
        resolve();
      }
    };
    model.changed.connect(check);
  });
}

describe('ViewerModel', () => {
  it('shows a coarse navigation image spread over the scan, then the exact one', async () => {
    const server = new ServerDouble();
    const model = viewerOf(server, 'scan.h5');
    const answers: boolean[] = [];
    model.changed.connect(() => {
      if (
        model.navigation.image &&
        answers[answers.length - 1] !== model.navigation.exact
      ) {
        answers.push(model.navigation.exact);
      }
    });
    await model.load();
    await when(model, () => model.navigation.exact && !model.navigation.busy);
    expect(answers).toEqual([false, true]);
    const navAsks = server.asked.filter(a => a.field === 'intensity');
    expect(navAsks.map(a => a.request.coarse ?? false)).toEqual([true, false]);
    expect(navAsks[0].request.dataset).toBe('/frames');
    const image = model.navigation.image!;
    expect([image.height, image.width]).toEqual(NAV);
    // Position (y=3, x=5) holds its own index once exact.
    expect(image.data[3 * 6 + 5]).toBe(305);
    model.dispose();
  });

  it('shows a 1-D scan as one row, picks frames by index and restricts regions to ranges', async () => {
    const server = new ServerDouble();
    const base = meta('series.npy');
    server.metas['series.npy'] = {
      ...base,
      dataset: { ...base.dataset!, shape: [10, 8, 8], nav_shape: [10] }
    };
    const sliced: string[] = [];
    server.api.getData = async (...args: unknown[]) => {
      sliced.push(args[2] as string);
      return float64Npy(SIG, new Array(64).fill(1));
    };
    // A virtual detector of a 1-D scan answers (positions, detectors).
    server.api.reduceNpy = async (request: IReductionRequest) => {
      server.asked.push({ request, field: 'intensity', format: 'npy' });
      const step = request.coarse ? 3 : 1;
      const positions = Math.ceil(10 / step);
      const values: number[] = [];
      for (let i = 0; i < positions; i++) {
        values.push(i * step * 10, i * step * 10 + 1);
      }
      return {
        buffer: float64Npy([positions, 2], values),
        step,
        elapsedS: 0.01
      };
    };
    const model = viewerOf(server, 'series.npy', {
      navFft: true,
      comField: 'field',
      detectors: [
        { id: 'a', shape: { kind: 'disk', cx: 4, cy: 4, r: 2 } },
        { id: 'b', shape: { kind: 'ring', cx: 4, cy: 4, ri: 1, ro: 3 } }
      ],
      selected: 'b'
    });
    await model.load();
    // What needs a 2-D scan is off, even when a restored view asks for it.
    expect(model.state).toMatchObject({ navFft: false, comField: 'magnitude' });
    await when(model, () => model.navigation.exact && !model.navigation.busy);
    const image = model.navigation.image!;
    expect([image.height, image.width]).toEqual([1, 10]);
    // The selected detector's channel, at every index.
    expect(Array.from(image.data)).toEqual([
      1, 11, 21, 31, 41, 51, 61, 71, 81, 91
    ]);
    expect(server.asked.every(a => !a.request.fft)).toBe(true);
    model.update({ cursor: [7, 3] });
    expect(model.state!.cursor).toEqual([7, 0]);
    await when(model, () => !model.frame.busy && sliced.length > 1);
    expect(sliced[sliced.length - 1]).toBe('7,...');
    const request = model.jobRequest(
      { repository: 'demo', path: 'f.npy', format: 'npy' },
      'frame'
    )!;
    expect(request.params).toEqual({ position: [7] });
    model.dispose();
  });

  it('draws the CoM colour wheel from one .npz reduction per pass', async () => {
    const server = new ServerDouble();
    const model = viewerOf(server, 'scan.h5');
    await model.load();
    await when(model, () => model.navigation.exact && !model.navigation.busy);
    const before = server.asked.length;
    model.update({ mode: 'com', comField: 'field' });
    await when(
      model,
      () =>
        model.navigation.exact &&
        !model.navigation.busy &&
        model.navigation.field !== null
    );
    const asks = server.asked
      .slice(before)
      .filter(a => a.request.operation === 'com');
    // Coarse then exact, each one request holding both shifts: not one per shift.
    expect(asks.map(a => [a.format, a.request.coarse ?? false])).toEqual([
      ['npz', true],
      ['npz', false]
    ]);
    const image = model.navigation.image!;
    expect([image.height, image.width]).toEqual(NAV);
    // The length of the shift (y=3, x=5) at that position.
    expect(image.data[3 * 6 + 5]).toBeCloseTo(Math.hypot(3, 5));
    expect(model.navigation.field).toHaveLength(NAV[0] * NAV[1] * 4);

    // One field alone is one .npy.
    model.update({ comField: 'divergence' });
    await when(model, () => model.navigation.field === null);
    expect(server.asked[server.asked.length - 1]).toMatchObject({
      format: 'npy',
      field: 'divergence'
    });
    model.dispose();
  });

  it('says which field an .npz answer lacks', async () => {
    const server = new ServerDouble();
    server.withoutField = ['shift_x'];
    const model = viewerOf(server, 'scan.h5', {
      mode: 'com',
      comField: 'field'
    });
    await model.load();
    await when(model, () => model.navigation.error !== null);
    expect(model.navigation.error?.message).toBe(
      "The com result has no field 'shift_x'."
    );
    expect(model.navigation.error?.hint).toBe('Fields: magnitude, shift_y.');
    expect(model.navigation.field).toBeNull();
    model.dispose();
  });

  it('aborts the answer of a superseded detector position', async () => {
    const server = new ServerDouble();
    const model = viewerOf(server, 'scan.h5');
    await model.load();
    const first = server.asked[server.asked.length - 1];
    const disk = model.state!.detectors[0];
    model.update({
      detectors: [{ ...disk, shape: { kind: 'disk', cx: 2, cy: 2, r: 1 } }]
    });
    expect(first.signal?.aborted).toBe(true);
    await when(model, () => model.navigation.exact && !model.navigation.busy);
    const last = server.asked[server.asked.length - 1];
    expect(last.request.params.detectors).toEqual([
      { shape: 'disk', cx: 2, cy: 2, r: 1 }
    ]);
    model.dispose();
  });

  it('keeps the coarse image and offers a job when the exact pass is too large', async () => {
    const server = new ServerDouble();
    server.refuse = asked =>
      asked.request.coarse
        ? null
        : new RemotemError('Too large.', 413, 'too_large', 'Submit a job.');
    const model = viewerOf(server, 'scan.h5');
    await model.load();
    await when(
      model,
      () => model.navigation.tooLarge && !model.navigation.busy
    );
    expect(model.navigation.image).not.toBeNull();
    expect(model.navigation.exact).toBe(false);
    expect(model.navigation.error).toBeNull();

    // A new question whose coarse pass is refused too: nothing stale stays.
    server.refuse = () =>
      new RemotemError('Too large.', 413, 'too_large', 'Submit a job.');
    model.update({ mode: 'com' });
    await when(model, () => model.navigation.error !== null);
    expect(model.navigation.image).toBeNull();
    expect(model.navigation.error?.hint).toBe('Submit a job.');

    // "Run as job": the same reduction, an output, and the view for reopening.
    const request = model.jobRequest(
      { repository: 'demo', path: 'com.npy', format: 'npy' },
      'nav'
    )!;
    expect(request).toMatchObject({
      operation: 'com',
      repository: 'demo',
      path: 'scan.h5',
      output: {
        repository: 'demo',
        path: 'com.npy',
        format: 'npy',
        array: 'magnitude'
      }
    });
    expect(request.coarse).toBeUndefined();
    expect((request.view as { mode: string }).mode).toBe('com');
    model.dispose();
  });

  it('reopens a result on its source dataset with the view it was saved with', async () => {
    const server = new ServerDouble();
    server.metas['results/ring.hspy'] = meta('results/ring.hspy', {
      provenance: {
        request: {
          repository: 'demo',
          path: 'scan.h5',
          dataset: '/frames',
          operation: 'virtual_detector',
          params: { detectors: [{ shape: 'ring', cx: 4, cy: 4, ri: 1, ro: 3 }] }
        },
        view: {
          mode: 'detector',
          detectors: [
            { id: 'r', shape: { kind: 'ring', cx: 4, cy: 4, ri: 1, ro: 3 } }
          ],
          selected: 'r',
          nav: { cmap: 'viridis', scaling: { mode: 'log' }, auto: true },
          cursor: [2, 1]
        }
      }
    });
    const model = viewerOf(server, 'results/ring.hspy');
    await model.load();
    expect(model.source).toEqual({
      repository: 'demo',
      path: 'scan.h5',
      dataset: '/frames'
    });
    expect(model.result?.path).toBe('results/ring.hspy');
    expect(model.state!.nav.cmap).toBe('viridis');
    expect(model.state!.cursor).toEqual([2, 1]);
    expect(model.state!.detectors.map(d => d.shape.kind)).toEqual(['ring']);
    expect(server.asked[0].request).toMatchObject({
      path: 'scan.h5',
      params: { detectors: [{ shape: 'ring', cx: 4, cy: 4, ri: 1, ro: 3 }] }
    });
    model.dispose();
  });

  it('restores a state kept by the layout before any provenance', async () => {
    const server = new ServerDouble();
    const model = viewerOf(server, 'scan.h5', {
      mode: 'sum',
      frame: { cmap: 'magma' },
      roi: { kind: 'disk', cx: 1, cy: 1, r: 1 }
    });
    await model.load();
    expect(model.state!.mode).toBe('sum');
    expect(model.state!.frame.cmap).toBe('magma');
    // The frame is the statistic over the scan region, not a single position.
    const frameAsk = server.asked.find(
      a => a.request.operation === 'frame_stats'
    );
    expect(frameAsk?.request.roi).toEqual({
      shape: 'disk',
      cx: 1,
      cy: 1,
      r: 1
    });
    model.dispose();
  });

  it('copies the scan next to the notebooks as a job it follows', async () => {
    const server = new ServerDouble();
    const model = viewerOf(server, 'runs/scan.h5');
    server.metas['runs/scan.h5'] = meta('runs/scan.h5');
    await model.load();
    const jobs: string[] = [];
    model.jobChanged.connect((_, job) => jobs.push(job.id));
    await model.copyTo({
      name: 'notebooks',
      home: true,
      writable: true
    } as IRepository);
    expect(server.submitted).toEqual([
      {
        operation: 'copy',
        source: { repository: 'demo', path: 'runs/scan.h5' },
        target: { repository: 'notebooks', path: 'scan.h5' },
        priority: 0
      }
    ]);
    expect(jobs).toEqual(['j1']);
    expect(model.job?.id).toBe('j1');
    model.dismissJob();
    expect(model.job).toBeNull();
    model.dispose();
  });

  it('shows why a dataset cannot be opened', async () => {
    const server = new ServerDouble();
    const model = viewerOf(server, 'missing.h5');
    await model.load();
    expect(model.loadError?.status).toBe(404);
    expect(model.state).toBeNull();
  });
});

/**
 * A saved result of the scan's shape plus `channels` planes (none: the scan's shape
 * alone), whose plane c holds 1000 * c + 10 * y + x at each position; `GET data`
 * answers the plane its slice names, and is recorded in `read`.
 */
function withSavedResult(
  server: ServerDouble,
  path: string,
  shape: number[],
  read: string[][]
): void {
  const base = meta(path);
  server.metas[path] = {
    ...base,
    dataset: { ...base.dataset!, format: 'npy', dataset: null, shape }
  };
  const frame = server.api.getData;
  server.api.getData = async (...args: unknown[]) => {
    const [repo, file, slice] = args as string[];
    read.push([repo, file, slice]);
    if (file !== path) {
      return frame();
    }
    const channel = slice === '...' ? 0 : Number(slice.split(',').pop());
    const values: number[] = [];
    for (let y = 0; y < NAV[0]; y++) {
      for (let x = 0; x < NAV[1]; x++) {
        values.push(1000 * channel + 10 * y + x);
      }
    }
    return float64Npy(NAV, values);
  };
}

describe('ViewerModel with a saved result as navigation image', () => {
  const adf = {
    repository: 'demo',
    path: 'results/adf.npy',
    dataset: null,
    channel: 1
  };

  it('reads the chosen plane once, keeps picking frames, and goes back to live modes', async () => {
    const server = new ServerDouble();
    const read: string[][] = [];
    withSavedResult(server, adf.path, [...NAV, 2], read);
    const model = viewerOf(server, 'scan.h5');
    await model.load();
    await when(model, () => model.navigation.exact && !model.navigation.busy);
    model.update({ navFft: true });
    await when(model, () => model.navigation.exact && !model.navigation.busy);
    const reductions = server.asked.length;

    expect(await model.chooseNavResult(adf)).toBe(true);
    await when(
      model,
      () => !model.navigation.busy && model.navResultFit !== null
    );
    expect(model.state).toMatchObject({
      mode: 'result',
      navResult: adf,
      navFft: false
    });
    // No reduction, no coarse pass: one plane of the file, read as it is.
    expect(server.asked.length).toBe(reductions);
    expect(read.filter(r => r[1] === adf.path)).toEqual([
      ['demo', adf.path, '...,1']
    ]);
    expect(model.navigation).toMatchObject({ exact: true, step: 1 });
    const image = model.navigation.image!;
    expect([image.height, image.width]).toEqual(NAV);
    expect(image.data[3 * 6 + 5]).toBe(1035);
    expect(model.navResultFit).toMatchObject({ channels: 2 });

    // Picking a position reads that frame of the scan.
    model.update({ cursor: [2, 1] });
    await when(model, () => read.some(r => r[1] === 'scan.h5'));
    expect(read[read.length - 1]).toEqual(['demo', 'scan.h5', '1,2,...']);

    // Another plane of the same file: its metadata is not read again.
    model.update({ navResult: { ...adf, channel: 0 } });
    await when(model, () => model.navigation.image?.data[0] === 0);
    expect(read.filter(r => r[1] === adf.path).map(r => r[2])).toEqual([
      '...,1',
      '...,0'
    ]);

    // A save writes the frame with the view; the navigation image is saved already.
    const request = model.jobRequest(
      { repository: 'demo', path: 'frame.npy', format: 'npy' },
      'frame'
    )!;
    expect(request.view).toMatchObject({
      mode: 'result',
      navResult: { ...adf, channel: 0 }
    });
    const output = {
      repository: 'demo',
      path: 'n.npy',
      format: 'npy' as const
    };
    await expect(model.submit(output, 'nav')).rejects.toThrow(
      'is the saved result demo:results/adf.npy already'
    );
    // The save dialog's dry run hears the same, as a rejection it shows.
    await expect(model.quote(output, 'nav')).rejects.toThrow('already');

    // Back to a live mode: the reduction again.
    model.update({ mode: 'sum' });
    await when(model, () => model.navigation.exact && !model.navigation.busy);
    expect(server.asked.length).toBeGreaterThan(reductions);
    expect(model.navResultFit).toBeNull();
    expect(model.navigation.image!.data[3 * 6 + 5]).toBe(305);
    model.dispose();
  });

  it('says both shapes and keeps the navigation image shown when a result does not fit', async () => {
    const server = new ServerDouble();
    const read: string[][] = [];
    withSavedResult(server, 'wrong.npy', [3, 3], read);
    const model = viewerOf(server, 'scan.h5');
    await model.load();
    await when(model, () => model.navigation.exact && !model.navigation.busy);
    const shown = model.navigation.image;

    const taken = await model.chooseNavResult({
      ...adf,
      path: 'wrong.npy',
      channel: 0
    });
    expect(taken).toBe(false);
    expect(model.navResultError?.message).toBe(
      "demo:wrong.npy cannot be the navigation image. This result's shape is 3 × 3; the scan's is 4 × 6 (or 4 × 6 × channels)."
    );
    expect(model.state!.mode).toBe('detector');
    expect(model.navigation.image).toBe(shown);
    expect(read.filter(r => r[1] === 'wrong.npy')).toEqual([]);

    // A missing file says so the same way.
    expect(await model.chooseNavResult({ ...adf, path: 'gone.npy' })).toBe(
      false
    );
    expect(model.navResultError?.status).toBe(404);

    // Choosing another mode clears the refusal.
    model.update({ mode: 'sum' });
    expect(model.navResultError).toBeNull();
    model.dispose();
  });

  it('shows the result again from the layout, and says why when it no longer fits', async () => {
    const server = new ServerDouble();
    const read: string[][] = [];
    withSavedResult(server, adf.path, [...NAV, 2], read);
    const view = { mode: 'result', navResult: adf };
    const model = viewerOf(server, 'scan.h5', view);
    await model.load();
    await when(model, () => model.navigation.image !== null);
    expect(model.state!.mode).toBe('result');
    expect(model.navigation.image!.data[0]).toBe(1000);
    expect(
      server.asked.filter(a => a.request.operation === 'virtual_detector')
    ).toEqual([]);
    model.dispose();

    withSavedResult(server, adf.path, [2, 2], read);
    const stale = viewerOf(server, 'scan.h5', view);
    await stale.load();
    await when(stale, () => stale.navigation.error !== null);
    expect(stale.navigation.error?.code).toBe('shape_mismatch');
    expect(stale.navigation.image).toBeNull();
    stale.dispose();
  });
});
