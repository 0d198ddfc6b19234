import { DynamoDBClient, UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach } from '@jest/globals';
import { stateKey, type Key } from '../../lib/store/connection-item.js';

/** A request of the code under test, as the interposer sees it. */
export interface SentCommand {
  command: string;
  input: { Key?: Key; UpdateExpression?: string; ConditionExpression?: string };
}

/** Runs before each request of the interposed client reaches the table; throwing fails the request. */
export type Interposer = (sent: SentCommand) => Promise<void> | void;

/**
 * A DynamoDB client for the code under test that lets a test act between the code's requests: change
 * the table first (another writer that got there in between) or fail the request (an outage), before
 * the request reaches the table. Also a plain client for the other writer, and what was sent.
 */
export function interposedDynamoDb() {
  const client = new DynamoDBClient({});
  const plain = new DynamoDBClient({});
  const sent: SentCommand[] = [];
  let interposer: Interposer | undefined;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const request = { command: context.commandName ?? '', input: args.input as SentCommand['input'] };
      sent.push(request);
      await interposer?.(request);
      return next(args);
    },
    { step: 'initialize', name: 'interposeBetweenRequests' },
  );
  afterEach(() => {
    interposer = undefined;
    sent.length = 0;
  });
  afterAll(() => {
    client.destroy();
    plain.destroy();
  });
  const tableName = process.env.TABLE_NAME!;
  return {
    client,
    sent,
    /** Interposes `next` from now on; `sent` lists what is sent from now on. */
    interpose(next: Interposer | undefined) {
      interposer = next;
      sent.length = 0;
    },
    /** An update of the organization's state item by another writer. */
    async updateState(
      organizationId: string,
      updateExpression: string,
      names: Record<string, string>,
      values?: Record<string, AttributeValue>,
    ): Promise<void> {
      await plain.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: stateKey(organizationId),
          UpdateExpression: updateExpression,
          ExpressionAttributeNames: names,
          ...(values ? { ExpressionAttributeValues: values } : {}),
        }),
      );
    },
    plain,
  };
}

export const isStateWrite = (sent: SentCommand, organizationId: string) =>
  sent.command === 'UpdateItemCommand' && sameKey(sent.input.Key, stateKey(organizationId));

export const isStateRead = (sent: SentCommand, organizationId: string) =>
  sent.command === 'GetItemCommand' && sameKey(sent.input.Key, stateKey(organizationId));

export function sameKey(a: Key | undefined, b: Key): boolean {
  return a !== undefined && a.pk?.S === b.pk?.S && a.sk?.S === b.sk?.S;
}

/** What the SDK throws when DynamoDB answers 503: a failure the service reports as 503 too. */
export function outage(): Error {
  return Object.assign(new Error('injected outage'), { name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } });
}
