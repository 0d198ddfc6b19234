import { describe, expect, test } from '@jest/globals';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KMSClient } from '@aws-sdk/client-kms';
import { EnvelopeCipher } from '../../lib/crypto/envelope.js';
import { KmsDataKeys } from '../../lib/crypto/kms-data-keys.js';
import { ROUTES } from '../../lib/routes.js';
import { ConnectionStore } from '../../lib/store/connection-store.js';
import { assertProbeFitsTimeout } from '../../infra/function-environment.js';
import {
  ENCRYPTION_CONTEXT_KEYS,
  STATE_UPDATE_ATTRIBUTES,
  STATUS_UPDATE_ATTRIBUTES,
  SUMMARY_READ_ATTRIBUTES,
  TEST_LIMIT_ATTRIBUTES,
} from '../../infra/route-permissions.js';

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
    await new ConnectionStore(client, 'table').recordTestOutcome('org-1', 'connection-1', {
      status: 'connected',
      testedAt: new Date(0).toISOString(),
      latencyMs: 12,
      stages: [{ name: 'query', ok: true, ms: 3 }],
    });
    expect(sent.map((command) => command.name)).toEqual(['UpdateItemCommand']);
    const input = sent[0]?.input as {
      Key: Record<string, unknown>;
      ExpressionAttributeNames: Record<string, string>;
      ReturnValues?: string;
    };
    const touched = [...Object.keys(input.Key), ...Object.values(input.ExpressionAttributeNames)];
    expect(STATUS_UPDATE_ATTRIBUTES).toEqual(expect.arrayContaining(touched));
    expect(input.ReturnValues).toBeUndefined();
  });
});

type Sent = { name: string; input: Record<string, unknown> };

/** Every attribute a DynamoDB request names: key, placeholders and projection (all placeholders here). */
function attributesOf(command: Sent): string[] {
  const input = command.input as {
    Key?: Record<string, unknown>;
    ExpressionAttributeNames?: Record<string, string>;
    RequestItems?: Record<string, { Keys: Record<string, unknown>[]; ExpressionAttributeNames?: Record<string, string> }>;
  };
  const batch = Object.values(input.RequestItems ?? {});
  return [
    ...Object.keys(input.Key ?? {}),
    ...Object.values(input.ExpressionAttributeNames ?? {}),
    ...batch.flatMap((request) => [
      ...request.Keys.flatMap((key) => Object.keys(key)),
      ...Object.values(request.ExpressionAttributeNames ?? {}),
    ]),
  ];
}

describe('every store write and the summary read stay inside the attributes IAM grants', () => {
  const connection = {
    organizationId: 'org-1',
    id: 'connection-1',
    provider: 'postgres' as const,
    projectId: null,
    datasetId: 'public',
    settings: {},
    createdAt: new Date(0).toISOString(),
    status: null,
    lastTestedAt: null,
    latencyMs: null,
    lastStages: null,
    writeStamp: '000001764000000000#connection-1',
    sealed: {
      formatVersion: 2,
      writtenAt: '000001764000000000#connection-1',
      keyId: 'k',
      encryptedDataKey: new Uint8Array(1),
      iv: new Uint8Array(12),
      tag: new Uint8Array(16),
      ciphertext: new Uint8Array(1),
    },
  };

  test('GET projects the summary and state attributes only, never the sealed secret', async () => {
    const { client, sent } = recordingClient<DynamoDBClient>();
    await new ConnectionStore(client, 'table').getSummary('org-1');
    expect(sent.map((command) => command.name)).toEqual(['BatchGetItemCommand']);
    const names = attributesOf(sent[0]!);
    expect(SUMMARY_READ_ATTRIBUTES).toEqual(expect.arrayContaining(names));
    expect(names).not.toEqual(expect.arrayContaining(['ciphertext']));
    for (const sealed of ['ciphertext', 'encrypted_data_key', 'iv', 'auth_tag', 'key_id'])
      expect(SUMMARY_READ_ATTRIBUTES).not.toContain(sealed);
  });

  test('create and delete update the state item within its attributes', async () => {
    const { client, sent } = recordingClient<DynamoDBClient>();
    const store = new ConnectionStore(client, 'table');
    await store.put(connection);
    await store.delete('org-1', '000001764000000001#x');
    expect(sent.map((command) => command.name)).toEqual(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'UpdateItemCommand']);
    for (const update of sent.filter((command) => command.name === 'UpdateItemCommand'))
      expect(STATE_UPDATE_ATTRIBUTES).toEqual(expect.arrayContaining(attributesOf(update)));
  });

  test('the test admission counts within the rate-limit attributes', async () => {
    const { client, sent } = recordingClient<DynamoDBClient>();
    await new ConnectionStore(client, 'table').admitTest('org-1', { tests: 5, windowSeconds: 10 }, 0);
    expect(sent.map((command) => command.name)).toEqual(['UpdateItemCommand']);
    expect(TEST_LIMIT_ATTRIBUTES).toEqual(expect.arrayContaining(attributesOf(sent[0]!)));
  });
});

describe('KMS calls carry the context the key policy and roles require', () => {
  test('seal and open send exactly the connection encryption context', async () => {
    const plaintextKey = new Uint8Array(32).fill(7);
    const { client, sent } = recordingClient<KMSClient>({
      Plaintext: plaintextKey,
      CiphertextBlob: new Uint8Array([1, 2, 3]),
      KeyId: 'arn:aws:kms:eu-west-1:111122223333:key/k',
    });
    const cipher = new EnvelopeCipher(new KmsDataKeys(client, 'arn:aws:kms:eu-west-1:111122223333:key/k'));
    const context = { organization_id: 'org-1', connection_id: 'connection-1' };
    const sealed = await cipher.seal(Buffer.from('secret'), context, '000001764000000000#connection-1');
    plaintextKey.fill(7); // seal wipes the data key it was handed; the fake hands out the same array again
    await cipher.open(sealed, context);
    expect(sent.map((command) => command.name)).toEqual(['GenerateDataKeyCommand', 'DecryptCommand']);
    // Decrypt is pinned to the configured key: a ciphertext naming another key is refused by KMS.
    expect(sent[1]?.input.KeyId).toBe('arn:aws:kms:eu-west-1:111122223333:key/k');
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
