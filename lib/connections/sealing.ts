import { isDeepStrictEqual } from 'node:util';
import { SealedSecretCorruptError, type EnvelopeCipher, type SealedSecret } from '../crypto/envelope.js';
import { CredentialsUnreadableError, StoredConnectionUnreadableError } from '../errors.js';
import type { ConnectionDefinition } from '../schema/connection.js';
import { readStoredDefinition } from '../schema/stored-definition.js';
import type { ConnectionRecord, StoredConnection } from '../store/connection-item.js';
import { destinationDigest, joinDefinition, secretPaths, type PlainDefinition, type SecretFields } from './definition-parts.js';

/**
 * Seals a connection's secret fields (envelope format 3): under the organization and connection id
 * (KMS encryption context and GCM additional data) and the digest of the destination they are for
 * (GCM additional data), so they open only for that destination. One KMS GenerateDataKey.
 */
export async function sealSecrets(
  cipher: EnvelopeCipher,
  organizationId: string,
  connectionId: string,
  plain: PlainDefinition,
  secrets: SecretFields,
  writeStamp: string,
): Promise<SealedSecret> {
  const plaintext = Buffer.from(JSON.stringify(secrets), 'utf8');
  try {
    return await cipher.seal(
      plaintext,
      { organization_id: organizationId, connection_id: connectionId },
      writeStamp,
      destinationDigest(plain),
    );
  } finally {
    plaintext.fill(0);
  }
}

/** The plain part of a stored connection of format 3 (its plain attributes). */
export function plainDefinitionOf(record: ConnectionRecord): PlainDefinition {
  return {
    provider: record.provider,
    project_id: record.projectId,
    dataset_id: record.datasetId,
    credentials: record.credentials ?? {},
    settings: record.settings,
  } as PlainDefinition;
}

/**
 * The full definition of a stored connection, decrypted: only the test function calls this. For
 * format 3 the secrets open only if the stored destination is the one they were sealed for; the
 * earlier formats sealed the whole definition, and their plain attributes must agree with it.
 * Unusable sealed bytes are the stored data's fault; KMS errors keep their own meaning.
 */
export async function openDefinition(cipher: EnvelopeCipher, stored: StoredConnection): Promise<ConnectionDefinition> {
  const context = { organization_id: stored.organizationId, connection_id: stored.id };
  const sealedSecretsOnly = stored.formatVersion >= 3;
  const plain = sealedSecretsOnly ? plainDefinitionOf(stored) : undefined;
  let plaintext: Buffer | undefined;
  try {
    plaintext = await cipher.open(stored.sealed, context, plain && destinationDigest(plain));
    const opened: unknown = JSON.parse(plaintext.toString('utf8'));
    const definition = plain ? joinDefinition(plain, secretFieldsOf(stored, opened)) : opened;
    const checked = readStoredDefinition(definition);
    if (!checked) throw new StoredConnectionUnreadableError('the stored definition is not of a shape this version reads');
    if (!sealedSecretsOnly) assertPlainAttributesMatch(stored, checked);
    return checked;
  } catch (error) {
    if (error instanceof SealedSecretCorruptError || error instanceof SyntaxError) throw new CredentialsUnreadableError(error);
    throw error;
  } finally {
    plaintext?.fill(0);
  }
}

/** The opened secrets must be exactly the fields the item lists, each a secret field of its provider. */
function secretFieldsOf(stored: ConnectionRecord, opened: unknown): SecretFields {
  if (typeof opened !== 'object' || opened === null || Array.isArray(opened)) throw new StoredConnectionUnreadableError('sealed secrets');
  const entries = Object.entries(opened);
  const allowed = secretPaths(stored.provider);
  const listed = [...(stored.storedSecrets ?? [])].sort();
  const sealed = entries.map(([path]) => path).sort();
  if (!isDeepStrictEqual(listed, sealed) || entries.some(([path, value]) => !allowed.includes(path) || typeof value !== 'string')) {
    throw new StoredConnectionUnreadableError('the sealed secret fields disagree with the item');
  }
  return Object.fromEntries(entries) as SecretFields;
}

/** A definition sealed whole: the plain attributes GET shows must be the sealed ones. */
function assertPlainAttributesMatch(stored: StoredConnection, definition: ConnectionDefinition): void {
  const plain = { provider: stored.provider, project_id: stored.projectId, dataset_id: stored.datasetId, settings: stored.settings };
  const sealed = {
    provider: definition.provider,
    project_id: definition.project_id,
    dataset_id: definition.dataset_id,
    settings: definition.settings,
  };
  if (!isDeepStrictEqual(plain, sealed)) throw new StoredConnectionUnreadableError('plain attributes disagree with the sealed definition');
}
