import { DeleteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { ROUTE } from '../../lib/routes.js';
import { stateKey } from '../../lib/store/connection-item.js';
import { postgresBody } from '../helpers/bodies.js';
import { capturedLogLines, logLinesSince } from '../helpers/logs.js';
import { activeItemKey, legacyItem, putRawItem, rawActiveItem, rawItem, type Item } from '../helpers/stored-items.js';
import { useTestApi } from '../helpers/transports.js';

/**
 * What happens when the table is changed behind the service's back: an older item put back after a
 * replace, an edit or a delete, plain attributes edited into something the service never writes,
 * items of the earlier formats. Nothing of it is used as if it were the current connection, and
 * nothing crashes a request.
 */
const { transport } = useTestApi();
const handler = transport('handler');
const TEST_PATH = ROUTE.test.path;
const dynamoDb = new DynamoDBClient({});
const tableName = process.env.TABLE_NAME!;
afterAll(() => dynamoDb.destroy());

const newOrg = () => `org-${randomUUID().slice(0, 8)}`;
const { provider, dataset_id, credentials } = postgresBody();
const POSTGRES_DEFINITION = { provider, project_id: null, dataset_id, credentials, settings: {} };

describe('an older connection item put back in place', () => {
  test('after a replace: the replaced connection is never read or tested, the current one is', async () => {
    const org = newOrg();
    await handler.call({ org, method: 'POST', body: postgresBody({}, { password: 'first-password-canary' }) });
    const older = await rawActiveItem(org);
    const current = await handler.call({ org, method: 'POST', body: postgresBody() });
    await putRawItem(older);

    expect((await handler.call({ org, method: 'GET' })).body).toMatchObject({ connection: { id: current.body!.id } });
    expect((await handler.call({ org, method: 'POST', path: TEST_PATH })).body).toMatchObject({ success: true });
    expect((await rawItem({ pk: older.pk!, sk: older.sk! }))!.status).toBeUndefined(); // nothing was tested with the old credentials
  });

  test('after an edit that sealed a new secret: the older version of the same connection is refused (connection_unreadable)', async () => {
    const org = newOrg();
    await handler.call({ org, method: 'POST', body: postgresBody({}, { password: 'first-password-canary' }) });
    const older = await rawActiveItem(org);
    const patched = await handler.call({ org, method: 'PATCH', body: { credentials: { password: credentials.password } } });
    expect(patched.status).toBe(200);
    await putRawItem(older);

    for (const response of [await handler.call({ org, method: 'GET' }), await handler.call({ org, method: 'POST', path: TEST_PATH })]) {
      expect(response.status).toBe(500);
      expect(response.body).toMatchObject({ code: 'connection_unreadable', error: expect.stringContaining('Save the connection again') });
    }
    expect((await rawActiveItem(org)).status).toBeUndefined();
  });

  test('after a delete: the organization still has no connection', async () => {
    const org = newOrg();
    await handler.call({ org, method: 'POST', body: postgresBody() });
    const deletedItem = await rawActiveItem(org);
    expect((await handler.call({ org, method: 'DELETE' })).status).toBe(204);
    await putRawItem(deletedItem);

    expect((await handler.call({ org, method: 'GET' })).body).toMatchObject({ connection: null });
    expect((await handler.call({ org, method: 'POST', path: TEST_PATH })).status).toBe(404);
  });
});

describe('plain attributes the service never writes', () => {
  test.each([
    ['settings that are not JSON', (item: Item) => ({ ...item, settings: { S: '{not json' } }), 'attribute settings.S'],
    ['settings that are a JSON array', (item: Item) => ({ ...item, settings: { S: '[1]' } }), 'attribute settings.S'],
    ['credentials that are not JSON', (item: Item) => ({ ...item, credentials: { S: '{"host"' } }), 'attribute credentials.S'],
    ['no id', ({ id: _id, ...item }: Item) => item, 'the item holds another connection than its key names'],
    ['an unknown provider', (item: Item) => ({ ...item, provider: { S: 'oracle' } }), 'attribute provider.S'],
    ['a latency that is not a number', (item: Item) => ({ ...item, latency_ms: { S: 'fast' } }), 'attribute latency_ms.N'],
    [
      'another connection id than its key names',
      (item: Item) => ({ ...item, id: { S: randomUUID() } }),
      'the item holds another connection than its key names',
    ],
  ])('%s: GET and test answer 500 connection_unreadable, never a crash; the log says why', async (_, edit, reason) => {
    const org = newOrg();
    await handler.call({ org, method: 'POST', body: postgresBody() });
    await putRawItem(edit(await rawActiveItem(org)));
    const logged = capturedLogLines().length;
    for (const response of [await handler.call({ org, method: 'GET' }), await handler.call({ org, method: 'POST', path: TEST_PATH })]) {
      expect({ status: response.status, code: response.body!.code }).toEqual({ status: 500, code: 'connection_unreadable' });
    }
    const faults = logLinesSince(logged).filter((line) => line.event === 'request' && line.status === 500);
    expect(faults.map((line) => [line.error_type, line.reason])).toEqual([
      ['StoredConnectionUnreadableError', reason],
      ['StoredConnectionUnreadableError', reason],
    ]);
  });

  test('a secret field list edited to name another field: the test refuses the item (connection_unreadable)', async () => {
    const org = newOrg();
    await handler.call({ org, method: 'POST', body: postgresBody() });
    await putRawItem({ ...(await rawActiveItem(org)), stored_secrets: { S: '["credentials.host"]' } });
    const response = await handler.call({ org, method: 'POST', path: TEST_PATH });
    expect({ status: response.status, code: response.body!.code }).toEqual({ status: 500, code: 'connection_unreadable' });
  });
});

describe('items of the earlier formats (the whole definition sealed, at CONNECTION#ACTIVE)', () => {
  test.each([1, 2] as const)('format %i: read and tested until the organization writes again', async (format) => {
    const org = newOrg();
    const legacy = await legacyItem(org, POSTGRES_DEFINITION, format);
    expect((await handler.call({ org, method: 'GET' })).body!.connection).toMatchObject({ id: legacy.id!.S });
    expect((await handler.call({ org, method: 'POST', path: TEST_PATH })).body).toMatchObject({ success: true, code: 'ok' });
    expect((await handler.call({ org, method: 'GET' })).body!.connection).toMatchObject({ status: 'connected' });
  });

  test('format 2 put back after the connection was replaced: never used', async () => {
    const org = newOrg();
    const legacy = await legacyItem(org, POSTGRES_DEFINITION, 2);
    const replacement = await handler.call({ org, method: 'POST', body: postgresBody() });
    expect(await rawItem({ pk: legacy.pk!, sk: legacy.sk! })).toBeUndefined(); // the replaced item is removed
    await putRawItem(legacy);
    expect((await handler.call({ org, method: 'GET' })).body!.connection).toMatchObject({ id: replacement.body!.id });
  });

  test('format 2 put back after the state moved on, before any named connection existed: refused as before', async () => {
    const org = newOrg();
    const legacy = await legacyItem(org, POSTGRES_DEFINITION, 2);
    // A newer write of the earlier version, then the older item put back.
    await legacyItem(org, POSTGRES_DEFINITION, 2);
    await putRawItem(legacy);
    const response = await handler.call({ org, method: 'POST', path: TEST_PATH });
    expect({ status: response.status, code: response.body!.code }).toEqual({ status: 500, code: 'connection_unreadable' });
  });

  test('a named connection created beside it leaves it active, listed, and tested at its old key', async () => {
    const org = newOrg();
    const legacy = await legacyItem(org, POSTGRES_DEFINITION, 2);
    const named = await handler.call({ org, method: 'POST', path: ROUTE.createNamed.path, body: { name: 'Second', ...postgresBody() } });
    expect(named.status).toBe(201);
    const list = await handler.call({ org, method: 'GET', path: ROUTE.list.path });
    expect(list.body!.connections).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: legacy.id!.S, active: true, name: null }),
        expect.objectContaining({ name: 'Second', active: false }),
      ]),
    );
    expect((await handler.call({ org, method: 'POST', path: TEST_PATH })).body).toMatchObject({ success: true });
    expect(await activeItemKey(org)).toEqual({ pk: legacy.pk, sk: legacy.sk });
    expect((await rawActiveItem(org)).status).toEqual({ S: 'connected' });
  });

  test('editing it needs its credentials in full once (409 full_credentials_required), then it is stored the new way', async () => {
    const org = newOrg();
    await legacyItem(org, POSTGRES_DEFINITION, 2);
    const partial = await handler.call({ org, method: 'PATCH', body: { dataset_id: 'analytics' } });
    expect({ status: partial.status, code: partial.body!.code, field: partial.body!.field }).toEqual({
      status: 409,
      code: 'full_credentials_required',
      field: 'credentials',
    });
    const full = await handler.call({ org, method: 'PATCH', body: { credentials } });
    expect(full.status).toBe(200);
    expect(full.body!.connection).toMatchObject({ credentials: { host: credentials.host }, stored_secrets: ['credentials.password'] });
    expect((await rawActiveItem(org)).format_version).toEqual({ N: '3' });
    expect((await handler.call({ org, method: 'POST', path: TEST_PATH })).body).toMatchObject({ success: true });
  });
});

describe('the state item', () => {
  test('removed by hand: no connection is listed any more (the state is the list), and nothing crashes', async () => {
    const org = newOrg();
    await handler.call({ org, method: 'POST', body: postgresBody() });
    await dynamoDb.send(new DeleteItemCommand({ TableName: tableName, Key: stateKey(org) }));
    expect((await handler.call({ org, method: 'GET' })).body).toMatchObject({ connection: null });
    expect((await handler.call({ org, method: 'GET', path: ROUTE.list.path })).body).toMatchObject({ connections: [] });
  });

  test('edited into something the service never writes: 500 connection_unreadable', async () => {
    const org = newOrg();
    await handler.call({ org, method: 'POST', body: postgresBody() });
    await putRawItem({ ...(await rawItem(stateKey(org)))!, live: { S: 'not a map' } });
    const response = await handler.call({ org, method: 'GET' });
    expect({ status: response.status, code: response.body!.code }).toEqual({ status: 500, code: 'connection_unreadable' });
  });
});
