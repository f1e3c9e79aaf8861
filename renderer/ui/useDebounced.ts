import { useEffect, useState } from 'react';

/**
 * The value as it was `delayMs` after it last changed: typing in a filter queries
 * the core once the operator pauses. A delay of 0 passes a change on at the next
 * tick (for selects and buttons, which change once).
 */
export function useDebounced<T>(value: T, delayMs: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), delayMs);
    return () => clearTimeout(timer);
  }, [value, delayMs]);
  return settled;
}
