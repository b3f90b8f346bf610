/**
 * A result saved earlier as the navigation image: its place in the view state (kept
 * by the layout and in a saved result's provenance), the jobs' results offered, and
 * whether an array fits the scan.
 */
import { IJob } from '../api';
import {
  fitResult,
  navCandidates,
  parseResultLocation,
  resultLocationText
} from '../viewer/navresult';
import { supportedState } from '../viewer/scanaxes';
import {
  defaultViewState,
  IGeometry,
  IViewState,
  navigationRequest,
  readNavResult,
  readViewState,
  stateFromProvenance
} from '../viewer/state';

const geometry: IGeometry = { nav: [32, 48], sig: [64, 64] };
const source = { repository: 'demo', path: 'scan.h5', dataset: '/frames' };
const adf = {
  repository: 'demo',
  path: 'results/adf.npy',
  dataset: null,
  channel: 1
};

/** A view showing the saved result `adf`. */
function showingAdf(): IViewState {
  return { ...defaultViewState(geometry), mode: 'result', navResult: adf };
}

describe('the saved result in the view state', () => {
  it('is absent from a new view', () => {
    expect(defaultViewState(geometry).navResult).toBeNull();
  });

  it('turns the navigation FFT off, which the server computes for reductions only', () => {
    const state = supportedState({ ...showingAdf(), navFft: true }, 2);
    expect(state).toMatchObject({ mode: 'result', navResult: adf });
    expect(state.navFft).toBe(false);
    const live = supportedState({ ...state, mode: 'sum', navFft: true }, 2);
    expect(live.navFft).toBe(true);
    // Nothing to reduce: the array is read as it is.
    expect(navigationRequest(source, state, geometry)).toBeNull();
  });

  it('survives the JSON round trip of the layout store', () => {
    const state = showingAdf();
    const restored = readViewState(JSON.parse(JSON.stringify(state)), geometry);
    expect(restored).toEqual(state);
  });

  it('restores old views that never had one', () => {
    const restored = readViewState({ mode: 'sum', cursor: [3, 4] }, geometry);
    expect(restored.mode).toBe('sum');
    expect(restored.navResult).toBeNull();
  });

  it('falls back to the default mode when "result" comes without a usable result', () => {
    for (const navResult of [
      undefined,
      null,
      'demo:adf.npy',
      { repository: 'demo' },
      { repository: '', path: 'adf.npy' },
      { repository: 'demo', path: 7 }
    ]) {
      const restored = readViewState(
        { mode: 'result', navResult, navFft: true },
        geometry
      );
      expect(restored.mode).toBe('detector');
      expect(restored.navResult).toBeNull();
    }
  });

  it('keeps the result when another mode is shown', () => {
    const kept = readViewState({ mode: 'com', navResult: adf }, geometry);
    expect(kept.mode).toBe('com');
    expect(kept.navResult).toEqual(adf);
  });

  it('reads a malformed channel or dataset as the defaults', () => {
    for (const channel of [-1, 1.5, '2', NaN, null]) {
      expect(readNavResult({ ...adf, channel })?.channel).toBe(0);
    }
    expect(readNavResult({ ...adf, dataset: 3 })?.dataset).toBeNull();
    expect(readNavResult({ ...adf, dataset: '/intensity' })?.dataset).toBe(
      '/intensity'
    );
    expect(readNavResult({ ...adf, extra: 'x' })).toEqual(adf);
  });

  it('comes back from a result saved with it in its provenance', () => {
    const view = showingAdf();
    const state = stateFromProvenance(
      {
        request: { repository: 'demo', path: 'scan.h5', operation: 'pick' },
        view: JSON.parse(JSON.stringify(view))
      },
      geometry
    );
    expect(state.mode).toBe('result');
    expect(state.navResult).toEqual(adf);
  });
});

function job(id: string, extra: Partial<IJob> = {}): IJob {
  return {
    id,
    phase: 'COMPLETED',
    kind: 'reduction',
    operation: 'virtual_detector',
    request: {
      repository: 'demo',
      path: 'scan.h5',
      operation: 'virtual_detector'
    },
    created: '2024-05-01T10:00:00Z',
    ended: '2024-05-01T10:01:00Z',
    results: [],
    ...extra
  };
}

