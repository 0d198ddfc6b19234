import { describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { ROUTE } from '../../lib/routes.js';
import type { StageName } from '../../lib/providers/verdict.js';
import { redshiftBody, SECRETS } from '../helpers/bodies.js';
import { capturedLogLines } from '../helpers/logs.js';
import { stagesThrough } from '../helpers/stages.js';
import { useTestApi, type Transport } from '../helpers/transports.js';
import { TEST_POSTGRES } from '../setup/test-postgres-fixture.js';

/**
 * A Redshift connection with a password, created and tested through the API against the real
 * PostgreSQL of the test setup (Redshift speaks its wire protocol): the verdict, its stages and
 * hint, and what GET shows of the last test.
 */
const { api, transport } = useTestApi();
const handler = transport('handler');
const TEST_PATH = ROUTE.test.path;
const WRONG_PASSWORD = 'wrong-canary-password-redshift';

async function testWith(through: Transport, body: unknown) {
  const org = `org-${randomUUID().slice(0, 8)}`;
  const created = await through.call({ org, method: 'POST', body });
  expect(created.status).toBe(201);
  const tested = await through.call({ org, method: 'POST', path: TEST_PATH });
  return { org, created, tested };
}

describe('testing a Redshift connection (password) through the API', () => {
  test.each(['handler', 'invoke', 'http'] as const)('valid credentials pass through %s; GET shows the stages of the test', async (name) => {
    const through = api().transports.find((candidate) => candidate.name === name)!;
    const { org, created, tested } = await testWith(through, redshiftBody());

    expect(created.body).toMatchObject({ provider: 'redshift', dataset_id: TEST_POSTGRES.schema });
    expect(JSON.stringify(created.body)).not.toContain('password');
    const stages = stagesThrough(['resolve', 'connect', 'tls', 'authenticate', 'query', 'schema_access'], 'passed');
    expect(tested.status).toBe(200);
    expect(tested.body).toEqual({
      success: true,
      code: 'ok',
      stages,
      latency_ms: expect.any(Number),
      meta: { request_id: expect.any(String), organization_id: org },
    });
    const read = await through.call({ org, method: 'GET' });
    expect(read.body!.connection).toMatchObject({ provider: 'redshift', status: 'connected', stages });
  });

  const UNTIL_AUTHENTICATION: readonly StageName[] = ['resolve', 'connect', 'tls', 'authenticate'];
  const UNTIL_SCHEMA: readonly StageName[] = ['resolve', 'connect', 'tls', 'authenticate', 'query', 'schema_access'];
  test.each<[string, () => object, string, RegExp, readonly StageName[], string | undefined]>([
    [
      'a wrong password',
      () => redshiftBody({}, { password: WRONG_PASSWORD }),
      'auth_failed',
      /^Authentication failed for user 'wc_tester'/,
      UNTIL_AUTHENTICATION,
      undefined,
    ],
    [
      'a schema without USAGE',
      () => redshiftBody({ dataset_id: TEST_POSTGRES.lockedSchema }),
      'permission_denied',
      /^Permission denied for schema 'locked'\.$/,
      UNTIL_SCHEMA,
      `GRANT USAGE ON SCHEMA "locked" TO "${TEST_POSTGRES.username}";`,
    ],
    [
      'a missing schema',
      () => redshiftBody({ dataset_id: 'no_such_schema' }),
      'object_not_found',
      /^Schema 'no_such_schema' does not exist in database 'warehouse'\.$/,
      UNTIL_SCHEMA,
      undefined,
    ],
  ])(
    '%s is a 400 with the code, the stage it failed at and any grant to run; GET shows it failed',
    async (_, body, code, error, stages, hint) => {
      const { org, tested } = await testWith(handler, body());

      expect(tested.status).toBe(400);
      expect(tested.body).toEqual({
        success: false,
        code,
        error: expect.stringMatching(error),
        ...(hint === undefined ? {} : { hint }),
        stages: stagesThrough(stages, 'failed'),
        latency_ms: expect.any(Number),
        meta: { request_id: expect.any(String), organization_id: org },
      });
      for (const secret of [...SECRETS, WRONG_PASSWORD]) expect(tested.rawBody).not.toContain(secret);
      const read = await handler.call({ org, method: 'GET' });
      expect(read.body!.connection).toMatchObject({ status: 'failed', stages: stagesThrough(stages, 'failed') });
    },
  );

  test('neither responses nor logs carried a password', () => {
    const logs = capturedLogLines().join('');
    expect(logs).toContain('"provider":"redshift"');
    for (const secret of [...SECRETS, WRONG_PASSWORD]) expect(logs).not.toContain(secret);
  });
});
