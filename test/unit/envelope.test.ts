import { KMSClient } from '@aws-sdk/client-kms';
import { describe, expect, test } from '@jest/globals';
import { createCipheriv, randomBytes } from 'node:crypto';
import { additionalData, EnvelopeCipher, SealedSecretCorruptError, type DataKeyService } from '../../lib/crypto/envelope.js';
import { KmsDataKeys } from '../../lib/crypto/kms-data-keys.js';
import { CredentialsUnreadableError } from '../../lib/errors.js';

const kms = new KMSClient({});
const cipher = new EnvelopeCipher(new KmsDataKeys(kms, process.env.KMS_KEY_ID!));
const context = { organization_id: 'org-a', connection_id: 'c-1' };
const STAMP = '000001764000000000#c-1';

/** A key service that hands out one fixed key whatever the context: only GCM's additional data can bind anything. */
function contextBlindKeys(): DataKeyService & { handedOut: Uint8Array[] } {
  const key = randomBytes(32);
  const handedOut: Uint8Array[] = [];
  return {
    handedOut,
    async generateDataKey() {
      const plaintext = Buffer.from(key);
      handedOut.push(plaintext);
      return { plaintext, encrypted: Buffer.from('wrapped'), keyId: 'arn:aws:kms:eu-west-1:111122223333:key/blind' };
    },
    async decryptDataKey() {
      return Buffer.from(key);
    },
  };
}

describe('envelope encryption through the local KMS', () => {
  test('a sealed secret opens with the same context and holds no plaintext', async () => {
    const secret = Buffer.from('{"password":"canary-envelope-1"}');
    const sealed = await cipher.seal(Buffer.from(secret), context, STAMP);

    expect(Buffer.from(sealed.ciphertext).includes('canary-envelope-1')).toBe(false);
    expect(sealed.iv).toHaveLength(12);
    expect(sealed.tag).toHaveLength(16);
    expect(sealed.keyId).toMatch(/^arn:aws:kms:/);
    expect(sealed).toMatchObject({ formatVersion: 2, writtenAt: STAMP });
    expect((await cipher.open(sealed, context)).equals(secret)).toBe(true);
  });

  test.each([
    ['another organization', { organization_id: 'org-b', connection_id: 'c-1' }],
    ['another connection', { organization_id: 'org-a', connection_id: 'c-2' }],
  ])('opening with %s is refused by KMS', async (_, otherContext) => {
    const sealed = await cipher.seal(Buffer.from('x'), context, STAMP);
    await expect(cipher.open(sealed, otherContext)).rejects.toBeInstanceOf(CredentialsUnreadableError);
  });

  test('a tampered ciphertext fails GCM authentication', async () => {
    const sealed = await cipher.seal(Buffer.from('secret value'), context, STAMP);
    const tampered = Buffer.from(sealed.ciphertext);
    tampered[0] = tampered[0]! ^ 1;
    await expect(cipher.open({ ...sealed, ciphertext: tampered }, context)).rejects.toThrow();
  });

  test('each seal uses a fresh data key and IV', async () => {
    const first = await cipher.seal(Buffer.from('same'), context, STAMP);
    const second = await cipher.seal(Buffer.from('same'), context, STAMP);
    expect(Buffer.from(first.encryptedDataKey).equals(Buffer.from(second.encryptedDataKey))).toBe(false);
    expect(Buffer.from(first.iv).equals(Buffer.from(second.iv))).toBe(false);
  });
});

describe('GCM binds the context itself, whatever the key service does', () => {
  test.each([
    ['another organization', { organization_id: 'org-b', connection_id: 'c-1' }],
    ['another connection', { organization_id: 'org-a', connection_id: 'c-2' }],
  ])('with a key service that ignores context, opening under %s still fails GCM', async (_, otherContext) => {
    const blind = new EnvelopeCipher(contextBlindKeys());
    const sealed = await blind.seal(Buffer.from('secret'), context, STAMP);
    expect((await blind.open(sealed, context)).toString()).toBe('secret');
    await expect(blind.open(sealed, otherContext)).rejects.toBeInstanceOf(SealedSecretCorruptError);
  });

  test('the write stamp is bound: a sealed secret with another stamp does not open', async () => {
    const blind = new EnvelopeCipher(contextBlindKeys());
    const sealed = await blind.seal(Buffer.from('secret'), context, STAMP);
    await expect(blind.open({ ...sealed, writtenAt: '999999999999999#c-1' }, context)).rejects.toBeInstanceOf(SealedSecretCorruptError);
  });

  test('the additional data names the organization, the connection and the stamp', () => {
    expect(JSON.parse(additionalData(2, context, STAMP).toString())).toEqual(['warehouse-connections', 2, 'org-a', 'c-1', STAMP]);
  });

  test('format 3 binds the destination: it opens only with the digest it was sealed for, and never without one', async () => {
    const blind = new EnvelopeCipher(contextBlindKeys());
    const sealed = await blind.seal(Buffer.from('secret'), context, STAMP, 'digest-of-db.example.com');
    expect(sealed.formatVersion).toBe(3);
    expect((await blind.open(sealed, context, 'digest-of-db.example.com')).toString()).toBe('secret');
    await expect(blind.open(sealed, context, 'digest-of-attacker.example.net')).rejects.toBeInstanceOf(SealedSecretCorruptError);
    await expect(blind.open(sealed, context)).rejects.toBeInstanceOf(SealedSecretCorruptError);
    expect(JSON.parse(additionalData(3, context, STAMP, 'd').toString())).toEqual(['warehouse-connections', 3, 'org-a', 'c-1', STAMP, 'd']);
  });

  test('format 1 secrets (before write stamps) still open', async () => {
    const keys = contextBlindKeys();
    const key = Buffer.from(await keys.decryptDataKey(Buffer.alloc(0), context));
    const iv = randomBytes(12);
    const legacy = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
    legacy.setAAD(additionalData(1, context, undefined));
    const ciphertext = Buffer.concat([legacy.update('legacy secret'), legacy.final()]);
    const sealed = { formatVersion: 1, keyId: 'k', encryptedDataKey: Buffer.from('wrapped'), iv, tag: legacy.getAuthTag(), ciphertext };
    expect((await new EnvelopeCipher(keys).open(sealed, context)).toString()).toBe('legacy secret');
  });

  test('the plaintext data key is wiped once the secret is sealed', async () => {
    const keys = contextBlindKeys();
    await new EnvelopeCipher(keys).seal(Buffer.from('secret'), context, STAMP);
    expect(keys.handedOut).toHaveLength(1);
    expect(Buffer.from(keys.handedOut[0]!).every((byte) => byte === 0)).toBe(true);
  });
});
