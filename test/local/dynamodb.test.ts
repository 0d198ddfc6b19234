import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { once } from 'node:events';
import { connect } from 'node:net';
import { ensureTable, startLocalDynamoDb, type LocalDynamoDb } from '../../local/dynamodb.js';

/**
 * The embedded DynamoDB (dynalite) answers a malformed request the way DynamoDB does, with a 400,
 * instead of ending the process it runs in: dynalite rethrows a TypeError from its validation
 * (an attribute value that is `null`), which once took the store away from a whole mutation run.
 */
let dynamo: LocalDynamoDb;
let client: DynamoDBClient;
const TableName = 'local-dynamodb-test';
beforeAll(async () => {
  dynamo = await startLocalDynamoDb();
  client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await ensureTable(client, TableName);
});
afterAll(async () => {
  client.destroy();
  await dynamo.close();
});

/** A PutItem whose serialized body has `null` where an attribute value belongs, as no SDK would send it. */
async function putWithNullAttributeValue(): Promise<unknown> {
  const command = new PutItemCommand({ TableName, Item: { pk: { S: 'ORG#a' }, sk: { S: 'CONNECTION#1' }, broken: { S: 'x' } } });
  command.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { body: Uint8Array | string; headers: Record<string, string> };
      const body = JSON.parse(typeof request.body === 'string' ? request.body : new TextDecoder().decode(request.body)) as {
        Item: Record<string, unknown>;
      };
      body.Item.broken = null;
      request.body = JSON.stringify(body);
      request.headers['content-length'] = String(Buffer.byteLength(request.body));
      return next(args);
    },
    { step: 'build', name: 'nullAttributeValue' },
  );
  return client.send(command).then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('a request dynalite cannot read is a 400, and the server goes on', () => {
  test('an attribute value that is null is refused with SerializationException, not an uncaught TypeError', async () => {
    const error = (await putWithNullAttributeValue()) as { name?: string; $metadata?: { httpStatusCode?: number } };
    expect(error).toBeDefined();
    expect(error.name).toBe('SerializationException');
    expect(error.$metadata?.httpStatusCode).toBe(400);
  });

  test('the item was not written, and the next request is answered', async () => {
    await putWithNullAttributeValue();
    const key = { pk: { S: 'ORG#a' }, sk: { S: 'CONNECTION#1' } };
    expect((await client.send(new GetItemCommand({ TableName, Key: key }))).Item).toBeUndefined();
    await client.send(new PutItemCommand({ TableName, Item: { ...key, fine: { S: 'yes' } } }));
    expect((await client.send(new GetItemCommand({ TableName, Key: key }))).Item).toEqual({ ...key, fine: { S: 'yes' } });
  });
});

describe('a client that goes away mid-request', () => {
  test('is let go: the server answers the next request instead of ending the process', async () => {
    const { port } = new URL(dynamo.endpoint);
    const socket = connect(Number(port), '127.0.0.1');
    await once(socket, 'connect');
    // A request that promises a body it never sends, then the client is gone.
    socket.write('POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: 1000\r\n\r\n{"Table');
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const key = { pk: { S: 'ORG#b' }, sk: { S: 'CONNECTION#2' } };
    await client.send(new PutItemCommand({ TableName, Item: { ...key, after: { S: 'abort' } } }));
    expect((await client.send(new GetItemCommand({ TableName, Key: key }))).Item).toEqual({ ...key, after: { S: 'abort' } });
  });
});
