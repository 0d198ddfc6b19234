import { describe, expect, test } from '@jest/globals';
import { postgresBody } from '../helpers/bodies.js';
import { orgWithConnection, useProxiedApi } from './support/proxied-api.js';
import { ROUTE } from '../../lib/routes.js';

/**
 * The AWS calls each endpoint makes, counted where they leave the process: at proxies before
 * DynamoDB and KMS (the benchmark counts them with an SDK middleware). The SDK's default-sized
 * timeouts apply here, so a slow machine does not turn into retries that would be counted.
 */
const TEST_PATH = ROUTE.test.path;
const { dynamoDbProxy, kmsProxy, handler } = useProxiedApi();

describe('calls per request, as counted at the wire', () => {
  test.each([
    ['create', { method: 'POST', body: postgresBody() } as const, { kms: ['GenerateDataKey'], dynamodb: ['PutItem', 'UpdateItem'] }],
    ['get', { method: 'GET' } as const, { kms: [], dynamodb: ['BatchGetItem'] }],
    // The suite runs without the per-organization test limit (its admission is one more UpdateItem first; the bench counts it).
    ['test', { method: 'POST', path: TEST_PATH } as const, { kms: ['Decrypt'], dynamodb: ['BatchGetItem', 'UpdateItem'] }],
    ['delete', { method: 'DELETE' } as const, { kms: [], dynamodb: ['DeleteItem', 'UpdateItem'] }],
  ])('%s', async (_, request, expected) => {
    const { org } = await orgWithConnection(handler);
    dynamoDbProxy.clear();
    kmsProxy.clear();
    await handler.call({ org, ...request });
    expect({ kms: kmsProxy.calls.map((call) => call.operation), dynamodb: dynamoDbProxy.calls.map((call) => call.operation) }).toEqual(
      expected,
    );
  });
});
