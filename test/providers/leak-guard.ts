import { expect } from '@jest/globals';
import type { Verdict } from '../../lib/providers/verdict.js';

const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;

/**
 * Runs a probe while recording everything written to stdout, stderr and the console (jest swaps the
 * console for its own, so both are watched). The writes still go through.
 */
export async function watchOutput(run: () => Promise<Verdict>): Promise<{ verdict: Verdict; output: string }> {
  const written: string[] = [];
  const record = (chunk: unknown) =>
    written.push(typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk));
  const stdoutWrite = process.stdout.write;
  const stderrWrite = process.stderr.write;
  const consoleMethods = CONSOLE_METHODS.map((name) => [name, console[name]] as const);
  process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
    record(chunk);
    return (stdoutWrite as (...args: unknown[]) => boolean).call(process.stdout, chunk, ...rest);
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: unknown, ...rest: unknown[]) => {
    record(chunk);
    return (stderrWrite as (...args: unknown[]) => boolean).call(process.stderr, chunk, ...rest);
  }) as typeof process.stderr.write;
  for (const [name, original] of consoleMethods) {
    console[name] = (...args: unknown[]) => {
      args.forEach(record);
      original.apply(console, args);
    };
  }
  try {
    return { verdict: await run(), output: written.join('') };
  } finally {
    process.stdout.write = stdoutWrite;
    process.stderr.write = stderrWrite;
    for (const [name, original] of consoleMethods) console[name] = original;
  }
}

/** No secret may appear in the verdict or in anything printed while the probe ran. */
export function expectNoSecrets(result: { verdict: Verdict; output: string }, secrets: string[]): void {
  const verdictText = JSON.stringify(result.verdict);
  for (const secret of secrets) {
    expect(secret.length).toBeGreaterThan(8); // a short canary could match by accident
    expect(verdictText.includes(secret)).toBe(false);
    expect(result.output.includes(secret)).toBe(false);
  }
  // Bearer tokens and session tokens are secrets too, and are not known in advance.
  expect(verdictText).not.toMatch(/eyJ[\w-]{10,}|Bearer |Snowflake Token|session-[0-9a-f]{8}/);
}
