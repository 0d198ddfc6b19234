import { bounded } from '../bounded.js';
import { ProbeFailure } from '../verdict.js';

/**
 * DuckDB runs each call on a thread of Node's libuv pool (four threads, shared with DNS lookups and
 * file access), and nothing stops a call from outside: `interrupt()` ends a running query, but not
 * an extension download that never gets an answer. The probe stops waiting at its limits and the
 * verdict goes out; the call itself finishes when DuckDB gives up. These count the calls still
 * running, so that stranded ones cannot take the whole pool.
 */
let running = 0;
/** Past this many stranded calls a new test waits for none of them and answers at once. */
export const MAX_STRANDED_CALLS = 2;

export function strandedCalls(): number {
  return running;
}

/**
 * The native calls of one test, in order: each bounded in time, and everything opened closed only
 * once the last call has returned (closing an instance under a running call would block the event
 * loop until it returns).
 */
export class NativeCalls {
  private last: Promise<unknown> = Promise.resolve();
  private readonly closers: (() => void)[] = [];

  constructor(private readonly signal: AbortSignal) {
    if (running >= MAX_STRANDED_CALLS) {
      throw new ProbeFailure(
        'warehouse_unavailable',
        'Earlier MotherDuck tests in this instance of the service are still waiting for an answer; try again in a minute.',
      );
    }
  }

  run<T>(call: () => Promise<T>, ms: number, onTimeout: () => ProbeFailure): Promise<T> {
    this.signal.throwIfAborted();
    running += 1;
    const started = call();
    const settled = started.then(
      () => undefined,
      () => undefined,
    );
    void settled.then(() => (running -= 1));
    this.last = settled;
    return bounded(started, { ms, signal: this.signal, onTimeout });
  }

  /** Runs `close` once every call has returned, latest opened first. */
  onClose(close: () => void): void {
    this.closers.unshift(close);
  }

  /** Closes what the test opened once its calls are done; does not wait for them. */
  closeWhenDone(after: () => Promise<void>): void {
    void this.last.then(async () => {
      for (const close of this.closers) {
        try {
          close();
        } catch {
          // already closed
        }
      }
      await after().catch(() => undefined);
    });
  }
}
