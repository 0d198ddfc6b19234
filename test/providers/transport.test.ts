import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { classifyBigQueryFailure, bigqueryEndpoint } from '../../lib/providers/bigquery/failures.js';
import { loadProbe } from '../../lib/providers/probe-loaders.js';
import { runProbe } from '../../lib/providers/probe.js';
import { stagesThrough } from '../helpers/stages.js';
import { loadSnowflakeDriver } from '../../lib/providers/snowflake/driver.js';
import { classifySnowflakeFailure, snowflakeEndpoint } from '../../lib/providers/snowflake/failures.js';
import type { FailureCode, ProbeLimits } from '../../lib/providers/verdict.js';
import { parseConnectionRequest, type ConnectionDefinition } from '../../lib/schema/connection.js';
import { startFakeBigQuery, type FakeBigQuery } from '../fakes/bigquery-server.js';
import { RsaKeyPool } from '../fakes/keys.js';
import { startFakeSnowflake, type FakeSnowflake } from '../fakes/snowflake-server.js';
import { watchEgress } from './egress-guard.js';
import { expectNoSecrets, watchOutput } from './leak-guard.js';

/**
 * Failures below HTTP. Here both drivers are pointed at https:// URLs whose servers speak plain
 * HTTP, so the TLS handshake really fails; a file of its own because the endpoints are read once
 * per file. A failed DNS lookup cannot be staged on loopback without sending a query to a real
 * resolver, so host_not_found is checked on the errors each driver reports for it.
 */

/**
 * What these probes wait for is one TLS handshake with a loopback server that answers at once.
 * The drivers are loaded before any probe runs (loading snowflake-sdk under CPU load took longer
 * than the old 5 s deadline), and the limits only stop a probe that hangs: a verdict that comes
 * earlier is not waited for, so they can be generous without slowing anything.
 */
const LIMITS: ProbeLimits = { connectTimeoutMs: 10_000, statementTimeoutMs: 10_000, deadlineMs: 20_000 };
let limits: ProbeLimits = LIMITS;
const keys = new RsaKeyPool(2048);
const PASSWORD = 'canary-transport-password-7f3a91';

let snowflake: FakeSnowflake;
let bigquery: FakeBigQuery;
let snowflakeDefinition: Extract<ConnectionDefinition, { provider: 'snowflake' }>;
let bigqueryDefinition: Extract<ConnectionDefinition, { provider: 'bigquery' }>;

beforeAll(async () => {
  await Promise.all([loadSnowflakeDriver(), import('@google-cloud/bigquery'), keys.fill(2)]);
  [snowflake, bigquery] = await Promise.all([
    startFakeSnowflake({
      account: 'TESTORG-TESTACCOUNT',
      users: { U: { password: PASSWORD, roles: ['PUBLIC'], defaultRole: 'PUBLIC' } },
      warehouses: {},
      databases: {},
    }),
    startFakeBigQuery([], []),
  ]);
  // HTTPS toward stand-ins that only speak HTTP.
  limits = {
    ...LIMITS,
    snowflakeAccessUrl: snowflake.accessUrl.replace(/^http:/, 'https:'),
    bigqueryApiEndpoint: bigquery.apiEndpoint.replace(/^http:/, 'https:'),
  };
  snowflakeDefinition = (await parseConnectionRequest(snowflakeBody)) as Extract<ConnectionDefinition, { provider: 'snowflake' }>;
  bigqueryDefinition = (await parseConnectionRequest(bigqueryBody(keys.take().privateKeyPem))) as Extract<
    ConnectionDefinition,
    { provider: 'bigquery' }
  >;
}, 60_000);

afterAll(async () => {
  await Promise.all([snowflake.close(), bigquery.close()]);
});

const snowflakeBody = {
  provider: 'snowflake',
  credentials: { account: 'testorg-testaccount', username: 'u', password: PASSWORD, warehouse: 'wh', database: 'db' },
};

function bigqueryBody(privateKey: string) {
  return {
    provider: 'bigquery',
    project_id: 'probe-project-1',
    dataset_id: 'analytics',
    credentials: {
      type: 'service_account',
      project_id: 'probe-project-1',
      private_key: privateKey,
      client_email: 'sa@probe-project-1.iam.gserviceaccount.com',
    },
  };
}

