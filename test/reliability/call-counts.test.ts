import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { postgresBody } from '../helpers/bodies.js';
import type { Transport } from '../helpers/transports.js';
import type { FaultProxy } from './support/fault-proxy.js';
import { startProxiedApi, type ProxiedApi } from './support/proxied-api.js';

/**
 * The AWS calls each endpoint makes, counted where they leave the process: at proxies before
 * DynamoDB and KMS (the benchmark counts them with an SDK middleware). The SDK's default-sized
 * timeouts apply here, so a slow machine does not turn into retries that would be counted.
 */
const TEST_PATH = '/api/v2/warehouse/connections/test';
let proxied: ProxiedApi;
let dynamoDbProxy: FaultProxy;
let kmsProxy: FaultProxy;
let handler: Transport;

beforeAll(async () => {
  proxied = await startProxiedApi();
  ({ dynamoDbProxy, kmsProxy, handler } = proxied);
});
afterAll(async () => {
  await proxied.close();
});
beforeEach(() => {
  dynamoDbProxy.clear();
  kmsProxy.clear();
});

async function orgWithConnection() {
  const org = `org-${randomUUID().slice(0, 8)}`;
  expect((await handler.call({ org, method: 'POST', body: postgresBody() })).status).toBe(201);
  return { org };
}

describe('calls per request, as counted at the wire', () => {
  test.each([
    ['create', { method: 'POST', body: postgresBody() } as const, { kms: ['GenerateDataKey'], dynamodb: ['PutItem'] }],
    ['get', { method: 'GET' } as const, { kms: [], dynamodb: ['GetItem'] }],
    ['test', { method: 'POST', path: TEST_PATH } as const, { kms: ['Decrypt'], dynamodb: ['GetItem', 'UpdateItem'] }],
    ['delete', { method: 'DELETE' } as const, { kms: [], dynamodb: ['DeleteItem'] }],
  ])('%s', async (_, request, expected) => {
    const { org } = await orgWithConnection();
    dynamoDbProxy.clear();
    kmsProxy.clear();
    await handler.call({ org, ...request });
    expect({ kms: kmsProxy.calls.map((call) => call.operation), dynamodb: dynamoDbProxy.calls.map((call) => call.operation) }).toEqual(expected);
  });
});
