import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { postgresBody } from '../helpers/bodies.js';
import { startTestApi, type TestApi } from '../helpers/transports.js';
import { ROUTE } from '../../lib/routes.js';

/**
 * Connection tests per organization: 6 a minute with bursts of 3 here (windows of 30 s). The count
 * lives in the table, not in a function's memory, so every Lambda instance sees the same one.
 */
let api: TestApi;
const dynamoDb = new DynamoDBClient({});
beforeAll(async () => {
  // Read when the test function first runs (lib/config.ts), in this file's own module registry.
  process.env.WAREHOUSE_TEST_RATE_PER_MINUTE = '6';
  process.env.WAREHOUSE_TEST_BURST = '3';
  api = await startTestApi();
});
afterAll(async () => {
  dynamoDb.destroy();
  await api?.close();
});

const TEST_PATH = ROUTE.test.path;
const WINDOW_MS = 30_000;

/**
 * Runs a scenario that must fall within one counting window; if the clock crossed a window
 * boundary meanwhile (the count starts over there), it runs once more, in the next window.
 */
async function inOneWindow(scenario: () => Promise<void>): Promise<void> {
  const window = () => Math.floor(Date.now() / WINDOW_MS);
  const started = window();
  try {
    await scenario();
    if (window() === started) return;
  } catch (error) {
    if (window() === started) throw error;
  }
  await scenario();
}
const newOrg = () => `org-limit-${randomUUID().slice(0, 8)}`;
const via = (name: 'handler' | 'invoke' | 'http') => api.transports.find((transport) => transport.name === name)!;

describe('tests per organization', () => {
  test('the burst passes; the next test gets 429 with Retry-After; the count is in the table', () =>
    inOneWindow(async () => {
      const org = newOrg();
      await via('handler').call({ org, method: 'POST', body: postgresBody() });
      const statuses = [];
      for (const transport of ['handler', 'invoke', 'http'] as const)
        statuses.push((await via(transport).call({ org, method: 'POST', path: TEST_PATH })).status);
      expect(statuses).toEqual([200, 200, 200]);
      const { Items } = await dynamoDb.send(
        new QueryCommand({
          TableName: process.env.TABLE_NAME!,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :limit)',
          ExpressionAttributeValues: { ':pk': { S: `ORG#${org}` }, ':limit': { S: 'LIMIT#TEST#' } },
        }),
      );
      expect(Items?.reduce((sum, item) => sum + Number(item.tests?.N ?? 0), 0)).toBe(3);

      const refused = await via('http').call({ org, method: 'POST', path: TEST_PATH });
      expect(refused.status).toBe(429);
      expect(refused.body).toMatchObject({ code: 'rate_limited', error: expect.stringContaining('3 connection tests every 30 s') });
      const retryAfter = Number(refused.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(30);
    }));

  test('one organization at its limit does not limit another', () =>
    inOneWindow(async () => {
      const busy = newOrg();
      const other = newOrg();
      for (const org of [busy, other]) await via('handler').call({ org, method: 'POST', body: postgresBody() });
      for (let n = 0; n < 4; n += 1) await via('handler').call({ org: busy, method: 'POST', path: TEST_PATH });
      expect((await via('handler').call({ org: busy, method: 'POST', path: TEST_PATH })).status).toBe(429);
      expect((await via('handler').call({ org: other, method: 'POST', path: TEST_PATH })).status).toBe(200);
    }));

  test('creating, reading and deleting are not limited', async () => {
    const org = newOrg();
    for (let n = 0; n < 5; n += 1) expect((await via('handler').call({ org, method: 'POST', body: postgresBody() })).status).toBe(201);
    for (let n = 0; n < 5; n += 1) expect((await via('handler').call({ org, method: 'GET' })).status).toBe(200);
  });
});
