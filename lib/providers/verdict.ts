import type { Lookup } from './network-guard.js';

/**
 * The outcome of a connection test. Failure messages are written by us from what the driver
 * reported (codes, not text), so no password, key or token can travel back in them.
 */
export type FailureCode =
  | 'auth_failed'
  | 'invalid_credentials'
  | 'host_not_found'
  | 'connection_refused'
  | 'network_error'
  | 'timeout'
  | 'tls_error'
  | 'permission_denied'
  | 'object_not_found'
  | 'host_not_allowed'
  | 'warehouse_unavailable'
  | 'warehouse_error';

/** `code` is `ok` on success, so every verdict carries one machine-readable code. */
export type Verdict = { success: true; code: 'ok' } | { success: false; code: FailureCode; error: string };

/** Thrown by probes with an already-safe message. */
export class ProbeFailure extends Error {
  override name = 'ProbeFailure';
  constructor(
    readonly code: FailureCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ProbeLimits {
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  deadlineMs: number;
  /** Private networks (and ports) the SSRF guard admits (allow-list.ts); none by default. */
  allowedCidrs?: readonly string[];
  /** How the SSRF guard resolves customer hosts: the system resolver unless a test injects one. */
  lookup?: Lookup;
  /** Where snowflake-sdk sends API calls instead of the account's host (the tests' stand-ins); unset in production. */
  snowflakeAccessUrl?: string;
  /** Where the BigQuery client sends API calls instead of Google's; unset in production. */
  bigqueryApiEndpoint?: string;
}

export function seconds(milliseconds: number): string {
  return `${Math.round(milliseconds / 100) / 10} s`;
}
