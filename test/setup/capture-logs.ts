import { afterAll, beforeAll } from '@jest/globals';

/**
 * The service's JSON log lines are captured (and kept off the console) in every test file, so
 * tests can assert what was logged and that no secret ever was.
 */
const captured: string[] = [];
(globalThis as Record<string, unknown>).__capturedLogLines = captured;
const originalWrite = process.stdout.write.bind(process.stdout);

beforeAll(() => {
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (text.startsWith('{"level":')) {
      captured.push(text);
      return true;
    }
    return (originalWrite as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stdout.write;
});

afterAll(() => {
  process.stdout.write = originalWrite;
});
