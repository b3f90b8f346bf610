/**
 * The 3-D pane: niivue (WebGL2) renders the brick as a volume, with the label colour
 * map for segmentations or a colour map within contrast limits for intensities.
 * niivue is loaded on first use, so JupyterLab starts without it.
 */
import type { INDArray } from '../viewer/npy';
import {
  distinctLabels,
  dominantLabels,
  niivueColormap,
  niivueLabelMap
} from './labels';
import { niftiBytes } from './nifti';

/** Why the 3-D pane cannot render here, or null when WebGL2 is available. */
export function webgl2Missing(): string | null {
  try {
    const canvas = document.createElement('canvas');
    return canvas.getContext('webgl2')
      ? null
      : 'This browser offers no WebGL2 context (hardware acceleration may be off).';
  } catch (reason) {
    return `WebGL2 failed to start: ${(reason as Error).message}`;
  }
}

export interface IRenderOptions {
  labels: boolean;
  /** The colour map's name and 256-entry RGB table (the slice panes use the same). */
  colormap: string;
  lut: Uint8Array;
  min: number;
  max: number;
  /** Voxel size of the brick along (z, y, x), in the volume's units. */
  spacing: [number, number, number];
}

/** One niivue instance on one canvas. */
export class VolumeRenderer {
  /** Attach niivue to `canvas` (rejects when WebGL2 is missing). */
  static async create(canvas: HTMLCanvasElement): Promise<VolumeRenderer> {
    const { Niivue } = await import('@niivue/niivue');
    const nv = new Niivue({
      backColor: [0.1, 0.1, 0.12, 1],
      show3Dcrosshair: false,
      isOrientCube: false,
      loadingText: ''
    });
    await nv.attachToCanvas(canvas);
    nv.setSliceType(nv.sliceTypeRender);
    return new VolumeRenderer(nv);
  }

  private constructor(private readonly _nv: any) {}

  /** Show `brick` (replacing what was shown). */
  async show(brick: INDArray, options: IRenderOptions): Promise<void> {
    const { NVImage } = await import('@niivue/niivue');
    const bytes = niftiBytes(brick, options.spacing);
    const image = await NVImage.loadFromUrl({
      url: bytes,
      name: 'brick.nii',
      colormap: options.labels
        ? 'gray'
        : this._colormap(options.colormap, options.lut),
      cal_min: options.min,
      cal_max: options.max,
      trustCalMinMax: true
    } as any);
    if (options.labels) {
      const values = brick.data as ArrayLike<number>;
      image.setColormapLabel(
        niivueLabelMap(distinctLabels(values), dominantLabels(values))
      );
    }
    const nv = this._nv;
    for (const volume of [...nv.volumes]) {
      nv.removeVolume(volume);
    }
    nv.addVolume(image);
    nv.setSliceType(nv.sliceTypeRender);
  }

  /** New contrast limits or colour map for intensities. */
  restyle(colormap: string, lut: Uint8Array, min: number, max: number): void {
    const volume = this._nv.volumes[0];
    if (!volume) {
      return;
    }
    volume.colormap = this._colormap(colormap, lut);
    volume.cal_min = min;
    volume.cal_max = max;
    this._nv.updateGLVolume();
  }

  /** niivue's key of a colour map, added to niivue's maps on first use. */
  private _colormap(name: string, lut: Uint8Array): string {
    const key = `remotem-${name}`;
    if (!this._added.has(key)) {
      this._nv.addColormap(key, niivueColormap(lut));
      this._added.add(key);
    }
    return key;
  }

  private readonly _added = new Set<string>();

  dispose(): void {
    try {
      this._nv.gl?.getExtension('WEBGL_lose_context')?.loseContext();
    } catch {
      // already gone
    }
  }
}
