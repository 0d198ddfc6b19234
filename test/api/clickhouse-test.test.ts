import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { StageName } from '../../lib/providers/verdict.js';
import { ROUTE } from '../../lib/routes.js';
import { makeClickhouseCertificates, type ClickhouseCertificates } from '../fakes/clickhouse-certificates.js';
import { startClickhouseStandIn, type ClickhouseStandIn } from '../fakes/clickhouse-server.js';
import { CANARY, clickhouseBody, SECRETS } from '../helpers/bodies.js';
import { capturedLogLines } from '../helpers/logs.js';
import { stagesThrough } from '../helpers/stages.js';
import { useTestApi, type Transport } from '../helpers/transports.js';

/**
 * POST /connections/test for a clickhouse connection, through the test function, against a
 * loopback stand-in for ClickHouse's HTTP interface serving HTTPS: the verdict, its stages and
 * hint, and what GET shows after. The probe's every failure is covered in
 * test/providers/clickhouse.test.ts; here the API's view of it.
 */
const { api, transport } = useTestApi();
const handler = transport('handler');
const TEST_PATH = ROUTE.test.path;
const WRONG_PASSWORD = 'wrong-canary-clickhouse-password-47';

let certificates: ClickhouseCertificates;
let server: ClickhouseStandIn;

beforeAll(async () => {
  certificates = await makeClickhouseCertificates();
  server = await startClickhouseStandIn({
    users: { wc_reader: { password: CANARY.clickhousePassword, databases: ['analytics'], readonly: true } },
    databases: ['default', 'analytics', 'private_db'],
    tls: { key: certificates.serverKey, cert: certificates.serverCertificate },
  });
});

afterAll(async () => {
  await server.close();
});

const body = (overrides: Record<string, unknown> = {}, credentials: Record<string, unknown> = {}) =>
  clickhouseBody(overrides, {
    host: 'localhost',
    port: server.port,
    ssl_mode: 'verify-full',
    ca_certificate: certificates.ca,
    ...credentials,
  });

async function testWith(through: Transport, request: unknown) {
  const org = `org-${randomUUID().slice(0, 8)}`;
  const created = await through.call({ org, method: 'POST', body: request });
  expect(created.status).toBe(201);
  const tested = await through.call({ org, method: 'POST', path: TEST_PATH });
  return { org, tested, id: created.body!.id };
}

describe('testing a ClickHouse connection against a stand-in for its HTTP interface', () => {
  test.each(['handler', 'invoke', 'http'] as const)('valid credentials pass through %s, and the verdict is recorded', async (name) => {
    const through = api().transports.find((candidate) => candidate.name === name)!;
    const { org, tested, id } = await testWith(through, body());

    expect(tested.status).toBe(200);
    const stages = stagesThrough(['resolve', 'connect', 'tls', 'authenticate', 'query', 'schema_access'], 'passed');
    expect(tested.body).toEqual({
      success: true,
      code: 'ok',
      stages,
      latency_ms: expect.any(Number),
      meta: { request_id: expect.any(String), organization_id: org },
    });
    const read = await through.call({ org, method: 'GET' });
    expect(read.body!.connection).toMatchObject({
      id,
      provider: 'clickhouse',
      status: 'connected',
      last_tested_at: expect.any(String),
      stages,
    });
    expect(JSON.stringify(read.body)).not.toContain(CANARY.clickhousePassword);
  });

  test.each<[string, () => object, string, RegExp, readonly StageName[], string | undefined]>([
    [
      'a wrong password',
      () => body({}, { password: WRONG_PASSWORD }),
      'auth_failed',
      /Authentication failed for user 'wc_reader'/,
      ['resolve', 'connect', 'tls', 'authenticate'],
      undefined,
    ],
    [
      'a database the user holds no privilege on',
      () => body({ dataset_id: 'private_db' }),
      'permission_denied',
      /holds no privilege on database 'private_db'/,
      ['resolve', 'connect', 'tls', 'authenticate', 'query', 'schema_access'],
      'GRANT SELECT ON `private_db`.* TO `wc_reader`;',
    ],
  ])('%s: a 400 with the code, the stages, any hint; GET shows the failed test', async (_, request, code, message, stages, hint) => {
    const { org, tested } = await testWith(handler, request());

    expect(tested.status).toBe(400);
    expect(tested.body).toEqual({
      success: false,
      code,
      error: expect.stringMatching(message),
      ...(hint === undefined ? {} : { hint }),
      stages: stagesThrough(stages, 'failed'),
      latency_ms: expect.any(Number),
      meta: { request_id: expect.any(String), organization_id: org },
    });
    for (const secret of [...SECRETS, WRONG_PASSWORD]) expect(tested.rawBody).not.toContain(secret);
    const read = await handler.call({ org, method: 'GET' });
    expect(read.body!.connection).toMatchObject({ status: 'failed', stages: stagesThrough(stages, 'failed') });
  });

  test('neither responses nor logs ever carried a password', () => {
    const logs = capturedLogLines().join('');
    expect(logs).toContain('"event":"connection.tested"');
    for (const secret of [...SECRETS, WRONG_PASSWORD]) expect(logs).not.toContain(secret);
  });
});
