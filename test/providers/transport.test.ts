import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { classifyBigQueryFailure, bigqueryEndpoint } from '../../lib/providers/bigquery-failures.js';
import { loadProbe, runProbe } from '../../lib/providers/probe.js';
import { classifySnowflakeFailure, snowflakeEndpoint } from '../../lib/providers/snowflake-failures.js';
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

const LIMITS: ProbeLimits = { connectTimeoutMs: 2_000, statementTimeoutMs: 2_000, deadlineMs: 5_000 };
const keys = new RsaKeyPool(1024);
const PASSWORD = 'canary-transport-password-7f3a91';

let snowflake: FakeSnowflake;
let bigquery: FakeBigQuery;

beforeAll(async () => {
  [snowflake, bigquery] = await Promise.all([
    startFakeSnowflake({ account: 'TESTORG-TESTACCOUNT', users: { U: { password: PASSWORD, roles: ['PUBLIC'], defaultRole: 'PUBLIC' } }, warehouses: {}, databases: {} }),
    startFakeBigQuery([], []),
  ]);
  process.env.WAREHOUSE_SNOWFLAKE_ACCESS_URL = snowflake.accessUrl.replace(/^http:/, 'https:');
  process.env.WAREHOUSE_BIGQUERY_API_ENDPOINT = bigquery.apiEndpoint.replace(/^http:/, 'https:');
});

afterAll(async () => {
  await Promise.all([snowflake.close(), bigquery.close()]);
});

const snowflakeBody = { provider: 'snowflake', credentials: { account: 'testorg-testaccount', username: 'u', password: PASSWORD, warehouse: 'wh', database: 'db' } };

function bigqueryBody(privateKey: string) {
  return {
    provider: 'bigquery',
    project_id: 'probe-project-1',
    dataset_id: 'analytics',
    credentials: { type: 'service_account', project_id: 'probe-project-1', private_key: privateKey, client_email: 'sa@probe-project-1.iam.gserviceaccount.com' },
  };
}

describe('a server that does not speak TLS', () => {
  test('Snowflake -> tls_error', async () => {
    const probe = await loadProbe('snowflake');
    const { value: result, destinations } = await watchEgress(() => watchOutput(() => runProbe(probe, parseConnectionRequest(snowflakeBody), LIMITS)));
    expect(destinations.every((destination) => destination.startsWith('127.0.0.1:'))).toBe(true);
    expect(result.verdict).toEqual({ success: false, code: 'tls_error', error: expect.stringMatching(/^The TLS handshake with 127\.0\.0\.1:\d+ \(Snowflake account 'testorg-testaccount'\) failed/) });
    expectNoSecrets(result, [PASSWORD]);
    expect(snowflake.requests.every((call) => call.path !== '/session/v1/login-request')).toBe(true);
  });

  test('BigQuery -> tls_error', async () => {
    const key = keys.take();
    const probe = await loadProbe('bigquery');
    const { value: result, destinations } = await watchEgress(() => watchOutput(() => runProbe(probe, parseConnectionRequest(bigqueryBody(key.privateKeyPem)), LIMITS)));
    expect(destinations.every((destination) => destination.startsWith('127.0.0.1:'))).toBe(true);
    expect(result.verdict).toEqual({ success: false, code: 'tls_error', error: expect.stringMatching(/^The TLS handshake with 127\.0\.0\.1:\d+ \(the BigQuery API\) failed/) });
    expectNoSecrets(result, key.privateKeyPem.split('\n').slice(2, 4));
    expect(bigquery.calls).toHaveLength(0);
  });
});

describe('failures classified from the errors the drivers report', () => {
  const snowflakeDefinition = parseConnectionRequest(snowflakeBody) as Extract<ConnectionDefinition, { provider: 'snowflake' }>;
  const bigqueryDefinition = parseConnectionRequest(bigqueryBody(keys.take().privateKeyPem)) as Extract<ConnectionDefinition, { provider: 'bigquery' }>;
  const snowflakeContext = { definition: snowflakeDefinition, limits: LIMITS, endpoint: snowflakeEndpoint('testorg-testaccount', undefined), stage: 'login' as const };
  const bigqueryContext = { definition: bigqueryDefinition, limits: LIMITS, endpoint: bigqueryEndpoint(undefined), stage: 'query' as const };

  // Shapes as snowflake-sdk (NetworkError wrapping the axios error) and node-fetch (FetchError) build them.
  const snowflakeNetworkError = (code: string) => Object.assign(new Error(`getaddrinfo ${code} testorg-testaccount.snowflakecomputing.com`), { name: 'NetworkError', code: 401001, cause: { code } });
  const fetchError = (code: string) => Object.assign(new Error(`request to https://bigquery.googleapis.com/ failed, reason: getaddrinfo ${code}`), { name: 'FetchError', type: 'system', code, errno: code });

  test.each<[string, () => unknown, 'snowflake' | 'bigquery', FailureCode, RegExp]>([
    ['Snowflake account host does not resolve', () => snowflakeNetworkError('ENOTFOUND'), 'snowflake', 'host_not_found', /^The host 'testorg-testaccount\.snowflakecomputing\.com' .* could not be resolved\. Check the account identifier/],
    ['Snowflake DNS lookup fails temporarily', () => snowflakeNetworkError('EAI_AGAIN'), 'snowflake', 'host_not_found', /could not be resolved/],
    ['Snowflake host unreachable', () => snowflakeNetworkError('EHOSTUNREACH'), 'snowflake', 'network_error', /is not reachable/],
    ['Snowflake certificate revoked (OCSP)', () => Object.assign(new Error('revoked'), { name: 'OCSPError', code: 412001 }), 'snowflake', 'tls_error', /revocation check/],
    ['BigQuery API host does not resolve', () => fetchError('ENOTFOUND'), 'bigquery', 'host_not_found', /^The host 'bigquery\.googleapis\.com' \(the BigQuery API\) could not be resolved/],
    ['BigQuery host unreachable', () => fetchError('ENETUNREACH'), 'bigquery', 'network_error', /is not reachable/],
    ['BigQuery certificate expired', () => fetchError('CERT_HAS_EXPIRED'), 'bigquery', 'tls_error', /TLS handshake/],
  ])('%s', (_, error, provider, code, message) => {
    const failure = provider === 'snowflake' ? classifySnowflakeFailure(error(), snowflakeContext) : classifyBigQueryFailure(error(), bigqueryContext);
    expect(failure.code).toBe(code);
    expect(failure.message).toMatch(message);
    expect(failure.message).not.toMatch(/getaddrinfo|request to|revoked/); // the driver's text stays out
  });
});
