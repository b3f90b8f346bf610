/**
 * The volume view: three orthogonal full-resolution slice panes with a shared
 * crosshair and slice sliders, a 3-D pane rendered by niivue from a downsampled
 * brick (refined for a box around the crosshair on demand), contrast limits and a
 * colour map for intensities, label colours for segmentations, and the value of
 * the voxel under the pointer.
 */
import { RemotemAPI } from '../api';
import React, {
  useCallback,
  useEffect,
  useMemo,
  useRef,
  useState
} from 'react';

import { useTranslation } from '../i18n';
import { COLORMAPS, colormapLUT, installColormaps } from '../viewer/colormaps';
import type { INDArray } from '../viewer/npy';
import { distinctLabels } from './labels';
import {
  boxAround,
  boxText,
  clampVoxel,
  crosshairOn,
  fitBox,
  paintPlane,
  Painting,
  paneAspect,
  paneSize,
  VOLUME_AXES,
  VolumeAxis,
  Voxel,
  voxelAt
} from './planes';
import { VolumeRenderer, webgl2Missing } from './render3d';
import { fetchVolume, IVolumeHeader, IVolumeSource } from './volumeapi';

/** Labels at most this many distinct values in the first brick of an integer volume. */
export const MAX_GUESSED_LABELS = 64;
/** Edges of the box the 3-D pane may refine around the crosshair, in voxels (the first is the default). */
export const REFINE_EDGES = [64, 32, 128, 256] as const;
/**
 * The most voxels a refined box is drawn with (128³: 8 MB of float32); a larger box comes
 * as block means (labels: block modes) within it, a smaller one at full resolution.
 */
export const REFINE_BUDGET = 128 ** 3;
/**
 * Voxels of the bricks the 3-D pane asks for (64³: a megabyte of float32, drawn
 * smoothly even by a software renderer); a refined box at this budget is a 64³ box
 * at full resolution.
 */
export const BRICK_BUDGET = 64 ** 3;

interface IPlane {
  index: number;
  array: INDArray;
}

type RenderState =
  | { state: 'loading' }
  | { state: 'ready'; level: string }
  | { state: 'missing'; reason: string }
  | { state: 'error'; reason: string };

export interface IVolumeViewProps {
  api: RemotemAPI;
  source: IVolumeSource;
  /** Whether the volume holds labels; decided from the first brick when not given. */
  labels?: boolean | null;
}

