import { KMSClient } from '@aws-sdk/client-kms';
import { describe, expect, test } from '@jest/globals';
import { additionalData, EnvelopeCipher, SealedSecretCorruptError, type DataKeyService } from '../../lib/crypto/envelope.js';
import { KmsDataKeys } from '../../lib/crypto/kms-data-keys.js';

/**
 * What the envelope refuses and wipes, beyond test/unit/envelope.test.ts: found by mutation testing
 * (docs/testing.md). Every key comes from the local KMS; a wrapper only counts and keeps what it
 * handed out.
 */
const context = { organization_id: 'org-a', connection_id: 'c-1' };
const STAMP = '000001764000000000#c-1';

function recordingKeys(): DataKeyService & { decrypted: Uint8Array[] } {
  const kms = new KmsDataKeys(new KMSClient({}), process.env.KMS_KEY_ID!);
  const decrypted: Uint8Array[] = [];
  return {
    decrypted,
    generateDataKey: (dataKeyContext) => kms.generateDataKey(dataKeyContext),
    async decryptDataKey(encrypted, dataKeyContext) {
      const key = await kms.decryptDataKey(encrypted, dataKeyContext);
      decrypted.push(key);
      return key;
    },
  };
}

async function sealedWith(keys: DataKeyService) {
  return new EnvelopeCipher(keys).seal(Buffer.from('secret value'), context, STAMP);
}

describe('a sealed secret in a form the service never writes is refused before KMS is asked', () => {
  test.each([
    ['an unknown format version', { formatVersion: 3 }, 'Unsupported sealed format version 3'],
    ['format 2 without its write stamp', { formatVersion: 2, writtenAt: undefined }, 'Unsupported sealed format version 2'],
  ])('%s', async (_, change, message) => {
    const keys = recordingKeys();
    const sealed = { ...(await sealedWith(keys)), ...change };
    const failure = await new EnvelopeCipher(keys).open(sealed, context).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SealedSecretCorruptError);
    expect((failure as Error).message).toBe(message);
    expect(keys.decrypted).toHaveLength(0);
  });
});

describe('GCM refuses what it did not authenticate', () => {
  test('a tag cut to 12 bytes (its first 12 bytes, genuine) does not authenticate', async () => {
    const keys = recordingKeys();
    const sealed = await sealedWith(keys);
    const cut = { ...sealed, tag: Buffer.from(sealed.tag).subarray(0, 12) };
    await expect(new EnvelopeCipher(keys).open(cut, context)).rejects.toBeInstanceOf(SealedSecretCorruptError);
  });

  test('a refused tag is a SealedSecretCorruptError with its own message, keeping the cause', async () => {
    const keys = recordingKeys();
    const sealed = await sealedWith(keys);
    const tampered = Buffer.from(sealed.tag);
    tampered[0] = tampered[0]! ^ 1;
    const failure = (await new EnvelopeCipher(keys).open({ ...sealed, tag: tampered }, context).catch((error: unknown) => error)) as Error;
    expect(failure).toBeInstanceOf(SealedSecretCorruptError);
    expect(failure.name).toBe('SealedSecretCorruptError');
    expect(failure.message).toBe('The sealed secret did not authenticate');
    // Node's own GCM error (from outside jest's realm, so matched by message).
    expect((failure.cause as Error | undefined)?.message).toMatch(/unable to authenticate/);
  });
});

describe('the plaintext data key is wiped once the secret is opened', () => {
  test.each([
    ['after a successful open', false],
    ['after GCM refused the secret', true],
  ])('%s', async (_, tamper) => {
    const keys = recordingKeys();
    const sealed = await sealedWith(keys);
    const ciphertext = Buffer.from(sealed.ciphertext);
    if (tamper) ciphertext[0] = ciphertext[0]! ^ 1;
    await new EnvelopeCipher(keys).open({ ...sealed, ciphertext }, context).catch(() => undefined);
    expect(keys.decrypted).toHaveLength(1);
    expect(keys.decrypted[0]!.length).toBe(32);
    expect(Buffer.from(keys.decrypted[0]!).every((byte) => byte === 0)).toBe(true);
  });
});

test('format 1 additional data binds the organization and the connection only, whatever stamp is passed', () => {
  // Secrets sealed before write stamps carry exactly these bytes; any change strands them.
  expect(additionalData(1, context, STAMP).toString('utf8')).toBe('["warehouse-connections",1,"org-a","c-1"]');
});
