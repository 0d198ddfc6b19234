import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KMSClient } from '@aws-sdk/client-kms';
import { dynamoDbClient, kmsClient } from '../lib/aws/clients.js';

/**
 * An SDK middleware on the service's own DynamoDB and KMS clients: counts every call (a whole
 * `send`, retries included) and the time spent waiting on it, so a handler's own overhead is its
 * duration minus this.
 */
export interface AwsCalls {
  names: string[];
  waitingMs: number;
}

let current: AwsCalls = { names: [], waitingMs: 0 };

export function installAwsCallTimer(): void {
  addTimer(dynamoDbClient());
  addTimer(kmsClient());
}

function addTimer(client: { middlewareStack: DynamoDBClient['middlewareStack'] | KMSClient['middlewareStack'] }): void {
  (client.middlewareStack as DynamoDBClient['middlewareStack']).add(
    (next, context) => async (args) => {
      const startedAt = performance.now();
      try {
        return await next(args);
      } finally {
        current.names.push(String(context.commandName).replace(/Command$/, ''));
        current.waitingMs += performance.now() - startedAt;
      }
    },
    { step: 'initialize', name: 'benchAwsCallTimer' },
  );
}

/** Runs `work` and returns what it cost in AWS calls. */
export async function withAwsCalls<T>(work: () => Promise<T>): Promise<{ result: T; calls: AwsCalls }> {
  current = { names: [], waitingMs: 0 };
  const result = await work();
  return { result, calls: current };
}