export function VolumeView(props: IVolumeViewProps): JSX.Element {
  const { api, source } = props;
  const trans = useTranslation();
  const [header, setHeader] = useState<IVolumeHeader | null>(null);
  const [brick, setBrick] = useState<INDArray | null>(null);
  const [labels, setLabels] = useState<boolean>(!!props.labels);
  const [error, setError] = useState<string | null>(null);
  const [at, setAt] = useState<Voxel>([0, 0, 0]);
  const [planes, setPlanes] = useState<Partial<Record<VolumeAxis, IPlane>>>({});
  const [colormap, setColormap] = useState('gray');
  const [colormapsInstalled, setColormapsInstalled] = useState(false);
  const [limits, setLimits] = useState<[number, number]>([0, 1]);
  const [readout, setReadout] = useState<string>('');
  const [render, setRender] = useState<RenderState>({ state: 'loading' });
  const [box, setBox] = useState<Array<[number, number]> | null>(null);
  const [refineEdge, setRefineEdge] = useState<number>(REFINE_EDGES[0]);
  const canvas3d = useRef<HTMLCanvasElement>(null);
  const renderer = useRef<VolumeRenderer | null>(null);

  // The whole volume as a brick; an integer volume with few values is taken as labels.
  useEffect(() => {
    const abort = new AbortController();
    void (async () => {
      try {
        void api
          .getViewContract(abort.signal)
          .then(contract => {
            installColormaps(contract.colormaps);
            setColormapsInstalled(true);
          })
          .catch(() => undefined); // gray only
        const first = await fetchVolume(
          api,
          source,
          { labels: props.labels ?? undefined, budget: BRICK_BUDGET },
          abort.signal
        );
        let answer = first;
        let isLabels = !!props.labels;
        if (props.labels === undefined || props.labels === null) {
          const integer = /^u?int|^bool/.test(first.header.dtype);
          if (integer) {
            const labelled = await fetchVolume(
              api,
              source,
              { labels: true, budget: BRICK_BUDGET },
              abort.signal
            );
            const count = distinctLabels(
              labelled.array.data as ArrayLike<number>
            ).length;
            if (count <= MAX_GUESSED_LABELS) {
              answer = labelled;
              isLabels = true;
            }
          }
        }
        setLabels(isLabels);
        setHeader(answer.header);
        setBrick(answer.array);
        setLimits(answer.header.range ?? [0, 1]);
        const [nz, ny, nx] = answer.header.shape;
        setAt([Math.floor(nz / 2), Math.floor(ny / 2), Math.floor(nx / 2)]);
      } catch (reason) {
        if (!abort.signal.aborted) {
          setError((reason as Error).message);
        }
      }
    })();
    return () => abort.abort();
  }, [api, source.repository, source.path, source.dataset, props.labels]);

  // Full-resolution planes through the crosshair, fetched when their index changes.
  const indices = at.join(',');
  useEffect(() => {
    if (!header) {
      return;
    }
    const abort = new AbortController();
    VOLUME_AXES.forEach((axis, position) => {
      const index = at[position];
      if (planes[axis]?.index === index) {
        return;
      }
      fetchVolume(api, source, { view: 'slice', axis, index }, abort.signal)
        .then(answer =>
          setPlanes(current => ({
            ...current,
            [axis]: { index, array: answer.array }
          }))
        )
        .catch(reason => {
          if (!abort.signal.aborted) {
            setError((reason as Error).message);
          }
        });
    });
    return () => abort.abort();
  }, [header, indices]);

  const spacing = useMemo<[number, number, number]>(() => {
    const scales = (header?.axes ?? []).map(axis => Math.abs(axis.scale) || 1);
    return scales.length === 3
      ? (scales as [number, number, number])
      : [1, 1, 1];
  }, [header]);

  const painting = useMemo<Painting>(
    () =>
      labels
        ? { kind: 'labels' }
        : {
            kind: 'intensity',
            lut: colormapLUT(colormap),
            min: limits[0],
            max: limits[1]
          },
    [labels, colormap, limits]
  );

  // The 3-D pane: niivue on WebGL2, or why it is missing.
  useEffect(() => {
    const missing = webgl2Missing();
    if (missing) {
      setRender({ state: 'missing', reason: missing });
      return;
    }
    if (!canvas3d.current || !brick || !header) {
      return;
    }
    let cancelled = false;
    void (async () => {
      try {
        setRender({ state: 'loading' });
        if (!renderer.current) {
          renderer.current = await VolumeRenderer.create(canvas3d.current!);
        }
        const factors = header.factors ?? [1, 1, 1];
        await renderer.current.show(brick, {
          labels,
          colormap,
          lut: colormapLUT(colormap),
          min: limits[0],
          max: limits[1],
          spacing: spacing.map((s, i) => s * factors[i]) as [
            number,
            number,
            number
          ]
        });
        if (!cancelled) {
          const where = header.box ? boxText(header.box) : '';
          setRender({
            state: 'ready',
            level: trans.__(
              'box %1 at blocks of %2 voxels',
              where,
              factors.join('×')
            )
          });
        }
      } catch (reason) {
        if (!cancelled) {
          setRender({ state: 'error', reason: (reason as Error).message });
        }
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [brick, header, labels]);

  useEffect(() => {
    if (!labels && renderer.current) {
      renderer.current.restyle(
        colormap,
        colormapLUT(colormap),
        limits[0],
        limits[1]
      );
    }
  }, [colormap, limits, labels]);

  useEffect(
    () => () => {
      renderer.current?.dispose();
      renderer.current = null;
    },
    []
  );

  const refine = useCallback(
    (whole: boolean) => {
      if (!header) {
        return;
      }
      const wanted = whole ? null : boxAround(at, refineEdge / 2, header.shape);
      setBox(wanted);
      fetchVolume(api, source, {
        labels,
        budget: whole ? BRICK_BUDGET : Math.min(refineEdge ** 3, REFINE_BUDGET),
        box: wanted ? boxText(wanted) : undefined
      })
        .then(answer => {
          setHeader(current => ({
            ...answer.header,
            shape: current?.shape ?? answer.header.shape
          }));
          setBrick(answer.array);
        })
        .catch(reason => setError((reason as Error).message));
    },
    [api, source, header, at, labels, refineEdge]
  );

  const point = useCallback(
    (axis: VolumeAxis, col: number, row: number, select: boolean) => {
      if (!header) {
        return;
      }
      const voxel = clampVoxel(voxelAt(axis, at, col, row), header.shape);
      const plane = planes[axis];
      if (plane) {
        const [width] = paneSize(axis, header.shape);
        const [c, r] = crosshairOn(axis, voxel);
        const value = Number(plane.array.data[r * width + c]);
        setReadout(
          trans.__(
            'z %1, y %2, x %3: %4',
            voxel[0],
            voxel[1],
            voxel[2],
            Number.isInteger(value) ? String(value) : value.toPrecision(5)
          )
        );
      }
      if (select) {
        setAt(voxel);
      }
    },
    [header, at, planes]
  );

  if (error) {
    return (
      <div className="jp-remotem-volume jp-remotem-volume-error" role="alert">
        {error}
      </div>
    );
  }
  if (!header || !brick) {
    return (
      <div className="jp-remotem-volume jp-remotem-volume-loading">
        {trans.__('Loading the volume…')}
      </div>
    );
  }
  return (
    <div
      className="jp-remotem-volume"
      data-labels={labels ? 'true' : 'false'}
      style={{
        display: 'grid',
        gridTemplateColumns: '1fr 1fr',
        gridTemplateRows: 'auto 1fr 1fr',
        gap: 8,
        padding: 8,
        height: '100%',
        boxSizing: 'border-box',
        overflow: 'hidden'
      }}
    >
      <div
        className="jp-remotem-volume-toolbar"
        style={{
          gridColumn: '1 / 3',
          display: 'flex',
          gap: 12,
          alignItems: 'center',
          flexWrap: 'wrap'
        }}
      >
        <strong>
          {trans.__(
            '%1 voxels (z, y, x), %2%3',
            header.shape.join(' × '),
            header.dtype,
            labels ? trans.__(', labels') : ''
          )}
        </strong>
        {!labels && (
          <>
            <label>
              {trans.__('Colour map')}{' '}
              <select
                className="jp-remotem-volume-colormap"
                data-installed={colormapsInstalled ? 'true' : 'false'}
                value={colormap}
                onChange={event => setColormap(event.target.value)}
              >
                {COLORMAPS.map(entry => (
                  <option key={entry.name} value={entry.name}>
                    {entry.label}
                  </option>
                ))}
              </select>
            </label>
            <label>
              {trans.__('Min')}{' '}
              <input
                className="jp-remotem-volume-min"
                type="number"
                step="any"
                value={limits[0]}
                style={{ width: '7em' }}
                onChange={event =>
                  setLimits([Number(event.target.value), limits[1]])
                }
              />
            </label>
            <label>
              {trans.__('Max')}{' '}
              <input
                className="jp-remotem-volume-max"
                type="number"
                step="any"
                value={limits[1]}
                style={{ width: '7em' }}
                onChange={event =>
                  setLimits([limits[0], Number(event.target.value)])
                }
              />
            </label>
          </>
        )}
        <button
          className="jp-mod-styled jp-remotem-volume-refine"
          title={trans.__(
            'Render a box of %1 voxels around the crosshair at full detail',
            `${refineEdge}³`
          )}
          onClick={() => refine(false)}
        >
          {trans.__('Refine around crosshair')}
        </button>
        <select
          className="jp-mod-styled jp-remotem-volume-refine-edge"
          aria-label={trans.__('Edge of the refined box, in voxels')}
          value={refineEdge}
          onChange={event => setRefineEdge(Number(event.target.value))}
        >
          {REFINE_EDGES.map(edge => (
            <option key={edge} value={edge}>
              {`${edge}³`}
            </option>
          ))}
        </select>
        <button
          className="jp-mod-styled jp-remotem-volume-whole"
          disabled={!box}
          onClick={() => refine(true)}
        >
          {trans.__('Whole volume')}
        </button>
        <span className="jp-remotem-volume-readout" aria-live="polite">
          {readout}
        </span>
      </div>
      {VOLUME_AXES.map((axis, position) => (
        <SlicePane
          key={axis}
          axis={axis}
          shape={header.shape}
          spacing={spacing}
          at={at}
          plane={planes[axis] ?? null}
          painting={painting}
          onIndex={index => {
            const next: Voxel = [...at];
            next[position] = index;
            setAt(next);
          }}
          onPoint={(col, row, select) => point(axis, col, row, select)}
        />
      ))}
      <div
        className="jp-remotem-volume-3d"
        data-state={render.state}
        style={{ position: 'relative', minHeight: 200 }}
      >
        <canvas
          ref={canvas3d}
          style={{
            width: '100%',
            height: '100%',
            display: render.state === 'missing' ? 'none' : 'block'
          }}
        />
        <div
          className="jp-remotem-volume-3d-status"
          style={{
            position: 'absolute',
            left: 4,
            bottom: 4,
            fontSize: 11,
            color: '#ddd'
          }}
        >
          {render.state === 'ready' && render.level}
          {render.state === 'loading' && trans.__('Rendering…')}
          {render.state === 'missing' &&
            trans.__('No 3-D rendering: %1', render.reason)}
          {render.state === 'error' &&
            trans.__('The 3-D rendering failed: %1', render.reason)}
        </div>
      </div>
    </div>
  );
}

interface ISlicePaneProps {
  axis: VolumeAxis;
  shape: [number, number, number];
  spacing: [number, number, number];
  at: Voxel;
  plane: IPlane | null;
  painting: Painting;
  onIndex: (index: number) => void;
  onPoint: (col: number, row: number, select: boolean) => void;
}

/** One orthogonal plane at full resolution, its slider and the crosshair. */
function SlicePane(props: ISlicePaneProps): JSX.Element {
  const { axis, shape, spacing, at, plane, painting } = props;
  const trans = useTranslation();
  const canvas = useRef<HTMLCanvasElement>(null);
  const [width, height] = paneSize(axis, shape);
  const position = VOLUME_AXES.indexOf(axis);

  useEffect(() => {
    const context = canvas.current?.getContext('2d');
    if (!context || !plane) {
      return;
    }
    const pixels = paintPlane(plane.array.data as ArrayLike<number>, painting);
    context.putImageData(new ImageData(pixels, width, height), 0, 0);
    canvas.current!.dataset.painted = String(plane.index);
  }, [plane, painting, width, height]);

  const pointer = (
    event: React.MouseEvent<HTMLCanvasElement>,
    select: boolean
  ) => {
    const rect = event.currentTarget.getBoundingClientRect();
    const col = Math.floor(((event.clientX - rect.left) / rect.width) * width);
    const row = Math.floor(((event.clientY - rect.top) / rect.height) * height);
    props.onPoint(col, row, select);
  };
  const [cx, cy] = crosshairOn(axis, at);
  const area = useRef<HTMLDivElement>(null);
  const fitted = useFitted(area, paneAspect(axis, shape, spacing));
  return (
    <div
      className="jp-remotem-volume-pane"
      data-axis={axis}
      data-index={plane?.index ?? ''}
      style={{
        display: 'flex',
        flexDirection: 'column',
        minHeight: 0,
        overflow: 'hidden'
      }}
    >
      <label style={{ display: 'flex', gap: 6, alignItems: 'center' }}>
        {trans.__('%1 = %2', axis, at[position])}
        <input
          className="jp-remotem-volume-slider"
          type="range"
          min={0}
          max={shape[position] - 1}
          value={at[position]}
          aria-label={trans.__('Plane along %1', axis)}
          onChange={event => props.onIndex(Number(event.target.value))}
          style={{ flex: 1 }}
        />
      </label>
      <div ref={area} style={{ flex: 1, minHeight: 0, position: 'relative' }}>
        <div
          style={{
            position: 'absolute',
            left: fitted.left,
            top: fitted.top,
            width: fitted.width,
            height: fitted.height,
            background: '#111'
          }}
        >
          <canvas
            ref={canvas}
            className="jp-remotem-volume-plane"
            width={width}
            height={height}
            style={{
              width: '100%',
              height: '100%',
              imageRendering: 'pixelated',
              cursor: 'crosshair'
            }}
            onMouseMove={event => pointer(event, false)}
            onClick={event => pointer(event, true)}
          />
          <div
            className="jp-remotem-volume-crosshair"
            style={{
              position: 'absolute',
              pointerEvents: 'none',
              left: `${((cx + 0.5) / width) * 100}%`,
              top: 0,
              bottom: 0,
              borderLeft: '1px solid rgba(255, 255, 0, 0.7)'
            }}
          />
          <div
            className="jp-remotem-volume-crosshair"
            style={{
              position: 'absolute',
              pointerEvents: 'none',
              top: `${((cy + 0.5) / height) * 100}%`,
              left: 0,
              right: 0,
              borderTop: '1px solid rgba(255, 255, 0, 0.7)'
            }}
          />
        </div>
      </div>
    </div>
  );
}

/** The largest box of `aspect` (width / height) centred in an element, as it resizes. */
function useFitted(
  area: React.RefObject<HTMLDivElement>,
  aspect: number
): { left: number; top: number; width: number; height: number } {
  const [size, setSize] = useState<[number, number]>([0, 0]);
  useEffect(() => {
    const element = area.current;
    if (!element) {
      return;
    }
    const measure = () => setSize([element.clientWidth, element.clientHeight]);
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, [area]);
  return fitBox(size[0], size[1], aspect);
}
