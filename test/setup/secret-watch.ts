import { afterAll, beforeAll, expect } from '@jest/globals';

/**
 * Runs in every test file. Captures the service's JSON log lines (keeping them off the console),
 * and after the file checks that no log line and no API response the tests received carried a
 * canary secret, a private key or a request body. Every test secret contains "canary".
 */
const captured: string[] = [];
const responses: string[] = [];
const globals = globalThis as Record<string, unknown>;
globals.__capturedLogLines = captured;
globals.__apiResponseTexts = responses;
const originalWrite = process.stdout.write.bind(process.stdout);
/** A canary, or key material: a PEM header followed by base64 (JSON-escaped newlines included). */
const FORBIDDEN_IN_OUTPUT = [/canary/i, /PRIVATE KEY-----(?:\\n|\s)*[A-Za-z0-9+/]{16}/];
const REQUEST_BODY_IN_LOG = /"(credentials|password|private_key)"/;

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
  const leaks = [
    ...captured
      .filter((line) => FORBIDDEN_IN_OUTPUT.some((pattern) => pattern.test(line)) || REQUEST_BODY_IN_LOG.test(line))
      .map((line) => `log: ${line.slice(0, 300)}`),
    ...responses
      .filter((text) => FORBIDDEN_IN_OUTPUT.some((pattern) => pattern.test(text)))
      .map((text) => `response: ${text.slice(0, 300)}`),
  ];
  expect(leaks).toEqual([]);
});
