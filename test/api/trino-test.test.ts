import { describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { StageName } from '../../lib/providers/verdict.js';
import { ROUTE } from '../../lib/routes.js';
import { SECRETS, trinoBody } from '../helpers/bodies.js';
import { capturedLogLines } from '../helpers/logs.js';
import { stagesThrough } from '../helpers/stages.js';
import { useTestApi, type Transport } from '../helpers/transports.js';
import { TEST_TRINO } from '../setup/trino-fixture.js';

/**
 * POST /connections/test for a trino connection, through the test function, against the Trino
 * stand-in of the global setup (HTTPS, password authentication): the verdict, its stages and hint,
 * and what GET shows after. Every failure of the probe is covered in test/providers/trino.test.ts;
 * here the API's view of it.
 */
const { api, transport } = useTestApi();
const handler = transport('handler');
const TEST_PATH = ROUTE.test.path;
const WRONG_PASSWORD = 'wrong-canary-trino-password-23';
const ALL_STAGES: readonly StageName[] = ['resolve', 'connect', 'tls', 'authenticate', 'query', 'schema_access'];

async function testWith(through: Transport, body: unknown) {
  const org = `org-${randomUUID().slice(0, 8)}`;
  const created = await through.call({ org, method: 'POST', body });
  expect(created.status).toBe(201);
  const tested = await through.call({ org, method: 'POST', path: TEST_PATH });
  return { org, created, tested };
}

describe('testing a Trino connection through the API', () => {
  test.each(['handler', 'invoke', 'http'] as const)(
    'valid credentials pass through %s; GET shows the stages, never the password',
    async (name) => {
      const through = api().transports.find((candidate) => candidate.name === name)!;
      const { org, created, tested } = await testWith(through, trinoBody());

      expect(created.body).toMatchObject({ provider: 'trino', dataset_id: TEST_TRINO.schema });
      expect(created.rawBody).not.toContain(TEST_TRINO.password);
      expect(tested.status).toBe(200);
      expect(tested.body).toEqual({
        success: true,
        code: 'ok',
        stages: stagesThrough(ALL_STAGES, 'passed'),
        latency_ms: expect.any(Number),
        meta: { request_id: expect.any(String), organization_id: org },
      });
      const read = await through.call({ org, method: 'GET' });
      expect(read.body!.connection).toMatchObject({ provider: 'trino', status: 'connected', stages: stagesThrough(ALL_STAGES, 'passed') });
      expect(read.rawBody).not.toContain(TEST_TRINO.password);
    },
  );

  test.each<[string, () => object, string, RegExp, readonly StageName[], string | undefined]>([
    [
      'a wrong password',
      () => trinoBody({}, { password: WRONG_PASSWORD }),
      'auth_failed',
      /^Authentication failed for user 'wc_analyst'/,
      ['resolve', 'connect', 'tls', 'authenticate'],
      undefined,
    ],
    [
      'a schema the user may not list',
      () => trinoBody({ dataset_id: TEST_TRINO.privateSchema }),
      'permission_denied',
      /may not list the tables of schema "lakehouse"\."finance"/,
      ALL_STAGES,
      'GRANT SELECT ON SCHEMA "lakehouse"."finance" TO USER "wc_analyst";',
    ],
    [
      'a catalog that does not exist',
      () => trinoBody({}, { catalog: TEST_TRINO.missingCatalog }),
      'object_not_found',
      /^Catalog 'nowhere' does not exist/,
      ALL_STAGES,
      undefined,
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

  test('a new catalog or schema needs no password; a new host does (it is where the password goes)', async () => {
    const { org } = await testWith(handler, trinoBody());
    const looked = await handler.call({ org, method: 'PATCH', body: { dataset_id: 'empty', credentials: { catalog: 'system' } } });
    expect(looked.status).toBe(200);
    const moved = await handler.call({ org, method: 'PATCH', body: { credentials: { host: '127.0.0.1' } } });
    expect(moved.status).toBe(400);
    expect(moved.body).toMatchObject({ code: 'secret_required', field: 'credentials.password' });
  });

  test('neither responses nor logs ever carried a password', () => {
    const logs = capturedLogLines().join('');
    expect(logs).toContain('"event":"connection.tested"');
    for (const secret of [...SECRETS, WRONG_PASSWORD]) expect(logs).not.toContain(secret);
  });
});
