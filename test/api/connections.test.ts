import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { connectionScenarios } from '../e2e/connection-scenarios.js';
import { postgresBody, SECRETS } from '../helpers/bodies.js';
import { capturedLogLines } from '../helpers/logs.js';
import { startTestApi, type TestApi } from '../helpers/transports.js';
import { startForwarder, type Forwarder } from '../fakes/tcp-forwarder.js';
import { testPostgresAddress } from '../setup/test-postgres-fixture.js';

/** The end-to-end scenarios against the local runtime, through all three transports. */
let testApi: TestApi;
let forwarder: Forwarder;
beforeAll(async () => {
  [testApi, forwarder] = await Promise.all([startTestApi(), startForwarder('127.0.0.1', testPostgresAddress())]);
});
afterAll(async () => {
  await Promise.all([testApi.close(), forwarder.close()]);
});

const newOrg = () => `org-${randomUUID().slice(0, 8)}`;

connectionScenarios({
  transportNames: ['handler', 'invoke', 'http'],
  transports: () => testApi.transports,
  organizations: async () => [newOrg(), newOrg()],
  postgres: () => ({ body: postgresBody(), verdict: { success: true, code: 'ok' } }),
  secondPostgresAddress: () => ({ host: '127.0.0.1', port: forwarder.port, arrivals: () => forwarder.arrivals.length }),
});

test('no secret reached a log line', () => {
  const logs = capturedLogLines().join('');
  expect(logs).toContain('"event":"connection.saved"');
  for (const secret of SECRETS) expect(logs).not.toContain(secret);
});
