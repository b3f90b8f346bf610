/**
 * React glue for Lumino signals.
 */
import { ISignal } from '@lumino/signaling';
import { useEffect, useState } from 'react';

/**
 * Re-render the calling component whenever `signal` is emitted.
 */
export function useRerenderOn(signal: ISignal<unknown, unknown>): void {
  const [, setTick] = useState(0);
  useEffect(() => {
    const onEmit = () => setTick(n => n + 1);
    signal.connect(onEmit);
    return () => {
      signal.disconnect(onEmit);
    };
  }, [signal]);
}
