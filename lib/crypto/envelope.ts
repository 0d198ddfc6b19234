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
 * 1: additional data binds the organization and the connection. 2: also the time the connection
 * was written, which the store compares with the organization's latest write, so an older item put
 * back in place is refused (its time cannot be changed without breaking GCM). Formats 1 and 2
 * sealed the whole definition. 3 (written now): only the secret fields are sealed, bound also to a
 * digest of the fields that say where the secret goes (lib/connections/destination.ts), so a
 * secret moved to another destination, by any route, never decrypts.
 */
export const SEALED_FORMAT_VERSION = 3;
const READABLE_FORMATS = new Set([1, 2, 3]);
const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface SealedSecret {
  formatVersion: number;
  /** The write stamp of the write that sealed it (lib/store/connection-item.ts); bound from format 2 on. */
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

  /**
   * Format 3 with a destination digest (what the service writes); without one, format 2, which
   * only tests still write, to build items of the earlier format.
   */
  async seal(plaintext: Uint8Array, context: EncryptionContext, writtenAt: string, destinationDigest?: string): Promise<SealedSecret> {
    const formatVersion = destinationDigest === undefined ? 2 : SEALED_FORMAT_VERSION;
    const dataKey = await this.keys.generateDataKey(context);
    try {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv(ALGORITHM, dataKey.plaintext, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(additionalData(formatVersion, context, writtenAt, destinationDigest));
      const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return {
        formatVersion,
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

  /**
   * Throws when the context or the destination differs from the one sealed with (KMS refuses the
   * data key, or GCM the tag). `destinationDigest` is the digest of the destination the stored
   * fields name now; formats 1 and 2 bound none.
   */
  async open(sealed: SealedSecret, context: EncryptionContext, destinationDigest?: string): Promise<Buffer> {
    if (
      !READABLE_FORMATS.has(sealed.formatVersion) ||
      (sealed.formatVersion >= 2 && sealed.writtenAt === undefined) ||
      (sealed.formatVersion >= 3 && destinationDigest === undefined)
    ) {
      throw new SealedSecretCorruptError(`Unsupported sealed format version ${sealed.formatVersion}`);
    }
    const key = await this.keys.decryptDataKey(sealed.encryptedDataKey, context);
    try {
      const decipher = createDecipheriv(ALGORITHM, key, sealed.iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(additionalData(sealed.formatVersion, context, sealed.writtenAt, destinationDigest));
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
export function additionalData(
  formatVersion: number,
  context: EncryptionContext,
  writtenAt: string | undefined,
  destinationDigest?: string,
): Buffer {
  const bound: unknown[] = ['warehouse-connections', formatVersion, context.organization_id, context.connection_id];
  if (formatVersion >= 2) bound.push(writtenAt);
  if (formatVersion >= 3) bound.push(destinationDigest);
  return Buffer.from(JSON.stringify(bound), 'utf8');
}
