import { DecryptCommand, DescribeKeyCommand, EncryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalKms, type LocalKms } from '../../local/kms-server.js';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const clientFor = (kms: LocalKms) => new KMSClient({ endpoint: kms.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
let kms: LocalKms;
let client: KMSClient;

beforeAll(async () => {
  kms = await startLocalKms();
  client = clientFor(kms);
});
afterAll(async () => {
  client.destroy();
  await kms.close();
});

describe('the local KMS speaks the KMS protocol to @aws-sdk/client-kms', () => {
  test('GenerateDataKey returns a 256-bit key and a blob that Decrypt opens with the same context', async () => {
    const context = { organization_id: 'org-a', connection_id: 'c-1' };
    const generated = await client.send(
      new GenerateDataKeyCommand({ KeyId: kms.aliasName, KeySpec: 'AES_256', EncryptionContext: context }),
    );
    expect(generated.Plaintext).toHaveLength(32);
    expect(generated.KeyId).toBe(kms.keyArn);

    // KMS treats the context as a set: the order of its entries does not matter.
    const reordered = { connection_id: 'c-1', organization_id: 'org-a' };
    const decrypted = await client.send(
      new DecryptCommand({ CiphertextBlob: generated.CiphertextBlob, KeyId: kms.keyArn, EncryptionContext: reordered }),
    );
    expect(Buffer.from(decrypted.Plaintext!).equals(Buffer.from(generated.Plaintext!))).toBe(true);
    expect(decrypted.KeyId).toBe(kms.keyArn);
  });

  test.each([
    ['a different value', { organization_id: 'org-b', connection_id: 'c-1' }],
    ['a missing entry', { organization_id: 'org-a' }],
    ['an extra entry', { organization_id: 'org-a', connection_id: 'c-1', extra: 'x' }],
    ['a different case', { organization_id: 'ORG-A', connection_id: 'c-1' }],
    ['no context at all', undefined],
  ])('Decrypt with %s in the encryption context is InvalidCiphertextException', async (_, context) => {
    const generated = await client.send(
      new GenerateDataKeyCommand({
        KeyId: kms.aliasName,
        KeySpec: 'AES_256',
        EncryptionContext: { organization_id: 'org-a', connection_id: 'c-1' },
      }),
    );
    await expect(
      client.send(new DecryptCommand({ CiphertextBlob: generated.CiphertextBlob, EncryptionContext: context })),
    ).rejects.toMatchObject({ name: 'InvalidCiphertextException' });
  });

  test('a ciphertext from another KMS key never decrypts', async () => {
    const other = await startLocalKms();
    const otherClient = clientFor(other);
    try {
      const foreign = await otherClient.send(new EncryptCommand({ KeyId: other.aliasName, Plaintext: Buffer.from('x') }));
      await expect(client.send(new DecryptCommand({ CiphertextBlob: foreign.CiphertextBlob }))).rejects.toMatchObject({
        name: 'InvalidCiphertextException',
      });
      await expect(client.send(new DecryptCommand({ CiphertextBlob: foreign.CiphertextBlob, KeyId: kms.keyArn }))).rejects.toMatchObject({
        name: 'IncorrectKeyException',
      });
    } finally {
      otherClient.destroy();
      await other.close();
    }
  });

  test('an unknown key is NotFoundException, a bad key spec ValidationException', async () => {
    await expect(client.send(new GenerateDataKeyCommand({ KeyId: 'alias/nope', KeySpec: 'AES_256' }))).rejects.toMatchObject({
      name: 'NotFoundException',
    });
    await expect(client.send(new GenerateDataKeyCommand({ KeyId: kms.aliasName }))).rejects.toMatchObject({ name: 'ValidationException' });
  });

  test('DescribeKey describes an enabled symmetric key', async () => {
    const { KeyMetadata } = await client.send(new DescribeKeyCommand({ KeyId: kms.aliasName }));
    expect(KeyMetadata).toMatchObject({
      Arn: kms.keyArn,
      Enabled: true,
      KeyState: 'Enabled',
      KeySpec: 'SYMMETRIC_DEFAULT',
      KeyUsage: 'ENCRYPT_DECRYPT',
    });
  });

  test('with a data directory the key survives a restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'wc-kms-'));
    try {
      const first = await startLocalKms({ dataDir });
      const firstClient = clientFor(first);
      const sealed = await firstClient.send(
        new EncryptCommand({ KeyId: first.aliasName, Plaintext: Buffer.from('persist me'), EncryptionContext: { a: 'b' } }),
      );
      firstClient.destroy();
      await first.close();

      const second = await startLocalKms({ dataDir });
      const secondClient = clientFor(second);
      const opened = await secondClient.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob, EncryptionContext: { a: 'b' } }));
      expect(Buffer.from(opened.Plaintext!).toString()).toBe('persist me');
      expect(second.keyArn).toBe(first.keyArn);
      secondClient.destroy();
      await second.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
