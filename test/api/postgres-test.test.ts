import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { startBlackholeServer } from '../fakes/blackhole-server.js';
import type { LoopbackServer } from '../fakes/loopback-server.js';
import type { StageName } from '../../lib/providers/verdict.js';
import { postgresBody, SECRETS } from '../helpers/bodies.js';
import { stagesThrough } from '../helpers/stages.js';
import { capturedLogLines } from '../helpers/logs.js';
import { useTestApi, type Transport } from '../helpers/transports.js';
import { freePort } from '../setup/postgres-server.js';
import { TEST_POSTGRES } from '../setup/test-postgres-fixture.js';
import { ROUTE } from '../../lib/routes.js';

const { api, transport } = useTestApi();
const handler = transport('handler');

// Short budgets so the timeout paths finish quickly; read by the test function's first probe.
process.env.WAREHOUSE_CONNECT_TIMEOUT_MS = '1000';
process.env.WAREHOUSE_STATEMENT_TIMEOUT_MS = '1000';
process.env.WAREHOUSE_TEST_DEADLINE_MS = '3000';

const TEST_PATH = ROUTE.test.path;
let silentServer: LoopbackServer;
let silentPort: number;

beforeAll(async () => {
  // Accepts TCP connections and never says a word: the "host is up but hangs" case.
  silentServer = await startBlackholeServer();
  silentPort = silentServer.port;
});
afterAll(async () => {
  await silentServer.close();
});

async function testWith(transport: Transport, body: unknown) {
  const org = `org-${randomUUID().slice(0, 8)}`;
  const created = await transport.call({ org, method: 'POST', body });
  expect(created.status).toBe(201);
  const tested = await transport.call({ org, method: 'POST', path: TEST_PATH });
  return { org, tested, id: created.body!.id };
}

