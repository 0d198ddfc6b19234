import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** Binds a ciphertext to one organization's one connection, in KMS and in GCM alike. */
export interface EncryptionContext {
  organization_id: string;
  connection_id: string;
}

export interface DataKey {
  plaintext: Uint8Array;
  encrypted: Uint8Array;
  keyId: string;
}

/** Port to the key service (KMS in AWS and locally). */
export interface DataKeyService {
  generateDataKey(context: EncryptionContext): Promise<DataKey>;
  decryptDataKey(encrypted: Uint8Array, context: EncryptionContext): Promise<Uint8Array>;
}

/**
 * 1: additional data binds the organization and the connection. 2 (written now): also the time the
 * connection was written, which the store compares with the organization's latest write, so an
 * older item put back in place is refused (its time cannot be changed without breaking GCM).
 */
export const SEALED_FORMAT_VERSION = 2;
const READABLE_FORMATS = new Set([1, 2]);
const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface SealedSecret {
  formatVersion: number;
  /** When the connection was written (epoch ms as a decimal string); bound from format 2 on. */
  writtenAt?: string;
  keyId: string;
  encryptedDataKey: Uint8Array;
  iv: Uint8Array;
  tag: Uint8Array;
  ciphertext: Uint8Array;
}

/** The sealed bytes themselves are unusable: unknown format, or GCM refused the tag (tampering). */
export class SealedSecretCorruptError extends Error {
  override name = 'SealedSecretCorruptError';
}

/**
 * Envelope encryption: a fresh data key per seal, AES-256-GCM in process, the encryption context
 * as KMS encryption context and as GCM additional data. The plaintext data key is wiped after use.
 */
export class EnvelopeCipher {
  constructor(private readonly keys: DataKeyService) {}

  async seal(plaintext: Uint8Array, context: EncryptionContext, writtenAt: string): Promise<SealedSecret> {
    const dataKey = await this.keys.generateDataKey(context);
    try {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv(ALGORITHM, dataKey.plaintext, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(additionalData(SEALED_FORMAT_VERSION, context, writtenAt));
      const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return {
        formatVersion: SEALED_FORMAT_VERSION,
        writtenAt,
        keyId: dataKey.keyId,
        encryptedDataKey: dataKey.encrypted,
        iv,
        tag: cipher.getAuthTag(),
        ciphertext,
      };
    } finally {
      dataKey.plaintext.fill(0);
    }
  }

  /** Throws when the context differs from the one sealed with (KMS refuses the data key, or GCM the tag). */
  async open(sealed: SealedSecret, context: EncryptionContext): Promise<Buffer> {
    if (!READABLE_FORMATS.has(sealed.formatVersion) || (sealed.formatVersion >= 2 && sealed.writtenAt === undefined)) {
      throw new SealedSecretCorruptError(`Unsupported sealed format version ${sealed.formatVersion}`);
    }
    const key = await this.keys.decryptDataKey(sealed.encryptedDataKey, context);
    try {
      const decipher = createDecipheriv(ALGORITHM, key, sealed.iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(additionalData(sealed.formatVersion, context, sealed.writtenAt));
      decipher.setAuthTag(sealed.tag);
      return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]);
    } catch (error) {
      throw new SealedSecretCorruptError('The sealed secret did not authenticate', { cause: error });
    } finally {
      key.fill(0);
    }
  }
}

/** Canonical bytes of what a seal binds: fixed order, versioned, unambiguous (JSON escapes every separator). */
export function additionalData(formatVersion: number, context: EncryptionContext, writtenAt: string | undefined): Buffer {
  const bound: unknown[] = ['warehouse-connections', formatVersion, context.organization_id, context.connection_id];
  if (formatVersion >= 2) bound.push(writtenAt);
  return Buffer.from(JSON.stringify(bound), 'utf8');
}
