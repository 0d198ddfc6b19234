import { describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { StageName } from '../../lib/providers/verdict.js';
import { ROUTE } from '../../lib/routes.js';
import { mysqlBody, SECRETS } from '../helpers/bodies.js';
import { capturedLogLines } from '../helpers/logs.js';
import { stagesThrough } from '../helpers/stages.js';
import { useTestApi, type Transport } from '../helpers/transports.js';
import { TEST_MYSQL, testMysqlCertificateAuthorities } from '../setup/test-mysql-fixture.js';

/**
 * POST /connections/test for a mysql connection, through the test function, against the real
 * MariaDB server of the test setup: the verdict, its stages and hint, and what GET shows after.
 * The probe's every failure is covered in test/providers/mysql.test.ts; here the API's view of it.
 */
const { api, transport } = useTestApi();
const handler = transport('handler');
const TEST_PATH = ROUTE.test.path;
const WRONG_PASSWORD = 'wrong-canary-mysql-password-23';

async function testWith(through: Transport, body: unknown) {
  const org = `org-${randomUUID().slice(0, 8)}`;
  const created = await through.call({ org, method: 'POST', body });
  expect(created.status).toBe(201);
  const tested = await through.call({ org, method: 'POST', path: TEST_PATH });
  return { org, tested, id: created.body!.id };
}

describe('testing a MySQL connection against a real MariaDB server', () => {
  test.each(['handler', 'invoke', 'http'] as const)('valid credentials pass through %s, and the verdict is recorded', async (name) => {
    const through = api().transports.find((candidate) => candidate.name === name)!;
    const body = mysqlBody({}, { ssl_mode: 'verify-full', host: 'localhost', ca_certificate: testMysqlCertificateAuthorities().ca });
    const { org, tested, id } = await testWith(through, body);

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
    expect(read.body!.connection).toMatchObject({ id, provider: 'mysql', status: 'connected', last_tested_at: expect.any(String), stages });
  });

  test.each<[string, () => object, string, RegExp, readonly StageName[], string | undefined]>([
    [
      'a wrong password',
      () => mysqlBody({}, { password: WRONG_PASSWORD }),
      'auth_failed',
      /Authentication failed for user 'wc_tester'/,
      ['resolve', 'connect', 'authenticate'],
      undefined,
    ],
    [
      'a schema the user holds no privilege on',
      () => mysqlBody({ dataset_id: TEST_MYSQL.privateSchema }),
      'permission_denied',
      /no privilege on schema 'private_db'/,
      ['resolve', 'connect', 'authenticate', 'query', 'schema_access'],
      "GRANT SELECT ON `private_db`.* TO 'wc_tester'@'%';",
    ],
  ])('%s: a 400 with the code, the stages, any hint; GET shows the failed test', async (_, body, code, message, stages, hint) => {
    const { org, tested } = await testWith(handler, body());

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
