/**
 * Re-rendering a view when a Lumino signal fires, without losing a change.
 *
 * Subscribing in an effect misses what the model emits between the first render and
 * that effect (a jobs list answered in that gap stays "Loading…"). Each signal gets a
 * counter, connected the first time a view reads it (during render) and raised on every
 * emission; React's external-store hook compares it again once subscribed and renders
 * anew if it moved — the pattern of the viewer's `useModelVersion`, for models that
 * have a `changed` signal but no version of their own.
 */
import { ISignal } from '@lumino/signaling';
import { useCallback, useSyncExternalStore } from 'react';

const counters = new WeakMap<ISignal<unknown, unknown>, { value: number }>();

/**
 * How many times `signal` has fired since a view first looked at it.
 */
export function signalVersion(signal: ISignal<unknown, unknown>): number {
  let counter = counters.get(signal);
  if (!counter) {
    const created = { value: 0 };
    signal.connect(() => {
      created.value += 1;
    });
    counters.set(signal, created);
    counter = created;
  }
  return counter.value;
}

/**
 * The signal's version; the calling component renders again on each emission.
 */
export function useSignalVersion(signal: ISignal<unknown, unknown>): number {
  const subscribe = useCallback(
    (onChange: () => void) => {
      signalVersion(signal);
      const slot = () => onChange();
      signal.connect(slot);
      return () => {
        signal.disconnect(slot);
      };
    },
    [signal]
  );
  return useSyncExternalStore(subscribe, () => signalVersion(signal));
}
