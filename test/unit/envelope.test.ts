import { KMSClient } from '@aws-sdk/client-kms';
import { describe, expect, test } from '@jest/globals';
import { EnvelopeCipher } from '../../lib/crypto/envelope.js';
import { KmsDataKeys } from '../../lib/crypto/kms-data-keys.js';
import { CredentialsUnreadableError } from '../../lib/errors.js';

const kms = new KMSClient({});
const cipher = new EnvelopeCipher(new KmsDataKeys(kms, process.env.KMS_KEY_ID!));
const context = { organization_id: 'org-a', connection_id: 'c-1' };

describe('envelope encryption through the local KMS', () => {
  test('a sealed secret opens with the same context and holds no plaintext', async () => {
    const secret = Buffer.from('{"password":"canary-envelope-1"}');
    const sealed = await cipher.seal(Buffer.from(secret), context);

    expect(Buffer.from(sealed.ciphertext).includes('canary-envelope-1')).toBe(false);
    expect(sealed.iv).toHaveLength(12);
    expect(sealed.tag).toHaveLength(16);
    expect(sealed.keyId).toMatch(/^arn:aws:kms:/);
    expect((await cipher.open(sealed, context)).equals(secret)).toBe(true);
  });

  test.each([
    ['another organization', { organization_id: 'org-b', connection_id: 'c-1' }],
    ['another connection', { organization_id: 'org-a', connection_id: 'c-2' }],
  ])('opening with %s is refused by KMS', async (_, otherContext) => {
    const sealed = await cipher.seal(Buffer.from('x'), context);
    await expect(cipher.open(sealed, otherContext)).rejects.toBeInstanceOf(CredentialsUnreadableError);
  });

  test('a tampered ciphertext fails GCM authentication', async () => {
    const sealed = await cipher.seal(Buffer.from('secret value'), context);
    const tampered = Buffer.from(sealed.ciphertext);
    tampered[0] = tampered[0]! ^ 1;
    await expect(cipher.open({ ...sealed, ciphertext: tampered }, context)).rejects.toThrow();
  });

  test('each seal uses a fresh data key and IV', async () => {
    const first = await cipher.seal(Buffer.from('same'), context);
    const second = await cipher.seal(Buffer.from('same'), context);
    expect(Buffer.from(first.encryptedDataKey).equals(Buffer.from(second.encryptedDataKey))).toBe(false);
    expect(Buffer.from(first.iv).equals(Buffer.from(second.iv))).toBe(false);
  });
});
