/**
 * Re-rendering a view when its model changes, without losing a change.
 *
 * A panel that subscribes to `changed` in an effect misses whatever the model
 * emits between its first render and that effect: a restored viewer starts
 * loading as soon as it is attached, and after a page reload its answers can all
 * arrive in that gap, leaving the panel drawn "busy" forever. The model's
 * `version` grows with every change; React's external-store hook compares it
 * again once subscribed and renders anew if it moved.
 */
import { ISignal } from '@lumino/signaling';
import { useCallback, useSyncExternalStore } from 'react';

export interface IVersioned {
  readonly version: number;
  readonly changed: ISignal<unknown, void>;
}

/**
 * The model's current version; the calling component renders again on each change.
 */
export function useModelVersion(model: IVersioned): number {
  const subscribe = useCallback(
    (onChange: () => void) => {
      const slot = () => onChange();
      model.changed.connect(slot);
      return () => {
        model.changed.disconnect(slot);
      };
    },
    [model]
  );
  return useSyncExternalStore(subscribe, () => model.version);
}
