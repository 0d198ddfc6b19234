import { describe, expect, test } from '@jest/globals';
import { postgresBody } from '../helpers/bodies.js';
import { orgWithConnection, useProxiedApi } from './support/proxied-api.js';
import { pathFor, ROUTE } from '../../lib/routes.js';

/**
 * The AWS calls each endpoint makes, counted where they leave the process: at proxies before
 * DynamoDB and KMS (the benchmark counts them with an SDK middleware). The SDK's default-sized
 * timeouts apply here, so a slow machine does not turn into retries that would be counted.
 */
const TEST_PATH = ROUTE.test.path;
const { dynamoDbProxy, kmsProxy, handler } = useProxiedApi();

const byId = (template: string) => (id: string) => pathFor(template, { connection_id: id });
type CountedRequest = { method: 'GET' | 'POST' | 'PATCH' | 'DELETE'; body?: unknown; path?: string | ((id: string) => string) };
type Expected = { kms: string[]; dynamodb: string[] };

describe('calls per request, as counted at the wire', () => {
  test.each<[string, CountedRequest, Expected]>([
    // The state (which connection is active), the new item, the state again (now it is), the replaced item removed.
    [
      'create',
      { method: 'POST', body: postgresBody() },
      { kms: ['GenerateDataKey'], dynamodb: ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'] },
    ],
    ['get', { method: 'GET' }, { kms: [], dynamodb: ['GetItem', 'GetItem'] }],
    // The suite runs without the per-organization test limit (its admission is one more UpdateItem first; the bench counts it).
    ['test', { method: 'POST', path: TEST_PATH }, { kms: ['Decrypt'], dynamodb: ['GetItem', 'GetItem', 'UpdateItem'] }],
    ['delete', { method: 'DELETE' }, { kms: [], dynamodb: ['GetItem', 'DeleteItem', 'UpdateItem'] }],
    // An edit without a secret reads and writes the item only: no KMS call at all.
    [
      'patch of a setting',
      { method: 'PATCH', body: { dataset_id: 'public' } },
      { kms: [], dynamodb: ['GetItem', 'GetItem', 'UpdateItem'] },
    ],
    [
      'patch of the secret',
      { method: 'PATCH', body: { credentials: { password: postgresBody().credentials.password } } },
      { kms: ['GenerateDataKey'], dynamodb: ['GetItem', 'GetItem', 'UpdateItem', 'UpdateItem'] },
    ],
    [
      'create named',
      { method: 'POST', path: ROUTE.createNamed.path, body: { name: 'Counted', ...postgresBody() } },
      { kms: ['GenerateDataKey'], dynamodb: ['GetItem', 'PutItem', 'UpdateItem'] },
    ],
    ['list', { method: 'GET', path: ROUTE.list.path }, { kms: [], dynamodb: ['GetItem', 'Query'] }],
    ['get by id', { method: 'GET', path: byId(ROUTE.getNamed.path) }, { kms: [], dynamodb: ['GetItem', 'GetItem'] }],
    [
      'test by id',
      { method: 'POST', path: byId(ROUTE.test.alsoServes[0].path) },
      { kms: ['Decrypt'], dynamodb: ['GetItem', 'GetItem', 'UpdateItem'] },
    ],
    [
      'activate',
      { method: 'POST', path: byId(ROUTE.activate.path) },
      { kms: [], dynamodb: ['GetItem', 'UpdateItem', 'GetItem', 'GetItem'] },
    ],
    [
      'delete by id',
      { method: 'DELETE', path: byId(ROUTE.deleteNamed.path) },
      { kms: [], dynamodb: ['GetItem', 'DeleteItem', 'UpdateItem'] },
    ],
  ])('%s', async (_, request, expected) => {
    const { org, id } = await orgWithConnection(handler);
    dynamoDbProxy.clear();
    kmsProxy.clear();
    const path = typeof request.path === 'function' ? request.path(id) : request.path;
    await handler.call({ org, method: request.method, body: request.body, ...(path === undefined ? {} : { path }) });
    expect({ kms: kmsProxy.calls.map((call) => call.operation), dynamodb: dynamoDbProxy.calls.map((call) => call.operation) }).toEqual(
      expected,
    );
  });
});
