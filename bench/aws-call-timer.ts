import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';

/**
 * Times and counts every DynamoDB and KMS call the service's clients make (a whole `send`, retries
 * included), so a handler's own overhead is its duration minus the time spent waiting on them.
 * Installed on the client classes, which the handlers' clients share in this process, so it needs
 * nothing from the service's code.
 */
export interface AwsCalls {
  names: string[];
  waitingMs: number;
}

let current: AwsCalls = { names: [], waitingMs: 0 };

export function installAwsCallTimer(): void {
  for (const Client of [DynamoDBClient, KMSClient] as const) {
    const prototype = Client.prototype as unknown as { send: (command: object, ...rest: unknown[]) => Promise<unknown> };
    const send = prototype.send;
    prototype.send = async function timedSend(this: unknown, command: object, ...rest: unknown[]) {
      const startedAt = performance.now();
      try {
        return await send.call(this, command, ...rest);
      } finally {
        current.names.push(command.constructor.name.replace(/Command$/, ''));
        current.waitingMs += performance.now() - startedAt;
      }
    };
  }
}

/** Runs `work` and returns what it cost in AWS calls. */
export async function withAwsCalls<T>(work: () => Promise<T>): Promise<{ result: T; calls: AwsCalls }> {
  current = { names: [], waitingMs: 0 };
  const result = await work();
  return { result, calls: current };
}
