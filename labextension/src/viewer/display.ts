/**
 * Display limits that follow the data until the user sets them: while `auto` is on,
 * every new image (a detector moved, a coarse answer refined) is scaled to its own
 * range; moving a histogram handle or typing a limit turns it off, and the
 * controls' "Auto" (limits equal to the data's own) turns it on again.
 *
 * Limits the user set hold for the image they were set on: the next image (another
 * result, plane, frame or detector) gets its own range again, unless the user pinned
 * them, because limits fitted to one image leave the next one uniformly dark or
 * saturated. Pinned limits survive until unpinned.
 *
 * FFT images have a display of their own (log scale, a colour map for spectra): a
 * spectrum in the linear gray of its real-space image is black with one bright pixel.
 */
import { autoLimits, DEFAULT_SCALING, IScaling } from './scaling';
import type { IDisplay } from './state';

/**
 * The scaling an image is drawn with.
 */
export function effectiveScaling(
  display: IDisplay,
  data: ArrayLike<number> | null
): IScaling {
  if (!display.auto || !data || data.length === 0) {
    return display.scaling;
  }
  return { ...display.scaling, ...autoLimits(data, display.scaling) };
}

/**
 * The display after the user chose `scaling`: automatic again exactly when its
 * limits are the data's own. Pinning stays as it was.
 */
export function chooseScaling(
  display: IDisplay,
  scaling: IScaling,
  data: ArrayLike<number> | null
): IDisplay {
  const current = effectiveScaling(display, data);
  const limitsMoved =
    scaling.vmin !== current.vmin || scaling.vmax !== current.vmax;
  if (!limitsMoved) {
    return { ...display, scaling };
  }
  const own = data && data.length ? autoLimits(data, scaling) : null;
  const auto =
    own !== null && own.vmin === scaling.vmin && own.vmax === scaling.vmax;
  return { ...display, scaling, auto };
}

/**
 * The display for a new image: unpinned limits follow it again; pinned ones stay.
 */
export function followNewImage(display: IDisplay): IDisplay {
  if (display.pinned || display.auto) {
    return display;
  }
  return { ...display, auto: true };
}

/**
 * Pin or unpin the limits. Pinning keeps the limits shown now (the data's own,
 * while automatic) for every image to come; unpinning lets them follow the data.
 */
export function setPinned(
  display: IDisplay,
  pinned: boolean,
  data: ArrayLike<number> | null
): IDisplay {
  if (pinned) {
    return {
      ...display,
      scaling: effectiveScaling(display, data),
      auto: false,
      pinned: true
    };
  }
  return { ...display, auto: true, pinned: false };
}

/**
 * How an FFT image (an |FFT| magnitude) is drawn until the user changes it.
 */
export function fftDisplay(): IDisplay {
  return {
    cmap: 'magma',
    scaling: { ...DEFAULT_SCALING, mode: 'log' },
    auto: true,
    pinned: false
  };
}

/**
 * The displays when an image switches between real space and its FFT: the one
 * the other space had before (remembered in `aside`, or its default), and the
 * one to remember for switching back.
 *
 * @param shown the display in use now
 * @param aside the other space's display, when it was shown before
 * @param toFft whether the image becomes an FFT
 * @param realDefault the real-space default of this image
 */
export function switchSpace(
  shown: IDisplay,
  aside: IDisplay | null,
  toFft: boolean,
  realDefault: IDisplay
): { shown: IDisplay; aside: IDisplay } {
  const next = aside ?? (toFft ? fftDisplay() : realDefault);
  return { shown: followNewImage(next), aside: shown };
}
