import { ProbeFailure, seconds } from './verdict.js';

/**
 * Runs `work` with one overall deadline. When it passes, the signal aborts (the probe closes its
 * connection) and the caller gets a timeout at once, whatever the driver is still doing.
 */
export async function withDeadline<T>(deadlineMs: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new ProbeFailure('timeout', `The warehouse did not answer within ${seconds(deadlineMs)}.`));
      controller.abort();
    }, deadlineMs);
  });
  const running = work(controller.signal);
  running.catch(() => undefined); // a late failure after the deadline is expected and ignored
  try {
    return await Promise.race([running, expired]);
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}
