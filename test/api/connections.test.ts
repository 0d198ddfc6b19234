import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { connectionScenarios } from '../e2e/connection-scenarios.js';
import { postgresBody, SECRETS } from '../helpers/bodies.js';
import { capturedLogLines } from '../helpers/logs.js';
import { startTestApi, type TestApi } from '../helpers/transports.js';

/** The end-to-end scenarios against the local runtime, through all three transports. */
let testApi: TestApi;
beforeAll(async () => {
  testApi = await startTestApi();
});
afterAll(async () => {
  await testApi.close();
});

const newOrg = () => `org-${randomUUID().slice(0, 8)}`;

connectionScenarios({
  transportNames: ['handler', 'invoke', 'http'],
  transports: () => testApi.transports,
  organizations: async () => [newOrg(), newOrg()],
  postgres: () => ({ body: postgresBody(), verdict: { success: true, code: 'ok' } }),
});

test('no secret reached a log line', () => {
  const logs = capturedLogLines().join('');
  expect(logs).toContain('"event":"connection.saved"');
  for (const secret of SECRETS) expect(logs).not.toContain(secret);
});
