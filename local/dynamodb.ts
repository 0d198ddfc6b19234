import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TABLE_KEYS } from '../lib/store/table.js';

export interface LocalDynamoDb {
  endpoint: string;
  close(): Promise<void>;
}

/**
 * dynalite validates a request inside the request's 'end' handler and rethrows any error that is
 * not one of its own 400s: an item with `null` where an attribute value belongs (which DynamoDB
 * answers with a 400) becomes an uncaught exception that ends the whole process, and with it the
 * store of everything else running there (the local service, a test run, a mutation run). Here
 * such an error is DynamoDB's answer instead: 400 SerializationException, the request refused.
 */
function answerMalformedRequestsLikeDynamoDb(): void {
  const validations = createRequire(import.meta.url)('dynalite/validations/index.js') as {
    checkValidations: (...args: unknown[]) => unknown;
    __malformedAnswered?: true;
  };
  if (validations.__malformedAnswered) return;
  const check = validations.checkValidations;
  validations.checkValidations = (...args: unknown[]) => {
    try {
      return check(...args);
    } catch (error) {
      if (typeof error === 'object' && error !== null && 'statusCode' in error) throw error;
      const message = 'The request holds a value DynamoDB cannot read (an attribute value that is not an object).';
      throw Object.assign(new Error(message), {
        statusCode: 400,
        body: { __type: 'com.amazon.coral.service#SerializationException', Message: message },
      });
    }
  };
  validations.__malformedAnswered = true;
}

/**
 * dynalite rethrows a request's 'error' (a client that goes away mid-request: an aborted call, a
 * timed-out test) and so ends the process; a server lets that request go and answers the next.
 */
function ignoreAbortedRequests(server: Server): void {
  const handlers = server.listeners('request') as ((request: IncomingMessage, response: ServerResponse) => void)[];
  server.removeAllListeners('request');
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const on = request.on.bind(request);
    request.on = ((event: string, listener: (...args: unknown[]) => void) =>
      on(event, event === 'error' ? () => response.destroy() : listener)) as typeof request.on;
    for (const handler of handlers) handler(request, response);
  });
}

/** dynalite, DynamoDB's API over an embedded LevelDB: on disk under `dataDir`, in memory without it. */
export async function startLocalDynamoDb(options: { dataDir?: string; port?: number } = {}): Promise<LocalDynamoDb> {
  if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
  answerMalformedRequestsLikeDynamoDb();
  const server: Server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.dataDir ? { path: options.dataDir } : {}),
  });
  ignoreAbortedRequests(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Creates the connections table when it is missing and waits until it is ACTIVE. */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: TABLE_KEYS.partitionKey, AttributeType: 'S' },
        { AttributeName: TABLE_KEYS.sortKey, AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
      ],
    }),
  );
  await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1 }, { TableName: tableName });
}
