import { DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { afterAll, describe, expect, test } from '@jest/globals';
import { createCipheriv, randomBytes, randomUUID } from 'node:crypto';
import { additionalData, EnvelopeCipher } from '../../lib/crypto/envelope.js';
import { KmsDataKeys } from '../../lib/crypto/kms-data-keys.js';
import { itemKey, newWriteStamp, stateKey, toItem } from '../../lib/store/connection-item.js';
import { postgresBody } from '../helpers/bodies.js';
import { useTestApi } from '../helpers/transports.js';
import { ROUTE } from '../../lib/routes.js';

/**
 * What happens when the table is changed behind the service's back: an older item put back after a
 * replace or a delete, plain attributes edited into something the service never writes, items of
 * the format before write stamps. Nothing of it is used as if it were the current connection, and
 * nothing crashes a request.
 */
const { transport } = useTestApi();
const handler = transport('handler');
const TEST_PATH = ROUTE.test.path;
const dynamoDb = new DynamoDBClient({});
const tableName = process.env.TABLE_NAME!;
afterAll(() => dynamoDb.destroy());

const newOrg = () => `org-${randomUUID().slice(0, 8)}`;
const rawItem = async (org: string) =>
  (await dynamoDb.send(new GetItemCommand({ TableName: tableName, Key: itemKey(org), ConsistentRead: true }))).Item!;
const putItem = (item: Record<string, AttributeValue>) => dynamoDb.send(new PutItemCommand({ TableName: tableName, Item: item }));

describe('an older connection item put back in place', () => {
  test('after a replace: neither read nor tested (connection_unreadable)', async () => {
    const org = newOrg();
    await handler.call({ org, method: 'POST', body: postgresBody({}, { password: 'first-password-canary' }) });
    const older = await rawItem(org);
    await handler.call({ org, method: 'POST', body: postgresBody() });
    await putItem(older);

    for (const response of [await handler.call({ org, method: 'GET' }), await handler.call({ org, method: 'POST', path: TEST_PATH })]) {
      expect(response.status).toBe(500);
      expect(response.body).toMatchObject({ code: 'connection_unreadable', error: expect.stringContaining('Save the connection again') });
    }
    expect((await rawItem(org)).status).toBeUndefined(); // nothing was tested with the old credentials
  });

  test('after a delete: the organization still has no connection', async () => {
    const org = newOrg();
    await handler.call({ org, method: 'POST', body: postgresBody() });
    const deletedItem = await rawItem(org);
    expect((await handler.call({ org, method: 'DELETE' })).status).toBe(204);
    await putItem(deletedItem);

    expect((await handler.call({ org, method: 'GET' })).body).toMatchObject({ connection: null });
    expect((await handler.call({ org, method: 'POST', path: TEST_PATH })).status).toBe(404);
  });

  test('a newer write makes the organization whole again', async () => {
    const org = newOrg();
    await handler.call({ org, method: 'POST', body: postgresBody() });
    const older = await rawItem(org);
    await handler.call({ org, method: 'POST', body: postgresBody() });
    await putItem(older);
    const created = await handler.call({ org, method: 'POST', body: postgresBody() });
    expect((await handler.call({ org, method: 'GET' })).body!.connection).toMatchObject({ id: created.body!.id });
    expect((await handler.call({ org, method: 'POST', path: TEST_PATH })).body).toMatchObject({ success: true });
  });
});

describe('plain attributes the service never writes', () => {
  test.each([
    ['settings that are not JSON', (item: Record<string, AttributeValue>) => ({ ...item, settings: { S: '{not json' } })],
    ['settings that are a JSON array', (item: Record<string, AttributeValue>) => ({ ...item, settings: { S: '[1]' } })],
    ['no id', ({ id: _id, ...item }: Record<string, AttributeValue>) => item],
    ['an unknown provider', (item: Record<string, AttributeValue>) => ({ ...item, provider: { S: 'oracle' } })],
    ['a latency that is not a number', (item: Record<string, AttributeValue>) => ({ ...item, latency_ms: { S: 'fast' } })],
  ])('%s: GET and test answer 500 connection_unreadable, never a crash', async (_, edit) => {
    const org = newOrg();
    await handler.call({ org, method: 'POST', body: postgresBody() });
    await putItem(edit(await rawItem(org)));
    for (const response of [await handler.call({ org, method: 'GET' }), await handler.call({ org, method: 'POST', path: TEST_PATH })]) {
      expect({ status: response.status, code: response.body!.code }).toEqual({ status: 500, code: 'connection_unreadable' });
    }
  });
});

describe('items written before write stamps (format 1)', () => {
  /** An item as the previous version of the service wrote it: no write stamp, no state item. */
  async function legacyItem(org: string): Promise<Record<string, AttributeValue>> {
    const id = randomUUID();
    const context = { organization_id: org, connection_id: id };
    const dataKey = await new KmsDataKeys(new KMSClient({}), process.env.KMS_KEY_ID!).generateDataKey(context);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', dataKey.plaintext, iv, { authTagLength: 16 });
    cipher.setAAD(additionalData(1, context, undefined));
    const { provider, dataset_id, credentials } = postgresBody();
    const ciphertext = Buffer.concat([
      cipher.update(JSON.stringify({ provider, project_id: null, dataset_id, credentials, settings: {} })),
      cipher.final(),
    ]);
    return {
      ...itemKey(org),
      id: { S: id },
      provider: { S: provider },
      project_id: { NULL: true },
      dataset_id: { S: dataset_id },
      settings: { S: '{}' },
      created_at: { S: new Date().toISOString() },
      format_version: { N: '1' },
      key_id: { S: dataKey.keyId },
      encrypted_data_key: { B: dataKey.encrypted },
      iv: { B: iv },
      auth_tag: { B: cipher.getAuthTag() },
      ciphertext: { B: ciphertext },
    };
  }

  test('keep working until the organization writes again', async () => {
    const org = newOrg();
    const legacy = await legacyItem(org);
    await putItem(legacy);
    expect((await handler.call({ org, method: 'GET' })).body!.connection).toMatchObject({ id: legacy.id!.S });
    expect((await handler.call({ org, method: 'POST', path: TEST_PATH })).body).toMatchObject({ success: true, code: 'ok' });
  });

  test('put back after a newer write, they are refused like any older item', async () => {
    const org = newOrg();
    const legacy = await legacyItem(org);
    await handler.call({ org, method: 'POST', body: postgresBody() });
    await putItem(legacy);
    expect((await handler.call({ org, method: 'POST', path: TEST_PATH })).body).toMatchObject({ code: 'connection_unreadable' });
  });

  test('without its state item (removed by hand), the stored connection reads as current, as before write stamps', async () => {
    const org = newOrg();
    const created = await handler.call({ org, method: 'POST', body: postgresBody() });
    await dynamoDb.send(new DeleteItemCommand({ TableName: tableName, Key: stateKey(org) }));
    expect((await handler.call({ org, method: 'GET' })).body!.connection).toMatchObject({ id: created.body!.id });
  });
});

describe('a sealed definition of a shape this version does not read', () => {
  test('is refused (connection_unreadable), not cast and tested', async () => {
    const org = newOrg();
    const item = await sealedItem(org, { provider: 'postgres', dataset_id: 'public', credentials: { host: '127.0.0.1' }, settings: {} });
    await putItem(item);
    const response = await handler.call({ org, method: 'POST', path: TEST_PATH });
    expect({ status: response.status, code: response.body!.code }).toEqual({ status: 500, code: 'connection_unreadable' });
  });
});

/** A connection item sealed by the service's own cipher around any definition. */
async function sealedItem(org: string, definition: Record<string, unknown>): Promise<Record<string, AttributeValue>> {
  const id = randomUUID();
  const stamp = newWriteStamp(Date.now(), id);
  const cipher = new EnvelopeCipher(new KmsDataKeys(new KMSClient({}), process.env.KMS_KEY_ID!));
  const sealed = await cipher.seal(Buffer.from(JSON.stringify(definition)), { organization_id: org, connection_id: id }, stamp);
  return toItem({
    organizationId: org,
    id,
    provider: 'postgres',
    projectId: null,
    datasetId: 'public',
    settings: {},
    createdAt: new Date().toISOString(),
    status: null,
    lastTestedAt: null,
    latencyMs: null,
    lastStages: null,
    writeStamp: stamp,
    sealed,
  });
}
