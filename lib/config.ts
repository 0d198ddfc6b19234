/**
 * Environment, read once per process. A missing required variable fails at first use with a message
 * naming it, not with an obscure SDK error later.
 */
import { parseAllowedNetwork } from './providers/allow-list.js';

export class MissingConfigurationError extends Error {
  constructor(variable: string) {
    super(`Environment variable ${variable} is required`);
    this.name = 'MissingConfigurationError';
  }
}

function required(variable: string): string {
  const value = process.env[variable];
  if (value === undefined || value === '') throw new MissingConfigurationError(variable);
  return value;
}

function optionalInteger(variable: string, fallback: number, min: number, max: number): number {
  const raw = process.env[variable];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`Environment variable ${variable} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

/**
 * Parses the comma-separated allow-list ("10.0.0.0/8, 10.1.0.0/16:5432, [fd00::/8]:5432"); throws on
 * a malformed entry so a typo cannot widen the guard silently. Syntax: lib/providers/allow-list.ts.
 */
export function parseCidrList(value: string | undefined): string[] {
  if (!value?.trim()) return [];
  return value.split(',').map((entry) => {
    const trimmed = entry.trim();
    parseAllowedNetwork(trimmed);
    return trimmed;
  });
}

function memo<T>(read: () => T): () => T {
  let cached: { value: T } | undefined;
  return () => (cached ??= { value: read() }).value;
}

export const config = {
  /** DynamoDB table holding one item per organization's active connection. */
  tableName: memo(() => required('TABLE_NAME')),
  /** KMS key (id, ARN or alias) that wraps data keys; Decrypt is pinned to it. */
  kmsKeyId: memo(() => required('KMS_KEY_ID')),
  /** JWT claim that carries the organization id. */
  orgClaim: memo(() => process.env.ORG_CLAIM || 'org_id'),
  /** Time allowed to open a warehouse connection (TCP + TLS + authentication). */
  connectTimeoutMs: memo(() => optionalInteger('WAREHOUSE_CONNECT_TIMEOUT_MS', 5_000, 100, 60_000)),
  /** Time allowed for each probe query. */
  statementTimeoutMs: memo(() => optionalInteger('WAREHOUSE_STATEMENT_TIMEOUT_MS', 5_000, 100, 60_000)),
  /** Hard deadline for one whole connection test, whatever the driver does. */
  testDeadlineMs: memo(() => optionalInteger('WAREHOUSE_TEST_DEADLINE_MS', 10_000, 500, 25_000)),
  /**
   * Where the drivers send Snowflake and BigQuery API calls. Unset in production (the drivers'
   * own endpoints); the tests point them at local stand-ins that speak the same protocol.
   */
  snowflakeAccessUrl: memo(() => process.env.WAREHOUSE_SNOWFLAKE_ACCESS_URL || undefined),
  bigqueryApiEndpoint: memo(() => process.env.WAREHOUSE_BIGQUERY_API_ENDPOINT || undefined),
  /** Private networks (and ports) that connection tests may reach (WAREHOUSE_ALLOWED_CIDRS="10.0.0.0/8:5432,..."). */
  allowedCidrs: memo(() => parseCidrList(process.env.WAREHOUSE_ALLOWED_CIDRS)),
  /**
   * Connection tests per organization: a steady rate per minute (0 turns the limit off) and a burst.
   * Tests are counted in windows of burst / rate minutes (30 a minute with bursts of 5: 5 tests per
   * 10 s), in DynamoDB, so the limit holds across Lambda instances.
   */
  testRatePerMinute: memo(() => optionalInteger('WAREHOUSE_TEST_RATE_PER_MINUTE', 30, 0, 10_000)),
  testBurst: memo(() => optionalInteger('WAREHOUSE_TEST_BURST', 5, 1, 10_000)),
  /** Per-attempt timeout of DynamoDB and KMS calls; retries stay inside the Lambda timeout. */
  awsRequestTimeoutMs: memo(() => optionalInteger('AWS_REQUEST_TIMEOUT_MS', 2_000, 100, 30_000)),
  awsConnectTimeoutMs: memo(() => optionalInteger('AWS_CONNECT_TIMEOUT_MS', 1_000, 100, 30_000)),
  awsMaxAttempts: memo(() => optionalInteger('AWS_MAX_ATTEMPTS', 3, 1, 10)),
};