describe('testing a Postgres connection against a real server', () => {
  test.each(['handler', 'invoke', 'http'] as const)('valid credentials pass through %s, and the verdict is recorded', async (name) => {
    const transport = api().transports.find((candidate) => candidate.name === name)!;
    const { org, tested, id } = await testWith(transport, postgresBody());

    expect(tested.status).toBe(200);
    const stages = stagesThrough(['resolve', 'connect', 'authenticate', 'query', 'schema_access'], 'passed');
    expect(tested.body).toEqual({
      success: true,
      code: 'ok',
      stages,
      latency_ms: expect.any(Number),
      meta: { request_id: expect.any(String), organization_id: org },
    });
    const read = await transport.call({ org, method: 'GET' });
    expect(read.body!.connection).toMatchObject({ id, status: 'connected', last_tested_at: expect.any(String), stages });
  });

  const UNTIL_AUTHENTICATION = ['resolve', 'connect', 'authenticate'] as const;
  const UNTIL_SCHEMA = ['resolve', 'connect', 'authenticate', 'query', 'schema_access'] as const;
  test.each<[string, () => object, string, RegExp, readonly StageName[], string | undefined]>([
    [
      'a wrong password',
      () => postgresBody({}, { password: 'wrong-canary-password-41' }),
      'auth_failed',
      /Authentication failed for user 'wc_tester'/,
      UNTIL_AUTHENTICATION,
      undefined,
    ],
    [
      'an unknown user',
      () => postgresBody({}, { username: 'nobody' }),
      'auth_failed',
      /Authentication failed for user 'nobody'/,
      UNTIL_AUTHENTICATION,
      undefined,
    ],
    [
      'a missing database',
      () => postgresBody({}, { database: 'no_such_db' }),
      'object_not_found',
      /Database 'no_such_db' does not exist/,
      UNTIL_AUTHENTICATION,
      undefined,
    ],
    [
      'a missing schema',
      () => postgresBody({ dataset_id: 'no_such_schema' }),
      'object_not_found',
      /Schema 'no_such_schema' does not exist in database 'warehouse'/,
      UNTIL_SCHEMA,
      undefined,
    ],
    [
      'a schema without USAGE',
      () => postgresBody({ dataset_id: TEST_POSTGRES.lockedSchema }),
      'permission_denied',
      /Permission denied for schema 'locked'/,
      UNTIL_SCHEMA,
      `GRANT USAGE ON SCHEMA "locked" TO "${TEST_POSTGRES.username}";`,
    ],
    [
      'a database without CONNECT',
      () => postgresBody({}, { database: TEST_POSTGRES.privateDatabase }),
      'permission_denied',
      /lacks a privilege.*CONNECT on database 'private_db'/,
      UNTIL_AUTHENTICATION,
      `GRANT CONNECT ON DATABASE "private_db" TO "${TEST_POSTGRES.username}";`,
    ],
    [
      'a role over its connection limit',
      () => postgresBody({}, { username: TEST_POSTGRES.limitedUsername }),
      'warehouse_unavailable',
      /not accepting connections right now/,
      UNTIL_AUTHENTICATION,
      undefined,
    ],
    [
      'a database that accepts no connections',
      () => postgresBody({}, { database: TEST_POSTGRES.closedDatabase }),
      'warehouse_error',
      /SQLSTATE 55000/,
      UNTIL_AUTHENTICATION,
      undefined,
    ],
  ])('%s fails with a clear message, the stage it failed at and any grant to run', async (_, body, code, message, stages, hint) => {
    const { tested, org } = await testWith(handler, body());

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
    for (const secret of [...SECRETS, 'wrong-canary-password-41']) expect(tested.rawBody).not.toContain(secret);
    const read = await handler.call({ org, method: 'GET' });
    expect(read.body!.connection).toMatchObject({ status: 'failed' });
  });

  test('a server that hangs up at once is a network error', async () => {
    const hangUp = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => hangUp.listen(0, '127.0.0.1', resolve));
    try {
      const { tested } = await testWith(handler, postgresBody({}, { port: (hangUp.address() as { port: number }).port }));
      expect(tested.body).toMatchObject({ success: false, code: 'network_error', error: expect.stringContaining('closed unexpectedly') });
    } finally {
      await new Promise((resolve) => hangUp.close(resolve));
    }
  });

  test('a closed port is refused at once', async () => {
    const port = await freePort();
    const { tested } = await testWith(handler, postgresBody({}, { port }));
    expect(tested.body).toMatchObject({ success: false, code: 'connection_refused', error: expect.stringContaining(`127.0.0.1:${port}`) });
  });

  test('a server that accepts and never answers ends in a timeout within the budget', async () => {
    const { tested } = await testWith(handler, postgresBody({}, { port: silentPort }));
    expect(tested.status).toBe(400);
    expect(tested.body).toMatchObject({
      success: false,
      code: 'timeout',
      error: expect.stringMatching(/did not (finish|answer) within 1 s/),
    });
    expect(tested.body!.latency_ms).toBeLessThan(3000);
  });

  test('a test that finishes after the connection was replaced does not touch the new one', async () => {
    const org = `org-${randomUUID().slice(0, 8)}`;
    await handler.call({ org, method: 'POST', body: postgresBody({}, { port: silentPort }) });
    const slowTest = handler.call({ org, method: 'POST', path: TEST_PATH });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const replaced = await handler.call({ org, method: 'POST', body: postgresBody() });
    expect((await slowTest).body).toMatchObject({ success: false, code: 'timeout' });

    const read = await handler.call({ org, method: 'GET' });
    expect(read.body!.connection).toMatchObject({ id: replaced.body!.id, status: null, last_tested_at: null });
  });

  test('neither responses nor logs ever carried a password', () => {
    const logs = capturedLogLines().join('');
    expect(logs).toContain('"event":"connection.tested"');
    for (const secret of [...SECRETS, 'wrong-canary-password-41']) expect(logs).not.toContain(secret);
  });
});