describe('a server that does not speak TLS', () => {
  test('Snowflake -> tls_error', async () => {
    const probe = await loadProbe('snowflake');
    const { value: result, destinations } = await watchEgress(() => watchOutput(() => runProbe(probe, snowflakeDefinition, limits)));
    expect(destinations.every((destination) => destination.startsWith('127.0.0.1:'))).toBe(true);
    expect(result.verdict).toEqual({
      success: false,
      code: 'tls_error',
      stages: stagesThrough(['sign_in'], 'failed'),
      error: expect.stringMatching(/^The TLS handshake with 127\.0\.0\.1:\d+ \(Snowflake account 'testorg-testaccount'\) failed/),
    });
    expectNoSecrets(result, [PASSWORD]);
    expect(snowflake.requests.every((call) => call.path !== '/session/v1/login-request')).toBe(true);
  });

  test('BigQuery -> tls_error', async () => {
    const probe = await loadProbe('bigquery');
    const { value: result, destinations } = await watchEgress(() => watchOutput(() => runProbe(probe, bigqueryDefinition, limits)));
    expect(destinations.every((destination) => destination.startsWith('127.0.0.1:'))).toBe(true);
    expect(result.verdict).toEqual({
      success: false,
      code: 'tls_error',
      stages: stagesThrough(['sign_in', 'query'], 'failed'),
      error: expect.stringMatching(/^The TLS handshake with 127\.0\.0\.1:\d+ \(the BigQuery API\) failed/),
    });
    expectNoSecrets(result, bigqueryDefinition.credentials.private_key.split('\n').slice(2, 4));
    expect(bigquery.calls).toHaveLength(0);
  });
});

describe('failures classified from the errors the drivers report', () => {
  const snowflakeContext = (account = 'testorg-testaccount') => ({
    definition: snowflakeDefinition,
    limits: LIMITS,
    endpoint: snowflakeEndpoint(account, undefined),
    stage: 'login' as const,
  });
  const bigqueryContext = () => ({
    definition: bigqueryDefinition,
    limits: LIMITS,
    endpoint: bigqueryEndpoint(undefined),
    stage: 'query' as const,
  });

  // Shapes as snowflake-sdk (NetworkError wrapping the axios error) and node-fetch (FetchError) build them.
  const snowflakeNetworkError = (code: string) =>
    Object.assign(new Error(`getaddrinfo ${code} testorg-testaccount.snowflakecomputing.com`), {
      name: 'NetworkError',
      code: 401001,
      cause: { code },
    });
  const fetchError = (code: string) =>
    Object.assign(new Error(`request to https://bigquery.googleapis.com/ failed, reason: getaddrinfo ${code}`), {
      name: 'FetchError',
      type: 'system',
      code,
      errno: code,
    });

  test.each<[string, () => unknown, 'snowflake' | 'bigquery', FailureCode, RegExp]>([
    [
      'Snowflake account host does not resolve',
      () => snowflakeNetworkError('ENOTFOUND'),
      'snowflake',
      'host_not_found',
      /^The host 'testorg-testaccount\.snowflakecomputing\.com' .* could not be resolved\. Check the account identifier/,
    ],
    [
      'Snowflake DNS lookup fails temporarily',
      () => snowflakeNetworkError('EAI_AGAIN'),
      'snowflake',
      'host_not_found',
      /could not be resolved/,
    ],
    ['Snowflake host unreachable', () => snowflakeNetworkError('EHOSTUNREACH'), 'snowflake', 'network_error', /is not reachable/],
    [
      'Snowflake certificate revoked (OCSP)',
      () => Object.assign(new Error('revoked'), { name: 'OCSPError', code: 412001 }),
      'snowflake',
      'tls_error',
      /revocation check/,
    ],
    [
      'BigQuery API host does not resolve',
      () => fetchError('ENOTFOUND'),
      'bigquery',
      'host_not_found',
      /^The host 'bigquery\.googleapis\.com' \(the BigQuery API\) could not be resolved/,
    ],
    ['BigQuery host unreachable', () => fetchError('ENETUNREACH'), 'bigquery', 'network_error', /is not reachable/],
    ['BigQuery certificate expired', () => fetchError('CERT_HAS_EXPIRED'), 'bigquery', 'tls_error', /TLS handshake/],
  ])('%s', (_, error, provider, code, message) => {
    const failure =
      provider === 'snowflake'
        ? classifySnowflakeFailure(error(), snowflakeContext())
        : classifyBigQueryFailure(error(), bigqueryContext());
    expect(failure.code).toBe(code);
    expect(failure.message).toMatch(message);
    expect(failure.message).not.toMatch(/getaddrinfo|request to|revoked/); // the driver's text stays out
  });
});

describe('a Snowflake account in China is named by the host the driver connects to', () => {
  test('xy1.cn-north-1 resolves as xy1.cn-north-1.snowflakecomputing.cn, and the message says so', () => {
    const error = Object.assign(new Error('getaddrinfo ENOTFOUND'), { name: 'NetworkError', code: 401001, cause: { code: 'ENOTFOUND' } });
    const failure = classifySnowflakeFailure(error, {
      definition: snowflakeDefinition,
      limits: LIMITS,
      endpoint: snowflakeEndpoint('xy1.cn-north-1', undefined),
      stage: 'login',
    });
    expect(failure.message).toMatch(
      /^The host 'xy1\.cn-north-1\.snowflakecomputing\.cn' \(Snowflake account 'xy1\.cn-north-1'\) could not be resolved/,
    );
  });
});
