import { describe, expect, test } from '@jest/globals';
import { DEFAULTS, InvalidConfigurationError, loadConfig, MissingConfigurationError } from '../../lib/config.js';

/**
 * lib/config.ts's loadConfig: the defaults themselves (every other test sets its own), what each
 * variable overrides, and the variables it refuses, each failure naming the variable.
 */
const REQUIRED = { TABLE_NAME: 'connections', KMS_KEY_ID: 'alias/k' };

describe('configuration', () => {
  test('an environment with only the required variables gets the documented defaults', () => {
    expect(loadConfig(REQUIRED)).toEqual({
      tableName: 'connections',
      kmsKeyId: 'alias/k',
      orgClaim: 'org_id',
      logLevel: 'info',
      aws: { requestTimeoutMs: 2_000, connectTimeoutMs: 1_000, maxAttempts: 3 },
      probe: { connectTimeoutMs: 5_000, statementTimeoutMs: 5_000, deadlineMs: 10_000, allowedCidrs: [] },
      testLimit: { tests: 5, windowSeconds: 10 },
      maxConnections: 200,
      auditRetentionDays: 365,
      deploymentId: 'local',
    });
    expect(DEFAULTS.probe).toEqual({ connectTimeoutMs: 5_000, statementTimeoutMs: 5_000, deadlineMs: 10_000 });
  });

  test.each(['TABLE_NAME', 'KMS_KEY_ID'])('without %s the cold start fails naming it', (variable) => {
    const env: Record<string, string> = { ...REQUIRED };
    delete env[variable];
    expect(() => loadConfig(env)).toThrow(MissingConfigurationError);
    expect(() => loadConfig(env)).toThrow(variable);
  });

  test('every variable overrides its default', () => {
    const config = loadConfig({
      ...REQUIRED,
      ORG_CLAIM: 'custom:org_id',
      LOG_LEVEL: 'DEBUG',
      AWS_REQUEST_TIMEOUT_MS: '3000',
      AWS_CONNECT_TIMEOUT_MS: '500',
      AWS_MAX_ATTEMPTS: '2',
      WAREHOUSE_CONNECT_TIMEOUT_MS: '1000',
      WAREHOUSE_STATEMENT_TIMEOUT_MS: '2000',
      WAREHOUSE_TEST_DEADLINE_MS: '4000',
      WAREHOUSE_ALLOWED_CIDRS: '10.0.0.0/8:5432, 127.0.0.0/8',
      WAREHOUSE_SNOWFLAKE_ACCESS_URL: 'http://127.0.0.1:1',
      WAREHOUSE_BIGQUERY_API_ENDPOINT: 'http://127.0.0.1:2',
      WAREHOUSE_TEST_RATE_PER_MINUTE: '6',
      WAREHOUSE_TEST_BURST: '3',
      WAREHOUSE_MAX_CONNECTIONS: '20',
    });
    expect(config).toMatchObject({
      orgClaim: 'custom:org_id',
      logLevel: 'debug',
      aws: { requestTimeoutMs: 3_000, connectTimeoutMs: 500, maxAttempts: 2 },
      probe: {
        connectTimeoutMs: 1_000,
        statementTimeoutMs: 2_000,
        deadlineMs: 4_000,
        allowedCidrs: ['10.0.0.0/8:5432', '127.0.0.0/8'],
        snowflakeAccessUrl: 'http://127.0.0.1:1',
        bigqueryApiEndpoint: 'http://127.0.0.1:2',
      },
      testLimit: { tests: 3, windowSeconds: 30 },
      maxConnections: 20,
    });
    expect(loadConfig({ ...REQUIRED, WAREHOUSE_TEST_RATE_PER_MINUTE: '0' }).testLimit).toBeUndefined();
  });

  test.each([
    ['WAREHOUSE_TEST_DEADLINE_MS', '10s'],
    ['WAREHOUSE_TEST_DEADLINE_MS', '99999999'],
    ['AWS_MAX_ATTEMPTS', '0'],
    ['LOG_LEVEL', 'verbose'],
    ['WAREHOUSE_ALLOWED_CIDRS', '10.0.0.0/33'],
    ['WAREHOUSE_TEST_BURST', '0'],
    ['WAREHOUSE_MAX_CONNECTIONS', '0'],
  ])('%s=%s is refused, naming the variable', (variable, value) => {
    expect(() => loadConfig({ ...REQUIRED, [variable]: value })).toThrow(InvalidConfigurationError);
    expect(() => loadConfig({ ...REQUIRED, [variable]: value })).toThrow(variable);
  });
});
