import type { ProbeFailure } from './verdict.js';

export interface Bound {
  /** Time this step may take. */
  ms: number;
  /** The caller's overall deadline: once it aborts nobody waits for the step any more. */
  signal: AbortSignal;
  /** The failure to report when `ms` runs out first. */
  onTimeout: () => ProbeFailure;
}

/**
 * Waits for one step of a probe, at most `bound.ms` and never past the caller's deadline. The HTTP
 * drivers time out inside their own retry loops (minutes by default), so each probe puts its own
 * limit around every step; stopping the driver's work is the probe's job (it closes the connection).
 */
export function bounded<T>(work: Promise<T>, bound: Bound): Promise<T> {
  work.catch(() => undefined); // a step that fails after we stopped waiting must not go unhandled
  let timer: NodeJS.Timeout | undefined;
  let stopWaiting: (() => void) | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(bound.onTimeout()), bound.ms);
    stopWaiting = () => reject(bound.signal.reason);
    if (bound.signal.aborted) stopWaiting();
    else bound.signal.addEventListener('abort', stopWaiting, { once: true });
  });
  return Promise.race([work, expired]).finally(() => {
    clearTimeout(timer);
    if (stopWaiting) bound.signal.removeEventListener('abort', stopWaiting);
  });
}
