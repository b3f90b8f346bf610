/**
 * The viewer's state is the view contract the server declares
 * (`jupyter_remotem/view_contract.py`): what the viewer saves with a result is
 * accepted by the server's own check, its display defaults are the contract's,
 * and a view the contract does not know is refused, never ignored.
 */
import { defaultViewState, IViewState } from '../viewer/state';
import { serverVerdict, servedContract } from './servedcontract';

const GEOMETRY = {
  nav: [4, 6] as [number, number],
  sig: [8, 8] as [number, number]
};

describe('the view contract', () => {
  it('accepts the default state and one with every field set', () => {
    const state = defaultViewState(GEOMETRY);
    expect(serverVerdict(state)).toBeNull();
    const full: IViewState = {
      ...state,
      mode: 'com',
      detectors: [
        ...state.detectors,
        { id: 'd2', shape: { kind: 'ring', cx: 4, cy: 4, ri: 1, ro: 3 } },
        {
          id: 'd3',
          shape: { kind: 'rectangle', x: 0, y: 0, width: 2, height: 3 }
        },
        { id: 'd4', shape: { kind: 'point', cx: 1, cy: 2 } },
        {
          id: 'd5',
          shape: {
            kind: 'polygon',
            vertices: [
              [0, 0],
              [3, 0],
              [1, 2]
            ]
          }
        }
      ],
      selected: 'd2',
      com: { cx: 3.5, cy: 3.5, r: 2, scan_rotation: 90, flip_y: true },
      comField: 'curl',
      roi: { kind: 'disk', cx: 2, cy: 2, r: 1 },
      roiStat: 'std',
      navFft: true,
      frameFft: true,
      nav: {
        cmap: 'viridis',
        scaling: {
          mode: 'power',
          vmin: -1,
          vmax: 2,
          gamma: 0.3,
          percentiles: [2, 98],
          symmetric: true
        },
        auto: false
      },
      navCalibration: { scale: 0.5, units: 'nm' },
      frameCalibration: { scale: 0.1, units: 'mrad' },
      line: [
        [0, 0],
        [3, 2]
      ],
      lineOn: 'nav',
      navResult: {
        repository: 'demo',
        path: 'r.npy',
        dataset: null,
        channel: 1
      }
    };
    expect(serverVerdict(JSON.parse(JSON.stringify(full)))).toBeNull();
  });

  it("has the viewer's display defaults", () => {
    const state = defaultViewState(GEOMETRY);
    const displays = (servedContract() as any).displays;
    expect({ nav: state.nav.cmap, frame: state.frame.cmap }).toEqual({
      nav: displays.nav.cmap,
      frame: displays.frame.cmap
    });
    expect(state.nav.scaling).toEqual(displays.nav.scaling);
    expect(state.frame.scaling).toEqual(displays.frame.scaling);
  });

  it('refuses flat or unknown display settings, naming the place', () => {
    expect(serverVerdict({ cmap: 'viridis', scale: 'log' })).toMatch(
      /'view' has no key 'cmap', 'scale'/
    );
    const state = defaultViewState(GEOMETRY);
    expect(
      serverVerdict({ ...state, nav: { ...state.nav, cmap: 'jet' } })
    ).toMatch(/'view.nav.cmap' is 'jet'/);
  });
});
