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

/** The steps of a test (each provider runs some of them, in its order: lib/providers/registry.ts). */
export const STAGE_NAMES = [
  'resolve',
  'connect',
  'tls',
  'authenticate',
  'assume_role',
  'credentials',
  'sign_in',
  'query',
  'schema_access',
  'dataset_access',
] as const;
export type StageName = (typeof STAGE_NAMES)[number];

/** One step of a test: whether it passed and how long it took. */
export interface Stage {
  name: StageName;
  ok: boolean;
  ms: number;
}

/**
 * `code` is `ok` on success, so every verdict carries one machine-readable code. `stages` says how
 * far the test got: the steps run, in order, stopping at the first that failed. `hint` names the
 * grant that would fix a failure, built from the connection's own non-secret fields.
 */
export type Verdict = ({ success: true; code: 'ok' } | { success: false; code: FailureCode; error: string; hint?: string }) & {
  stages: Stage[];
};

/** Thrown by probes with an already-safe message (and, where a grant is missing, a safe hint). */
export class ProbeFailure extends Error {
  override name = 'ProbeFailure';
  readonly hint?: string;
  constructor(
    readonly code: FailureCode,
    message: string,
    options?: { cause?: unknown; hint?: string },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    if (options?.hint !== undefined) this.hint = options.hint;
  }
}

/**
 * Times the stages of one test. A probe calls `begin` as each step starts (which ends the one
 * before as passed); the runner then closes the last one as passed or, on failure, as the one
 * that failed.
 */
export class StageClock {
  private readonly done: Stage[] = [];
  private current: { name: StageName; startedAt: number } | undefined;

  begin(name: StageName): void {
    this.close(true);
    this.current = { name, startedAt: performance.now() };
  }

  /** The stages run: the last one passed when the test succeeded, failed otherwise. */
  finish(ok: boolean): Stage[] {
    this.close(ok);
    return [...this.done];
  }

  private close(ok: boolean): void {
    if (!this.current) return;
    this.done.push({ name: this.current.name, ok, ms: Math.round(performance.now() - this.current.startedAt) });
    this.current = undefined;
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
  /**
   * The external id the service presents when it assumes a customer's role (lib/aws/external-id.ts):
   * set per test from the caller's organization, never from the stored connection.
   */
  externalId?: string;
  /** Where the AWS SDK clients of a probe send calls (STS, Redshift, ...) instead of AWS; unset in production. */
  /**
   * The DuckDB extension repository the MotherDuck test installs its extension from (a URL, as
   * DuckDB's `custom_extension_repository`): DuckDB's own when unset, as in production; the tests'
   * loopback repository otherwise.
   */
  motherduckExtensionRepository?: string;
  awsEndpoints?: Partial<Record<'sts' | 'redshift' | 'redshiftServerless' | 'athena', string>>;
  /**
   * The service's own AWS credentials for its first call (STS AssumeRole): static keys of the tests'
   * stand-ins; unset in production, where the SDK reads the test function's role from its environment.
   */
  awsCredentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /**
   * The tests' Databricks stand-in: the port the pinned agent connects to in place of the workspace's
   * 443 (the driver's URLs, Host header and TLS name stay the workspace's), and the CA it then trusts
   * instead of the system's. Unset in production.
   */
  databricksEndpoint?: { port: number; caCertificate: string };
}

export function seconds(milliseconds: number): string {
  return `${Math.round(milliseconds / 100) / 10} s`;
}
