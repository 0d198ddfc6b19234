import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { isTransientAwsFailure } from '../aws/failures.js';
import { CredentialsUnreadableError, DependencyUnavailableError } from '../errors.js';
import type { DataKey, DataKeyService, EncryptionContext } from './envelope.js';

/** KMS answers these when a ciphertext, its context or its key do not match: never retried. */
const UNREADABLE = new Set(['InvalidCiphertextException', 'IncorrectKeyException']);

/**
 * Data keys from AWS KMS. Decrypt is pinned to the configured key, so a ciphertext that names
 * another key (one an attacker controls, say) is refused by KMS rather than followed.
 */
export class KmsDataKeys implements DataKeyService {
  constructor(
    private readonly kms: KMSClient,
    private readonly keyId: string,
  ) {}

  async generateDataKey(context: EncryptionContext): Promise<DataKey> {
    const result = await this.call(() =>
      this.kms.send(new GenerateDataKeyCommand({ KeyId: this.keyId, KeySpec: 'AES_256', EncryptionContext: { ...context } })),
    );
    if (!result.Plaintext || !result.CiphertextBlob || !result.KeyId) throw new Error('KMS GenerateDataKey returned an incomplete answer');
    return { plaintext: result.Plaintext, encrypted: result.CiphertextBlob, keyId: result.KeyId };
  }

  async decryptDataKey(encrypted: Uint8Array, context: EncryptionContext): Promise<Uint8Array> {
    const result = await this.call(() =>
      this.kms.send(new DecryptCommand({ CiphertextBlob: encrypted, KeyId: this.keyId, EncryptionContext: { ...context } })),
    );
    if (!result.Plaintext) throw new Error('KMS Decrypt returned no plaintext');
    return result.Plaintext;
  }

  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof Error && UNREADABLE.has(error.name)) throw new CredentialsUnreadableError(error);
      if (isTransientAwsFailure(error)) throw new DependencyUnavailableError(error);
      throw error;
    }
  }
}
