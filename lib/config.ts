import { parseAllowedNetwork } from './providers/allow-list.js';
import type { ProbeLimits } from './providers/verdict.js';
import type { TestLimit } from './store/connection-store.js';

/**
 * The service's configuration: read once per cold start from the environment by `loadConfig`,
 * validated whole (a missing or malformed variable fails the cold start naming it, never later
 * inside an SDK), and passed down from the composition root (lib/composition.ts). Nothing else in
 * lib/ reads the environment. The defaults are exported for the CDK stack, which writes the same
 * values into each function's environment.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface AwsClientSettings {
  /** Per-attempt timeout of DynamoDB and KMS calls; retries stay inside the Lambda timeout. */
  requestTimeoutMs: number;
  connectTimeoutMs: number;
  maxAttempts: number;
}

export interface ServiceConfig {
  /** DynamoDB table holding the organizations' connections. */
  tableName: string;
  /** DynamoDB table of audit records; functions without audit access have none. */
  auditTableName: string | undefined;
  /** How long an audit record is kept (the audit table's TTL). */
  auditRetentionDays: number;
  /** KMS key (id, ARN or alias) that wraps data keys; Decrypt is pinned to it. */
  kmsKeyId: string;
  /** JWT claim that carries the organization id. */
  orgClaim: string;
  logLevel: LogLevel;
  aws: AwsClientSettings;
  /** Limits, allowed networks and vendor endpoints of a connection test. */
  probe: ProbeLimits;
  /** Connection tests per organization and window; none when the rate is 0. */
  testLimit: TestLimit | undefined;
  /** Connections an organization may keep (named and not). */
  maxConnections: number;
  /** Names this deployment in the external ids it presents to customers' AWS roles (lib/aws/external-id.ts). */
  deploymentId: string;
  /** The role the service's tests run as: what a customer's role trusts. Unknown on one machine. */
  probeRoleArn: string | undefined;
  /** The resolve function's role, which a customer's role trusts too. Unknown on one machine. */
  resolverRoleArn: string | undefined;
}

export const DEFAULTS = {
  orgClaim: 'org_id',
  logLevel: 'info',
  aws: { requestTimeoutMs: 2_000, connectTimeoutMs: 1_000, maxAttempts: 3 },
  probe: { connectTimeoutMs: 5_000, statementTimeoutMs: 5_000, deadlineMs: 10_000 },
  /** 30 tests a minute in bursts of 5: 5 tests per 10 s window. */
  testRatePerMinute: 30,
  testBurst: 5,
  maxConnections: 200,
  auditRetentionDays: 365,
  /** The stack sets its name; one machine is `local`. */
  deploymentId: 'local',
} as const;

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

export class MissingConfigurationError extends Error {
  override name = 'MissingConfigurationError';
  constructor(variable: string) {
    super(`Environment variable ${variable} is required`);
  }
}

export class InvalidConfigurationError extends Error {
  override name = 'InvalidConfigurationError';
}

type Environment = Readonly<Record<string, string | undefined>>;

export function loadConfig(env: Environment): ServiceConfig {
  const read = reader(env);
  const testRatePerMinute = read.integer('WAREHOUSE_TEST_RATE_PER_MINUTE', DEFAULTS.testRatePerMinute, 0, 10_000);
  const testBurst = read.integer('WAREHOUSE_TEST_BURST', DEFAULTS.testBurst, 1, 10_000);
  return {
    tableName: read.required('TABLE_NAME'),
    auditTableName: read.optional('AUDIT_TABLE_NAME'),
    auditRetentionDays: read.integer('AUDIT_RETENTION_DAYS', DEFAULTS.auditRetentionDays, 1, 3_650),
    kmsKeyId: read.required('KMS_KEY_ID'),
    orgClaim: read.optional('ORG_CLAIM') ?? DEFAULTS.orgClaim,
    logLevel: read.choice('LOG_LEVEL', LOG_LEVELS, DEFAULTS.logLevel),
    aws: {
      requestTimeoutMs: read.integer('AWS_REQUEST_TIMEOUT_MS', DEFAULTS.aws.requestTimeoutMs, 100, 30_000),
      connectTimeoutMs: read.integer('AWS_CONNECT_TIMEOUT_MS', DEFAULTS.aws.connectTimeoutMs, 100, 30_000),
      maxAttempts: read.integer('AWS_MAX_ATTEMPTS', DEFAULTS.aws.maxAttempts, 1, 10),
    },
    probe: {
      connectTimeoutMs: read.integer('WAREHOUSE_CONNECT_TIMEOUT_MS', DEFAULTS.probe.connectTimeoutMs, 100, 60_000),
      statementTimeoutMs: read.integer('WAREHOUSE_STATEMENT_TIMEOUT_MS', DEFAULTS.probe.statementTimeoutMs, 100, 60_000),
      deadlineMs: read.integer('WAREHOUSE_TEST_DEADLINE_MS', DEFAULTS.probe.deadlineMs, 500, 25_000),
      allowedCidrs: read.parsed('WAREHOUSE_ALLOWED_CIDRS', parseCidrList),
      // Unset in production (the vendors' own endpoints); the tests point the drivers at stand-ins.
      ...optionalEntry('snowflakeAccessUrl', read.optional('WAREHOUSE_SNOWFLAKE_ACCESS_URL')),
      ...optionalEntry('bigqueryApiEndpoint', read.optional('WAREHOUSE_BIGQUERY_API_ENDPOINT')),
      ...optionalEntry('motherduckExtensionRepository', read.optional('WAREHOUSE_MOTHERDUCK_EXTENSION_REPOSITORY')),
    },
    testLimit: testRatePerMinute === 0 ? undefined : { tests: testBurst, windowSeconds: Math.ceil((testBurst * 60) / testRatePerMinute) },
    maxConnections: read.integer('WAREHOUSE_MAX_CONNECTIONS', DEFAULTS.maxConnections, 1, 1_000),
    deploymentId: read.optional('DEPLOYMENT_ID') ?? DEFAULTS.deploymentId,
    probeRoleArn: read.optional('PROBE_ROLE_ARN'),
    resolverRoleArn: read.optional('RESOLVER_ROLE_ARN'),
  };
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

function reader(env: Environment) {
  const optional = (variable: string) => {
    const value = env[variable];
    return value === undefined || value === '' ? undefined : value;
  };
  return {
    optional,
    required(variable: string): string {
      const value = optional(variable);
      if (value === undefined) throw new MissingConfigurationError(variable);
      return value;
    },
    integer(variable: string, fallback: number, min: number, max: number): number {
      const raw = optional(variable);
      if (raw === undefined) return fallback;
      const value = Number(raw);
      if (!Number.isInteger(value) || value < min || value > max) {
        throw new InvalidConfigurationError(`Environment variable ${variable} must be an integer from ${min} to ${max}, got "${raw}"`);
      }
      return value;
    },
    choice<T extends string>(variable: string, choices: readonly T[], fallback: T): T {
      const raw = optional(variable)?.toLowerCase();
      if (raw === undefined) return fallback;
      if (!choices.includes(raw as T))
        throw new InvalidConfigurationError(`Environment variable ${variable} must be one of ${choices.join(', ')}, got "${raw}"`);
      return raw as T;
    },
    parsed<T>(variable: string, parse: (raw: string | undefined) => T): T {
      try {
        return parse(optional(variable));
      } catch (error) {
        throw new InvalidConfigurationError(`Environment variable ${variable}: ${(error as Error).message}`);
      }
    },
  };
}

function optionalEntry<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}
