import { DynamoDBClient, GetItemCommand, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { afterAll } from '@jest/globals';
import { createCipheriv, randomBytes, randomUUID } from 'node:crypto';
import { additionalData, EnvelopeCipher } from '../../lib/crypto/envelope.js';
import { KmsDataKeys } from '../../lib/crypto/kms-data-keys.js';
import { connectionKey, newWriteStamp, stateKey, type Key } from '../../lib/store/connection-item.js';
import { toState } from '../../lib/store/organization-state.js';

/**
 * The table as a test sees it behind the service's back: raw items read and put back, and items as
 * earlier versions of the service wrote them (format 1: no stamp, no state; format 2: the whole
 * definition sealed with its write stamp, at `CONNECTION#ACTIVE`, with a state naming it active).
 */
export type Item = Record<string, AttributeValue>;

const dynamoDb = new DynamoDBClient({});
const tableName = () => process.env.TABLE_NAME!;
afterAll(() => dynamoDb.destroy());

/** The organization's state item as the store reads it. */
export async function rawState(org: string) {
  return toState(await rawItem(stateKey(org)));
}

/** A connection definition of the earlier formats for tests that only store it (it is never opened). */
export const STORED_ONLY_DEFINITION = { provider: 'postgres', project_id: null, dataset_id: 'public', settings: {} };

export async function rawItem(key: Key): Promise<Item | undefined> {
  return (await dynamoDb.send(new GetItemCommand({ TableName: tableName(), Key: key, ConsistentRead: true }))).Item;
}

export async function putRawItem(item: Item): Promise<void> {
  await dynamoDb.send(new PutItemCommand({ TableName: tableName(), Item: item }));
}

/** The key of the organization's active connection's item, as the state names it. */
export async function activeItemKey(org: string): Promise<Key> {
  const state = toState(await rawItem(stateKey(org)));
  const active = state?.activeConnectionId;
  if (!state?.collection || active === null || active === undefined) return connectionKey(org, 'legacy');
  return connectionKey(org, state.collection.legacyId === active ? 'legacy' : active);
}

export async function rawActiveItem(org: string): Promise<Item> {
  const item = await rawItem(await activeItemKey(org));
  if (!item) throw new Error(`No item for the active connection of ${org}`);
  return item;
}

export async function rawConnectionItem(org: string, connectionId: string): Promise<Item> {
  const item = await rawItem(connectionKey(org, connectionId));
  if (!item) throw new Error(`No item for connection ${connectionId} of ${org}`);
  return item;
}

/**
 * An item of the earlier formats at `CONNECTION#ACTIVE`, its whole definition sealed. Format 2 also
 * writes the state item the earlier version wrote (the active id and the write stamp).
 */
export async function legacyItem(org: string, definition: Record<string, unknown>, format: 1 | 2): Promise<Item> {
  const id = randomUUID();
  const stamp = newWriteStamp(Date.now(), id);
  const cipher = new EnvelopeCipher(new KmsDataKeys(new KMSClient({}), process.env.KMS_KEY_ID!));
  const context = { organization_id: org, connection_id: id };
  const plaintext = Buffer.from(JSON.stringify(definition));
  const sealed = format === 2 ? await cipher.seal(plaintext, context, stamp) : await sealFormat1(plaintext, context);
  const item: Item = {
    ...connectionKey(org, 'legacy'),
    id: { S: id },
    provider: { S: String(definition.provider) },
    project_id:
      definition.project_id === null || definition.project_id === undefined ? { NULL: true } : { S: String(definition.project_id) },
    dataset_id: { S: String(definition.dataset_id) },
    settings: { S: JSON.stringify(definition.settings ?? {}) },
    created_at: { S: new Date().toISOString() },
    format_version: { N: String(format) },
    key_id: { S: sealed.keyId },
    encrypted_data_key: { B: sealed.encryptedDataKey },
    iv: { B: sealed.iv },
    auth_tag: { B: sealed.tag },
    ciphertext: { B: sealed.ciphertext },
    ...(format === 2 ? { write_stamp: { S: stamp } } : {}),
  };
  await putRawItem(item);
  if (format === 2) await putRawItem({ ...stateKey(org), active_connection_id: { S: id }, write_stamp: { S: stamp } });
  return item;
}

async function sealFormat1(plaintext: Buffer, context: { organization_id: string; connection_id: string }) {
  const dataKey = await new KmsDataKeys(new KMSClient({}), process.env.KMS_KEY_ID!).generateDataKey(context);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', dataKey.plaintext, iv, { authTagLength: 16 });
  cipher.setAAD(additionalData(1, context, undefined));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { keyId: dataKey.keyId, encryptedDataKey: dataKey.encrypted, iv, tag: cipher.getAuthTag(), ciphertext };
}
