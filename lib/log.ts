import { ServiceError } from './errors.js';

/**
 * Structured JSON logs, one line per event. Callers pass named fields, never request bodies,
 * credentials or raw dependency messages; `errorFields` keeps only an error's name and code.
 */
type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level | 'silent', number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

let minimum = ORDER.info;

/** Lines below `level` are dropped; the composition root sets it from the configuration. */
export function setLogLevel(level: Level | 'silent'): void {
  minimum = ORDER[level];
}

function write(level: Level, event: string, fields: Record<string, unknown>): void {
  if (ORDER[level] < minimum) return;
  process.stdout.write(`${JSON.stringify({ level, time: new Date().toISOString(), event, ...fields })}\n`);
}

export const log = {
  debug: (event: string, fields: Record<string, unknown> = {}) => write('debug', event, fields),
  info: (event: string, fields: Record<string, unknown> = {}) => write('info', event, fields),
  warn: (event: string, fields: Record<string, unknown> = {}) => write('warn', event, fields),
  error: (event: string, fields: Record<string, unknown> = {}) => write('error', event, fields),
};

/**
 * What of an error may be logged: its class and code, the AWS request id for support cases, and
 * what the service's own errors say for the logs only (which stored attribute was unreadable:
 * attribute names, never values).
 */
export function errorFields(error: unknown): Record<string, unknown> {
  if (typeof error !== 'object' || error === null) return { error_type: typeof error };
  const candidate = error as { name?: unknown; code?: unknown; $metadata?: { requestId?: string } };
  const cause = (error as { cause?: unknown }).cause;
  return {
    error_type: typeof candidate.name === 'string' ? candidate.name : 'Error',
    ...(typeof candidate.code === 'string' ? { error_code: candidate.code } : {}),
    ...(candidate.$metadata?.requestId ? { aws_request_id: candidate.$metadata.requestId } : {}),
    ...(error instanceof ServiceError ? error.logFields : {}),
    ...(cause !== undefined && cause !== null ? { cause: errorFields(cause) } : {}),
  };
}
