import { describe, expect, test } from '@jest/globals';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KMSClient } from '@aws-sdk/client-kms';
import { EnvelopeCipher } from '../../lib/crypto/envelope.js';
import { KmsDataKeys } from '../../lib/crypto/kms-data-keys.js';
import { ROUTES } from '../../lib/routes.js';
import { ConnectionStore } from '../../lib/store/connection-store.js';
import { assertProbeFitsTimeout } from '../../infra/function-environment.js';
import { ENCRYPTION_CONTEXT_KEYS, STATUS_UPDATE_ATTRIBUTES } from '../../infra/route-permissions.js';

/**
 * The IAM conditions name attributes and context keys; these checks run the real store and
 * cipher against recording clients, so a change in the code that the policy would refuse fails here.
 */
function recordingClient<T>(answer: Record<string, unknown> = {}) {
  const sent: { name: string; input: Record<string, unknown> }[] = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      sent.push({ name: command.constructor.name, input: command.input });
      return answer;
    },
  } as unknown as T;
  return { client, sent };
}

describe('the status update stays inside dynamodb:Attributes', () => {
  test('recordTestOutcome touches only the allowed attributes', async () => {
    const { client, sent } = recordingClient<DynamoDBClient>();
    await new ConnectionStore(client, 'table').recordTestOutcome('org-1', 'connection-1', { status: 'connected', testedAt: new Date(0).toISOString(), latencyMs: 12 });
    expect(sent.map((command) => command.name)).toEqual(['UpdateItemCommand']);
    const input = sent[0]?.input as { Key: Record<string, unknown>; ExpressionAttributeNames: Record<string, string>; ReturnValues?: string };
    const touched = [...Object.keys(input.Key), ...Object.values(input.ExpressionAttributeNames)];
    expect(STATUS_UPDATE_ATTRIBUTES).toEqual(expect.arrayContaining(touched));
    expect(input.ReturnValues).toBeUndefined();
  });
});

describe('KMS calls carry the context the key policy and roles require', () => {
  test('seal and open send exactly the connection encryption context', async () => {
    const plaintextKey = new Uint8Array(32).fill(7);
    const { client, sent } = recordingClient<KMSClient>({ Plaintext: plaintextKey, CiphertextBlob: new Uint8Array([1, 2, 3]), KeyId: 'arn:aws:kms:eu-west-1:111122223333:key/k' });
    const cipher = new EnvelopeCipher(new KmsDataKeys(client, 'arn:aws:kms:eu-west-1:111122223333:key/k'));
    const context = { organization_id: 'org-1', connection_id: 'connection-1' };
    const sealed = await cipher.seal(Buffer.from('secret'), context);
    plaintextKey.fill(7); // seal wipes the data key it was handed; the fake hands out the same array again
    await cipher.open(sealed, context);
    expect(sent.map((command) => command.name)).toEqual(['GenerateDataKeyCommand', 'DecryptCommand']);
    for (const command of sent) {
      expect(Object.keys(command.input.EncryptionContext as Record<string, string>).sort()).toEqual([...ENCRYPTION_CONTEXT_KEYS].sort());
    }
  });
});

describe('the test function timeout holds a whole test', () => {
  const testRoute = () => {
    const route = ROUTES.find((candidate) => candidate.functionName === 'test-connection');
    if (!route) throw new Error('The route table has no test-connection route');
    return route;
  };

  test('the route table timeout passes', () => {
    expect(() => assertProbeFitsTimeout(testRoute())).not.toThrow();
  });

  test('a timeout at the probe deadline is refused at synth time', () => {
    expect(() => assertProbeFitsTimeout({ ...testRoute(), timeoutSeconds: 10 })).toThrow(/below the 18 s a test may need/);
  });
});
