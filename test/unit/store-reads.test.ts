import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { afterAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { createConnection, createNamedConnection } from '../../lib/connections/create.js';
import { EnvelopeCipher } from '../../lib/crypto/envelope.js';
import { KmsDataKeys } from '../../lib/crypto/kms-data-keys.js';
import { ConnectionStore } from '../../lib/store/connection-store.js';
import { postgresBody } from '../helpers/bodies.js';

/**
 * What the store reads from DynamoDB, not only what it returns: GET and PATCH must never fetch the
 * sealed secret (the get function's role may not read it either), while the test and resolve
 * functions must. Every item DynamoDB answers with is recorded below the SDK's parsing.
 */
const dynamoDb = new DynamoDBClient({});
const kms = new KMSClient({});
afterAll(() => {
  dynamoDb.destroy();
  kms.destroy();
});

const itemsRead: Record<string, unknown>[] = [];
dynamoDb.middlewareStack.add(
  (next) => async (args) => {
    const result = await next(args);
    const output = result.output as { Item?: Record<string, unknown>; Items?: Record<string, unknown>[] };
    if (output.Item) itemsRead.push(output.Item);
    itemsRead.push(...(output.Items ?? []));
    return result;
  },
  { step: 'initialize', name: 'recordItemsRead' },
);

/** Every GetItem and Query the store sends, as sent. */
const readsSent: { command: string; input: Record<string, unknown> }[] = [];
dynamoDb.middlewareStack.add(
  (next, context) => async (args) => {
    if (context.commandName === 'GetItemCommand' || context.commandName === 'QueryCommand')
      readsSent.push({ command: context.commandName, input: args.input as Record<string, unknown> });
    return next(args);
  },
  { step: 'initialize', name: 'recordReadsSent' },
);

/** The seal itself (format_version, also sealed, is plain metadata every read may show). */
const SEAL = ['key_id', 'encrypted_data_key', 'iv', 'auth_tag', 'ciphertext'];

const store = new ConnectionStore(dynamoDb, process.env.TABLE_NAME!);
const cipher = new EnvelopeCipher(new KmsDataKeys(kms, process.env.KMS_KEY_ID!));

async function sealedAttributesRead(read: () => Promise<unknown>): Promise<string[]> {
  itemsRead.length = 0;
  const answer = await read();
  expect(answer).not.toBeNull();
  expect(itemsRead.length).toBeGreaterThan(0);
  return [...new Set(itemsRead.flatMap((item) => Object.keys(item)).filter((name) => SEAL.includes(name)))];
}

describe('reads without a secret never fetch the seal', () => {
  const org = `org-reads-${randomUUID().slice(0, 8)}`;
  let namedId = '';

  test('setup: an active connection and a named one', async () => {
    await createConnection({ store, cipher }, org, postgresBody({}, { password: 'store-reads-canary' }));
    namedId = (await createNamedConnection({ store, cipher }, org, { ...postgresBody(), name: 'second' }, null)).id;
    expect(namedId).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('getSummary of the active connection (GET /connections)', async () => {
    expect(await sealedAttributesRead(() => store.getSummary(org))).toEqual([]);
  });

  test('getSummary and getDetail by id (GET /connections/{id})', async () => {
    expect(await sealedAttributesRead(() => store.getSummary(org, namedId))).toEqual([]);
    expect(await sealedAttributesRead(() => store.getDetail(org, namedId))).toEqual([]);
    expect(await sealedAttributesRead(() => store.getDetail(org))).toEqual([]);
  });

  test('getWithSecret does read every sealed attribute (the recorder sees them when they are read)', async () => {
    expect((await sealedAttributesRead(() => store.getWithSecret(org, namedId))).sort()).toEqual([...SEAL].sort());
  });

  test('every read is strongly consistent: a write the service just acknowledged is always seen', async () => {
    readsSent.length = 0;
    await store.getSummary(org);
    await store.getDetail(org, namedId);
    await store.getWithSecret(org, namedId);
    await store.list(org);
    await store.cursorKey(org);
    expect(new Set(readsSent.map(({ command }) => command))).toEqual(new Set(['GetItemCommand', 'QueryCommand']));
    for (const { command, input } of readsSent)
      expect({ command, ConsistentRead: input.ConsistentRead }).toEqual({ command, ConsistentRead: true });
  });
});
