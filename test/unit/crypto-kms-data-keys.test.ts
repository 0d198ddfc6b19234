import { KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { KmsDataKeys } from '../../lib/crypto/kms-data-keys.js';
import { CredentialsUnreadableError, DependencyUnavailableError } from '../../lib/errors.js';
import { startLocalKms, type LocalKms } from '../../local/kms-server.js';
import { sendJson } from '../fakes/http-json.js';
import { startLoopbackServer, type LoopbackServer } from '../fakes/loopback-server.js';

/**
 * How KmsDataKeys reads KMS's answers and failures, against the local KMS (and, for answers KMS
 * should never give, a loopback stand-in speaking its JSON protocol). Found by mutation testing
 * (docs/testing.md).
 */
const context = { organization_id: 'org-a', connection_id: 'c-1' };
const pinned = new KmsDataKeys(new KMSClient({}), process.env.KMS_KEY_ID!);
const clientFor = (endpoint: string) => new KMSClient({ endpoint, maxAttempts: 1 });

let otherKms: LocalKms;
let silentKms: LoopbackServer;
let partialKms: LoopbackServer;
/** What partialKms answers GenerateDataKey with. */
let partialAnswer: Record<string, string> = {};

beforeAll(async () => {
  // A second key service with its own key: its ciphertexts name a key the service is not configured with.
  otherKms = await startLocalKms({ aliasName: 'alias/someone-else' });
  // Answers every KMS call with 200 and an empty JSON object.
  silentKms = await startLoopbackServer(async (_request, response) => sendJson(response, 200, {}));
  partialKms = await startLoopbackServer(async (_request, response) => sendJson(response, 200, partialAnswer));
});

afterAll(async () => {
  await otherKms.close();
  await silentKms.close();
  await partialKms.close();
});

test('a data key sealed under another KMS key is unreadable (IncorrectKeyException), not followed to that key', async () => {
  const foreign = await new KmsDataKeys(clientFor(otherKms.endpoint), otherKms.aliasName).generateDataKey(context);
  const failure = await pinned.decryptDataKey(foreign.encrypted, context).catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(CredentialsUnreadableError);
  expect((failure as Error).cause).toMatchObject({ name: 'IncorrectKeyException' });
});

test('a configured key that does not exist is a fault to fix, not an outage to retry: the KMS error passes through', async () => {
  const missing = new KmsDataKeys(new KMSClient({}), 'alias/no-such-key');
  const failure = await missing.generateDataKey(context).catch((error: unknown) => error);
  expect(failure).toMatchObject({ name: 'NotFoundException' });
  expect(failure).not.toBeInstanceOf(DependencyUnavailableError);
  expect(failure).not.toBeInstanceOf(CredentialsUnreadableError);
});

describe('an answer without key material is an error, never an empty key', () => {
  const silent = () => new KmsDataKeys(clientFor(silentKms.origin), process.env.KMS_KEY_ID!);

  test('GenerateDataKey', async () => {
    await expect(silent().generateDataKey(context)).rejects.toThrow('KMS GenerateDataKey returned an incomplete answer');
  });

  test('Decrypt', async () => {
    await expect(silent().decryptDataKey(Buffer.from('wrapped'), context)).rejects.toThrow('KMS Decrypt returned no plaintext');
  });

  const complete = {
    Plaintext: Buffer.alloc(32, 7).toString('base64'),
    CiphertextBlob: Buffer.from('wrapped key').toString('base64'),
    KeyId: 'arn:aws:kms:us-east-1:111122223333:key/partial',
  };
  const partial = () => new KmsDataKeys(clientFor(partialKms.origin), process.env.KMS_KEY_ID!);

  test('a complete GenerateDataKey answer is read as it is (the stand-in below speaks KMS)', async () => {
    partialAnswer = complete;
    expect(await partial().generateDataKey(context)).toEqual({
      plaintext: new Uint8Array(Buffer.alloc(32, 7)),
      encrypted: new Uint8Array(Buffer.from('wrapped key')),
      keyId: complete.KeyId,
    });
  });

  test.each(['Plaintext', 'CiphertextBlob', 'KeyId'])('GenerateDataKey answered without %s alone', async (missing) => {
    partialAnswer = Object.fromEntries(Object.entries(complete).filter(([name]) => name !== missing));
    await expect(partial().generateDataKey(context)).rejects.toThrow('KMS GenerateDataKey returned an incomplete answer');
  });
});