describe('results offered as navigation image', () => {
  it('are the arrays that finished reductions of the viewed dataset wrote', () => {
    const jobs = [
      job('npy', {
        results: [
          {
            repository: 'demo',
            path: 'results/adf.npy.json',
            format: 'json'
          },
          { repository: 'demo', path: 'results/adf.npy', format: 'npy' }
        ]
      }),
      job('h5', {
        operation: 'com',
        request: {
          repository: 'demo',
          path: 'scan.h5',
          dataset: '/frames',
          operation: 'com'
        },
        results: [{ repository: 'demo', path: 'com.h5', format: 'hdf5' }]
      }),
      job('pictures', {
        results: [
          { repository: 'demo', path: 'a.png', format: 'png' },
          { repository: 'demo', path: 'a.tif', format: 'tiff' }
        ]
      }),
      // Without a format, the ending says it.
      job('ending', {
        results: [{ repository: 'notebooks', path: 'b.hspy' }]
      })
    ];
    const offered = navCandidates(jobs, source);
    expect(offered.map(c => [c.jobId, c.path, c.format])).toEqual([
      ['npy', 'results/adf.npy', 'npy'],
      ['h5', 'com.h5', 'hdf5'],
      ['ending', 'b.hspy', 'hspy']
    ]);
    expect(offered[1]).toMatchObject({
      repository: 'demo',
      operation: 'com',
      date: '2024-05-01T10:01:00Z'
    });
  });

  it('offer a file written again by a later job once, as the newest job', () => {
    const written = [
      { repository: 'demo', path: 'results/bf.npy', format: 'npy' }
    ];
    const jobs = [
      job('newer', { results: written }),
      job('older', { results: written }),
      job('other', {
        results: [{ repository: 'notebooks', path: 'results/bf.npy' }]
      })
    ];
    expect(
      navCandidates(jobs, source).map(c => [c.jobId, c.repository])
    ).toEqual([
      ['newer', 'demo'],
      ['other', 'notebooks']
    ]);
  });

  it('leave out other datasets, unfinished jobs, copies and transformations', () => {
    const written = [{ repository: 'demo', path: 'x.npy', format: 'npy' }];
    const jobs = [
      job('other file', {
        request: { repository: 'demo', path: 'other.h5' },
        results: written
      }),
      job('other repository', {
        request: { repository: 'archive', path: 'scan.h5' },
        results: written
      }),
      job('other array', {
        request: { repository: 'demo', path: 'scan.h5', dataset: '/other' },
        results: written
      }),
      job('running', { phase: 'EXECUTING', results: written }),
      job('copy', { kind: 'copy', results: written }),
      job('bin', { kind: 'transformation', results: written })
    ];
    expect(navCandidates(jobs, source)).toEqual([]);
  });
});

describe('a typed result location', () => {
  it('reads repository:path with an optional #/internal/array', () => {
    expect(parseResultLocation('demo:results/adf.npy')).toEqual({
      repository: 'demo',
      path: 'results/adf.npy',
      dataset: null
    });
    expect(parseResultLocation(' demo : /com.h5#/magnitude ')).toEqual({
      repository: 'demo',
      path: 'com.h5',
      dataset: '/magnitude'
    });
    expect(parseResultLocation('com.h5')).toBeNull();
    expect(parseResultLocation('demo:#/x')).toBeNull();
  });

  it('writes back what it reads', () => {
    for (const text of ['demo:results/adf.npy', 'demo:com.h5#/magnitude']) {
      expect(resultLocationText(parseResultLocation(text)!)).toBe(text);
    }
  });
});

describe('whether an array fits the scan', () => {
  const scan = [32, 48];

  it('takes an image of the scan whole', () => {
    expect(fitResult([32, 48], 'npy', scan, 0)).toEqual({
      fit: { layout: 'image', channels: 1, slice: '...' }
    });
  });

  it('reads one plane of scan × channels', () => {
    expect(fitResult([32, 48, 3], 'hdf5', scan, 2)).toEqual({
      fit: { layout: 'channels-last', channels: 3, slice: '...,2' }
    });
  });

  it('reads one image of a HyperSpy stack, whose detectors come first', () => {
    expect(fitResult([2, 32, 48], 'hspy', scan, 1)).toEqual({
      fit: { layout: 'channels-first', channels: 2, slice: '1,...' }
    });
    // Elsewhere a leading axis is not a stack of scan images.
    expect('problem' in fitResult([2, 32, 48], 'npy', scan, 1)).toBe(true);
  });

  it('says both shapes when they differ', () => {
    expect(fitResult([3, 3], 'npy', scan, 0)).toEqual({
      problem:
        "This result's shape is 3 × 3; the scan's is 32 × 48 (or 32 × 48 × channels)."
    });
    for (const shape of [[48, 32], [32, 48, 2, 2], [32], [64, 64]]) {
      expect('problem' in fitResult(shape, 'npy', scan, 0)).toBe(true);
    }
  });

  it('says which channels there are when the one asked for is not', () => {
    expect(fitResult([32, 48, 2], 'npy', scan, 2)).toEqual({
      problem: 'This result has 2 channels (0 to 1); channel 2 does not exist.'
    });
    expect(fitResult([32, 48], 'npy', scan, 1)).toEqual({
      problem: 'This result has one image; channel 1 does not exist.'
    });
  });

  it('fits a 1-D scan with a line of values, and no scan with more axes', () => {
    expect(fitResult([40, 2], 'npy', [40], 1)).toEqual({
      fit: { layout: 'channels-last', channels: 2, slice: '...,1' }
    });
    expect(fitResult([2, 3, 4], 'npy', [2, 3, 4], 0)).toEqual({
      problem:
        'A saved result can be the navigation image of a scan with 1 or 2 scan axes; this scan has 3.'
    });
  });
});
