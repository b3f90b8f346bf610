/**
 * Display limits that follow the data until the user sets them: while `auto` is on,
 * every new image (a detector moved, a coarse answer refined) is scaled to its own
 * range; moving a histogram handle or typing a limit turns it off, and the
 * controls' "Auto" (limits equal to the data's own) turns it on again.
 */
import { autoLimits, IScaling } from './scaling';
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
 * limits are the data's own.
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
