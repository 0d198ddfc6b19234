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
/** The one audit record a change or a test appends, to the audit table (lib/store/audit-log.ts); reads leave none. */
const AUDIT_APPEND = 'PutItem audit';
/** An operation as counted, marked when it goes to the audit table rather than the connections table. */
const counted = (call: { operation: string; requestBody: string }) =>
  (JSON.parse(call.requestBody) as { TableName?: string }).TableName === process.env.AUDIT_TABLE_NAME
    ? `${call.operation} audit`
    : call.operation;

describe('calls per request, as counted at the wire', () => {
  test.each<[string, CountedRequest, Expected]>([
    // The state (which connection is active), the new item, the state again (now it is), the replaced item removed.
    [
      'create',
      { method: 'POST', body: postgresBody() },
      { kms: ['GenerateDataKey'], dynamodb: ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', AUDIT_APPEND] },
    ],
    ['get', { method: 'GET' }, { kms: [], dynamodb: ['GetItem', 'GetItem'] }],
    // The suite runs without the per-organization test limit (its admission is one more UpdateItem first; the bench counts it).
    ['test', { method: 'POST', path: TEST_PATH }, { kms: ['Decrypt'], dynamodb: ['GetItem', 'GetItem', 'UpdateItem', AUDIT_APPEND] }],
    ['delete', { method: 'DELETE' }, { kms: [], dynamodb: ['GetItem', 'DeleteItem', 'UpdateItem', AUDIT_APPEND] }],
    // An edit without a secret reads and writes the item only: no KMS call at all.
    [
      'patch of a setting',
      { method: 'PATCH', body: { dataset_id: 'public' } },
      { kms: [], dynamodb: ['GetItem', 'GetItem', 'UpdateItem', AUDIT_APPEND] },
    ],
    [
      'patch of the secret',
      { method: 'PATCH', body: { credentials: { password: postgresBody().credentials.password } } },
      { kms: ['GenerateDataKey'], dynamodb: ['GetItem', 'GetItem', 'UpdateItem', 'UpdateItem', AUDIT_APPEND] },
    ],
    [
      'create named',
      { method: 'POST', path: ROUTE.createNamed.path, body: { name: 'Counted', ...postgresBody() } },
      { kms: ['GenerateDataKey'], dynamodb: ['GetItem', 'PutItem', 'UpdateItem', AUDIT_APPEND] },
    ],
    ['list', { method: 'GET', path: ROUTE.list.path }, { kms: [], dynamodb: ['GetItem', 'Query'] }],
    ['get by id', { method: 'GET', path: byId(ROUTE.getNamed.path) }, { kms: [], dynamodb: ['GetItem', 'GetItem'] }],
    [
      'test by id',
      { method: 'POST', path: byId(ROUTE.test.alsoServes[0].path) },
      { kms: ['Decrypt'], dynamodb: ['GetItem', 'GetItem', 'UpdateItem', AUDIT_APPEND] },
    ],
    [
      'activate',
      { method: 'POST', path: byId(ROUTE.activate.path) },
      { kms: [], dynamodb: ['GetItem', 'UpdateItem', AUDIT_APPEND, 'GetItem', 'GetItem'] },
    ],
    [
      'delete by id',
      { method: 'DELETE', path: byId(ROUTE.deleteNamed.path) },
      { kms: [], dynamodb: ['GetItem', 'DeleteItem', 'UpdateItem', AUDIT_APPEND] },
    ],
  ])('%s', async (_, request, expected) => {
    const { org, id } = await orgWithConnection(handler);
    dynamoDbProxy.clear();
    kmsProxy.clear();
    const path = typeof request.path === 'function' ? request.path(id) : request.path;
    await handler.call({ org, method: request.method, body: request.body, ...(path === undefined ? {} : { path }) });
    expect({ kms: kmsProxy.calls.map((call) => call.operation), dynamodb: dynamoDbProxy.calls.map(counted) }).toEqual(expected);
  });
});
